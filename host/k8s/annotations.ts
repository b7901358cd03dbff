// The isoplace.io/ annotations a pod opts in with, read into a decide request, and the four
// the webhook writes (its output, never its input). Runtime-neutral.
import type { FieldError } from "../engine/errors.ts";

export const PREFIX = "isoplace.io/";

/** Input annotations → the decide request's workload field. */
const LISTS = { performance: "performance", security: "security", cost: "cost" } as const;
const NUMBERS = {
  "max-cold-start-ms": "maxColdStartMs",
  "max-memory-mb": "maxMemoryMb",
  "max-cpu-overhead-pct": "maxCpuOverheadPct",
  "min-isolation": "minIsolation",
} as const;
export const INPUT_ANNOTATIONS = ["scenario", ...Object.keys(LISTS), "artifact", ...Object.keys(NUMBERS)].map((k) => PREFIX + k);

export const OUTPUT = {
  level: `${PREFIX}level`,
  runtime: `${PREFIX}runtime`,
  decisionId: `${PREFIX}decision-id`,
  policy: `${PREFIX}policy`,
} as const;
const OUTPUT_ANNOTATIONS: readonly string[] = Object.values(OUTPUT);

export type Annotations = Record<string, string>;

/** A pod opts in with any isoplace.io/ annotation but the webhook's own outputs. */
export const optsIn = (a: Annotations): boolean =>
  Object.keys(a).some((k) => k.startsWith(PREFIX) && !OUTPUT_ANNOTATIONS.includes(k));

const NUMBER = /^\s*(?:\d+(?:\.\d*)?|\.\d+)\s*$/;

export interface DecideRequestOf { request: { workload: Record<string, unknown> }; errors: FieldError[] }

/**
 * The decide request the pod's annotations describe. Errors name the annotation (the engine's
 * own checks of ids and ranges come later and are mapped back by annotationOf).
 */
export function decideRequestOf(a: Annotations): DecideRequestOf {
  const workload: Record<string, unknown> = {};
  const errors: FieldError[] = [];
  for (const [key, raw] of Object.entries(a)) {
    if (!key.startsWith(PREFIX) || OUTPUT_ANNOTATIONS.includes(key)) continue;
    const name = key.slice(PREFIX.length);
    const value = raw.trim();
    if (name === "scenario" || name === "artifact") workload[name] = value;
    else if (name in LISTS) {
      const ids = value.split(",").map((s) => s.trim());
      if (ids.some((s) => s === "")) errors.push({ path: key, message: `${key} must be an id or a comma-separated list of ids, without empty items` });
      else workload[name] = ids.length === 1 ? ids[0] : ids;
    } else if (name in NUMBERS) {
      if (!NUMBER.test(raw)) errors.push({ path: key, message: `${key} must be a non-negative number, got "${clip(raw)}"` });
      else ((workload.constraints ??= {}) as Record<string, number>)[NUMBERS[name as keyof typeof NUMBERS]] = Number(value);
    } else {
      errors.push({ path: key, message: `unknown annotation ${clip(key, 80)}; allowed: ${INPUT_ANNOTATIONS.join(", ")}`, allowed: INPUT_ANNOTATIONS });
    }
  }
  return { request: { workload }, errors };
}

const FIELD_TO_ANNOTATION: Record<string, string> = {
  scenario: "scenario", artifact: "artifact", performance: "performance", security: "security", cost: "cost",
  ...Object.fromEntries(Object.entries(NUMBERS).map(([k, v]) => [`constraints.${v}`, k])),
};

/** The annotation an engine error's path ("workload.performance[1]", "workload.constraints.minIsolation") is about. */
export function annotationOf(path: string): string {
  const field = path.replace(/^workload\.?/, "").replace(/\[\d+\]$/, "");
  const name = FIELD_TO_ANNOTATION[field];
  return name ? PREFIX + name : path ? `${PREFIX}* (${path})` : `${PREFIX}*`;
}

export const clip = (s: string, max = 40): string => (s.length > max ? `${s.slice(0, max - 1)}…` : s);
