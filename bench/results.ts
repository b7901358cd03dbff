// bench/results.json: each section owns its top-level keys; a run replaces the keys of the
// sections it ran and keeps everything else (figures other sections wrote earlier).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { met, type Row, type SectionResult } from "./section.ts";

export interface TargetEntry { label: string; value: number | null; op: string; limit: number; met: boolean | null }

export function mergeResults(file: string, ran: { name: string; result: SectionResult }[], run: Record<string, unknown>): Record<string, unknown> {
  const old: Record<string, unknown> = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : {};
  const out: Record<string, unknown> = { ...old, ...run };
  const runs = { ...(old.runs as Record<string, unknown> | undefined) };
  const targets = { ...(old.targets as Record<string, TargetEntry> | undefined) };
  for (const { name, result } of ran) {
    Object.assign(out, result.figures);
    runs[name] = { at: run.generatedAt, quick: run.quick };
    for (const row of result.rows) if (row.target) targets[row.id] = targetEntry(row);
  }
  out.runs = runs;
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
    else if (typeof v === "number") { if (!Number.isFinite(v)) bad.push(path); }
    else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`));
    else if (typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k);
  };
  walk(result.figures, "");
  for (const row of result.rows) if (row.value === null || !Number.isFinite(row.value)) bad.push(`row ${row.id}`);
  if (Object.keys(result.figures).length === 0) bad.push("(no figures)");
  return bad;
}
