// The policy module's decision alone, as a bench measures it: the raw `decide` export on its
// own instance (no loader wrapper, no validation, no answer object): codes in, codes out.
import { OUT, views, type PolicyExports, type Views } from "../host/engine/abi.ts";
import type { Codes } from "./mix.ts";

export interface RawCore {
  exports: PolicyExports;
  views: Views;
  /** Writes the constraints (and weights) into the input buffer and calls decide; returns the level. */
  decide(c: Codes): number;
  /** The linear memory's size, in 64 KiB pages. */
  pages(): number;
}

export function rawCore(module: WebAssembly.Module, scenarioCount: number): RawCore {
  const imports = {
    env: {
      abort: () => {
        throw new Error("policy module aborted");
      },
    },
  };
  const x = new WebAssembly.Instance(module, imports).exports as unknown as PolicyExports;
  const v = views(x, scenarioCount);
  const input = v.input,
    decide = x.decide;
  return {
    exports: x,
    views: v,
    decide(c: Codes): number {
      input.set(c.constraints, 0);
      if (c.weights) input.set(c.weights, 4);
      return decide(c.scenario, c.performance, c.security, c.needs, c.runtimes, c.weights ? 1 : 0);
    },
    pages: () => x.memory.buffer.byteLength / 65536,
  };
}

/** What the last decide left in the output buffers, in the baseline's shape. */
export function readRaw(v: Views) {
  const o = v.output;
  const byLevel = (slot: number, zero: number) => [zero, o[slot], o[slot + 1], o[slot + 2], o[slot + 3]];
  return {
    level: o[OUT.level],
    runtime: o[OUT.runtime],
    fallback: o[OUT.fallback],
    fallbackRuntime: o[OUT.fallbackRuntime],
    rule: o[OUT.rule],
    order: [o[OUT.order], o[OUT.order + 1], o[OUT.order + 2], o[OUT.order + 3]],
    reasons: byLevel(OUT.reasons, 0),
    runtimes: byLevel(OUT.levelRuntime, -1),
    scores: [NaN, v.scores[1], v.scores[2], v.scores[3], v.scores[4]],
  };
}
