// The whole in-process path: engine.decide(request), object in → answer object out, validation,
// explanation and decision id included, on the same mixed requests, against the full-answer
// TypeScript baseline (bench/baseline-answer.ts: the same validation and answer code, the rules
// in plain TypeScript; checked to give the same answers). Every call is timed on its own (a call
// is microseconds; one hrtime pair costs tens of ns, reported beside and included on both
// sides), so p99 is the tail of single decisions, GC pauses included; the two sides alternate in
// blocks. Also engine.decide's halves: validation alone (the fast path, and the zod schema it
// falls back to), and the rest (module call + answer) alone.
import { FastDecideParser } from "../../host/engine/fast-request.ts";
import type { Engine } from "../../host/engine/engine.ts";
import type { Placement } from "../../host/engine/request.ts";
import type { BaselineEngine } from "../baseline-answer.ts";
import type { Section } from "../section.ts";
import { round, summarise, timerOverheadNs } from "../stats.ts";

const BLOCK = 1000;

// One function per side, so each keeps its own type feedback in the JIT.
function timeEngine(engine: Engine, requests: unknown[], out: Float64Array, start: number, end: number): number {
  let sink = 0;
  for (let i = start; i < end; i++) {
    const request = requests[i % requests.length];
    const t0 = process.hrtime.bigint();
    const answer = engine.decide(request);
    out[i] = Number(process.hrtime.bigint() - t0);
    sink += answer.ranking.length;
  }
  return sink;
}

function timeBaseline(ts: BaselineEngine, requests: unknown[], out: Float64Array, start: number, end: number): number {
  let sink = 0;
  for (let i = start; i < end; i++) {
    const request = requests[i % requests.length];
    const t0 = process.hrtime.bigint();
    const answer = ts.decide(request);
    out[i] = Number(process.hrtime.bigint() - t0);
    sink += answer.ranking.length;
  }
  return sink;
}

export const engineSection: Section = {
  name: "engine",
  title: "In-process: engine.decide(request)",
  async run(ctx) {
    const { engine } = ctx,
      requests = ctx.mix.requests,
      n = requests.length;
    const calls = ctx.quick ? 2_000 : 300_000;
    const warmup = ctx.quick ? 500 : 50_000;
    let sink = 0;
    for (let i = 0; i < warmup; i++) sink += engine.decide(requests[i % n]).ranking.length;

    const ts = ctx.baselineEngine;
    for (let i = 0; i < warmup; i++) sink += ts.decide(requests[i % n]).ranking.length;
    ctx.log(`engine: ${calls} calls of engine.decide and of the TypeScript full-answer baseline, timed one by one, alternating in blocks of ${BLOCK}`);
    const whole = new Float64Array(calls),
      baseline = new Float64Array(calls);
    for (let start = 0; start < calls; start += BLOCK) {
      const end = Math.min(calls, start + BLOCK);
      const first = (start / BLOCK) & 1; // which side leads alternates too
      for (let side = 0; side < 2; side++) {
        if ((side ^ first) === 0) sink += timeEngine(engine, requests, whole, start, end);
        else sink += timeBaseline(ts, requests, baseline, start, end);
      }
    }

    // The halves, each in a loop of its own (interleaving them skews all three): validation by
    // the engine's fast path, by the zod schema it falls back to, and the rest (module + answer).
    const parts = Math.min(calls, ctx.quick ? 2_000 : 100_000);
    const fast = new FastDecideParser(engine.catalogue, engine.tables),
      schema = engine.schemas.decide;
    const parsed = requests.map((r) => schema.parse(r) as Placement);
    if (requests.some((r) => fast.parse(r) === undefined)) throw new Error("engine: the fast path declined a request of the mix");
    const perCall = (what: (i: number) => number): Float64Array => {
      for (let i = 0; i < Math.min(parts, warmup); i++) sink += what(i % n);
      const out = new Float64Array(parts);
      for (let i = 0; i < parts; i++) {
        const t0 = process.hrtime.bigint();
        sink += what(i % n);
        out[i] = Number(process.hrtime.bigint() - t0);
      }
      return out;
    };
    const validate = perCall((i) => fast.parse(requests[i])!.scenario);
    const zod = perCall((i) => (schema.parse(requests[i]) as Placement).scenario);
    const answer = perCall((i) => engine.decideValid(parsed[i]).ranking.length);
    if (sink === 0) throw new Error("engine: no decisions made");

    const w = summarise(whole),
      b = summarise(baseline),
      v = summarise(validate),
      z = summarise(zod),
      a = summarise(answer);
    const ratio = { p50: round(w.p50 / b.p50, 3), p99: round(w.p99 / b.p99, 3), mean: round(w.mean / b.mean, 3) };
    const overhead = timerOverheadNs();
    return {
      figures: {
        engineDecide: {
          p50Ns: round(w.p50),
          p99Ns: round(w.p99),
          meanNs: round(w.mean),
          calls,
          decisionsPerSecond: Math.round(1e9 / w.mean),
          parts: {
            validateP50Ns: round(v.p50),
            validateP99Ns: round(v.p99),
            zodValidateP50Ns: round(z.p50),
            zodValidateP99Ns: round(z.p99),
            decideValidP50Ns: round(a.p50),
            decideValidP99Ns: round(a.p99),
          },
          timerOverheadNs: round(overhead),
          method: `engine.decide per call over ${n} mixed requests, timed one by one with process.hrtime.bigint (timer pair ≈ ${round(overhead)} ns, included)`,
        },
        engineBaseline: {
          p50Ns: round(b.p50),
          p99Ns: round(b.p99),
          meanNs: round(b.mean),
          calls,
          ratio,
          method:
            "bench/baseline-answer.ts: the engine's validation (fast path, zod behind it) and answer builder with bench/baseline.ts's rules in place of the module; same answers on every request of the mix (checked before timing); timed per call like engine.decide, alternating blocks",
        },
      },
      rows: [
        { id: "engineDecide.p50Ns", label: "engine.decide p50", value: w.p50, unit: "ns", note: `mean ${round(w.mean)} ns, ${Math.round(1e9 / w.mean)}/s` },
        { id: "engineDecide.p99Ns", label: "engine.decide p99", value: w.p99, unit: "ns", target: { op: "<=", limit: 5000 } },
        {
          id: "engineBaseline.p50Ns",
          label: "the same answer with the rules in TypeScript p50",
          value: b.p50,
          unit: "ns",
          note: `p99 ${round(b.p99)} ns, mean ${round(b.mean)} ns`,
        },
        {
          id: "engineBaseline.ratio.mean",
          label: "engine.decide / TypeScript full answer (mean)",
          value: ratio.mean,
          unit: "×",
          target: { op: "<=", limit: 1 },
          note: `p50 ${ratio.p50}, p99 ${ratio.p99}`,
        },
        {
          id: "engineDecide.parts.validateP50Ns",
          label: "  of which validation p50",
          value: v.p50,
          unit: "ns",
          note: `the zod schema alone: ${round(z.p50)} ns`,
        },
        { id: "engineDecide.parts.decideValidP50Ns", label: "  of which module call + answer p50", value: a.p50, unit: "ns" },
      ],
    };
  },
};
