// The decide section: the form sends POST /v1/decide; the answer is shown in full, and a problem's
// errors beside the fields they name.
import { api, ApiError, messageOf } from "./api.ts";
import type { Decision, Scenarios } from "./answers.ts";
import { buildDecideForm, readDecideForm } from "./decide-form.ts";
import { renderDecision } from "./decision.ts";
import { h } from "./dom.ts";
import { clearErrors, showErrors } from "./field-errors.ts";

/** summary: the live region (verdict and explanation, or what went wrong); result: the rest. */
export function setupDecide(form: HTMLFormElement, summary: HTMLElement, result: HTMLElement, sc: Scenarios): void {
  const say = (text: string, cls?: string) => summary.replaceChildren(h("p", { class: cls || null }, text));
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
      const d = await api<Decision>("v1/decide", {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(body),
      });
      const shown = renderDecision(d, body);
      summary.replaceChildren(...shown.summary);
      result.replaceChildren(shown.details);
    } catch (err) {
      result.replaceChildren();
      const errors = err instanceof ApiError ? err.problem?.errors : undefined;
      if (errors?.length) {
        showErrors(form, errors);
        say("The request was refused: " + errors.map((e) => (e.path ? e.path + ": " : "") + e.message).join("; "), "alert");
      } else {
        say("The decision failed: " + messageOf(err), "alert");
      }
    } finally {
      form.removeAttribute("aria-busy");
    }
  });
}
