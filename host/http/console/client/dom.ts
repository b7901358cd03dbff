// Browser code (served as /console.js): DOM building, the API client and how a figure is shown.
// Kept as a string so the page is part of the app on every host (no file reads, no bundler);
// written without backticks or "${" so it fits in String.raw. Nothing is ever set through
// innerHTML: policy text reaches the page only as text nodes.
export const DOM_JS = String.raw`
const SVG_NS = "http://www.w3.org/2000/svg";

function build(el, props, children) {
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "text") el.textContent = String(value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}
function h(tag, props, ...children) { return build(document.createElement(tag), props, children); }
function svg(tag, props, ...children) { return build(document.createElementNS(SVG_NS, tag), props, children); }
function srOnly(text) { return h("span", { class: "sr-only" }, text); }

let idCounter = 0;
function uniqueId(prefix) { idCounter += 1; return prefix + "-" + idCounter; }

/** A non-2xx answer; problem is the RFC 9457 body when the server sent one. */
class ApiError extends Error {
  constructor(status, problem) {
    super(problem && problem.detail ? problem.detail : "the server answered HTTP " + status);
    this.status = status;
    this.problem = problem;
  }
}

// Relative URLs: the console works wherever the app is mounted.
async function api(path, init) {
  const res = await fetch(path, Object.assign({ headers: { accept: "application/json" } }, init));
  let body = null;
  try { body = await res.json(); } catch (_) { body = null; }
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}

function directionText(metric) { return metric.direction === "lower" ? "lower is better" : "higher is better"; }

function starsLabel(fig) { return fig.min === fig.max ? fig.min + " stars" : fig.min + " to " + fig.max + " stars"; }

/** A figure as the source words it; stars get a spoken label, N/A says why. */
function figureNode(fig) {
  if (!fig) return h("span", { class: "na", title: "the source gives no figure" }, "N/A");
  if (fig.unit === "stars") return h("span", { class: "stars" }, h("span", { "aria-hidden": "true" }, fig.text), srOnly(starsLabel(fig)));
  return h("span", null, fig.text);
}

/** A table in its own scrolling, keyboard-reachable region, named by its caption. */
function tableIn(captionText, head, body, className) {
  const captionId = uniqueId("caption");
  return h("div", { class: "table-wrap", role: "region", tabindex: "0", "aria-labelledby": captionId },
    h("table", { class: className || null },
      h("caption", { id: captionId }, captionText),
      h("thead", null, head),
      h("tbody", null, body)));
}

// Glyphs a system may have no font for: the fit marks (✅ ⚠️ ❌), stars (★), the check (✔) and
// Chinese text. The page draws the marks itself (inline SVG, labelled for screen readers) and
// puts Chinese text in .zh spans, shown only when the reader asks for them (#show-zh, CSS); the
// original characters stay in the DOM, not displayed, so the text of the page is the API's.
const GLYPH_RUN = /(✅+|⚠\uFE0F?|❌|★+|✔)|((?: ?\()?[\u2E80-\u9FFF\u3000-\u303F\uFF00-\uFFEF]+\)?)/gu;
const FIT_WORDS = { 1: "suitable", 2: "well suited", 3: "best suited" };
const SKIP_GLYPHS = "svg, .glyph, .zh, option, script, style, textarea, pre, code";

function drawn(kind) {
  const shape = {
    ok: [svg("rect", { x: 1, y: 1, width: 14, height: 14, rx: 3 }), svg("path", { d: "M4.5 8.5l2.5 2.5 4.5-5.5" })],
    no: [svg("rect", { x: 1, y: 1, width: 14, height: 14, rx: 3 }), svg("path", { d: "M5 5l6 6M11 5l-6 6" })],
    warn: [svg("path", { d: "M8 1.5l7 13H1z" }), svg("path", { d: "M8 6v4M8 12v.5" })],
    star: [svg("path", { d: "M8 1l2.1 4.6 5 .5-3.8 3.4 1.1 4.9L8 11.9l-4.4 2.5 1.1-4.9L.9 6.1l5-.5z" })],
    check: [svg("path", { d: "M3 8.5l3.5 3.5L13 4.5" })],
  }[kind];
  return svg("svg", { class: "mark mark-" + kind, viewBox: "0 0 16 16", "aria-hidden": "true", focusable: "false" }, shape);
}

function glyphNode(run) {
  const text = h("span", { class: "glyph-text" }, run);
  const c = run[0];
  const label = c === "★" ? run.length + (run.length === 1 ? " star" : " stars")
    : c === "✅" ? FIT_WORDS[run.length] || run.length + " ticks"
    : c === "⚠" ? "usable with caveats" : c === "❌" ? "not suitable" : "better";
  const kind = { "★": "star", "✅": "ok", "⚠": "warn", "❌": "no", "✔": "check" }[c];
  const marks = c === "★" || c === "✅" ? [...run].map(() => drawn(kind)) : [drawn(kind)];
  return h("span", { class: "glyph", role: "img", "aria-label": label }, text, marks);
}

/** Draws the marks and tags the Chinese runs in every text node under root. */
function decorateGlyphs(root) {
  const nodes = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!n.parentElement || n.parentElement.closest(SKIP_GLYPHS)) continue;
    GLYPH_RUN.lastIndex = 0;
    if (GLYPH_RUN.test(n.data)) nodes.push(n);
  }
  for (const n of nodes) {
    const parts = [];
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
function watchGlyphs(root) {
  decorateGlyphs(root);
  new MutationObserver((records) => {
    for (const r of records) for (const added of r.addedNodes) {
      if (added.nodeType === Node.TEXT_NODE) { if (added.parentElement) decorateGlyphs(added.parentElement); }
      else if (added.nodeType === Node.ELEMENT_NODE) decorateGlyphs(added);
    }
  }).observe(root, { childList: true, subtree: true });
}

function levelHeader(level) {
  return h("th", { scope: "col" },
    h("span", { class: "level-id" }, level.id), " ",
    h("span", { class: "level-name" }, level.name), " ",
    h("span", { class: "zh", lang: "zh" }, level.zh));
}
`;
