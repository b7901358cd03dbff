// The stack an answer names. A scenario's recommended stack may name a runtime ("Knative +
// WasmEdge 0.14.1"); when the level runs on another one (gVisor, for a container image), the
// answer names the stack with that runtime in its place ("Knative + gVisor"), so the stack and
// the runtime of one answer never disagree. One table per policy, shared by the engine and the
// WASI command's generated catalogue.
import type { Catalogue } from "./catalogue.ts";
import { PLACEABLE_LEVELS } from "./vocabulary.ts";

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** A runtime as a stack names it: its name and the policy's version of it. */
export function runtimeStack(c: Catalogue, runtime: number): string {
  const r = c.runtimes[runtime], version = c.versions[r.id];
  return version ? `${r.name} ${version}` : r.name;
}

/** The runtime a scenario's stack for a level names (by its name), or -1. */
export function namedRuntime(c: Catalogue, scenario: number, level: number): number {
  const text = c.scenarios[scenario].levels[level - 1].stack.toLowerCase();
  return c.runtimes.findIndex((r) => r.levels.includes(PLACEABLE_LEVELS[level - 1]) && text.includes(r.name.toLowerCase()));
}

/**
 * The stack for a placement: scenario -1 names the runtime alone; a scenario's stack is kept
 * unless it names another runtime of the level, which is then replaced (with its version) by
 * the one the level runs on. level 0: null.
 */
export function stackFor(c: Catalogue, scenario: number, level: number, runtime: number): string | null {
  if (!level) return null;
  if (scenario < 0) return runtime < 0 ? null : runtimeStack(c, runtime);
  const text = c.scenarios[scenario].levels[level - 1].stack;
  const named = namedRuntime(c, scenario, level);
  if (runtime < 0 || named < 0 || named === runtime) return text;
  const other = c.runtimes[named], version = c.versions[other.id];
  const pattern = new RegExp(`${escape(other.name)}${version ? `(?: ${escape(version)})?` : ""}`, "i");
  return text.replace(pattern, runtimeStack(c, runtime));
}

/** Every stack of a policy, by [scenario + 1][level][runtime + 1] (scenario -1 and runtime -1 included). */
export function stackTable(c: Catalogue): (string | null)[][][] {
  return [-1, ...c.scenarios.keys()].map((s) =>
    [0, 1, 2, 3, 4].map((l) => [-1, ...c.runtimes.keys()].map((r) => stackFor(c, s, l, r))));
}
