// The pieces every table of the console shares.
import type { Level } from "./answers.ts";
import { type Child, h, uniqueId } from "./dom.ts";

/** A table in its own scrolling, keyboard-reachable region, named by its caption. */
export function tableIn(captionText: string, head: Child, body: Child, className?: string): HTMLDivElement {
  const captionId = uniqueId("caption");
  return h(
    "div",
    { class: "table-wrap", role: "region", tabindex: "0", "aria-labelledby": captionId },
    h("table", { class: className || null }, h("caption", { id: captionId }, captionText), h("thead", null, head), h("tbody", null, body)),
  );
}

export function levelHeader(level: Pick<Level, "id" | "name" | "zh">): HTMLTableCellElement {
  return h(
    "th",
    { scope: "col" },
    h("span", { class: "level-id" }, level.id),
    " ",
    h("span", { class: "level-name" }, level.name),
    " ",
    h("span", { class: "zh", lang: "zh" }, level.zh),
  );
}
