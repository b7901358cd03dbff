// `policy diff` for people: the space, the changed decisions by transition with examples, and
// the catalogue changes side by side.
import type { Outcome, PolicyDiff } from "../engine/diff.ts";
import { table } from "./format.ts";

const n = (x: number) => x.toLocaleString("en-US");

const outcome = (o: Outcome) =>
  o === null
    ? "invalid (an id it does not know)"
    : o.level === null
      ? "no feasible level"
      : `${o.level}/${o.runtime}${o.runtimeClassName ? ` (RuntimeClass ${o.runtimeClassName})` : ""} · ${o.stack}`;

export function formatDiff(d: PolicyDiff, oldName: string, newName: string, cpuMs?: number): string {
  const lines = [
    `policy diff: ${oldName} (${d.a.name} ${d.a.version}) → ${newName} (${d.b.name} ${d.b.version})`,
    `space: ${n(d.space.requests)} requests — ${d.space.description}`,
    `decided under both in ${(d.elapsedMs / 1000).toFixed(2)} s${cpuMs === undefined ? "" : ` (${(cpuMs / 1000).toFixed(2)} s of CPU)`}: ${n(Math.round(d.decisionsPerSecond))} decisions/s`,
    "",
  ];
  if (!d.changed && !d.catalogue.length) return [...lines, "no change"].join("\n");
  const c = d.counts;
  lines.push(
    d.changed
      ? `${n(d.changed)} decisions change (${((100 * d.changed) / d.space.requests).toFixed(2)} %): level ${n(c.level)}, runtime ${n(c.runtime)}, runtimeClassName ${n(c.runtimeClassName)}, stack ${n(c.stack)}, feasible → infeasible ${n(c.becameInfeasible)}, infeasible → feasible ${n(c.becameFeasible)}${c.invalid ? `, valid under one only ${n(c.invalid)}` : ""}`
      : "no decision changes",
  );
  for (const t of d.transitions) {
    lines.push("", `  ${t.label}: ${n(t.count)}`);
    for (const e of t.examples) {
      lines.push(`    e.g. ${JSON.stringify(e.request)}`, `      old: ${outcome(e.a)}`, `      new: ${outcome(e.b)}`);
    }
  }
  lines.push("", d.catalogue.length ? "catalogue changes:" : "no catalogue change");
  if (d.catalogue.length) lines.push(table([["entry", "old", "new"], ...d.catalogue.map((x) => [x.what, x.a ?? "–", x.b ?? "–"])]).replace(/^/gm, "  "));
  return lines.join("\n");
}
