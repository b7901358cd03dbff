// The module's ABI as the host sees it: the exports, and typed views over the fixed buffers
// they point at. Mirrors assembly/index.ts and assembly/rules.ts.
import { METRIC_IDS } from "./vocabulary.ts";

export const ABI_VERSION = 2;
export const META_SECTION = "isoplace.meta";
/** The only import a policy module may have (and the loader provides it). */
export const ALLOWED_IMPORTS = new Set(["env.abort"]);

export interface PolicyExports {
  memory: WebAssembly.Memory;
  abiVersion(): number;
  input(): number;
  output(): number;
  scores(): number;
  comparison(): number;
  figures(): number;
  runtimeFigures(): number;
  scenarios(): number;
  catalogue(): number;
  catalogueLength(): number;
  decide(scenario: number, performance: number, security: number, needs: number, runtimes: number, flags: number): number;
  rank(runtimes: number, flags: number): number;
  compare(a: number, b: number): number;
  selfTest(): number;
}

export const REQUIRED_EXPORTS = [
  "memory",
  "abiVersion",
  "input",
  "output",
  "scores",
  "comparison",
  "figures",
  "runtimeFigures",
  "scenarios",
  "catalogue",
  "catalogueLength",
  "decide",
  "rank",
  "compare",
  "selfTest",
] as const;

// Output slots (i32).
export const OUT = { level: 0, runtime: 1, fallback: 2, fallbackRuntime: 3, rule: 4, order: 5, reasons: 9, levelRuntime: 13, feasible: 17 } as const;
export const REASON = { scenario: 1, coldStart: 2, memory: 4, cpu: 8, isolation: 16, runtime: 32, artifact: 64 } as const;
/** decide/rank flags: bit 0 the weights in IN count; bits 1–2 the artifact (0 any, else ARTIFACT_IDS index + 1). */
export const flags = (weights: boolean, artifact: number): number => (weights ? 1 : 0) | ((artifact + 1) << 1);
/** The most runtimes a policy may have (the module's runtime tables are sized for it). */
const MAX_RUNTIMES = 16;
export const RULES = ["none", "scenario", "performance", "security", "default", "second-choice", "score"] as const;
export type Rule = (typeof RULES)[number];

/** Typed views over the module's buffers; the memory never grows, so they stay valid. */
export interface Views {
  input: Float64Array; // [4 constraints][12 weights]
  output: Int32Array; // 20 slots
  scores: Float64Array; // by level 0..4
  comparison: Uint8Array; // by metric
  figures: Float32Array; // [level][metric][min, max]
  runtimeFigures: Float64Array; // [runtime][metric][min, max], NaN where the runtime has none
  scenarios: Uint8Array; // [scenario][first, second, fit L1..L4]
}

export function views(x: PolicyExports, scenarioCount: number): Views {
  const buf = x.memory.buffer;
  return {
    input: new Float64Array(buf, x.input(), 4 + METRIC_IDS.length),
    output: new Int32Array(buf, x.output(), 20),
    scores: new Float64Array(buf, x.scores(), 5),
    comparison: new Uint8Array(buf, x.comparison(), METRIC_IDS.length),
    figures: new Float32Array(buf, x.figures(), 5 * METRIC_IDS.length * 2),
    runtimeFigures: new Float64Array(buf, x.runtimeFigures(), MAX_RUNTIMES * METRIC_IDS.length * 2),
    scenarios: new Uint8Array(buf, x.scenarios(), scenarioCount * 6),
  };
}
