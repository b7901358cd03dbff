// Figures as answers show them: { min, max, unit, text }, joined from the module's numeric
// table and the catalogue's text.
import type { Catalogue, Unit } from "./catalogue.ts";
import { METRIC_IDS } from "./vocabulary.ts";

export interface Figure {
  min: number | null;
  max: number | null;
  unit: Unit;
  text: string;
}

/**
 * The module keeps figures as 32-bit floats (half the bytes; a policy's figures have at most 7
 * significant digits, which `policy build` checks). Read back, they are the source's numbers again.
 */
const fromTable = (x: number): number => (Number.isFinite(x) ? Number(x.toPrecision(7)) : x);

const F32_MAX = 3.4028234663852886e38;
/**
 * A constraint as the module compares it with a figure: at the figures' precision, so a figure
 * equal to the constraint meets it; beyond the 32-bit range it stays finite (an open end still
 * breaks any maximum). NaN: no constraint.
 */
export const asFigure = (x: number | undefined): number => (x === undefined ? NaN : Math.min(Math.fround(x), F32_MAX));

export function figureOf(table: Float32Array, catalogue: Catalogue, level: number, metric: number): Figure | null {
  const at = (level * METRIC_IDS.length + metric) * 2;
  const min = fromTable(table[at]),
    max = fromTable(table[at + 1]);
  const text = catalogue.levels[level].figures[metric];
  if (Number.isNaN(min) || text === null) return null;
  return { min, max: max === Infinity ? null : max, unit: catalogue.metrics[metric].unit, text };
}

/** A runtime's own figure for a metric, with its source; null where it has none (its level's holds). */
export function runtimeFigureOf(table: Float64Array, catalogue: Catalogue, runtime: number, metric: number): (Figure & { source?: string }) | null {
  const at = (runtime * METRIC_IDS.length + metric) * 2;
  const min = fromTable(table[at]),
    max = fromTable(table[at + 1]);
  const own = catalogue.runtimes[runtime].figures.find((f) => f.metric === METRIC_IDS[metric]);
  if (Number.isNaN(min) || !own) return null;
  return { min, max: max === Infinity ? null : max, unit: catalogue.metrics[metric].unit, text: own.text, ...(own.source ? { source: own.source } : {}) };
}
