// The stack an answer names, built from parts: a scenario's stack for a level is either text
// that names no runtime of that level ("KVM + virtio"), or an orchestrator, the runtime it is
// built on and any text after it (["K3s", "wasmedge"]). The answer puts the runtime the level
// runs on in the runtime's place, with that runtime's own version from `versions` ("K3s +
// gVisor" for a container image), so a version never attaches to another runtime and the stack
// and the runtime of one answer never disagree. One table per policy, shared by the engine and
// the WASI command's generated catalogue.
import type { Catalogue } from "./catalogue.ts";
import { PolicyRejectedError } from "./errors.ts";
import { PLACEABLE_LEVELS } from "./vocabulary.ts";

/** A runtime as a stack names it: its name and the policy's version of it. */
function runtimeStack(c: Catalogue, runtime: number): string {
  const r = c.runtimes[runtime],
    version = c.versions[r.id];
  return version ? `${r.name} ${version}` : r.name;
}

/** A scenario's stack for a level: the runtime it is built on (-1: none) and the text around it. */
interface Shape {
  runtime: number;
  before: string;
  after: string;
  text?: string;
}

/** A version as stack texts write one after a runtime's name (" 0.14.1", " 2.0", " v1.2"). */
export const VERSION_AFTER_NAME = /^ v?\d[\w.+-]*/;

/** The shape of a scenario's stack for a level (1..4). */
export function stackShape(c: Catalogue, scenario: number, level: number): Shape {
  const stack = c.scenarios[scenario].levels[level - 1].stack;
  if (typeof stack === "string") return textShape(c, stack, level);
  const [orchestrator, id, extra] = stack;
  const runtime = c.runtimes.findIndex((r) => r.id === id);
  if (runtime < 0 || !c.runtimes[runtime].levels.includes(PLACEABLE_LEVELS[level - 1])) {
    throw new PolicyRejectedError("catalogue", `scenario ${c.scenarios[scenario].id}'s L${level} stack is built on "${id}", which is no runtime of L${level}`);
  }
  return { runtime, before: orchestrator ? `${orchestrator} + ` : "", after: extra ? ` ${extra}` : "" };
}

/**
 * A stack given as text. The build refuses text that names a runtime of its level, so from a
 * current build it is the stack whatever the runtime. A module built before stacks had parts
 * wrote "K3s + WasmEdge 0.14.1": the runtime it names and the version after the name are split
 * off here, once, so such a module answers as it did.
 */
function textShape(c: Catalogue, text: string, level: number): Shape {
  const lower = text.toLowerCase();
  const runtime = c.runtimes.findIndex((r) => r.levels.includes(PLACEABLE_LEVELS[level - 1]) && lower.includes(r.name.toLowerCase()));
  if (runtime < 0) return { runtime, before: text, after: "" };
  const at = lower.indexOf(c.runtimes[runtime].name.toLowerCase());
  const rest = text.slice(at + c.runtimes[runtime].name.length);
  return { runtime, before: text.slice(0, at), after: rest.replace(VERSION_AFTER_NAME, ""), text };
}

/**
 * The stack for a placement: scenario -1 names the runtime alone; a scenario's stack with the
 * runtime the level runs on in its place (runtime -1: the one the stack is built on). level 0: null.
 */
function stackFor(c: Catalogue, scenario: number, level: number, runtime: number): string | null {
  if (!level) return null;
  if (scenario < 0) return runtime < 0 ? null : runtimeStack(c, runtime);
  return shapedStack(c, stackShape(c, scenario, level), runtime);
}

function shapedStack(c: Catalogue, shape: Shape, runtime: number): string {
  if (shape.runtime < 0) return shape.before;
  const on = runtime < 0 ? shape.runtime : runtime;
  if (on === shape.runtime && shape.text !== undefined) return shape.text;
  return `${shape.before}${runtimeStack(c, on)}${shape.after}`;
}

/** A scenario's stack for a level as the policy recommends it: on the runtime it is built on. */
export function recommendedStack(c: Catalogue, scenario: number, level: number): string {
  return shapedStack(c, stackShape(c, scenario, level), -1);
}

/** Every stack of a policy, by [scenario + 1][level][runtime + 1] (scenario -1 and runtime -1 included). */
export function stackTable(c: Catalogue): (string | null)[][][] {
  return [-1, ...c.scenarios.keys()].map((s) => [0, 1, 2, 3, 4].map((l) => [-1, ...c.runtimes.keys()].map((r) => stackFor(c, s, l, r))));
}
