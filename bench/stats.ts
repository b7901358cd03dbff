// Small statistics over timing samples.

/** The p-th percentile (0–100) by nearest rank. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export interface Summary {
  p50: number;
  p99: number;
  mean: number;
  min: number;
  n: number;
}

export function summarise(samples: ArrayLike<number>): Summary {
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) sum += sorted[i];
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), mean: sum / sorted.length, min: sorted[0], n: sorted.length };
}

/** Rounds for the report: ns to 0.1, ms to 0.001, ratios to 0.001. */
export const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** The cost of one hrtime.bigint() pair, to read per-call timings against. */
export function timerOverheadNs(samples = 10_000): number {
  const out = new Float64Array(samples);
  for (let i = 0; i < samples; i++) {
    const t0 = process.hrtime.bigint();
    out[i] = Number(process.hrtime.bigint() - t0);
  }
  return summarise(out).p50;
}
