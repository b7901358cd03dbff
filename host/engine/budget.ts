// The engine's side of the meter (meter.ts): module bytes are metered before they are compiled,
// and every call into an instance runs on a fresh budget. A call that spends it traps with the
// budget negative, which tells a runaway call from any other trap.
import { PolicyRejectedError } from "./errors.ts";
import { ARM_EXPORT, BUDGET_EXPORT, meter, MeterError } from "./meter.ts";

/**
 * Units (about one per instruction run; see meter.ts) one call into a module may spend while it
 * answers a request: far above what the default module needs for its largest decide, and small
 * enough that a runaway call ends in milliseconds (docs/SECURITY.md, "A bound on every call";
 * bench section "meter" records how soon it is stopped).
 */
export const CALL_BUDGET = 2_000_000;

/** The same for each call at activation, where the self-test runs every vector in one call. */
export const ACTIVATION_BUDGET = 12_000_000;

/**
 * Meters and compiles a module's bytes. Refused as "invalid" when the shipped bytes are not valid
 * Wasm (checked before anything is rewritten: meter.ts), "memory" when its memory is over the
 * meter's cap, "meter" when it is valid but cannot be bounded.
 */
export async function compileMetered(bytes: Uint8Array, budget = ACTIVATION_BUDGET): Promise<WebAssembly.Module> {
  let metered: Uint8Array;
  try {
    metered = meter(bytes, { initial: budget });
  } catch (err) {
    if (!(err instanceof MeterError)) throw err;
    if (err.kind === "invalid") throw new PolicyRejectedError("invalid", `not a valid WebAssembly module: ${(await platformMessage(bytes)) ?? err.message}`);
    if (err.kind === "memory") throw new PolicyRejectedError("memory", `${err.message}: memory is not metered, so it is capped`);
    throw new PolicyRejectedError("meter", `the module cannot be metered, so a call into it could not be bounded: ${err.message}`);
  }
  try {
    return await WebAssembly.compile(metered as BufferSource);
  } catch (err) {
    throw new PolicyRejectedError("meter", `the metered module does not compile: ${(err as Error).message}`);
  }
}

/** Why the platform refuses bytes it does not validate (its compiler names the place). */
async function platformMessage(bytes: Uint8Array): Promise<string | undefined> {
  try {
    await WebAssembly.compile(bytes as BufferSource);
    return undefined; // the platform takes it: the meter's own check refused it (an index it does not define)
  } catch (err) {
    return (err as Error).message;
  }
}

/** A metered instance's budget global; undefined for a module passed in compiled and not metered. */
export function budgetOf(exports: object): WebAssembly.Global | undefined {
  const g = (exports as Record<string, unknown>)[BUDGET_EXPORT];
  return g instanceof WebAssembly.Global ? g : undefined;
}

/** A metered instance's arm(units): sets its budget before a call (what the engine calls; undefined when not metered). */
export function armOf(exports: object): ((units: number) => void) | undefined {
  const f = (exports as Record<string, unknown>)[ARM_EXPORT];
  return typeof f === "function" ? (f as (units: number) => void) : undefined;
}

/** Whether a trap was the budget running out (the meter leaves it negative; an ordinary trap, ≥ 0). */
export function exhausted(budget: WebAssembly.Global | undefined): boolean {
  return budget !== undefined && budget.value < 0;
}

/** What a trap by exhaustion says (in the problem and the logs). */
export function exhaustedError(what: string, budget = CALL_BUDGET): Error {
  return new Error(`${what} did not return within its budget of ${grouped(budget)} units (about one per instruction) and was stopped`);
}

/** 1000000 → "1,000,000" (not toLocaleString: its first call loads locale data, tens of ms). */
const grouped = (n: number) => String(n).replace(/\B(?=(\d{3})+$)/g, ",");
