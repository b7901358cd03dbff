// Browser code: the decision form, built from GET /v1/scenarios (scenarios, needs by group,
// runtimes), sending POST /v1/decide; the answer is shown in full, and a problem's errors are
// shown beside the field each one names (errors[].path).
export const DECIDE_JS = String.raw`
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

function errorSlot() { return h("p", { class: "field-error", id: uniqueId("err"), hidden: true }); }

function field(path, label, control, hint) {
  const hintNode = hint ? h("p", { class: "hint", id: uniqueId("hint") }, hint) : null;
  if (hintNode) control.setAttribute("aria-describedby", hintNode.id);
  return h("div", { class: "field", "data-path": path }, h("label", { for: control.id }, label), hintNode, control, errorSlot());
}

function needGroups(sc) {
  const groups = [];
  for (const n of sc.needs) {
    let g = groups.find((x) => x.id === n.group);
    if (!g) groups.push(g = { id: n.group, needs: [] });
    g.needs.push(n);
  }
  return groups;
}

/** A group of needs as checkboxes; the order they are ticked in is the order sent (the first counts most). */
function needFieldset(group, order) {
  const orderLine = h("p", { class: "order" });
  const names = new Map(group.needs.map((n) => [n.id, n.name]));
  const showOrder = () => {
    orderLine.textContent = order.length ? "Sent in this order: " + order.map((id, i) => (i + 1) + ". " + names.get(id)).join(", ") : "";
  };
  const onchange = (ev) => {
    const id = ev.target.value, at = order.indexOf(id);
    if (ev.target.checked && at < 0) order.push(id);
    if (!ev.target.checked && at >= 0) order.splice(at, 1);
    showOrder();
  };
  const boxes = group.needs.map((n) => {
    const id = uniqueId("need");
    return h("div", { class: "choice" },
      h("input", { type: "checkbox", id, name: group.id, value: n.id, onchange }),
      h("label", { for: id }, n.name, " ", h("span", { class: "zh", lang: "zh" }, n.zh),
        h("span", { class: "hint" }, "→ " + n.levels.join(" or ") + ": " + n.reason)));
  });
  const fieldset = h("fieldset", { class: "choices", "data-path": "workload." + group.id },
    h("legend", null, group.id.charAt(0).toUpperCase() + group.id.slice(1) + " needs"), boxes, orderLine, errorSlot());
  fieldset.addEventListener("reset-order", () => { order.length = 0; showOrder(); });
  return fieldset;
}

function runtimeFieldset(sc) {
  const hint = h("p", { class: "hint", id: uniqueId("hint") }, "None ticked: the agent's own node profile (planning mode, every runtime counted, when it has none).");
  return h("fieldset", { class: "choices", "data-path": "node.runtimes", "aria-describedby": hint.id },
    h("legend", null, "Node runtimes"), hint,
    sc.runtimes.map((r) => {
      const id = uniqueId("rt");
      return h("div", { class: "choice" },
        h("input", { type: "checkbox", id, name: "runtime", value: r.id }),
        h("label", { for: id }, r.name, r.name.toLowerCase() === r.id ? null : [" ", h("code", null, r.id)],
          h("span", { class: "hint" }, "→ " + r.levels.join(", ") + (r.runs ? "; runs " + r.runs.join(", ") : "") + (r.requires.length ? "; needs " + r.requires.join(" + ") : ""))));
    }), errorSlot());
}

function buildDecideForm(form, sc) {
  const scenario = h("select", { id: uniqueId("scenario"), name: "scenario" },
    h("option", { value: "" }, "— none —"),
    sc.scenarios.map((s) => h("option", { value: s.id }, s.name + (s.added ? " †" : ""))));
  const artifact = h("select", { id: uniqueId("artifact"), name: "artifact" },
    h("option", { value: "" }, "— any —"),
    ARTIFACTS.map((a) => h("option", { value: a.id }, a.label)));
  const orders = {};
  const groups = needGroups(sc).map((g) => needFieldset(g, orders[g.id] = []));
  const constraints = h("fieldset", { class: "constraints", "data-path": "workload.constraints" },
    h("legend", null, "Constraints"),
    h("p", { class: "hint" }, "Leave empty for none. A level is checked against its worst case (the upper end of its range)."),
    CONSTRAINTS.map((c) => field("workload.constraints." + c.key, c.label,
      h("input", { type: "number", id: uniqueId(c.key), name: c.key, inputmode: "decimal", min: c.min, max: c.max === undefined ? null : c.max, step: c.step }))),
    errorSlot());
  form.replaceChildren(
    field("workload.scenario", "Scenario", scenario, "The workload's scenario; the levels it marks not suitable are infeasible."),
    field("workload.artifact", "Artifact", artifact, "What the workload ships as: only runtimes that run it count (any: every runtime)."),
    ...groups, constraints, runtimeFieldset(sc),
    h("div", { class: "form-error", "data-path": "" }, errorSlot()),
    h("div", { class: "actions" },
      h("button", { type: "submit" }, "Decide"),
      h("button", { type: "reset", class: "secondary" }, "Clear")));
  form.addEventListener("reset", () => {
    clearErrors(form);
    groups.forEach((g) => g.dispatchEvent(new Event("reset-order")));
  });
  return orders;
}

/** The request body from the form, or the fields the browser already knows are not numbers. */
function readDecideForm(form, orders) {
  const workload = {}, problems = [];
  const scenario = form.elements.namedItem("scenario").value;
  if (scenario) workload.scenario = scenario;
  const artifact = form.elements.namedItem("artifact").value;
  if (artifact) workload.artifact = artifact;
  for (const [group, ids] of Object.entries(orders)) if (ids.length) workload[group] = ids.slice();
  const constraints = {};
  for (const c of CONSTRAINTS) {
    const input = form.elements.namedItem(c.key);
    if (input.validity.badInput) problems.push({ path: "workload.constraints." + c.key, message: c.key + " must be a number" });
    else if (input.value !== "") constraints[c.key] = Number(input.value);
  }
  if (Object.keys(constraints).length) workload.constraints = constraints;
  const runtimes = [...form.querySelectorAll("input[name=runtime]:checked")].map((i) => i.value);
  const body = {};
  if (Object.keys(workload).length) body.workload = workload;
  if (runtimes.length) body.node = { runtimes };
  return { body, problems };
}

function clearErrors(form) {
  for (const slot of form.querySelectorAll(".field-error")) { slot.hidden = true; slot.replaceChildren(); }
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  for (const el of form.querySelectorAll("[data-error-for]")) {
    const rest = el.getAttribute("aria-describedby").split(" ").filter((x) => x !== el.dataset.errorFor).join(" ");
    if (rest) el.setAttribute("aria-describedby", rest); else el.removeAttribute("aria-describedby");
    el.removeAttribute("data-error-for");
  }
}

/** The element whose data-path is the longest prefix of the error's path ("node.runtimes[0]" → node.runtimes). */
function targetFor(form, path) {
  let best = form.querySelector(".form-error"), bestLength = -1;
  for (const el of form.querySelectorAll("[data-path]")) {
    const p = el.dataset.path;
    const matches = p === "" || path === p || path.startsWith(p + ".") || path.startsWith(p + "[");
    if (matches && p.length > bestLength) { best = el; bestLength = p.length; }
  }
  return best;
}

function showErrors(form, errors) {
  for (const e of errors) {
    const target = targetFor(form, e.path || "");
    const slot = target.querySelector(":scope > .field-error");
    slot.hidden = false;
    slot.append(h("span", null, e.message));
    const control = target.matches("fieldset") ? target : target.querySelector("input, select");
    if (control && !control.dataset.errorFor) {
      if (control.matches("input, select")) control.setAttribute("aria-invalid", "true");
      control.setAttribute("aria-describedby", ((control.getAttribute("aria-describedby") || "") + " " + slot.id).trim());
      control.dataset.errorFor = slot.id;
    }
  }
}

function definition(term, ...value) { return h("div", null, h("dt", null, term), h("dd", null, value)); }

function runtimeClassText(name) { return name ? "RuntimeClass " + name : "no RuntimeClass (the node's default handler)"; }

function renderDecision(d, request) {
  const ranking = tableIn("Ranking: every candidate level, best first",
    h("tr", null, h("th", { scope: "col" }, "Level"), h("th", { scope: "col" }, "Reasons")),
    d.ranking.map((r, i) => h("tr", { class: r.feasible ? "feasible" : "infeasible", "data-level": r.level },
      h("th", { scope: "row" },
        h("span", { class: "rank" }, (i + 1) + ". "), r.level,
        h("span", { class: "verdict-line" }, r.feasible ? "feasible, score " + r.score.toFixed(2) : "infeasible"),
        h("span", { class: "runtime-line" }, r.runtime ? "on " + r.runtime + (r.runtimeClassName ? " (RuntimeClass " + r.runtimeClassName + ")" : "") : "no runtime")),
      h("td", null, r.reasons.length ? h("ul", { class: "reasons" }, r.reasons.map((x) => h("li", null, x))) : "—"))), "ranking");
  const fallback = d.fallback
    ? [h("strong", null, d.fallback.level + " " + d.fallback.levelName), " — ", d.fallback.stack || "no stack",
      h("span", { class: "hint" }, (d.fallback.runtime || "no runtime") + ", " + runtimeClassText(d.fallback.runtimeClassName))]
    : "none";
  return {
    summary: [
      h("p", { class: "verdict" + (d.level ? "" : " none") }, d.level ? [h("span", { class: "level-id big" }, d.level), " " + d.levelName] : "No feasible level"),
      h("p", { class: "explanation" }, d.explanation),
    ],
    details: h("div", { class: "decision" },
      h("dl", { class: "facts" },
        definition("Level", d.level ? d.level + " " + d.levelName : "none"),
        definition("Runtime", d.runtime || "—"),
        definition("RuntimeClass", d.runtimeClassName ? h("code", null, d.runtimeClassName) : d.runtime ? "none (the node's default handler)" : "—"),
        definition("Artifact", d.artifact || "any"),
        definition("Stack", d.stack || "—"),
        definition("Fallback", fallback),
        definition("Rule", d.rule),
        definition("Node", d.node.source + ": " + (d.node.runtimes.join(", ") || "no runtimes")),
        definition("Policy", d.policy.name + " " + d.policy.version),
        definition("Decision id", h("code", null, d.decisionId))),
      ranking,
      h("details", null, h("summary", null, "The request sent"), h("pre", null, "POST v1/decide\n" + JSON.stringify(request, null, 2)))),
  };
}

/** summary: the live region (verdict and explanation, or what went wrong); result: the rest. */
function setupDecide(form, summary, result, sc) {
  const say = (text, cls) => summary.replaceChildren(h("p", { class: cls || null }, text));
  const orders = buildDecideForm(form, sc);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const { body, problems } = readDecideForm(form, orders);
    if (problems.length) {
      say("Not sent: " + problems.map((p) => p.message).join("; "), "alert");
      result.replaceChildren();
      showErrors(form, problems);
      return;
    }
    say("Deciding…");
    form.setAttribute("aria-busy", "true");
    try {
      const d = await api("v1/decide", { method: "POST", headers: { "content-type": "application/json", accept: "application/json" }, body: JSON.stringify(body) });
      const shown = renderDecision(d, body);
      summary.replaceChildren(...shown.summary);
      result.replaceChildren(shown.details);
    } catch (err) {
      result.replaceChildren();
      const errors = err instanceof ApiError && err.problem && err.problem.errors;
      if (errors && errors.length) {
        showErrors(form, errors);
        say("The request was refused: " + errors.map((e) => (e.path ? e.path + ": " : "") + e.message).join("; "), "alert");
      } else {
        say("The decision failed: " + err.message, "alert");
      }
    } finally {
      form.removeAttribute("aria-busy");
    }
  });
}
`;
