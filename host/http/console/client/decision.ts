// A decision (POST /v1/decide) shown in full: the verdict and explanation, the facts, the ranking
// of every candidate level, and the request that was sent.
import type { Decision } from "./answers.ts";
import { type Child, h } from "./dom.ts";
import { tableIn } from "./tables.ts";

function definition(term: string, ...value: Child[]): HTMLDivElement {
  return h("div", null, h("dt", null, term), h("dd", null, value));
}

function runtimeClassText(name: string | null): string {
  return name ? "RuntimeClass " + name : "no RuntimeClass (the node's default handler)";
}

/** summary: the verdict and explanation (for the live region); details: the rest. */
export function renderDecision(d: Decision, request: unknown): { summary: HTMLElement[]; details: HTMLElement } {
  const ranking = tableIn(
    "Ranking: every candidate level, best first",
    h("tr", null, h("th", { scope: "col" }, "Level"), h("th", { scope: "col" }, "Reasons")),
    d.ranking.map((r, i) =>
      h(
        "tr",
        { class: r.feasible ? "feasible" : "infeasible", "data-level": r.level },
        h(
          "th",
          { scope: "row" },
          h("span", { class: "rank" }, i + 1 + ". "),
          r.level,
          h("span", { class: "verdict-line" }, r.feasible && r.score !== null ? "feasible, score " + r.score.toFixed(2) : "infeasible"),
          h(
            "span",
            { class: "runtime-line" },
            r.runtime ? "on " + r.runtime + (r.runtimeClassName ? " (RuntimeClass " + r.runtimeClassName + ")" : "") : "no runtime",
          ),
        ),
        h(
          "td",
          null,
          r.reasons.length
            ? h(
                "ul",
                { class: "reasons" },
                r.reasons.map((x) => h("li", null, x)),
              )
            : "—",
        ),
      ),
    ),
    "ranking",
  );
  const fallback = d.fallback
    ? [
        h("strong", null, d.fallback.level + " " + d.fallback.levelName),
        " — ",
        d.fallback.stack || "no stack",
        h("span", { class: "hint" }, (d.fallback.runtime || "no runtime") + ", " + runtimeClassText(d.fallback.runtimeClassName)),
      ]
    : "none";
  return {
    summary: [
      h(
        "p",
        { class: "verdict" + (d.level ? "" : " none") },
        d.level ? [h("span", { class: "level-id big" }, d.level), " " + d.levelName] : "No feasible level",
      ),
      h("p", { class: "explanation" }, d.explanation),
    ],
    details: h(
      "div",
      { class: "decision" },
      h(
        "dl",
        { class: "facts" },
        definition("Level", d.level ? d.level + " " + d.levelName : "none"),
        definition("Runtime", d.runtime || "—"),
        definition("RuntimeClass", d.runtimeClassName ? h("code", null, d.runtimeClassName) : d.runtime ? "none (the node's default handler)" : "—"),
        definition("Artifact", d.artifact || "any"),
        definition("Stack", d.stack || "—"),
        definition("Fallback", fallback),
        definition("Rule", d.rule),
        definition("Node", d.node.source + ": " + (d.node.runtimes.join(", ") || "no runtimes")),
        definition("Policy", d.policy.name + " " + d.policy.version),
        definition("Decision id", h("code", null, d.decisionId)),
      ),
      ranking,
      h("details", null, h("summary", null, "The request sent"), h("pre", null, "POST v1/decide\n" + JSON.stringify(request, null, 2))),
    ),
  };
}
