// `isoplace plan -o yaml`: the manifests written back with the webhook's changes made and nothing
// else changed. Each change is spliced into the source text where the events place its field: a
// value replaced in its own quoting, or an entry added after the last one of its mapping, in that
// mapping's style (block, flow, JSON). Comments, layout, quoting and every value the webhook does
// not touch stay byte for byte — a number is never read and printed again. The text written is
// read back and must equal the objects as planned with the changes made; a change that would
// reach further (through an anchor, an alias or a merge key) is refused instead.
import { isDeepStrictEqual } from "node:util";
import { CHOMPING_MODE, COLLECTION_STYLE, EVENT_ID, SCALAR_STYLE, type Event } from "js-yaml";
import type { Edit } from "../k8s/plan.ts";
import { isPlainString } from "./kube-yaml.ts";
import { fieldPath, parseManifestText, type InputProblem, type ManifestObject, type Manifests } from "./manifests.ts";
import { children, colonAfter, endOf, entryEnd, find, isBlockScalar, scalarEnd, skipBlank, startOf } from "./yaml-events.ts";

export interface ObjectEdits {
  obj: ManifestObject;
  edits: Edit[];
}

/** Text to put in place of [at, end). `inner`: where its mapping starts, so that of two entries added at one offset, the inner mapping's come first. */
interface Splice {
  at: number;
  end: number;
  text: string;
  inner?: number;
}

/** The source's text with the objects' edits made, or undefined when one cannot be written (problems added). */
export function writeManifests(m: Manifests, changed: ObjectEdits[], problems: InputProblem[]): string | undefined {
  const {
    events,
    source: { text, name: file },
  } = m;
  const nl = text.includes("\r\n") ? "\r\n" : "\n";
  const splices: Splice[] = [];
  /** Entries to add, by the event of their mapping, in the order the webhook adds them. */
  const added = new Map<number, { json: boolean; entries: [string, unknown][] }>();
  const before = problems.length;
  const refuse = (obj: ManifestObject, path: readonly string[], why: string) =>
    problems.push({ file, line: m.lineOf(obj, path), field: fieldPath(path), message: `-o yaml cannot write the webhook's change here: ${why}` });

  for (const { obj, edits } of changed) {
    const mark = problems.length;
    const root = events[m.documents[obj.document].node];
    // a JSON document (a flow mapping of quoted keys) gets JSON
    const json = root.type === EVENT_ID.MAPPING && root.style === COLLECTION_STYLE.FLOW && text[skipBlank(text, root.start + 1)] === '"';
    for (const { path, value } of edits) {
      const f = find(events, text, obj.node, path);
      // an entry added beside a merge key (<<) overrides what it would merge: that is the change
      const last = f.depth === path.length - 1 && events[f.node].type === EVENT_ID.MAPPING && f.blocked !== "alias";
      if (f.blocked && !last) {
        refuse(
          obj,
          path,
          f.blocked === "alias"
            ? "the field is reached through an alias (*name); write it out in full"
            : "a merge key (<<) supplies part of its path; write it out in full",
        );
      } else if (f.depth === path.length) {
        const s = replacement(events, text, f.node, f.key, value, json);
        if (s) splices.push(s);
        else refuse(obj, path, "its current value is not a scalar");
      } else if (last) {
        const to = added.get(f.node) ?? { json, entries: [] };
        to.entries.push([path[path.length - 1], value]);
        added.set(f.node, to);
      } else refuse(obj, path, `${fieldPath(path.slice(0, f.depth + 1))} is not a mapping`);
      if (problems.length > mark) break; // one message per object
    }
  }
  for (const [node, { json, entries }] of added) splices.push({ ...addition(events, text, node, entries, json, nl), inner: startOf(events[node]) });
  if (problems.length > before) return undefined;

  splices.sort((a, b) => a.at - b.at || (b.inner ?? 0) - (a.inner ?? 0));
  let out = "",
    cursor = 0;
  for (const s of splices) {
    out += text.slice(cursor, s.at) + s.text;
    cursor = s.end;
  }
  out += text.slice(cursor);
  return checked(m, changed, out, problems) ? out : undefined;
}

/** Whether the text written reads as the objects planned with their edits made, every other document as it was. */
function checked(m: Manifests, changed: ObjectEdits[], written: string, problems: InputProblem[]): boolean {
  const expected = m.documents.map((d) => d.value);
  for (const { obj, edits } of changed) {
    for (const e of edits) expected[obj.document] = setAt(expected[obj.document], [...obj.at, ...e.path], e.value);
  }
  const again = parseManifestText(written, m.source.name).values;
  const wrong = changed.filter(({ obj }) => again.length !== expected.length || !isDeepStrictEqual(again[obj.document], expected[obj.document]));
  for (const { obj } of wrong) {
    problems.push({
      file: m.source.name,
      line: obj.line,
      message:
        "-o yaml cannot write the webhook's changes to this object without changing other fields too (a YAML anchor or merge key it shares?); write it out in full",
    });
  }
  return wrong.length === 0;
}

/** `value` set at `path` in a copy of `root`: only the containers on the path are copied, so values shared through aliases stay as they were. */
function setAt(root: unknown, path: readonly (string | number)[], value: unknown): unknown {
  if (!path.length) return value;
  const [k, ...rest] = path;
  if (Array.isArray(root)) return root.map((x, i) => (i === k ? setAt(x, rest, value) : x));
  const copy = { ...(root as Record<string, unknown>) };
  copy[k] = setAt(copy[k], rest, value);
  return copy;
}

/** A scalar as it reads back as this string: plain when it can be, else double-quoted (JSON's quoting is YAML's too). */
const scalar = (s: string, json: boolean) => (!json && isPlainString(s) ? s : JSON.stringify(s));

/** A value written inline: a scalar, or a flow mapping. */
function inline(value: unknown, json: boolean): string {
  if (typeof value === "string") return scalar(value, json);
  return `{${Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `${scalar(k, json)}: ${inline(v, json)}`)
    .join(", ")}}`;
}

/** A block mapping's entry at `indent`, line break included. */
function blockEntry(key: string, value: unknown, indent: string, nl: string): string {
  if (typeof value === "string") return `${indent}${scalar(key, false)}: ${scalar(value, false)}${nl}`;
  return `${indent}${scalar(key, false)}:${nl}${Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => blockEntry(k, v, `${indent}  `, nl))
    .join("")}`;
}

/** The splice replacing the value of the node at `node` (whose key event is `key`) with `value`, or undefined when that is a collection. */
function replacement(events: Event[], text: string, node: number, key: number, value: unknown, json: boolean): Splice | undefined {
  const e = events[node];
  if (e.type === EVENT_ID.ALIAS) return { at: e.anchorStart - 1, end: e.anchorEnd, text: inline(value, json) };
  if (e.type !== EVENT_ID.SCALAR) return undefined;
  // an anchor or a tag stays; the value after it is replaced
  const props = Math.max(e.anchorEnd, e.tagEnd);
  const colon = key >= 0 ? colonAfter(text, endOf(events, text, key)) : -1;
  const from = Math.max(props, colon < 0 ? -1 : colon + 1);
  if (e.valueStart < 0) return from < 0 ? undefined : { at: from, end: from, text: ` ${inline(value, json)}` };
  if (isBlockScalar(e)) {
    // from its indicator (| or >) to the end of its last line of text (blank lines after it stay)
    const indicator = from < 0 ? -1 : text.slice(from, e.valueStart).search(/[|>]/);
    if (indicator < 0) return undefined;
    const at = from + indicator;
    return { at, end: Math.max(at + 1, text.slice(0, e.valueEnd).trimEnd().length), text: inline(value, true) };
  }
  const single = e.style === SCALAR_STYLE.SINGLE_QUOTED && typeof value === "string" && /^[\x20-\x7e]*$/.test(value);
  const written = single ? `'${(value as string).replace(/'/g, "''")}'` : inline(value, json || e.style === SCALAR_STYLE.DOUBLE_QUOTED);
  return { at: e.style === SCALAR_STYLE.PLAIN ? e.valueStart : e.valueStart - 1, end: scalarEnd(e), text: written };
}

/** A block mapping or sequence (never empty: an empty one is written `{}` or `[]`). */
const isBlockCollection = (e: Event) => (e.type === EVENT_ID.MAPPING || e.type === EVENT_ID.SEQUENCE) && e.style === COLLECTION_STYLE.BLOCK;

/** The splice adding `entries` to the mapping at `node`, after its last entry. */
function addition(events: Event[], text: string, node: number, entries: [string, unknown][], json: boolean, nl: string): Splice {
  const e = events[node] as Extract<Event, { type: typeof EVENT_ID.MAPPING }>;
  const kids = children(events, node);
  if (e.style === COLLECTION_STYLE.FLOW) {
    if (!kids.length) return { at: e.start + 1, end: e.start + 1, text: entries.map(([k, v]) => `${scalar(k, json)}: ${inline(v, json)}`).join(", ") };
    const first = startOf(events[kids[0]]);
    const multiline = text.slice(e.start + 1, first).includes("\n");
    const sep = multiline ? `,${nl}${" ".repeat(first - text.lastIndexOf("\n", first - 1) - 1)}` : ", ";
    const at = entryEnd(events, text, kids[kids.length - 2]);
    return { at, end: at, text: entries.map(([k, v]) => `${sep}${scalar(k, json)}: ${inline(v, json)}`).join("") };
  }
  const indent = " ".repeat(e.start - text.lastIndexOf("\n", e.start - 1) - 1);
  let last = endOf(events, text, node);
  // a block scalar's range ends past the blank lines after it: they stay after the new entries,
  // unless they are its text (|+)
  let leaf = node;
  while (isBlockCollection(events[leaf])) leaf = children(events, leaf).at(-1)!;
  const tail = events[leaf];
  if (!(tail.type === EVENT_ID.SCALAR && tail.chomping === CHOMPING_MODE.KEEP)) last = text.slice(0, last).trimEnd().length;
  const lines = entries.map(([k, v]) => blockEntry(k, v, indent, nl)).join("");
  if (text[last - 1] === "\n") return { at: last, end: last, text: lines };
  // after the line the mapping ends on
  const lineEnd = text.indexOf("\n", last);
  return lineEnd < 0 ? { at: text.length, end: text.length, text: `${nl}${lines}` } : { at: lineEnd + 1, end: lineEnd + 1, text: lines };
}
