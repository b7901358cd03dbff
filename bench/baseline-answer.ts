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
import { parseOrThrow, type Placement } from "../host/engine/request.ts";
import { ARTIFACT_IDS, LEVEL_IDS } from "../host/engine/vocabulary.ts";
import type { BaselinePlacer } from "./baseline.ts";

export class BaselineEngine {
  private readonly fast: FastDecideParser;
  private readonly explain: Explainer;
  private readonly planning: { mask: number; runtimes: string[] };
  private readonly engine: Engine;
  private readonly placer: BaselinePlacer;

  constructor(engine: Engine, placer: BaselinePlacer) {
    this.engine = engine;
    this.placer = placer;
    this.fast = new FastDecideParser(engine.catalogue, engine.tables);
    this.explain = new Explainer(engine.catalogue);
    // planning mode, as the bench's engine runs: every runtime counted
    this.planning = { mask: (1 << engine.catalogue.runtimes.length) - 1, runtimes: engine.catalogue.runtimes.map((r) => r.id) };
  }

  decide(request: unknown): Decision {
    const body = request ?? {};
    const p: Placement = this.fast.parse(body) ?? parseOrThrow(this.engine.schemas.decide, body);
    const c = this.engine.catalogue, e = this.explain;
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
      level: d.level, runtime: d.runtime, fallback: d.fallback, fallbackRuntime: d.fallbackRuntime,
      rule: RULES[d.rule], order: d.order, reasons: d.reasons, levelRuntime: d.runtimes, scores: d.scores,
    };
    const s: Situation = { scenario: p.scenario, performance: p.performance, security: p.security, constraints: p.constraints, node, artifact: p.artifact };
    const runtime = r.level ? c.runtimes[r.runtime] : undefined;
    const fbRuntime = r.fallback ? c.runtimes[r.fallbackRuntime] : undefined;
    return {
      level: r.level ? LEVEL_IDS[r.level] : null,
      levelName: r.level ? e.levelName(r.level) : null,
      runtime: runtime?.id ?? null,
      runtimeClassName: runtime?.runtimeClassName ?? null,
      artifact: s.artifact >= 0 ? ARTIFACT_IDS[s.artifact] : null,
      stack: e.stack(r.level, r.runtime, s.scenario),
      fallback: r.fallback
        ? { level: LEVEL_IDS[r.fallback], levelName: e.levelName(r.fallback), runtime: fbRuntime?.id ?? null, runtimeClassName: fbRuntime?.runtimeClassName ?? null, stack: e.stack(r.fallback, r.fallbackRuntime, s.scenario) }
        : null,
      rule: r.rule,
      ranking: e.ranking(r, s),
      explanation: e.explanation(r, s),
      node: s.node,
      policy: { name: this.engine.policy.name, version: this.engine.policy.version, sha256: this.engine.policy.sha256 },
      decisionId: decisionId(),
    };
  }
}

/** Both engines give the same answer (but for the decision id) to every request; else throws. */
export function checkFullAgreement(requests: unknown[], engine: Engine, baseline: BaselineEngine): number {
  requests.forEach((request, i) => {
    const a = { ...engine.decide(request), decisionId: "" }, b = { ...baseline.decide(request), decisionId: "" };
    const ja = JSON.stringify(a), jb = JSON.stringify(b);
    if (ja !== jb) throw new Error(`bench aborted: engine.decide and the TypeScript full-answer baseline differ on request ${i}\nrequest: ${JSON.stringify(request)}\nengine:   ${ja}\nbaseline: ${jb}`);
  });
  return requests.length;
}
