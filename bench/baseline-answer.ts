// The full-answer baseline: what engine.decide does — validate the request, decide, build the
// whole answer (ranking with reasons, explanation, stacks, decision id) — with the rules in
// plain TypeScript (bench/baseline.ts) instead of the Wasm module. Everything else is the
// engine's own code (its validation fast path with zod behind it, its answer builder), so the
// two sides differ only in where the rules run, and they must return the same answer: the
// bench checks that on every request of the mix before timing anything (checkFullAgreement).
import { RULES } from "../host/engine/abi.ts";
import { Explainer, type Readout, type Situation } from "../host/engine/answer.ts";
import { decisionId } from "../host/engine/decision-id.ts";
import type { Decision, Engine } from "../host/engine/engine.ts";
import { FastDecideParser } from "../host/engine/fast-request.ts";
import type { Placement } from "../host/engine/request.ts";
import { parseOrThrow } from "../host/engine/request-schemas.ts";
import type { BaselinePlacer } from "./baseline.ts";

export class BaselineEngine {
  private readonly fast: FastDecideParser;
  private readonly explain: Explainer;
  private readonly planning: { mask: number; runtimes: string[] };
  private readonly engine: Engine;
  private readonly placer: BaselinePlacer;
  private readonly policy: Decision["policy"];

  constructor(engine: Engine, placer: BaselinePlacer) {
    this.engine = engine;
    this.placer = placer;
    this.fast = new FastDecideParser(engine.catalogue, engine.tables);
    this.explain = new Explainer(engine.catalogue);
    this.policy = Object.freeze({ name: engine.policy.name, version: engine.policy.version, sha256: engine.policy.sha256 });
    // planning mode, as the bench's engine runs: every runtime counted
    this.planning = { mask: (1 << engine.catalogue.runtimes.length) - 1, runtimes: engine.catalogue.runtimes.map((r) => r.id) };
  }

  decide(request: unknown): Decision {
    const body = request ?? {};
    const p: Placement = this.fast.parse(body) ?? parseOrThrow(this.engine.schemas.decide, body);
    const c = this.engine.catalogue,
      e = this.explain;
    let mask = this.planning.mask;
    let node: Situation["node"] = { source: "planning", runtimes: this.planning.runtimes };
    if (p.runtimes) {
      mask = 0;
      const ids: string[] = [];
      for (const r of p.runtimes) {
        mask |= 1 << r;
        if (!ids.includes(c.runtimes[r].id)) ids.push(c.runtimes[r].id);
      }
      node = { source: "request", runtimes: ids };
    }
    let needs = 0;
    for (const n of p.performance) needs |= 1 << n;
    for (const n of p.security) needs |= 1 << n;
    for (const n of p.cost) needs |= 1 << n;
    const k = p.constraints;
    const constraints = [k.maxColdStartMs ?? NaN, k.maxMemoryMb ?? NaN, k.maxCpuOverheadPct ?? NaN, k.minIsolation ?? NaN];
    const d = this.placer.decide(p.scenario, p.performance[0] ?? -1, p.security[0] ?? -1, needs >>> 0, mask, constraints, p.weights ?? null, p.artifact);
    const r: Readout = {
      level: d.level,
      runtime: d.runtime,
      fallback: d.fallback,
      fallbackRuntime: d.fallbackRuntime,
      rule: RULES[d.rule],
      order: d.order,
      reasons: d.reasons,
      levelRuntime: d.runtimes,
      scores: d.scores,
    };
    const s: Situation = { scenario: p.scenario, performance: p.performance, security: p.security, constraints: p.constraints, node, artifact: p.artifact };
    return e.decision(r, s, this.policy, decisionId());
  }
}

/** Both engines give the same answer (but for the decision id) to every request; else throws. */
export function checkFullAgreement(requests: unknown[], engine: Engine, baseline: BaselineEngine): number {
  requests.forEach((request, i) => {
    const a = { ...engine.decide(request), decisionId: "" },
      b = { ...baseline.decide(request), decisionId: "" };
    const ja = JSON.stringify(a),
      jb = JSON.stringify(b);
    if (ja !== jb)
      throw new Error(
        `bench aborted: engine.decide and the TypeScript full-answer baseline differ on request ${i}\nrequest: ${JSON.stringify(request)}\nengine:   ${ja}\nbaseline: ${jb}`,
      );
  });
  return requests.length;
}
