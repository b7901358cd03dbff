// The isoplace.io/ annotations a pod opts in with, read into a decide request, and the four
// the webhook writes (its output, never its input). Runtime-neutral.
import { InvalidRequestError, type FieldError } from "../engine/errors.ts";

export const PREFIX = "isoplace.io/";

/** Input annotations → the decide request's workload field (Maps: a name is looked up among own entries only). */
const LISTS = new Map([
  ["performance", "performance"],
  ["security", "security"],
  ["cost", "cost"],
]);
const NUMBERS = new Map([
  ["max-cold-start-ms", "maxColdStartMs"],
  ["max-memory-mb", "maxMemoryMb"],
  ["max-cpu-overhead-pct", "maxCpuOverheadPct"],
  ["min-isolation", "minIsolation"],
]);
const INPUT_ANNOTATIONS = ["scenario", ...LISTS.keys(), "artifact", ...NUMBERS.keys()].map((k) => PREFIX + k);
/** The most isoplace.io/ annotations read from one pod (there are 10 inputs and 4 outputs); more is an error, and reading stops. */
const MAX_READ_ANNOTATIONS = 32;

export const OUTPUT = {
  level: `${PREFIX}level`,
  runtime: `${PREFIX}runtime`,
  decisionId: `${PREFIX}decision-id`,
  policy: `${PREFIX}policy`,
} as const;
const OUTPUT_ANNOTATIONS: readonly string[] = Object.values(OUTPUT);

export type Annotations = Record<string, string>;

const NUMBER = /^\s*(?:\d+(?:\.\d*)?|\.\d+)\s*$/;

export interface DecideRequestOf {
  /** The pod opts in: it has an isoplace.io/ annotation besides the webhook's own outputs. */
  optsIn: boolean;
  request: { workload: Record<string, unknown> };
  errors: FieldError[];
}

/**
 * The decide request the pod's annotations describe. Errors name the annotation (the engine's
 * own checks of ids and ranges come later and are mapped back by annotationOf).
 */
export function decideRequestOf(a: Annotations): DecideRequestOf {
  const workload: Record<string, unknown> = {};
  const constraints: Record<string, number> = {};
  const errors: FieldError[] = [];
  let read = 0,
    optsIn = false;
  // one pass over the keys, however many: each value checked, the isoplace.io/ ones read
  for (const key of Object.keys(a)) {
    if (typeof a[key] !== "string")
      throw new InvalidRequestError([{ path: "request.object.metadata.annotations", message: "metadata.annotations must map strings to strings" }]);
    if (!key.startsWith(PREFIX)) continue;
    if (++read > MAX_READ_ANNOTATIONS) {
      errors.unshift({ path: `${PREFIX}*`, message: `more than ${MAX_READ_ANNOTATIONS} ${PREFIX} annotations; the rest were not read` });
      break;
    }
    if (OUTPUT_ANNOTATIONS.includes(key)) continue;
    optsIn = true;
    const raw = a[key],
      name = key.slice(PREFIX.length);
    const value = raw.trim();
    const list = LISTS.get(name),
      number = NUMBERS.get(name);
    if (name === "scenario" || name === "artifact") workload[name] = value;
    else if (list) {
      const ids = value.split(",").map((s) => s.trim());
      if (ids.some((s) => s === ""))
        errors.push({ path: key, message: `${clip(key, 80)} must be an id or a comma-separated list of ids, without empty items` });
      else workload[list] = ids.length === 1 ? ids[0] : ids;
    } else if (number) {
      if (!NUMBER.test(raw)) errors.push({ path: key, message: `${key} must be a non-negative number, got "${clip(raw)}"` });
      else constraints[number] = Number(value);
    } else {
      errors.push({
        path: clip(key, 80),
        message: `unknown annotation ${clip(key, 80)}; allowed: ${INPUT_ANNOTATIONS.join(", ")}`,
        allowed: INPUT_ANNOTATIONS,
      });
    }
  }
  if (Object.keys(constraints).length) workload.constraints = constraints;
  return { optsIn, request: { workload }, errors };
}

const FIELD_TO_ANNOTATION = new Map([
  ["scenario", "scenario"],
  ["artifact", "artifact"],
  ["performance", "performance"],
  ["security", "security"],
  ["cost", "cost"],
  ...[...NUMBERS].map(([k, v]): [string, string] => [`constraints.${v}`, k]),
]);

/** The annotation an engine error's path ("workload.performance[1]", "workload.constraints.minIsolation") is about. */
export function annotationOf(path: string): string {
  const field = path.replace(/^workload\.?/, "").replace(/\[\d+\]$/, "");
  const name = FIELD_TO_ANNOTATION.get(field);
  return name ? PREFIX + name : path ? `${PREFIX}* (${path})` : `${PREFIX}*`;
}

export const clip = (s: string, max = 40): string => (s.length > max ? `${s.slice(0, max - 1)}…` : s);
