// Two levels side by side, metric by metric, from GET /v1/compare?a=&b=, with the better one
// marked on each metric and the tally of wins.
import { api, messageOf } from "./api.ts";
import type { Comparison, Level, Levels } from "./answers.ts";
import type { Figure } from "../../../engine/figures.ts";
import { h, srOnly, uniqueId } from "./dom.ts";
import { figureNode } from "./figures.ts";
import { levelHeader, tableIn } from "./tables.ts";

function levelSelect(name: string, levels: Level[], selected: string): HTMLSelectElement {
  return h(
    "select",
    { id: uniqueId(name), name },
    levels.map((l) => h("option", { value: l.id, selected: l.id === selected }, l.id + " " + l.name + (l.placeable ? "" : " (not a placement)"))),
  );
}

function compareCell(fig: Figure | null, level: string, better: string | null): HTMLTableCellElement {
  const wins = better === level;
  return h(
    "td",
    { class: wins ? "winner" : null },
    figureNode(fig),
    wins ? h("span", { class: "win-mark" }, h("span", { "aria-hidden": "true" }, " ✔"), srOnly(" (better)")) : null,
  );
}

function renderComparison(c: Comparison, levels: Levels): HTMLDivElement {
  const byId = new Map(levels.levels.map((l) => [l.id, l]));
  const metricById = new Map(levels.metrics.map((m) => [m.id, m]));
  const head = h(
    "tr",
    null,
    h("th", { scope: "col" }, "Metric"),
    levelHeader(byId.get(c.a)!),
    levelHeader(byId.get(c.b)!),
    h("th", { scope: "col" }, "Better"),
  );
  const rows = c.metrics.map((row) => {
    const m = metricById.get(row.metric);
    return h(
      "tr",
      { "data-metric": row.metric },
      h(
        "th",
        { scope: "row" },
        h("span", { class: "metric-name" }, m ? m.name : row.metric),
        h("span", { class: "hint" }, row.direction === "lower" ? "lower is better" : "higher is better"),
      ),
      compareCell(row.a, c.a, row.better),
      compareCell(row.b, c.b, row.better),
      h("td", { class: "better" }, row.better === null ? "— (no figure on one side)" : row.better === "tie" ? "tie" : h("strong", null, row.better)),
    );
  });
  return tableIn(c.a + " against " + c.b + ", metric by metric (✔ marks the better figure)", head, rows, "compare");
}

function tallyText(c: Comparison): string {
  const parts = Object.entries(c.wins).map(([k, n]) => (k === "tie" ? n + " tied" : k + " better on " + n));
  return c.a + " against " + c.b + ": " + parts.join(", ") + ".";
}

/** summary: the live region (the tally, or what went wrong); result: the table. */
export function setupCompare(form: HTMLFormElement, summary: HTMLElement, result: HTMLElement, levels: Levels): void {
  const list = levels.levels;
  const placeable = list.filter((l) => l.placeable);
  // Start with the last two placeable levels, whatever the policy calls them.
  const a = levelSelect("level-a", list, (placeable[placeable.length - 2] || list[0]).id);
  const b = levelSelect("level-b", list, (placeable[placeable.length - 1] || list[list.length - 1]).id);
  form.replaceChildren(
    h(
      "div",
      { class: "pair" },
      h("div", { class: "field" }, h("label", { for: a.id }, "First level"), a),
      h("div", { class: "field" }, h("label", { for: b.id }, "Second level"), b),
    ),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Compare")),
  );
  async function run(): Promise<void> {
    summary.textContent = "Comparing…";
    try {
      const c = await api<Comparison>("v1/compare?a=" + encodeURIComponent(a.value) + "&b=" + encodeURIComponent(b.value));
      result.replaceChildren(renderComparison(c, levels));
      summary.textContent = tallyText(c);
    } catch (err) {
      result.replaceChildren();
      summary.textContent = "The comparison failed: " + messageOf(err);
    }
  }
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    run();
  });
  run();
}
