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

function levelHeader(level) {
  return h("th", { scope: "col" },
    h("span", { class: "level-id" }, level.id), " ",
    h("span", { class: "level-name" }, level.name), " ",
    h("span", { class: "zh", lang: "zh" }, level.zh));
}
`;
