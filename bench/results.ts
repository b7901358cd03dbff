// bench/results.json: every figure of one run, and nothing else. A run writes the whole file
// (its machine, load and timestamps, each section's figures, the targets); it never merges with
// an earlier run, so every number in it was measured together.
import { writeFileSync } from "node:fs";
import { met, type Row, type SectionResult } from "./section.ts";

export interface TargetEntry {
  label: string;
  value: number | null;
  op: string;
  limit: number;
  met: boolean | null;
}

export function writeResults(file: string, ran: { name: string; result: SectionResult }[], run: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...run, sections: ran.map((r) => r.name) };
  const targets: Record<string, TargetEntry> = {};
  for (const { result } of ran) {
    Object.assign(out, result.figures);
    for (const row of result.rows) if (row.target) targets[row.id] = targetEntry(row);
  }
  out.targets = targets;
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  return out;
}

export function targetEntry(row: Row): TargetEntry {
  const value = row.value === null ? null : Math.round(row.value * 1000) / 1000;
  return { label: row.label, value, op: row.target!.op, limit: row.target!.limit, met: met(row.value, row.target!) };
}

/** Every figure must be produced: each number finite, nothing null or undefined. Returns the paths that are not. */
export function missingFigures(result: SectionResult): string[] {
  const bad: string[] = [];
  const walk = (v: unknown, path: string) => {
    if (v === null || v === undefined) bad.push(path);
    else if (typeof v === "number") {
      if (!Number.isFinite(v)) bad.push(path);
    } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`));
    else if (typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k);
  };
  walk(result.figures, "");
  for (const row of result.rows) if (row.value === null || !Number.isFinite(row.value)) bad.push(`row ${row.id}`);
  if (Object.keys(result.figures).length === 0) bad.push("(no figures)");
  return bad;
}
