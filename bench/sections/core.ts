// The core alone: the Wasm module's decide (raw export, codes in → codes out) against the same
// rules in plain TypeScript (bench/baseline.ts), on the same requests, interleaved in one run.
// Timed in batches of BATCH decisions so the timer's own cost does not count; the figures are
// per decision (a batch's time / BATCH), p50/p99 over the batches.
import type { BaselinePlacer } from "../baseline.ts";
import { rawCore, type RawCore } from "../wasm-core.ts";
import type { Codes } from "../mix.ts";
import type { Section } from "../section.ts";
import { round, summarise } from "../stats.ts";

const BATCH = 1000;

// One function per side, so each keeps its own (monomorphic) type feedback in the JIT.
function wasmBatch(core: RawCore, codes: Codes[], start: number): number {
  let sink = 0;
  for (let j = 0; j < BATCH; j++) sink += core.decide(codes[(start + j) % codes.length]);
  return sink;
}

function tsBatch(baseline: BaselinePlacer, codes: Codes[], start: number): number {
  let sink = 0;
  for (let j = 0; j < BATCH; j++) {
    const c = codes[(start + j) % codes.length];
    sink += baseline.decide(c.scenario, c.performance, c.security, c.needs, c.runtimes, c.constraints, c.weights).level;
  }
  return sink;
}

export const coreSection: Section = {
  name: "core",
  title: "Core: Wasm decide vs the same rules in TypeScript",
  async run(ctx) {
    const core = rawCore(ctx.module, ctx.engine.catalogue.scenarios.length);
    const { baseline } = ctx, codes = ctx.mix.codes;
    const samples = ctx.quick ? 20 : 4000;
    const warmup = ctx.quick ? 5 : 300;
    const wasm = new Float64Array(samples), ts = new Float64Array(samples);
    let sink = 0;
    const time = (side: "wasm" | "ts", start: number): number => {
      const t0 = process.hrtime.bigint();
      sink += side === "wasm" ? wasmBatch(core, codes, start) : tsBatch(baseline, codes, start);
      return Number(process.hrtime.bigint() - t0) / BATCH;
    };
    // Warm both up (V8 tiers Wasm up from Liftoff to TurboFan, and JS to TurboFan) before timing.
    for (let s = 0; s < warmup; s++) { time("wasm", s * BATCH); time("ts", s * BATCH); }
    ctx.log(`core: ${samples} batches of ${BATCH} decisions per side, interleaved`);
    for (let s = 0; s < samples; s++) {
      const start = s * BATCH;
      // Alternate which side goes first, so neither always runs right after the other.
      if (s & 1) { wasm[s] = time("wasm", start); ts[s] = time("ts", start); }
      else { ts[s] = time("ts", start); wasm[s] = time("wasm", start); }
    }
    if (sink === 0) throw new Error("core: no decisions made");
    const w = summarise(wasm), t = summarise(ts);
    const ratio = { p50: round(w.p50 / t.p50, 3), p99: round(w.p99 / t.p99, 3), mean: round(w.mean / t.mean, 3) };
    const side = (s: typeof w) => ({ p50Ns: round(s.p50), p99Ns: round(s.p99), meanNs: round(s.mean), minNs: round(s.min) });
    return {
      figures: {
        core: {
          wasm: side(w), ts: side(t), ratio,
          decisionsPerSecond: { wasm: Math.round(1e9 / w.mean), ts: Math.round(1e9 / t.mean) },
          method: `raw decide export vs bench/baseline.ts; ${samples} interleaved batches of ${BATCH} decisions per side over ${codes.length} mixed requests; ns per decision = batch time / ${BATCH}; p50/p99 over batches`,
        },
      },
      rows: [
        { id: "core.wasm.p50Ns", label: "core Wasm decide p50 / p99", value: w.p50, unit: "ns", note: `p99 ${round(w.p99)} ns` },
        { id: "core.ts.p50Ns", label: "core TypeScript decide p50 / p99", value: t.p50, unit: "ns", note: `p99 ${round(t.p99)} ns` },
        { id: "core.ratio.p50", label: "core ratio Wasm/TypeScript (p50)", value: ratio.p50, unit: "×", target: { op: "<=", limit: 1 }, note: `p99 ${ratio.p99}, mean ${ratio.mean}` },
      ],
    };
  },
};
