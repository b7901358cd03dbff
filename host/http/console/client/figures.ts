// How a figure is shown: as the source words it; stars get a spoken label, N/A says why.
import type { Figure } from "../../../engine/figures.ts";
import { h, srOnly } from "./dom.ts";

export function directionText(metric: { direction: "higher" | "lower" }): string {
  return metric.direction === "lower" ? "lower is better" : "higher is better";
}

function starsLabel(fig: Figure): string {
  return fig.min === fig.max ? fig.min + " stars" : fig.min + " to " + fig.max + " stars";
}

export function figureNode(fig: Figure | null | undefined): HTMLSpanElement {
  if (!fig) return h("span", { class: "na", title: "the source gives no figure" }, "N/A");
  if (fig.unit === "stars") return h("span", { class: "stars" }, h("span", { "aria-hidden": "true" }, fig.text), srOnly(starsLabel(fig)));
  return h("span", null, fig.text);
}
