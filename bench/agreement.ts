// The comparison is only meaningful if both sides compute the same thing: before anything is
// timed, every request of the mix goes through the Wasm module, the TypeScript baseline and the
// whole engine, and every output must agree (level, runtime, fallback, rule, order, reasons,
// runtime per level, scores). Any difference aborts the bench.
import type { Engine } from "../host/engine/engine.ts";
import { LEVEL_IDS } from "../host/engine/vocabulary.ts";
import type { BaselinePlacer } from "./baseline.ts";
import { readRaw, type RawCore } from "./wasm-core.ts";
import type { RequestMix } from "./mix.ts";

const same = (a: number, b: number) => a === b || (Number.isNaN(a) && Number.isNaN(b));
const sameList = (a: number[], b: number[]) => a.length === b.length && a.every((x, i) => same(x, b[i]));

export interface Agreement {
  requests: number;
  infeasible: number;
  byRule: Record<string, number>;
}

export function checkAgreement(mix: RequestMix, core: RawCore, baseline: BaselinePlacer, engine: Engine): Agreement {
  const byRule: Record<string, number> = {};
  let infeasible = 0;
  mix.codes.forEach((c, i) => {
    core.decide(c);
    const wasm = readRaw(core.views);
    const ts = baseline.decide(c.scenario, c.performance, c.security, c.needs, c.runtimes, c.constraints, c.weights);
    const fields = ["level", "runtime", "fallback", "fallbackRuntime", "rule"] as const;
    const diff: string[] = [
      ...fields.filter((f) => !same(wasm[f], ts[f])),
      ...(["order", "reasons", "runtimes", "scores"] as const).filter((f) => !sameList(wasm[f], ts[f])),
    ];
    const answer = engine.decide(mix.requests[i]);
    const expected = wasm.level ? LEVEL_IDS[wasm.level] : null;
    if (answer.level !== expected || answer.ranking.map((r) => r.level).join() !== wasm.order.map((l) => LEVEL_IDS[l]).join()) diff.push("engine.decide");
    if (diff.length) {
      throw new Error(
        `bench aborted: the Wasm module and the TypeScript baseline disagree on request ${i} (${diff.join(", ")})\n` +
          `request: ${JSON.stringify(mix.requests[i])}\nwasm: ${JSON.stringify(wasm)}\nts:   ${JSON.stringify(ts)}\nengine: ${answer.level}`,
      );
    }
    if (!wasm.level) infeasible++;
    byRule[answer.rule] = (byRule[answer.rule] ?? 0) + 1;
  });
  return { requests: mix.codes.length, infeasible, byRule };
}
