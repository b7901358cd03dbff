// The core alone: the Wasm module's decide (raw export, codes in → codes out) against the same
// rules in plain TypeScript (bench/baseline.ts), on the same requests, in one run. Both sides
// produce the same output: the TypeScript side returns its decision object, and the Wasm side
// reads everything the module wrote (level, runtime, fallback, rule, order, reasons, runtime
// per level, scores) into the same object shape (readRaw) — the agreement check at bench start
// compares exactly those. Latency is per decision: every SAMPLE_EVERY-th call is timed on its
// own with process.hrtime.bigint (its timer pair, reported beside, included), the calls between
// untimed; throughput is the mean over whole untimed blocks. The sides alternate block by block.
import type { BaselineDecision, BaselinePlacer } from "../baseline.ts";
import { rawCore, readRaw, type RawCore } from "../wasm-core.ts";
import type { Codes } from "../mix.ts";
import type { Section } from "../section.ts";
import { round, summarise, timerOverheadNs } from "../stats.ts";

const BLOCK = 4096;
const SAMPLE_EVERY = 8;

type Decide = (c: Codes) => BaselineDecision | ReturnType<typeof readRaw>;

/** One block: untimed, for the mean. */
function block(decide: Decide, codes: Codes[], start: number): number {
  let sink = 0;
  for (let j = 0; j < BLOCK; j++) sink += decide(codes[(start + j) % codes.length]).level;
  return sink;
}

/** One block with every SAMPLE_EVERY-th decision timed on its own, into out[at…]. */
function sampled(decide: Decide, codes: Codes[], start: number, out: Float64Array, at: number): number {
  let sink = 0;
  for (let j = 0; j < BLOCK; j++) {
    const c = codes[(start + j) % codes.length];
    if (j % SAMPLE_EVERY === 0) {
      const t0 = process.hrtime.bigint();
      sink += decide(c).level;
      out[at++] = Number(process.hrtime.bigint() - t0);
    } else sink += decide(c).level;
  }
  return sink;
}

export const coreSection: Section = {
  name: "core",
  title: "Core: Wasm decide vs the same rules in TypeScript, same output",
  async run(ctx) {
    const core: RawCore = rawCore(ctx.module, ctx.engine.catalogue.scenarios.length);
    const baseline: BaselinePlacer = ctx.baseline,
      codes = ctx.mix.codes;
    const wasm: Decide = (c) => {
      core.decide(c);
      return readRaw(core.views);
    };
    const ts: Decide = (c) => baseline.decide(c.scenario, c.performance, c.security, c.needs, c.runtimes, c.constraints, c.weights);
    const blocks = ctx.quick ? 4 : 400;
    const perBlock = BLOCK / SAMPLE_EVERY;
    const samples = { wasm: new Float64Array(blocks * perBlock), ts: new Float64Array(blocks * perBlock) };
    const totals = { wasm: 0, ts: 0 };
    let sink = 0;
    // Warm both up (V8 tiers Wasm up from Liftoff to TurboFan, and JS to TurboFan) before timing.
    for (let b = 0; b < (ctx.quick ? 2 : 60); b++) {
      sink += block(wasm, codes, b * BLOCK) + block(ts, codes, b * BLOCK);
    }
    ctx.log(`core: ${blocks} blocks of ${BLOCK} decisions per side (untimed for the mean, then every ${SAMPLE_EVERY}th timed), alternating`);
    for (let b = 0; b < blocks; b++) {
      const order: ["wasm" | "ts", Decide][] =
        b & 1
          ? [
              ["wasm", wasm],
              ["ts", ts],
            ]
          : [
              ["ts", ts],
              ["wasm", wasm],
            ];
      for (const [name, decide] of order) {
        const t0 = process.hrtime.bigint();
        sink += block(decide, codes, b * BLOCK);
        totals[name] += Number(process.hrtime.bigint() - t0);
        sink += sampled(decide, codes, b * BLOCK, samples[name], b * perBlock);
      }
    }
    if (sink === 0) throw new Error("core: no decisions made");
    const w = summarise(samples.wasm),
      t = summarise(samples.ts);
    const mean = { wasm: totals.wasm / (blocks * BLOCK), ts: totals.ts / (blocks * BLOCK) };
    const ratio = { p50: round(w.p50 / t.p50, 3), p99: round(w.p99 / t.p99, 3), mean: round(mean.wasm / mean.ts, 3) };
    const overhead = timerOverheadNs();
    const side = (s: typeof w, m: number) => ({ p50Ns: round(s.p50), p99Ns: round(s.p99), meanNs: round(m), minNs: round(s.min), timed: s.n });
    return {
      figures: {
        core: {
          wasm: side(w, mean.wasm),
          ts: side(t, mean.ts),
          ratio,
          decisionsPerSecond: { wasm: Math.round(1e9 / mean.wasm), ts: Math.round(1e9 / mean.ts) },
          timerOverheadNs: round(overhead),
          method: `raw decide export + reading its whole output into the baseline's object (readRaw) vs bench/baseline.ts returning that object; ${blocks} alternating blocks of ${BLOCK} decisions per side over ${codes.length} mixed requests; p50/p99: every ${SAMPLE_EVERY}th decision timed alone with process.hrtime.bigint (timer pair ≈ ${round(overhead)} ns, included); mean: untimed blocks`,
        },
      },
      rows: [
        {
          id: "core.wasm.p50Ns",
          label: "core Wasm decide p50 / p99 (per decision)",
          value: w.p50,
          unit: "ns",
          note: `p99 ${round(w.p99)} ns, mean ${round(mean.wasm)} ns`,
        },
        {
          id: "core.ts.p50Ns",
          label: "core TypeScript decide p50 / p99 (per decision)",
          value: t.p50,
          unit: "ns",
          note: `p99 ${round(t.p99)} ns, mean ${round(mean.ts)} ns`,
        },
        {
          id: "core.ratio.mean",
          label: "core ratio Wasm/TypeScript (mean)",
          value: ratio.mean,
          unit: "×",
          target: { op: "<=", limit: 1 },
          note: `p50 ${ratio.p50}, p99 ${ratio.p99}`,
        },
      ],
    };
  },
};
