// The bound on every call (host/engine/meter.ts): what metering costs per decision, metered and
// unmetered side by side in one run (the raw decide export, and the whole engine.decide), what
// the rewrite costs per activation, and how soon a runaway call is stopped.
import { armOf, CALL_BUDGET } from "../../host/engine/budget.ts";
import { createEngine, type Engine } from "../../host/engine/engine.ts";
import { BUDGET_EXPORT, meter } from "../../host/engine/meter.ts";
import type { Placement } from "../../host/engine/request.ts";
import { loopingModule } from "../../tests/fixtures/looping-bytes.ts";
import type { Section } from "../section.ts";
import { round, summarise } from "../stats.ts";
import { rawCore } from "../wasm-core.ts";

export const meterSection: Section = {
  name: "meter",
  title: "The bound on every call (metered vs unmetered)",
  async run(ctx) {
    const { mix, moduleBytes } = ctx;
    const n = mix.codes.length;
    const rounds = ctx.quick ? 2 : 10,
      perRound = ctx.quick ? 500 : 20_000;

    // The rewrite: its first run in this process (cold code), then warm.
    let t0 = performance.now();
    const metered = meter(moduleBytes, { initial: CALL_BUDGET });
    const rewriteColdMs = performance.now() - t0;
    const warm = new Float64Array(ctx.quick ? 20 : 500);
    for (let i = 0; i < warm.length; i++) {
      t0 = performance.now();
      meter(moduleBytes, { initial: CALL_BUDGET });
      warm[i] = performance.now() - t0;
    }
    const rewrite = summarise(warm);

    const engines: Record<"metered" | "unmetered", Engine> = {
      metered: await createEngine(moduleBytes), // bytes: the engine meters them
      unmetered: await createEngine(ctx.module), // a compiled module without the budget: taken as is
    };
    if (!WebAssembly.Module.exports(engines.metered.module).some((e) => e.name === BUDGET_EXPORT))
      throw new Error("meter: the engine did not meter the module");
    const raws = {
      metered: rawCore(await WebAssembly.compile(metered as BufferSource), engines.metered.catalogue.scenarios.length),
      unmetered: rawCore(ctx.module, engines.unmetered.catalogue.scenarios.length),
    };
    const arm = armOf(raws.metered.exports)!;
    const parsed = mix.requests.map((r) => engines.metered.schemas.decide.parse(r) as Placement);

    // Alternating rounds, so drift and GC fall on both sides alike.
    const samples = { rawMetered: [] as number[], rawUnmetered: [] as number[], decideMetered: [] as number[], decideUnmetered: [] as number[] };
    let sink = 0;
    const time = (out: number[], call: (i: number) => number) => {
      for (let i = 0; i < perRound; i++) {
        const s = process.hrtime.bigint();
        sink += call(i % n);
        out.push(Number(process.hrtime.bigint() - s));
      }
    };
    for (let r = 0; r < rounds; r++) {
      time(samples.rawUnmetered, (i) => raws.unmetered.decide(mix.codes[i]));
      time(samples.rawMetered, (i) => {
        arm(CALL_BUDGET);
        return raws.metered.decide(mix.codes[i]);
      }); // armed per call, as the engine does
      time(samples.decideUnmetered, (i) => engines.unmetered.decideValid(parsed[i]).ranking.length);
      time(samples.decideMetered, (i) => engines.metered.decideValid(parsed[i]).ranking.length);
    }
    if (sink === 0) throw new Error("meter: no decisions made");
    const skip = (xs: number[]) => xs.slice(perRound); // the first round of each is warm-up
    const rm = summarise(skip(samples.rawMetered)),
      ru = summarise(skip(samples.rawUnmetered));
    const dm = summarise(skip(samples.decideMetered)),
      du = summarise(skip(samples.decideUnmetered));

    // A runaway call: an endless loop, and recursion that fans out, each stopped at the budget.
    const looping = new WebAssembly.Instance(new WebAssembly.Module(meter(loopingModule(), { initial: CALL_BUDGET }) as BufferSource)).exports;
    const loopBudget = looping[BUDGET_EXPORT] as WebAssembly.Global;
    const stop = (fn: () => unknown): Float64Array => {
      const out = new Float64Array(ctx.quick ? 5 : 50);
      for (let i = 0; i < out.length; i++) {
        loopBudget.value = CALL_BUDGET;
        const s = performance.now();
        try {
          fn();
        } catch {
          /* the budget trap */
        }
        out[i] = performance.now() - s;
        if (loopBudget.value >= 0) throw new Error("meter: a runaway call ended without spending its budget");
      }
      return out;
    };
    const spin = summarise(stop(looping.spin as () => void)),
      fan = summarise(stop(() => (looping.fan as (n: number) => number)(40)));
    const spinMax = Math.max(...stop(looping.spin as () => void));

    const ns = (s: { p50: number; p99: number }) => ({ p50Ns: round(s.p50), p99Ns: round(s.p99) });
    return {
      figures: {
        meter: {
          budget: CALL_BUDGET,
          rawDecide: { metered: ns(rm), unmetered: ns(ru), p50OverheadNs: round(rm.p50 - ru.p50) },
          engineDecideValid: { metered: ns(dm), unmetered: ns(du), p50OverheadNs: round(dm.p50 - du.p50) },
          rewrite: {
            coldMs: round(rewriteColdMs, 3),
            warmP50Ms: round(rewrite.p50, 3),
            warmP99Ms: round(rewrite.p99, 3),
            bytesIn: moduleBytes.length,
            bytesOut: metered.length,
          },
          runaway: { loopP50Ms: round(spin.p50, 3), loopMaxMs: round(Math.max(spinMax, spin.p99), 3), fanOutP50Ms: round(fan.p50, 3) },
          method: `${rounds - 1} alternating rounds of ${perRound} calls per side (one warm-up round dropped), each timed with process.hrtime.bigint; raw: the decide export on its own instance (metered: budget armed per call, as the engine does); engine: decideValid (module call + answer). Runaway: a hand-built endless loop and a 2^40-call recursion, stopped at ${CALL_BUDGET} units`,
        },
      },
      rows: [
        {
          id: "meter.rawDecide.metered.p50Ns",
          label: "raw decide p50, metered",
          value: rm.p50,
          unit: "ns",
          note: `unmetered ${round(ru.p50)} ns; p99 ${round(rm.p99)} vs ${round(ru.p99)} ns`,
        },
        {
          id: "meter.engineDecideValid.metered.p50Ns",
          label: "engine decideValid p50, metered",
          value: dm.p50,
          unit: "ns",
          note: `unmetered ${round(du.p50)} ns; p99 ${round(dm.p99)} vs ${round(du.p99)} ns`,
        },
        {
          id: "meter.rewrite.warmP50Ms",
          label: "rewrite per activation (warm) p50",
          value: rewrite.p50,
          unit: "ms",
          note: `first in process ${round(rewriteColdMs, 2)} ms; ${moduleBytes.length} → ${metered.length} bytes`,
        },
        {
          id: "meter.runaway.loopMaxMs",
          label: "runaway loop stopped, worst",
          value: Math.max(spinMax, spin.p99),
          unit: "ms",
          target: { op: "<=", limit: 50 },
          note: `p50 ${round(spin.p50, 2)} ms; fan-out recursion p50 ${round(fan.p50, 2)} ms`,
        },
      ],
    };
  },
};
