// `isoplace plan`'s input: files, directories (with -R, their subdirectories too) and stdin, as
// multi-document YAML or JSON (JSON is YAML), read as YAML 1.1, as Kubernetes reads it (`yes` and
// `on` are booleans). A List's items are objects of their own. Two readers: `scanSource` (js-yaml's
// event parser, ~10× faster: values and the line each object starts on, for the table and JSON),
// and `parseSource` (the `yaml` package's documents: every problem with its line and field, and
// the documents `-o yaml` writes back with their comments and key order). The scan stops at the
// first syntax error; the caller then reads with parseSource, which names every problem.
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { constructFromEvents, EVENT_ID, getScalarValue, parseEvents, YAML11_SCHEMA, type Event } from "js-yaml";
import { isMap, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from "yaml";
import { isList } from "../k8s/workloads.ts";
import { UsageError } from "./errors.ts";

/** A file's text and how messages name it (`<stdin>` for -f -). */
export interface Source { name: string; text: string }

export interface ManifestObject {
  source: Source;
  /** Keys from the document's root to the object: [] when the document is the object, ["items", 3] in a List. */
  at: (string | number)[];
  value: Record<string, unknown>;
  line: number;
  /** Its document, when read by parseSource. */
  doc?: ParsedDocument;
}

export interface ParsedDocument { source: Source; doc: Document; lines: LineCounter }

/** One mistake in the input: where (file, line, field) and what. */
export interface InputProblem { file: string; line?: number; field?: string; message: string }

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
export const STDIN_NAME = "<stdin>";

/**
 * The sources -f names, in order: a file as is, a directory's .yaml, .yml and .json files by name
 * (recursive: its subdirectories' too), "-" standard input (once). Missing paths are problems.
 */
export async function readSources(paths: string[], recursive: boolean, stdin: () => Promise<string>): Promise<Source[]> {
  const out: Source[] = [];
  const problems: InputProblem[] = [];
  let stdinRead = false;
  const walk = async (dir: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const path = join(dir, e.name);
      if (e.isDirectory() || (e.isSymbolicLink() && (await stat(path).catch(() => null))?.isDirectory())) {
        if (recursive) await walk(path);
      } else if (MANIFEST_FILE.test(e.name)) out.push({ name: path, text: await readFile(path, "utf8") });
    }
  };
  for (const path of paths) {
    if (path === "-") {
      if (!stdinRead) out.push({ name: STDIN_NAME, text: await stdin() });
      stdinRead = true;
      continue;
    }
    if (/^https?:\/\//i.test(path)) {
      problems.push({ file: path, message: "URLs are not read; pipe them in: curl -fsSL URL | isoplace plan -f -" });
      continue;
    }
    try {
      const st = await stat(path);
      if (st.isDirectory()) await walk(path);
      else out.push({ name: path, text: await readFile(path, "utf8") });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      problems.push({ file: path, message: code === "ENOENT" ? "no such file or directory" : `cannot read it: ${code ?? (err as Error).message}` });
    }
  }
  if (problems.length) throw new ManifestError(problems);
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const typeName = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "a list" : typeof v === "object" ? "a mapping" : `a ${typeof v}`);

/** Every object of a source's documents (List items one by one), or the problems that keep it from being read. */
export function parseSource(source: Source, problems: InputProblem[]): { docs: ParsedDocument[]; objects: ManifestObject[] } {
  const lines = new LineCounter();
  const docs = parseAllDocuments(source.text, { lineCounter: lines, version: "1.1", prettyErrors: false });
  const out: ManifestObject[] = [];
  const parsed: ParsedDocument[] = [];
  // parseAllDocuments answers an empty array, or an EmptyStream, for a stream without documents
  if (!Array.isArray(docs)) return { docs: parsed, objects: out };
  for (const doc of docs) {
    const d: ParsedDocument = { source, doc, lines };
    parsed.push(d);
    if (doc.errors.length) {
      for (const e of doc.errors) problems.push({ file: source.name, line: lines.linePos(e.pos[0]).line, message: e.message });
      continue;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      problems.push({ file: source.name, line: lineAt(d, []), message: (err as Error).message });
      continue;
    }
    if (value === null || value === undefined) continue;  // an empty document (`---` twice, a comment alone)
    collect({ source, doc: d, lineOf: (at) => lineAt(d, at) }, [], value, out, problems);
  }
  return { docs: parsed, objects: out };
}

interface Where { source: Source; doc?: ParsedDocument; lineOf(at: (string | number)[]): number }

function collect(w: Where, at: (string | number)[], value: unknown, out: ManifestObject[], problems: InputProblem[]): void {
  const file = w.source.name;
  const line = w.lineOf(at);
  if (!isObject(value)) {
    problems.push({ file, line, message: `a document must be a Kubernetes object (a mapping with apiVersion and kind), got ${typeName(value)}` });
    return;
  }
  const bad = (["apiVersion", "kind"] as const).filter((k) => typeof value[k] !== "string" || value[k] === "");
  if (bad.length) {
    for (const k of bad) problems.push({ file, line: w.lineOf([...at, k]), field: k, message: value[k] === undefined ? "is missing" : `must be a non-empty string, got ${typeName(value[k])}` });
    return;
  }
  if (isList(value.kind as string) && "items" in value) {
    if (!Array.isArray(value.items)) {
      problems.push({ file, line: w.lineOf([...at, "items"]), field: "items", message: `must be a list of objects, got ${typeName(value.items)}` });
      return;
    }
    value.items.forEach((item, i) => collect(w, [...at, "items", i], item, out, problems));
    return;
  }
  out.push({ source: w.source, doc: w.doc, at, value, line });
}

/**
 * Every object of a source (List items one by one) and the line each starts on, from js-yaml's
 * events: fast, but the first syntax error throws (a YAMLException) and a problem's line is its
 * object's. Read with parseSource when there is any problem, to name each where it is.
 */
export function scanSource(source: Source, problems: InputProblem[]): ManifestObject[] {
  const events = parseEvents(source.text, { filename: source.name });
  const values = constructFromEvents(events, { source: source.text, schema: YAML11_SCHEMA });
  const starts = objectStarts(events, source.text);
  if (starts.length !== values.length) throw new Error(`${source.name}: ${values.length} documents but ${starts.length} document events`);
  const lines = lineIndex(source.text);
  const out: ManifestObject[] = [];
  values.forEach((value, i) => {
    if (value === null || value === undefined) return;
    const s = starts[i];
    const lineOf = (at: (string | number)[]) => lines(at.length === 2 && at[0] === "items" && typeof at[1] === "number" ? s.items[at[1]] ?? s.root : s.root);
    collect({ source, lineOf }, [], value, out, problems);
  });
  return out;
}

/** Per document: where its root node starts, and where each node of its root mapping's `items` sequence does. */
function objectStarts(events: Event[], text: string): { root: number; items: number[] }[] {
  const out: { root: number; items: number[] }[] = [];
  const start = (e: Event): number => e.type === EVENT_ID.MAPPING || e.type === EVENT_ID.SEQUENCE ? e.start
    : e.type === EVENT_ID.SCALAR ? Math.max(e.valueStart, e.anchorStart, e.tagStart, 0) : e.type === EVENT_ID.ALIAS ? e.anchorStart : 0;
  /** The index after the node at `i`. */
  const skip = (i: number): number => {
    const t = events[i].type;
    if (t !== EVENT_ID.MAPPING && t !== EVENT_ID.SEQUENCE) return i + 1;
    let j = i + 1;
    while (events[j].type !== EVENT_ID.POP) j = skip(j);
    return j + 1;
  };
  for (let i = 0; i < events.length; i++) {
    if (events[i].type !== EVENT_ID.DOCUMENT) continue;
    const root = events[i + 1];
    const doc = { root: root && root.type !== EVENT_ID.POP ? start(root) : 0, items: [] as number[] };
    out.push(doc);
    if (root?.type !== EVENT_ID.MAPPING) continue;
    for (let k = i + 2; events[k].type !== EVENT_ID.POP;) {
      const key = events[k], v = skip(k);
      if (key.type === EVENT_ID.SCALAR && getScalarValue(text, key) === "items" && events[v].type === EVENT_ID.SEQUENCE) {
        for (let j = v + 1; events[j].type !== EVENT_ID.POP; j = skip(j)) doc.items.push(start(events[j]));
      }
      k = skip(v);
    }
  }
  return out;
}

/** Offset → 1-based line, by binary search over the offsets where lines start. */
function lineIndex(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return (offset) => {
    let lo = 0, hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid; else hi = mid - 1;
    }
    return lo + 1;
  };
}

/**
 * The line of the node at `path` in the document (of its key, for a mapping's entry), or of the
 * deepest part of the path that exists.
 */
export function lineAt(d: ParsedDocument, path: (string | number)[]): number {
  let node: unknown = d.doc.contents;
  let offset = (node as Node | null)?.range?.[0] ?? 0;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === key || p.key === key);
      if (!pair) break;
      offset = (pair.key as Node | null)?.range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof key === "number" && node.items[key]) {
      node = node.items[key];
      offset = (node as Node).range?.[0] ?? offset;
    } else break;
  }
  return d.lines.linePos(offset).line;
}

/** A field's path as people write it: spec.template.metadata.annotations["isoplace.io/scenario"], items[2].spec. */
export function fieldPath(path: readonly (string | number)[]): string {
  let out = "";
  for (const k of path) {
    if (typeof k === "number") out += `[${k}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(k)) out += out ? `.${k}` : k;
    else out += `[${JSON.stringify(k)}]`;
  }
  return out;
}

/**
 * Sets `value` at `path` in the document, creating missing mappings as plain block mappings (the
 * library's own path creation makes YAML 1.1 ordered maps, `!!omap`).
 */
export function setPath(doc: Document, path: (string | number)[], value: unknown): void {
  let i = 0;
  while (i < path.length - 1 && doc.hasIn(path.slice(0, i + 1))) i++;
  let rest: unknown = value;
  for (let j = path.length - 1; j > i; j--) rest = { [path[j]]: rest };
  doc.setIn(path.slice(0, i + 1), rest);
}

/** The documents written back, in order, one stream (`---` between documents). */
export function writeDocuments(docs: ParsedDocument[]): string {
  const parts: string[] = [];
  for (const { doc } of docs) {
    // a JSON document (one flow mapping) stays JSON, laid out as JSON; YAML keeps its own layout
    let text = isMap(doc.contents) && doc.contents.flow && !doc.commentBefore && !doc.comment
      ? `${JSON.stringify(doc.toJS({ maxAliasCount: 100 }), null, 2)}\n`
      : doc.toString({ lineWidth: 0 });
    if (parts.length && !text.startsWith("---")) text = `---\n${text}`;
    parts.push(text);
  }
  return parts.join("");
}
