// Readable tables for the terminal (the default output; --json prints the HTTP answer instead).
import type { Comparison, Decision, RankAnswer } from "../engine/engine.ts";

export function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => [...(r[c] ?? "")].length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell + " ".repeat(widths[c] - [...cell].length))).join("  ")).join("\n");
}

function rankingRows(ranking: Decision["ranking"], placeOf?: (level: string) => string): string[][] {
  return [
    ["#", "level", ...(placeOf ? ["place"] : []), "runtime", "feasible", "score", "reasons"],
    ...ranking.map((r, i) => [
      String(i + 1),
      r.level,
      ...(placeOf ? [placeOf(r.level)] : []),
      r.runtime ?? "–",
      r.feasible ? "yes" : "no",
      r.score === null ? "–" : r.score.toFixed(3),
      r.reasons.join("; "),
    ]),
  ];
}

/** Why the answer is the answer, in the words of the ranking's note. */
const RULE_WORDS: Record<string, string> = {
  scenario: "the scenario's first choice",
  performance: "the performance need's level",
  security: "the security need's level",
  default: "the default level",
  "second-choice": "the scenario's second choice",
  score: "the best score",
};

/**
 * A decision's ranking is the answer, then its fallback, then the other feasible levels by score:
 * each row says which it is, and a note says why when the answer or the fallback has a lower
 * score than a level below it (the rule picked them, not the score).
 */
function rankingOfDecision(d: Decision): string {
  const feasible = new Set(d.ranking.filter((r) => r.feasible).map((r) => r.level));
  const place = (level: string) => (level === d.level ? "answer" : level === d.fallback?.level ? "fallback" : feasible.has(level as never) ? "by score" : "–");
  const rows = table(rankingRows(d.ranking, place));
  const scoreOf = (level: string | undefined) => d.ranking.find((r) => r.level === level)?.score ?? null;
  const best = Math.max(...d.ranking.filter((r) => place(r.level) === "by score" && r.score !== null).map((r) => r.score!), -Infinity);
  const below = [d.level, d.fallback?.level].filter((l): l is NonNullable<typeof l> => !!l && (scoreOf(l) ?? Infinity) < best);
  const aboveFallback = d.level && d.fallback && (scoreOf(d.level) ?? Infinity) < (scoreOf(d.fallback.level) ?? -Infinity);
  if (!below.length && !aboveFallback) return rows;
  const answer = `${d.level} is the answer as ${RULE_WORDS[d.rule] ?? `rule ${d.rule}`}`;
  const fallback = d.fallback ? `, ${d.fallback.level} its fallback` : "";
  return `${rows}\n(${answer}${fallback}: they come first whatever their score; the rest are ordered by score)`;
}

export function formatDecision(d: Decision): string {
  const lines = d.level
    ? [
        `${d.level} ${d.levelName} — runtime ${d.runtime}${d.runtimeClassName ? ` (RuntimeClass ${d.runtimeClassName})` : ""}`,
        `stack     ${d.stack ?? "–"}`,
        `fallback  ${d.fallback ? `${d.fallback.level} ${d.fallback.levelName} — ${d.fallback.stack ?? d.fallback.runtime}` : "none"}`,
      ]
    : ["no feasible level"];
  lines.push(
    `why       ${d.explanation}`,
    `artifact  ${d.artifact ?? "any"}`,
    `node      ${d.node.source}: ${d.node.runtimes.join(", ") || "no runtimes"}`,
    "",
    rankingOfDecision(d),
    "",
    `policy ${d.policy.name} ${d.policy.version} · decision ${d.decisionId}`,
  );
  return lines.join("\n");
}

export function formatRank(r: RankAnswer): string {
  return [`best: ${r.best ?? "none"} — ${r.explanation}`, "", table(rankingRows(r.ranking))].join("\n");
}

export function formatComparison(c: Comparison): string {
  const rows = [
    ["metric", "better when", c.a, c.b, "better"],
    ...c.metrics.map((m) => [m.metric, m.direction, m.a?.text ?? "N/A", m.b?.text ?? "N/A", m.better ?? "–"]),
  ];
  return `${table(rows)}\n\nwins: ${c.a} ${c.wins[c.a]}, ${c.b} ${c.wins[c.b]}, tie ${c.wins.tie}`;
}

export function formatLevels(levels: ReturnType<import("../engine/engine.ts").Engine["levels"]>): string {
  const ids = levels.levels.map((l) => l.id);
  const core = [["metric", ...ids], ...levels.metrics.map((m) => [m.id, ...levels.levels.map((l) => l.figures[m.id]?.text ?? "N/A")])];
  const tech = [["dimension", ...ids], ...levels.technical.map((t) => [t.id, ...levels.levels.map((l) => l.technical[t.id])])];
  const names = levels.levels.map((l) => `${l.id}  ${l.name} (${l.zh}): ${l.what}`);
  // Each runtime's own figures beside its level's (API.md rule 6).
  const own = [
    ["level", "runtime", "runs", ...levels.metrics.slice(1, 4).map((m) => m.id), "source"],
    ...levels.levels.flatMap((l) =>
      l.runtimes.map((r) => [
        l.id,
        r.id,
        r.runs.join(", "),
        ...levels.metrics.slice(1, 4).map((m) => r.figures[m.id]?.text ?? `(${l.figures[m.id]?.text ?? "N/A"})`),
        [
          ...new Set(
            Object.values(r.figures)
              .map((f) => f?.source)
              .filter(Boolean),
          ),
        ].join("; ") || "the level's",
      ]),
    ),
  ];
  return [...names, "", table(core), "", table(tech), "", "runtimes (own figures; in parentheses: the level's)", table(own)].join("\n");
}
