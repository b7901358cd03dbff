// Glyphs a system may have no font for: the fit marks (✅ ⚠️ ❌), stars (★), the check (✔) and
// Chinese text. The page draws the marks itself (inline SVG, labelled for screen readers) and
// puts Chinese text in .zh spans, shown only when the reader asks for them (#show-zh, CSS); the
// original characters stay in the DOM, not displayed, so the text of the page is the API's.
import { h, svg } from "./dom.ts";

const GLYPH_RUN = /(✅+|⚠\uFE0F?|❌|★+|✔)|((?: ?\()?[\u2E80-\u9FFF\u3000-\u303F\uFF00-\uFFEF]+\)?)/gu;
const FIT_WORDS: Record<number, string> = { 1: "suitable", 2: "well suited", 3: "best suited" };
const SKIP_GLYPHS = "svg, .glyph, .zh, option, script, style, textarea, pre, code";

type Mark = "ok" | "no" | "warn" | "star" | "check";
const MARK_OF: Record<string, Mark> = { "★": "star", "✅": "ok", "⚠": "warn", "❌": "no", "✔": "check" };

function drawn(kind: Mark): SVGSVGElement {
  const shape = {
    ok: [svg("rect", { x: 1, y: 1, width: 14, height: 14, rx: 3 }), svg("path", { d: "M4.5 8.5l2.5 2.5 4.5-5.5" })],
    no: [svg("rect", { x: 1, y: 1, width: 14, height: 14, rx: 3 }), svg("path", { d: "M5 5l6 6M11 5l-6 6" })],
    warn: [svg("path", { d: "M8 1.5l7 13H1z" }), svg("path", { d: "M8 6v4M8 12v.5" })],
    star: [svg("path", { d: "M8 1l2.1 4.6 5 .5-3.8 3.4 1.1 4.9L8 11.9l-4.4 2.5 1.1-4.9L.9 6.1l5-.5z" })],
    check: [svg("path", { d: "M3 8.5l3.5 3.5L13 4.5" })],
  }[kind];
  return svg("svg", { class: "mark mark-" + kind, viewBox: "0 0 16 16", "aria-hidden": "true", focusable: "false" }, shape);
}

function glyphNode(run: string): HTMLSpanElement {
  const text = h("span", { class: "glyph-text" }, run);
  const c = run[0];
  const label =
    c === "★"
      ? run.length + (run.length === 1 ? " star" : " stars")
      : c === "✅"
        ? FIT_WORDS[run.length] || run.length + " ticks"
        : c === "⚠"
          ? "usable with caveats"
          : c === "❌"
            ? "not suitable"
            : "better";
  const kind = MARK_OF[c];
  const marks = c === "★" || c === "✅" ? [...run].map(() => drawn(kind)) : [drawn(kind)];
  return h("span", { class: "glyph", role: "img", "aria-label": label }, text, marks);
}

/** Draws the marks and tags the Chinese runs in every text node under root. */
function decorateGlyphs(root: Node): void {
  const nodes: Text[] = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode() as Text | null; n; n = walker.nextNode() as Text | null) {
    if (!n.parentElement || n.parentElement.closest(SKIP_GLYPHS)) continue;
    GLYPH_RUN.lastIndex = 0;
    if (GLYPH_RUN.test(n.data)) nodes.push(n);
  }
  for (const n of nodes) {
    const parts: (Node | string)[] = [];
    let at = 0;
    for (const m of n.data.matchAll(GLYPH_RUN)) {
      if (m.index > at) parts.push(n.data.slice(at, m.index));
      parts.push(m[1] ? glyphNode(m[1]) : h("span", { class: "zh", lang: "zh" }, m[2]));
      at = m.index + m[0].length;
    }
    if (at < n.data.length) parts.push(n.data.slice(at));
    n.replaceWith(...parts);
  }
}

/** Decorates what is on the page, and whatever is added to it later (a decision, a comparison). */
export function watchGlyphs(root: HTMLElement): void {
  decorateGlyphs(root);
  new MutationObserver((records) => {
    for (const r of records)
      for (const added of r.addedNodes) {
        if (added.nodeType === Node.TEXT_NODE) {
          if (added.parentElement) decorateGlyphs(added.parentElement);
        } else if (added.nodeType === Node.ELEMENT_NODE) decorateGlyphs(added);
      }
  }).observe(root, { childList: true, subtree: true });
}
