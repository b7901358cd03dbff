// Browser code: the levels (what each is), the core matrix and the technical matrix, from GET /v1/levels.
export const MATRIX_JS = String.raw`
function renderLevelList(data) {
  return h("dl", { class: "level-list" }, data.levels.map((l) =>
    h("div", { class: "level-item" },
      h("dt", null,
        h("span", { class: "level-id" }, l.id), " ", l.name, " ",
        h("span", { class: "zh", lang: "zh" }, l.zh),
        l.placeable ? null : h("span", { class: "tag" }, "not placeable")),
      h("dd", null, l.what, l.examples.length ? h("span", { class: "examples" }, "e.g. " + l.examples.join(", ")) : null))));
}

function renderCoreMatrix(data) {
  const head = h("tr", null, h("th", { scope: "col" }, "Metric"), data.levels.map(levelHeader));
  const rows = data.metrics.map((m) => h("tr", { "data-metric": m.id },
    h("th", { scope: "row" },
      h("span", { class: "metric-name" }, m.name), " ",
      h("span", { class: "zh", lang: "zh" }, m.zh),
      h("span", { class: "hint" }, m.unit + ", " + directionText(m))),
    data.levels.map((l) => h("td", null, figureNode(l.figures[m.id])))));
  return tableIn("Core matrix: each level's figures (N/A: the source gives none)", head, rows, "matrix");
}

function renderTechnicalMatrix(data) {
  const head = h("tr", null, h("th", { scope: "col" }, "Dimension"), data.levels.map(levelHeader));
  const rows = data.technical.map((t) => h("tr", { "data-dimension": t.id },
    h("th", { scope: "row" }, h("span", { class: "metric-name" }, t.name), " ", h("span", { class: "zh", lang: "zh" }, t.zh)),
    data.levels.map((l) => h("td", null, l.technical[t.id] || "—"))));
  return tableIn("Technical matrix: how each level is built", head, rows, "matrix");
}
`;
