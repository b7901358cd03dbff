// The printed table: one group per section, a target column where there is one.
import { met, type Row } from "./section.ts";

const format = (value: number | null, unit: string): string => {
  if (value === null || !Number.isFinite(value)) return "—";
  const digits = unit === "ms" ? 3 : unit === "×" ? 3 : Number.isInteger(value) ? 0 : 1;
  return `${value.toLocaleString("en", { maximumFractionDigits: digits, minimumFractionDigits: digits })} ${unit}`;
};

export function printTable(groups: { title: string; rows: Row[] }[]): string {
  const lines: string[][] = [["figure", "value", "target", "", "note"]];
  for (const g of groups) {
    lines.push([`— ${g.title}`, "", "", "", ""]);
    for (const r of g.rows) {
      const verdict = r.target ? (met(r.value, r.target) === null ? "?" : met(r.value, r.target) ? "met" : "MISSED") : "";
      lines.push([r.label, format(r.value, r.unit), r.target ? `${r.target.op} ${r.target.limit} ${r.unit}` : "", verdict, r.note ?? ""]);
    }
  }
  const widths = lines[0].map((_, c) => Math.max(...lines.filter((l) => !l[0].startsWith("— ")).map((l) => l[c].length)));
  return lines
    .map((l) =>
      l[0].startsWith("— ")
        ? l[0]
        : l
            .map((cell, c) => (c === 1 ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
            .join("  ")
            .trimEnd(),
    )
    .join("\n");
}
