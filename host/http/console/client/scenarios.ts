// The scenario table (suitability symbols, notes, stacks, first and second choice), from
// GET /v1/scenarios; a † marks what the policy added beyond the source document.
import type { Levels, Scenarios } from "./answers.ts";
import { h, srOnly } from "./dom.ts";
import { levelHeader, tableIn } from "./tables.ts";

function addedMark(): HTMLSpanElement {
  return h("span", { class: "added", title: "added beyond the source" }, h("span", { "aria-hidden": "true" }, "†"), srOnly(" (added beyond the source)"));
}

function choiceText(choice: { level: string; stack: string | null } | null): string {
  return choice ? choice.level + ": " + choice.stack : "—";
}

export function renderScenarioTable(sc: Scenarios, levels: Levels): HTMLDivElement {
  const byId = new Map(levels.levels.map((l) => [l.id, l]));
  const columns = levels.levels.filter((l) => sc.scenarios.some((s) => s.levels[l.id]));
  const head = h(
    "tr",
    null,
    h("th", { scope: "col" }, "Scenario"),
    columns.map((l) => levelHeader(byId.get(l.id)!)),
    h("th", { scope: "col" }, "Recommended"),
  );
  const rows = sc.scenarios.map((s) =>
    h(
      "tr",
      { "data-scenario": s.id },
      h("th", { scope: "row" }, h("span", { class: "metric-name" }, s.name), s.added ? addedMark() : null, " ", h("span", { class: "zh", lang: "zh" }, s.zh)),
      columns.map((l) => {
        const cell = s.levels[l.id];
        if (!cell) return h("td", null, "—");
        return h(
          "td",
          { class: "fit fit-" + cell.fit },
          h("span", { class: "symbol", "aria-hidden": "true" }, cell.symbol),
          srOnly("suitability " + cell.fit + " of 4: "),
          h("span", { class: "note" }, cell.note),
          h("span", { class: "stack" }, cell.stack),
          cell.added ? addedMark() : null,
        );
      }),
      h(
        "td",
        null,
        h("span", { class: "choice-line" }, h("strong", null, "1st "), choiceText(s.first)),
        h("span", { class: "choice-line" }, h("strong", null, "2nd "), choiceText(s.second)),
      ),
    ),
  );
  return h(
    "div",
    null,
    tableIn("Scenarios: how well each level suits it, and the stack to run it", head, rows, "scenarios"),
    h(
      "p",
      { class: "legend" },
      "✅✅✅ best suited · ✅✅ well suited · ✅ suitable · ⚠️ usable with caveats · ❌ not suitable (the level is infeasible for that scenario). ",
      h("span", { "aria-hidden": "true" }, "†"),
      " added beyond the source document.",
    ),
  );
}
