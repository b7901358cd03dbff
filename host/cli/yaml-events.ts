// Positions in the source from js-yaml's event stream (parseEvents): where a node starts and
// ends, its children, and the node at a path. plan reads a manifest once, as events, and takes
// from them the lines its messages name and the places `-o yaml` writes its changes.
import { COLLECTION_STYLE, EVENT_ID, getScalarValue, SCALAR_STYLE, type Event, type ScalarEvent } from "js-yaml";

export type Path = readonly (string | number)[];

const isCollection = (e: Event) => e.type === EVENT_ID.MAPPING || e.type === EVENT_ID.SEQUENCE;
const isQuoted = (e: ScalarEvent) => e.style === SCALAR_STYLE.SINGLE_QUOTED || e.style === SCALAR_STYLE.DOUBLE_QUOTED;
export const isBlockScalar = (e: ScalarEvent) => e.style === SCALAR_STYLE.LITERAL_BLOCK || e.style === SCALAR_STYLE.FOLDED_BLOCK;
const earliest = (...offsets: number[]) => Math.min(...offsets.filter((o) => o >= 0));

/** The index just after the node whose event is at `i` (after its POP, for a collection). */
export function after(events: Event[], i: number): number {
  if (!isCollection(events[i])) return i + 1;
  let depth = 0;
  for (let j = i; ; j++) {
    if (isCollection(events[j])) depth++;
    else if (events[j].type === EVENT_ID.POP && --depth === 0) return j + 1;
  }
}

/** The event indices of a collection's children: a sequence's items; a mapping's keys and values, alternating. */
export function children(events: Event[], i: number): number[] {
  const out: number[] = [];
  for (let j = i + 1; events[j].type !== EVENT_ID.POP; j = after(events, j)) out.push(j);
  return out;
}

/**
 * Where a node starts: a collection's first entry (a flow collection's bracket), a scalar's
 * anchor, tag or value (a quoted one's opening quote); -1 for an empty scalar without either.
 */
export function startOf(e: Event): number {
  switch (e.type) {
    case EVENT_ID.MAPPING:
    case EVENT_ID.SEQUENCE:
      return e.start;
    case EVENT_ID.ALIAS:
      return e.anchorStart - 1;
    case EVENT_ID.SCALAR: {
      const at = earliest(e.anchorStart, e.tagStart, isQuoted(e) ? e.valueStart - 1 : e.valueStart);
      return Number.isFinite(at) ? at : -1;
    }
    default:
      return 0;
  }
}

/** The offset just past a scalar's text (a quoted one's closing quote; a block one's last line break); -1 for an empty scalar. */
export function scalarEnd(e: ScalarEvent): number {
  if (e.valueStart < 0) return Math.max(e.anchorEnd, e.tagEnd);
  return isQuoted(e) ? e.valueEnd + 1 : e.valueEnd;
}

/** Skips spaces, line breaks, comments and the given punctuation from `at`: the next offset holding anything else. */
export function skipBlank(text: string, at: number, punctuation = ""): number {
  for (let i = at; i < text.length; i++) {
    const c = text[i];
    if (c === "#") {
      const nl = text.indexOf("\n", i);
      if (nl < 0) return text.length;
      i = nl;
    } else if (c !== " " && c !== "\t" && c !== "\n" && c !== "\r" && !punctuation.includes(c)) return i;
  }
  return text.length;
}

/** The offset of the `:` after a mapping key that ends at `keyEnd`, or -1. */
export function colonAfter(text: string, keyEnd: number): number {
  const at = skipBlank(text, keyEnd);
  return text[at] === ":" ? at : -1;
}

/** The offset just past a node: its last character (a flow collection's closing bracket); -1 when unknown. */
export function endOf(events: Event[], text: string, i: number): number {
  const e = events[i];
  if (e.type === EVENT_ID.SCALAR) return scalarEnd(e);
  if (e.type === EVENT_ID.ALIAS) return e.anchorEnd;
  if (!isCollection(e)) return -1;
  const kids = children(events, i);
  const end = !kids.length ? -1 : e.type === EVENT_ID.MAPPING ? entryEnd(events, text, kids[kids.length - 2]) : endOf(events, text, kids[kids.length - 1]);
  if (e.style !== COLLECTION_STYLE.FLOW) return end;
  const close = skipBlank(text, end < 0 ? e.start + 1 : end, ",:?");
  return text[close] === (e.type === EVENT_ID.MAPPING ? "}" : "]") ? close + 1 : -1;
}

/** The offset just past a mapping entry whose key event is at `key`: its value's, or its colon's when the value is empty (`key:`). */
export function entryEnd(events: Event[], text: string, key: number): number {
  const end = endOf(events, text, after(events, key));
  if (end >= 0) return end;
  const keyEnd = endOf(events, text, key);
  const colon = keyEnd < 0 ? -1 : colonAfter(text, keyEnd);
  return colon < 0 ? keyEnd : colon + 1;
}

/** A mapping key's text, or undefined for a key that is a collection or an alias. */
const keyText = (text: string, e: Event): string | undefined => (e.type === EVENT_ID.SCALAR ? getScalarValue(text, e) : undefined);

export interface Found {
  /** The event of the deepest node reached. */
  node: number;
  /** How many keys of the path were followed to it. */
  depth: number;
  /** The key event of the last mapping entry followed (-1 when the last step was a sequence item, or none). */
  key: number;
  /** Why the walk stopped early through no fault of the path: the value is an alias, or a merge key (`<<`) may supply it. */
  blocked?: "alias" | "merge";
}

/** The node at `path` under the node at `i`, or the deepest part of the path that exists. A key given twice: its last entry, as Kubernetes reads it. */
export function find(events: Event[], text: string, i: number, path: Path): Found {
  let node = i,
    key = -1;
  for (let depth = 0; depth < path.length; depth++) {
    const e = events[node],
      want = path[depth];
    if (e.type === EVENT_ID.ALIAS) return { node, depth, key, blocked: "alias" };
    const kids = e.type === EVENT_ID.MAPPING || e.type === EVENT_ID.SEQUENCE ? children(events, node) : [];
    if (e.type === EVENT_ID.SEQUENCE) {
      if (typeof want !== "number" || want >= kids.length) return { node, depth, key };
      node = kids[want];
      key = -1;
      continue;
    }
    if (e.type !== EVENT_ID.MAPPING) return { node, depth, key };
    let hit = -1,
      merge = false;
    for (let k = 0; k < kids.length; k += 2) {
      const name = keyText(text, events[kids[k]]);
      if (name === String(want)) hit = k;
      else if (name === "<<" && (events[kids[k]] as ScalarEvent).style === SCALAR_STYLE.PLAIN) merge = true;
    }
    if (hit < 0) return { node, depth, key, ...(merge ? { blocked: "merge" as const } : {}) };
    key = kids[hit];
    node = kids[hit + 1];
  }
  return { node, depth: path.length, key };
}

/** Offset → 1-based line, by binary search over the offsets where lines start. */
export function lineIndex(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return (offset) => {
    let lo = 0,
      hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}
