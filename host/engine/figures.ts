// Figures as answers show them: { min, max, unit, text }, joined from the module's numeric
// table and the catalogue's text.
import type { Catalogue, Unit } from "./catalogue.ts";
import { METRIC_IDS } from "./vocabulary.ts";

export interface Figure { min: number | null; max: number | null; unit: Unit; text: string }

export function figureOf(table: Float64Array, catalogue: Catalogue, level: number, metric: number): Figure | null {
  const at = (level * METRIC_IDS.length + metric) * 2;
  const min = table[at], max = table[at + 1];
  const text = catalogue.levels[level].figures[metric];
  if (Number.isNaN(min) || text === null) return null;
  return { min, max: max === Infinity ? null : max, unit: catalogue.metrics[metric].unit, text };
}
