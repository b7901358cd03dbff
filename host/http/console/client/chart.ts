// Grouped bars comparing the placeable levels on the metrics the user picks, drawn as inline SVG.
// Values are normalised as the engine's score does (assembly/rules.ts): a range counts by its
// midpoint (an open end by its known end), min–max over the placeable levels, direction-aware,
// so 1 is the best of them and 0 the worst.
import type { Figure } from "../../../engine/figures.ts";
import type { Level, Levels, Metric } from "./answers.ts";
import { h, svg, uniqueId } from "./dom.ts";
import { tableIn } from "./tables.ts";

/** metric id → level id → 0..1 (1 = best among the placeable levels) or null (no figure). */
type Normalised = Record<string, Record<string, number | null>>;

function midpoint(fig: Figure | null | undefined): number | null {
  if (!fig || fig.min === null) return null;
  return fig.max === null ? fig.min : (fig.min + fig.max) / 2;
}

function normalise(data: Levels): Normalised {
  const placeable = data.levels.filter((l) => l.placeable);
  const table: Normalised = {};
  for (const m of data.metrics) {
    const values = placeable.map((l) => midpoint(l.figures[m.id]));
    const known = values.filter((v) => v !== null);
    const lo = Math.min(...known),
      hi = Math.max(...known);
    table[m.id] = {};
    placeable.forEach((l, i) => {
      const v = values[i];
      table[m.id][l.id] = v === null ? null : hi > lo ? (m.direction === "higher" ? v - lo : hi - v) / (hi - lo) : 1;
    });
  }
  return table;
}

const CHART = { label: 40, value: 46, title: 22, bar: 16, gap: 4, group: 14, font: 13 };

function chartSvg(data: Levels, norm: Normalised, metrics: Metric[], levels: Level[], width: number): SVGSVGElement {
  const colour = (l: Level) => "c" + (data.levels.filter((x) => x.placeable).indexOf(l) % 6);
  const barMax = width - CHART.label - CHART.value;
  const height = metrics.length * (CHART.title + levels.length * (CHART.bar + CHART.gap) + CHART.group);
  const titleId = uniqueId("chart-title"),
    descId = uniqueId("chart-desc");
  const parts: SVGElement[] = [];
  let y = 0;
  for (const m of metrics) {
    parts.push(svg("text", { x: 0, y: y + CHART.font + 2, class: "chart-metric" }, m.name + (m.direction === "lower" ? " (lower figure is better)" : "")));
    y += CHART.title;
    for (const l of levels) {
      const v = norm[m.id][l.id];
      const fig = l.figures[m.id];
      const cy = y + CHART.bar / 2;
      parts.push(svg("text", { x: 0, y: cy + 4, class: "chart-level" }, l.id));
      if (v === null) {
        parts.push(svg("text", { x: CHART.label, y: cy + 4, class: "chart-na" }, "N/A"));
      } else {
        parts.push(
          svg(
            "rect",
            {
              x: CHART.label,
              y,
              height: CHART.bar,
              width: Math.max(2, v * barMax).toFixed(1),
              class: "bar " + colour(l),
              "data-metric": m.id,
              "data-level": l.id,
              "data-value": v.toFixed(4),
            },
            svg("title", null, l.id + ", " + m.name + ": " + v.toFixed(2) + " (figure " + fig!.text + ")"),
          ),
        );
        parts.push(svg("text", { x: width - 2, y: cy + 4, class: "chart-value", "text-anchor": "end" }, v.toFixed(2)));
      }
      y += CHART.bar + CHART.gap;
    }
    y += CHART.group;
  }
  return svg(
    "svg",
    {
      width,
      height,
      viewBox: "0 0 " + width + " " + height,
      role: "img",
      "aria-labelledby": titleId,
      "aria-describedby": descId,
      class: "chart",
    },
    svg("title", { id: titleId }, "Levels compared on " + metrics.map((m) => m.name).join(", ")),
    svg("desc", { id: descId }, "Normalised 0 to 1, higher is better; the same values are in the table below the chart."),
    parts,
  );
}

function chartTable(norm: Normalised, metrics: Metric[], levels: Level[]): HTMLDivElement {
  const head = h(
    "tr",
    null,
    h("th", { scope: "col" }, "Metric"),
    levels.map((l) => h("th", { scope: "col" }, l.id)),
  );
  const rows = metrics.map((m) =>
    h(
      "tr",
      null,
      h("th", { scope: "row" }, m.name),
      levels.map((l) => h("td", null, norm[m.id][l.id] === null ? "N/A" : norm[m.id][l.id]!.toFixed(2))),
    ),
  );
  return tableIn("Normalised values (1 = best among the placeable levels)", head, rows, "compact");
}

interface Pick {
  id: string;
  label: string;
}

function checkboxGroup<T extends Pick>(legend: string, items: T[], checked: (item: T) => boolean, onChange: () => void): HTMLFieldSetElement {
  return h(
    "fieldset",
    { class: "choices narrow" },
    h("legend", null, legend),
    items.map((item) => {
      const id = uniqueId("pick");
      return h(
        "div",
        { class: "choice" },
        h("input", { type: "checkbox", id, value: item.id, checked: checked(item), onchange: onChange }),
        h("label", { for: id }, item.label),
      );
    }),
  );
}

export function setupChart(data: Levels, controls: HTMLElement, legend: HTMLElement, figure: HTMLElement): void {
  const placeable = data.levels.filter((l) => l.placeable);
  const norm = normalise(data);
  // The first half of the metrics to start with: a chart of all twelve is long on a phone.
  const initial = new Set(data.metrics.slice(0, Math.ceil(data.metrics.length / 2)).map((m) => m.id));
  const lowerNames = data.metrics.filter((m) => m.direction === "lower").map((m) => m.name);
  let lastWidth = 0;

  const metricBoxes = checkboxGroup(
    "Metrics",
    data.metrics.map((m) => ({ id: m.id, label: m.name })),
    (m) => initial.has(m.id),
    draw,
  );
  const levelBoxes = checkboxGroup(
    "Levels",
    placeable.map((l) => ({ id: l.id, label: l.id + " " + l.name })),
    () => true,
    draw,
  );
  controls.replaceChildren(metricBoxes, levelBoxes);
  legend.replaceChildren(
    h(
      "p",
      null,
      "Each bar is a level's figure normalised to 0–1 among the placeable levels: ",
      h("strong", null, "higher = better"),
      " on every metric (for " + lowerNames.join(", ") + ", a lower figure gives a longer bar). A range counts by its midpoint, as in the decision score.",
    ),
    h(
      "ul",
      { class: "swatches" },
      placeable.map((l, i) => h("li", null, h("span", { class: "swatch c" + (i % 6), "aria-hidden": "true" }), l.id + " " + l.name)),
    ),
  );

  function picked<T extends { id: string }>(box: HTMLElement, list: T[]): T[] {
    const ids = new Set([...box.querySelectorAll<HTMLInputElement>("input:checked")].map((i) => i.value));
    return list.filter((x) => ids.has(x.id));
  }
  function draw(): void {
    const metrics = picked(metricBoxes, data.metrics),
      levels = picked(levelBoxes, placeable);
    lastWidth = figure.clientWidth;
    if (!metrics.length || !levels.length) {
      figure.replaceChildren(h("p", { class: "empty" }, "Pick at least one metric and one level to draw the chart."));
      return;
    }
    figure.replaceChildren(
      chartSvg(data, norm, metrics, levels, Math.max(260, lastWidth)),
      h("details", null, h("summary", null, "The chart's values as a table"), chartTable(norm, metrics, levels)),
    );
  }
  draw();
  new ResizeObserver(() => {
    if (figure.clientWidth !== lastWidth) draw();
  }).observe(figure);
}
