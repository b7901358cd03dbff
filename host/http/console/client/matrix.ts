// The levels (what each is), the core matrix, the runtimes' figures and the technical matrix, from GET /v1/levels.
import type { Levels } from "./answers.ts";
import { h } from "./dom.ts";
import { directionText, figureNode } from "./figures.ts";
import { levelHeader, tableIn } from "./tables.ts";

export function renderLevelList(data: Levels): HTMLDListElement {
  return h(
    "dl",
    { class: "level-list" },
    data.levels.map((l) =>
      h(
        "div",
        { class: "level-item" },
        h(
          "dt",
          null,
          h("span", { class: "level-id" }, l.id),
          " ",
          l.name,
          " ",
          h("span", { class: "zh", lang: "zh" }, l.zh),
          l.placeable ? null : h("span", { class: "tag" }, "not placeable"),
        ),
        h("dd", null, l.what, l.examples.length ? h("span", { class: "examples" }, "e.g. " + l.examples.join(", ")) : null),
      ),
    ),
  );
}

export function renderCoreMatrix(data: Levels): HTMLDivElement {
  const head = h("tr", null, h("th", { scope: "col" }, "Metric"), data.levels.map(levelHeader));
  const rows = data.metrics.map((m) =>
    h(
      "tr",
      { "data-metric": m.id },
      h(
        "th",
        { scope: "row" },
        h("span", { class: "metric-name" }, m.name),
        " ",
        h("span", { class: "zh", lang: "zh" }, m.zh),
        h("span", { class: "hint" }, m.unit + ", " + directionText(m)),
      ),
      data.levels.map((l) => h("td", null, figureNode(l.figures[m.id]))),
    ),
  );
  return tableIn("Core matrix: each level's figures (N/A: the source gives none)", head, rows, "matrix");
}

// Each level's runtimes beside the level's own figures: what they run, and their own cold start,
// memory and CPU where they differ (API.md rule 6); "as L4" where the level's figure holds.
const RUNTIME_METRICS = ["coldStart", "memory", "cpu"];

export function renderRuntimeFigures(data: Levels): HTMLDivElement {
  const metrics = RUNTIME_METRICS.map((id) => data.metrics.find((m) => m.id === id)).filter((m) => m !== undefined);
  const head = h(
    "tr",
    null,
    h("th", { scope: "col" }, "Runtime"),
    h("th", { scope: "col" }, "Runs"),
    metrics.map((m) => h("th", { scope: "col" }, m.name)),
    h("th", { scope: "col" }, "Source"),
  );
  const rows = data.levels.flatMap((l) =>
    (l.runtimes || []).map((r) =>
      h(
        "tr",
        { "data-level": l.id, "data-runtime": r.id },
        h(
          "th",
          { scope: "row" },
          h("span", { class: "level-id" }, l.id),
          " ",
          r.name,
          r.runtimeClassName ? h("span", { class: "hint" }, "RuntimeClass " + r.runtimeClassName) : null,
        ),
        h("td", null, r.runs.join(", ")),
        metrics.map((m) => {
          const own = r.figures[m.id];
          const levelFigure = l.figures[m.id];
          return h(
            "td",
            { class: own ? "own" : "level" },
            own ? figureNode(own) : h("span", { class: "hint" }, "as " + l.id + ": " + (levelFigure ? levelFigure.text : "N/A")),
          );
        }),
        h(
          "td",
          null,
          [
            ...new Set(
              Object.values(r.figures)
                .map((f) => f.source)
                .filter(Boolean),
            ),
          ].join("; ") || "—",
        ),
      ),
    ),
  );
  return tableIn("Runtime figures: each runtime's own figures beside its level's (as Ln: the level's figure holds)", head, rows, "matrix");
}

export function renderTechnicalMatrix(data: Levels): HTMLDivElement {
  const head = h("tr", null, h("th", { scope: "col" }, "Dimension"), data.levels.map(levelHeader));
  const rows = data.technical.map((t) =>
    h(
      "tr",
      { "data-dimension": t.id },
      h("th", { scope: "row" }, h("span", { class: "metric-name" }, t.name), " ", h("span", { class: "zh", lang: "zh" }, t.zh)),
      data.levels.map((l) => h("td", null, l.technical[t.id] || "—")),
    ),
  );
  return tableIn("Technical matrix: how each level is built", head, rows, "matrix");
}
