// A refused request's errors shown beside the field each one names (errors[].path), and cleared.
import type { FieldError } from "../../../engine/errors.ts";
import { h, uniqueId } from "./dom.ts";

export function errorSlot(): HTMLParagraphElement {
  return h("p", { class: "field-error", id: uniqueId("err"), hidden: true });
}

export function clearErrors(form: HTMLFormElement): void {
  for (const slot of form.querySelectorAll<HTMLElement>(".field-error")) {
    slot.hidden = true;
    slot.replaceChildren();
  }
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  for (const el of form.querySelectorAll<HTMLElement>("[data-error-for]")) {
    const rest = (el.getAttribute("aria-describedby") || "")
      .split(" ")
      .filter((x) => x !== el.dataset.errorFor)
      .join(" ");
    if (rest) el.setAttribute("aria-describedby", rest);
    else el.removeAttribute("aria-describedby");
    el.removeAttribute("data-error-for");
  }
}

/** The element whose data-path is the longest prefix of the error's path ("node.runtimes[0]" → node.runtimes). */
function targetFor(form: HTMLFormElement, path: string): HTMLElement {
  let best = form.querySelector<HTMLElement>(".form-error")!,
    bestLength = -1;
  for (const el of form.querySelectorAll<HTMLElement>("[data-path]")) {
    const p = el.dataset.path!;
    const matches = p === "" || path === p || path.startsWith(p + ".") || path.startsWith(p + "[");
    if (matches && p.length > bestLength) {
      best = el;
      bestLength = p.length;
    }
  }
  return best;
}

export function showErrors(form: HTMLFormElement, errors: Pick<FieldError, "path" | "message">[]): void {
  for (const e of errors) {
    const target = targetFor(form, e.path || "");
    const slot = target.querySelector<HTMLElement>(":scope > .field-error")!;
    slot.hidden = false;
    slot.append(h("span", null, e.message));
    const control = target.matches("fieldset") ? target : target.querySelector<HTMLElement>("input, select");
    if (control && !control.dataset.errorFor) {
      if (control.matches("input, select")) control.setAttribute("aria-invalid", "true");
      control.setAttribute("aria-describedby", ((control.getAttribute("aria-describedby") || "") + " " + slot.id).trim());
      control.dataset.errorFor = slot.id;
    }
  }
}
