// `isoplace plan`'s input: files, directories (with -R, their subdirectories too) and stdin, as
// multi-document YAML or JSON (JSON is YAML), read as kubectl reads them (kube-yaml.ts: `yes` is
// a boolean, a date is a string). One reader, js-yaml's event parser: the events give the values
// (constructFromEvents), the line of every object and field (yaml-events.ts), and the places
// where `-o yaml` writes its changes (manifest-edit.ts). A List's items are objects of their own.
import { readdir, readFile, realpath, stat } from "node:fs/promises";
import { join } from "node:path";
import { constructFromEvents, EVENT_ID, parseEvents, YAMLException, type Event } from "js-yaml";
import { isList } from "../k8s/workloads.ts";
import { UsageError } from "./errors.ts";
import { KUBE_SCHEMA } from "./kube-yaml.ts";
import { after, children, find, lineIndex, startOf, type Path } from "./yaml-events.ts";

/** A file's text and how messages name it (`<stdin>` for -f -). */
export interface Source {
  name: string;
  text: string;
}

/** One mistake in the input: where (file, line, field) and what. */
export interface InputProblem {
  file: string;
  line?: number;
  field?: string;
  message: string;
}

const MAX_SHOWN = 20;

export class ManifestError extends UsageError {
  readonly problems: InputProblem[];
  constructor(problems: InputProblem[]) {
    const shown = problems.slice(0, MAX_SHOWN).map((p) => `  ${p.file}${p.line ? `:${p.line}` : ""}: ${p.field ? `${p.field}: ` : ""}${p.message}`);
    if (problems.length > MAX_SHOWN) shown.push(`  … and ${problems.length - MAX_SHOWN} more`);
    super(`invalid input (nothing planned):\n${shown.join("\n")}`);
    this.name = "ManifestError";
    this.problems = problems;
  }
}

const MANIFEST_FILE = /\.(ya?ml|json)$/i;
const STDIN_NAME = "<stdin>";

/**
 * The sources -f names, in order: a file as is, a directory's .yaml, .yml and .json files by name
 * (recursive: its subdirectories' too, symbolic links to directories followed), "-" standard
 * input. Each file and directory is read once, under the first name it is reached by (a link
 * back up the tree is no loop, a file linked twice no second copy). Missing paths are problems.
 */
export async function readSources(paths: string[], recursive: boolean, stdin: () => Promise<string>): Promise<Source[]> {
  const out: Source[] = [];
  const problems: InputProblem[] = [];
  const seen = new Set<string>();
  const once = async (path: string): Promise<boolean> => {
    const real = await realpath(path);
    if (seen.has(real)) return false;
    seen.add(real);
    return true;
  };
  const cannot = (path: string, err: unknown, link = false) => {
    const code = (err as NodeJS.ErrnoException).code;
    problems.push({
      file: path,
      message:
        code === "ENOENT"
          ? link
            ? "a symbolic link to nothing (its target does not exist)"
            : "no such file or directory"
          : `cannot read it: ${code ?? (err as Error).message}`,
    });
  };
  const walk = async (dir: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const path = join(dir, e.name);
      try {
        const st = e.isSymbolicLink() ? await stat(path) : e;
        if (st.isDirectory()) {
          if (recursive && (await once(path))) await walk(path);
        } else if (st.isFile() && MANIFEST_FILE.test(e.name) && (await once(path))) out.push({ name: path, text: await readFile(path, "utf8") });
      } catch (err) {
        cannot(path, err, e.isSymbolicLink());
      }
    }
  };
  for (const path of paths) {
    if (path === "-") {
      if (!seen.has(STDIN_NAME)) out.push({ name: STDIN_NAME, text: await stdin() });
      seen.add(STDIN_NAME);
      continue;
    }
    if (/^https?:\/\//i.test(path)) {
      problems.push({ file: path, message: "URLs are not read; pipe them in: curl -fsSL URL | isoplace plan -f -" });
      continue;
    }
    try {
      const st = await stat(path);
      if (!(await once(path))) continue;
      if (st.isDirectory()) await walk(path);
      else out.push({ name: path, text: await readFile(path, "utf8") });
    } catch (err) {
      cannot(path, err);
    }
  }
  if (problems.length) throw new ManifestError(problems);
  return out;
}

/** One object of a manifest (a List's item is one): where it is, and its value. */
export interface ManifestObject {
  source: Source;
  /** Its document (an index into Manifests.documents). */
  document: number;
  /** Its event, where its node starts. */
  node: number;
  /** Keys from the document's root to the object: [] when the document is the object, ["items", 3] in a List. */
  at: Path;
  value: Record<string, unknown>;
  line: number;
}

/** A source read: its events (kept while it is planned and written), its documents and objects. */
export interface Manifests {
  source: Source;
  events: Event[];
  /** Each document's root node (its event) and value. */
  documents: { node: number; value: unknown }[];
  objects: ManifestObject[];
  /** The line of a field of an object: of its key, for a mapping's entry, or of the deepest part of the path that exists. */
  lineOf(obj: ManifestObject, path: Path): number;
}

/** How deep collections may nest (Kubernetes objects, CRDs' schemas included, stay well within it). */
const MAX_DEPTH = 1000;
/**
 * How many nodes a document may expand to through its aliases: what `a: &a [x, x]`, `b: &b [*a,
 * *a]` … (an alias bomb) passes in a few lines; kubectl refuses such a document too ("excessive
 * aliasing"). The values are built with each alias shared, so only this count grows.
 */
const MAX_EXPANDED_NODES = 1_000_000;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const typeName = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "a list" : typeof v === "object" ? "a mapping" : `a ${typeof v}`);

/** A stream's events and its documents' values; throws YAMLException. */
export function parseManifestText(text: string, filename: string): { events: Event[]; values: unknown[] } {
  const events = parseEvents(text, { filename, maxDepth: MAX_DEPTH });
  // json: a key given twice is its last value, as kubectl reads it
  return { events, values: constructFromEvents(events, { source: text, filename, schema: KUBE_SCHEMA, json: true }) };
}

/** Every object of a source's documents, or undefined when its YAML cannot be read (the problem added). */
export function readManifests(source: Source, problems: InputProblem[]): Manifests | undefined {
  const file = source.name,
    text = source.text;
  let events: Event[], values: unknown[];
  try {
    ({ events, values } = parseManifestText(text, file));
  } catch (err) {
    if (!(err instanceof YAMLException)) throw err;
    problems.push({ file, ...(err.mark ? { line: err.mark.line + 1 } : {}), message: err.reason });
    return undefined;
  }
  const lines = lineIndex(text);
  const lineOf = (node: number, path: Path) => {
    const f = find(events, text, node, path);
    return lines(Math.max(0, startOf(events[f.key >= 0 ? f.key : f.node])));
  };
  const documents: Manifests["documents"] = [];
  const objects: ManifestObject[] = [];
  // a stream is DOCUMENT, its root node, POP, for each document
  for (let i = 0, d = 0; i < events.length; d++) {
    const root = i + 1;
    const end = after(events, root) + 1;
    const value = values[d];
    documents.push({ node: root, value });
    i = end;
    if (value === null || value === undefined) continue; // an empty document (`---` twice, a comment alone)
    if (hasAlias(events, root, end) && tooLarge(value)) {
      problems.push({
        file,
        line: lines(Math.max(0, startOf(events[root]))),
        message: `the document expands to more than ${MAX_EXPANDED_NODES.toLocaleString("en")} nodes through its aliases (*name), as an alias bomb does; kubectl refuses it too`,
      });
      continue;
    }
    collect(d, root, [], value);
  }
  return { source, events, documents, objects, lineOf: (obj, path) => lineOf(obj.node, path) };

  function collect(document: number, node: number, at: Path, value: unknown): void {
    const line = lines(Math.max(0, startOf(events[node])));
    if (!isObject(value)) {
      problems.push({ file, line, message: `a document must be a Kubernetes object (a mapping with apiVersion and kind), got ${typeName(value)}` });
      return;
    }
    const bad = (["apiVersion", "kind"] as const).filter((k) => typeof value[k] !== "string" || value[k] === "");
    if (bad.length) {
      for (const k of bad)
        problems.push({
          file,
          line: lineOf(node, [k]),
          field: k,
          message: value[k] === undefined ? "is missing" : `must be a non-empty string, got ${typeName(value[k])}`,
        });
      return;
    }
    if (isList(value.kind as string) && "items" in value) {
      if (!Array.isArray(value.items)) {
        problems.push({ file, line: lineOf(node, ["items"]), field: "items", message: `must be a list of objects, got ${typeName(value.items)}` });
        return;
      }
      const items = find(events, text, node, ["items"]);
      const nodes = items.depth === 1 && events[items.node].type === EVENT_ID.SEQUENCE ? children(events, items.node) : [];
      value.items.forEach((item, k) => collect(document, nodes[k] ?? node, [...at, "items", k], item));
      return;
    }
    objects.push({ source, document, node, at, value, line });
  }
}

function hasAlias(events: Event[], from: number, to: number): boolean {
  for (let j = from; j < to; j++) if (events[j].type === EVENT_ID.ALIAS) return true;
  return false;
}

/** Whether a value has more than MAX_EXPANDED_NODES nodes, counting each alias's target again wherever it is used. */
function tooLarge(value: unknown): boolean {
  const stack = [value];
  let count = 0;
  while (stack.length) {
    const v = stack.pop();
    if (++count > MAX_EXPANDED_NODES) return true;
    if (Array.isArray(v)) for (const x of v) stack.push(x);
    else if (isObject(v)) for (const k in v) stack.push(v[k]);
  }
  return false;
}

/** A field's path as people write it: spec.template.metadata.annotations["isoplace.io/scenario"], items[2].spec. */
export function fieldPath(path: Path): string {
  let out = "";
  for (const k of path) {
    if (typeof k === "number") out += `[${k}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(k)) out += out ? `.${k}` : k;
    else out += `[${JSON.stringify(k)}]`;
  }
  return out;
}
