// The default policy, built in-process from policies/default.yaml (so the suites do not depend
// on dist/), once per test file.
import { readFile } from "node:fs/promises";
import { createEngine, type Engine } from "../../../host/engine/engine.ts";
import { buildPolicy, type BuiltPolicy } from "../../../host/policy/compile.ts";
import { DEFAULT_POLICY_SOURCE } from "../../../host/package.ts";

let built: Promise<BuiltPolicy> | undefined;

/** ISOPLACE_TEST_POLICY_SOURCE: run the suites against another source (to see that they catch a wrong figure). */
export function defaultSourceText(): Promise<string> {
  return readFile(process.env.ISOPLACE_TEST_POLICY_SOURCE || DEFAULT_POLICY_SOURCE, "utf8");
}

export function buildDefault(): Promise<BuiltPolicy> {
  built ??= defaultSourceText().then((text) => buildPolicy(text, "policies/default.yaml"));
  return built;
}

export async function defaultEngine(): Promise<Engine> {
  return createEngine((await buildDefault()).wasm);
}

export const ALL_RUNTIMES = ["kvm", "kata", "containerd", "wasmedge", "wasmtime", "gvisor", "firecracker"] as const;
export const PLACEABLE = ["L1", "L2", "L3", "L4"] as const;
/** Runtimes that run at their level's own figures (WasmEdge's cold start is L4's "< 10 ms"). */
export const LEVEL_FIGURES_NODE = ["kvm", "containerd", "wasmedge"];
