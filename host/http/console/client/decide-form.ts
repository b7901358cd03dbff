// The decision form, built from GET /v1/scenarios (scenarios, needs by group, runtimes), and the
// request body read back from it.
import type { Scenarios } from "./answers.ts";
import { h, uniqueId } from "./dom.ts";
import { clearErrors, errorSlot } from "./field-errors.ts";

// The four constraints are fields of the API contract (docs/API.md), not policy data.
const CONSTRAINTS = [
  { key: "maxColdStartMs", label: "Max cold start (ms)", min: 0, step: "any" },
  { key: "maxMemoryMb", label: "Max memory overhead (MB)", min: 0, step: "any" },
  { key: "maxCpuOverheadPct", label: "Max CPU overhead (%)", min: 0, step: "any" },
  { key: "minIsolation", label: "Min isolation (stars, 1–5)", min: 1, max: 5, step: "any" },
];

// The artifact kinds of the API contract (API.md vocabulary), not policy data.
const ARTIFACTS = [
  { id: "container", label: "Container image (OCI)" },
  { id: "wasm", label: "Wasm module or component" },
  { id: "vm", label: "VM disk image" },
];

type Need = Scenarios["needs"][number];
/** need group → the need ids in the order they were ticked (the first counts most). */
export type NeedOrders = Record<string, string[]>;
export interface DecideBody {
  workload?: Record<string, unknown>;
  node?: { runtimes: string[] };
}

function field(path: string, label: string, control: HTMLInputElement | HTMLSelectElement, hint?: string): HTMLDivElement {
  const hintNode = hint ? h("p", { class: "hint", id: uniqueId("hint") }, hint) : null;
  if (hintNode) control.setAttribute("aria-describedby", hintNode.id);
  return h("div", { class: "field", "data-path": path }, h("label", { for: control.id }, label), hintNode, control, errorSlot());
}

function needGroups(sc: Scenarios): { id: string; needs: Need[] }[] {
  const groups: { id: string; needs: Need[] }[] = [];
  for (const n of sc.needs) {
    let g = groups.find((x) => x.id === n.group);
    if (!g) groups.push((g = { id: n.group, needs: [] }));
    g.needs.push(n);
  }
  return groups;
}

/** A group of needs as checkboxes; the order they are ticked in is the order sent (the first counts most). */
function needFieldset(group: { id: string; needs: Need[] }, order: string[]): HTMLFieldSetElement {
  const orderLine = h("p", { class: "order" });
  const names = new Map(group.needs.map((n) => [n.id, n.name]));
  const showOrder = () => {
    orderLine.textContent = order.length ? "Sent in this order: " + order.map((id, i) => i + 1 + ". " + names.get(id)).join(", ") : "";
  };
  const onchange = (ev: Event) => {
    const box = ev.target as HTMLInputElement;
    const id = box.value,
      at = order.indexOf(id);
    if (box.checked && at < 0) order.push(id);
    if (!box.checked && at >= 0) order.splice(at, 1);
    showOrder();
  };
  const boxes = group.needs.map((n) => {
    const id = uniqueId("need");
    return h(
      "div",
      { class: "choice" },
      h("input", { type: "checkbox", id, name: group.id, value: n.id, onchange }),
      h(
        "label",
        { for: id },
        n.name,
        " ",
        h("span", { class: "zh", lang: "zh" }, n.zh),
        h("span", { class: "hint" }, "→ " + n.levels.join(" or ") + ": " + n.reason),
      ),
    );
  });
  const fieldset = h(
    "fieldset",
    { class: "choices", "data-path": "workload." + group.id },
    h("legend", null, group.id.charAt(0).toUpperCase() + group.id.slice(1) + " needs"),
    boxes,
    orderLine,
    errorSlot(),
  );
  fieldset.addEventListener("reset-order", () => {
    order.length = 0;
    showOrder();
  });
  return fieldset;
}

function runtimeFieldset(sc: Scenarios): HTMLFieldSetElement {
  const hint = h(
    "p",
    { class: "hint", id: uniqueId("hint") },
    "None ticked: the agent's own node profile (planning mode, every runtime counted, when it has none).",
  );
  return h(
    "fieldset",
    { class: "choices", "data-path": "node.runtimes", "aria-describedby": hint.id },
    h("legend", null, "Node runtimes"),
    hint,
    sc.runtimes.map((r) => {
      const id = uniqueId("rt");
      return h(
        "div",
        { class: "choice" },
        h("input", { type: "checkbox", id, name: "runtime", value: r.id }),
        h(
          "label",
          { for: id },
          r.name,
          r.name.toLowerCase() === r.id ? null : [" ", h("code", null, r.id)],
          h(
            "span",
            { class: "hint" },
            "→ " + r.levels.join(", ") + (r.runs ? "; runs " + r.runs.join(", ") : "") + (r.requires.length ? "; needs " + r.requires.join(" + ") : ""),
          ),
        ),
      );
    }),
    errorSlot(),
  );
}

export function buildDecideForm(form: HTMLFormElement, sc: Scenarios): NeedOrders {
  const scenario = h(
    "select",
    { id: uniqueId("scenario"), name: "scenario" },
    h("option", { value: "" }, "— none —"),
    sc.scenarios.map((s) => h("option", { value: s.id }, s.name + (s.added ? " †" : ""))),
  );
  const artifact = h(
    "select",
    { id: uniqueId("artifact"), name: "artifact" },
    h("option", { value: "" }, "— any —"),
    ARTIFACTS.map((a) => h("option", { value: a.id }, a.label)),
  );
  const orders: NeedOrders = {};
  const groups = needGroups(sc).map((g) => needFieldset(g, (orders[g.id] = [])));
  const constraints = h(
    "fieldset",
    { class: "constraints", "data-path": "workload.constraints" },
    h("legend", null, "Constraints"),
    h("p", { class: "hint" }, "Leave empty for none. A level is checked against its worst case (the upper end of its range)."),
    CONSTRAINTS.map((c) =>
      field(
        "workload.constraints." + c.key,
        c.label,
        h("input", {
          type: "number",
          id: uniqueId(c.key),
          name: c.key,
          inputmode: "decimal",
          min: c.min,
          max: c.max === undefined ? null : c.max,
          step: c.step,
        }),
      ),
    ),
    errorSlot(),
  );
  form.replaceChildren(
    field("workload.scenario", "Scenario", scenario, "The workload's scenario; the levels it marks not suitable are infeasible."),
    field("workload.artifact", "Artifact", artifact, "What the workload ships as: only runtimes that run it count (any: every runtime)."),
    ...groups,
    constraints,
    runtimeFieldset(sc),
    h("div", { class: "form-error", "data-path": "" }, errorSlot()),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Decide"), h("button", { type: "reset", class: "secondary" }, "Clear")),
  );
  form.addEventListener("reset", () => {
    clearErrors(form);
    groups.forEach((g) => g.dispatchEvent(new Event("reset-order")));
  });
  return orders;
}

/** The request body from the form, or the fields the browser already knows are not numbers. */
export function readDecideForm(form: HTMLFormElement, orders: NeedOrders): { body: DecideBody; problems: { path: string; message: string }[] } {
  const workload: Record<string, unknown> = {},
    problems: { path: string; message: string }[] = [];
  const scenario = (form.elements.namedItem("scenario") as HTMLSelectElement).value;
  if (scenario) workload.scenario = scenario;
  const artifact = (form.elements.namedItem("artifact") as HTMLSelectElement).value;
  if (artifact) workload.artifact = artifact;
  for (const [group, ids] of Object.entries(orders)) if (ids.length) workload[group] = ids.slice();
  const constraints: Record<string, number> = {};
  for (const c of CONSTRAINTS) {
    const input = form.elements.namedItem(c.key) as HTMLInputElement;
    if (input.validity.badInput) problems.push({ path: "workload.constraints." + c.key, message: c.key + " must be a number" });
    else if (input.value !== "") constraints[c.key] = Number(input.value);
  }
  if (Object.keys(constraints).length) workload.constraints = constraints;
  const runtimes = [...form.querySelectorAll<HTMLInputElement>("input[name=runtime]:checked")].map((i) => i.value);
  const body: DecideBody = {};
  if (Object.keys(workload).length) body.workload = workload;
  if (runtimes.length) body.node = { runtimes };
  return { body, problems };
}
