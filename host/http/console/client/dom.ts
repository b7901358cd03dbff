// DOM building. Nothing is ever set through innerHTML: policy text reaches the page only as text nodes.
const SVG_NS = "http://www.w3.org/2000/svg";

type Leaf = Node | string | number | null | undefined | false;
export type Child = Leaf | readonly Child[];
export type Props = Record<string, string | number | boolean | null | undefined | ((ev: Event) => void)> | null;

function build<E extends Element>(el: E, props: Props, children: readonly Child[]): E {
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of (children as unknown[]).flat(Infinity) as Leaf[]) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props, ...children: Child[]): HTMLElementTagNameMap[K] {
  return build(document.createElement(tag), props, children);
}

export function svg<K extends keyof SVGElementTagNameMap>(tag: K, props: Props, ...children: Child[]): SVGElementTagNameMap[K] {
  return build(document.createElementNS(SVG_NS, tag), props, children);
}

export function srOnly(text: string): HTMLSpanElement {
  return h("span", { class: "sr-only" }, text);
}

let idCounter = 0;
export function uniqueId(prefix: string): string {
  idCounter += 1;
  return prefix + "-" + idCounter;
}

export function byId(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error("the page has no #" + id);
  return el;
}
