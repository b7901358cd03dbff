// The whole in-process path: engine.decide(request), object in → answer object out, validation,
// explanation and decision id included, on the same mixed requests. Timed per call (a call is
// microseconds; one hrtime pair costs tens of ns and is reported beside), so p99 shows the tail
// a caller sees, GC pauses included. Also its two halves: validation alone (the engine's fast
// path, and the zod schema it falls back to), and the rest (module call + answer) alone.
import { FastDecideParser } from "../../host/engine/fast-request.ts";
import type { Placement } from "../../host/engine/request.ts";
import type { Section } from "../section.ts";
import { round, summarise, timerOverheadNs } from "../stats.ts";

export const engineSection: Section = {
  name: "engine",
  title: "In-process: engine.decide(request)",
  async run(ctx) {
    const { engine } = ctx, requests = ctx.mix.requests, n = requests.length;
    const calls = ctx.quick ? 2_000 : 300_000;
    const warmup = ctx.quick ? 500 : 50_000;
    let sink = 0;
    for (let i = 0; i < warmup; i++) sink += engine.decide(requests[i % n]).ranking.length;

    ctx.log(`engine: ${calls} calls of engine.decide, timed one by one`);
    const whole = new Float64Array(calls);
    for (let i = 0; i < calls; i++) {
      const request = requests[i % n];
      const t0 = process.hrtime.bigint();
      const answer = engine.decide(request);
      whole[i] = Number(process.hrtime.bigint() - t0);
      sink += answer.ranking.length;
    }

    // The halves, each in a loop of its own (interleaving them skews all three): validation by
    // the engine's fast path, by the zod schema it falls back to, and the rest (module + answer).
    const parts = Math.min(calls, ctx.quick ? 2_000 : 100_000);
    const fast = new FastDecideParser(engine.catalogue, engine.tables), schema = engine.schemas.decide;
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

    const w = summarise(whole), v = summarise(validate), z = summarise(zod), a = summarise(answer);
    const overhead = timerOverheadNs();
    return {
      figures: {
        engineDecide: {
          p50Ns: round(w.p50), p99Ns: round(w.p99), meanNs: round(w.mean), calls,
          decisionsPerSecond: Math.round(1e9 / w.mean),
          parts: {
            validateP50Ns: round(v.p50), validateP99Ns: round(v.p99),
            zodValidateP50Ns: round(z.p50), zodValidateP99Ns: round(z.p99),
            decideValidP50Ns: round(a.p50), decideValidP99Ns: round(a.p99),
          },
          timerOverheadNs: round(overhead),
          method: `engine.decide per call over ${n} mixed requests, timed one by one with process.hrtime.bigint (timer pair ≈ ${round(overhead)} ns, included)`,
        },
      },
      rows: [
        { id: "engineDecide.p50Ns", label: "engine.decide p50", value: w.p50, unit: "ns", note: `mean ${round(w.mean)} ns, ${Math.round(1e9 / w.mean)}/s` },
        { id: "engineDecide.p99Ns", label: "engine.decide p99", value: w.p99, unit: "ns", target: { op: "<=", limit: 5000 } },
        { id: "engineDecide.parts.validateP50Ns", label: "  of which validation p50", value: v.p50, unit: "ns", note: `the zod schema alone: ${round(z.p50)} ns` },
        { id: "engineDecide.parts.decideValidP50Ns", label: "  of which module call + answer p50", value: a.p50, unit: "ns" },
      ],
    };
  },
};
