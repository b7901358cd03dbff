// Readable tables for the terminal (the default output; --json prints the HTTP answer instead).
import type { Comparison, Decision, RankAnswer } from "../engine/engine.ts";

export function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => [...(r[c] ?? "")].length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell + " ".repeat(widths[c] - [...cell].length))).join("  ")).join("\n");
}

function rankingRows(ranking: Decision["ranking"]): string[][] {
  return [["#", "level", "runtime", "feasible", "score", "reasons"],
    ...ranking.map((r, i) => [String(i + 1), r.level, r.runtime ?? "–", r.feasible ? "yes" : "no", r.score === null ? "–" : r.score.toFixed(3), r.reasons.join("; ")])];
}

export function formatDecision(d: Decision): string {
  const lines = d.level
    ? [
      `${d.level} ${d.levelName} — runtime ${d.runtime}${d.runtimeClassName ? ` (RuntimeClass ${d.runtimeClassName})` : ""}`,
      `stack     ${d.stack ?? "–"}`,
      `fallback  ${d.fallback ? `${d.fallback.level} ${d.fallback.levelName} — ${d.fallback.stack ?? d.fallback.runtime}` : "none"}`,
    ]
    : ["no feasible level"];
  lines.push(`why       ${d.explanation}`, `artifact  ${d.artifact ?? "any"}`, `node      ${d.node.source}: ${d.node.runtimes.join(", ") || "no runtimes"}`, "", table(rankingRows(d.ranking)), "",
    `policy ${d.policy.name} ${d.policy.version} · decision ${d.decisionId}`);
  return lines.join("\n");
}

export function formatRank(r: RankAnswer): string {
  return [`best: ${r.best ?? "none"} — ${r.explanation}`, "", table(rankingRows(r.ranking))].join("\n");
}

export function formatComparison(c: Comparison): string {
  const rows = [["metric", "better when", c.a, c.b, "better"],
    ...c.metrics.map((m) => [m.metric, m.direction, m.a?.text ?? "N/A", m.b?.text ?? "N/A", m.better ?? "–"])];
  return `${table(rows)}\n\nwins: ${c.a} ${c.wins[c.a]}, ${c.b} ${c.wins[c.b]}, tie ${c.wins.tie}`;
}

export function formatLevels(levels: ReturnType<import("../engine/engine.ts").Engine["levels"]>): string {
  const ids = levels.levels.map((l) => l.id);
  const core = [["metric", ...ids], ...levels.metrics.map((m) => [m.id, ...levels.levels.map((l) => l.figures[m.id]?.text ?? "N/A")])];
  const tech = [["dimension", ...ids], ...levels.technical.map((t) => [t.id, ...levels.levels.map((l) => l.technical[t.id])])];
  const names = levels.levels.map((l) => `${l.id}  ${l.name} (${l.zh}): ${l.what}`);
  // Each runtime's own figures beside its level's (API.md rule 6).
  const own = [["level", "runtime", "runs", ...levels.metrics.slice(1, 4).map((m) => m.id), "source"],
    ...levels.levels.flatMap((l) => l.runtimes.map((r) => [l.id, r.id, r.runs.join(", "),
      ...levels.metrics.slice(1, 4).map((m) => r.figures[m.id]?.text ?? `(${l.figures[m.id]?.text ?? "N/A"})`),
      [...new Set(Object.values(r.figures).map((f) => f?.source).filter(Boolean))].join("; ") || "the level's"]))];
  return [...names, "", table(core), "", table(tech), "", "runtimes (own figures; in parentheses: the level's)", table(own)].join("\n");
}
