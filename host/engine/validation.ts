// zod and the request schemas built with it (request-schemas.ts), loaded when first needed: a
// valid request is read by the engine's own parser (fast-request.ts) without them, and loading
// them is a noticeable part of an agent's start (bench section "http" times the start to the
// first answer). createEngine loads them before it resolves, so
// the engine's synchronous API is complete when a library user gets it; a host that can wait
// instead (the Node agent) defers the load with deferValidation(), loads them a second after it
// listens, and runs an operation that needed them before then again once they are loaded
// (withValidation).
import type * as Schemas from "./request-schemas.ts";

export type Validation = typeof Schemas;

/** An operation needed the request schemas before they were loaded (only when the load is deferred). */
export class ValidationLoading extends Error {
  constructor() {
    super("the request schemas are still loading");
    this.name = "ValidationLoading";
  }
}

let loaded: Validation | undefined;
let loading: Promise<Validation> | undefined;
let deferred = false;

/** Loads zod and the request schemas (once). */
export const loadValidation = (): Promise<Validation> => (loading ??= import("./request-schemas.ts").then((m) => (loaded = m)));

/** The request schemas, when loaded; else their load starts and ValidationLoading is thrown. */
export function validation(): Validation {
  if (loaded) return loaded;
  void loadValidation();
  throw new ValidationLoading();
}

/** Whether the request schemas are loaded (asking does not start their load). */
export const validationLoaded = (): boolean => loaded !== undefined;

/** From now on createEngine does not wait for the request schemas (the host loads them and retries, withValidation). */
export function deferValidation(): void {
  deferred = true;
}

/** Whether createEngine waits for the request schemas. */
export const validationDeferred = (): boolean => deferred;

const again = <T>(err: unknown, operation: () => T): Promise<Awaited<T>> =>
  err instanceof ValidationLoading ? (loadValidation().then(operation) as Promise<Awaited<T>>) : Promise.reject(err);

/**
 * Runs `operation`; if it needed the request schemas before they were loaded (thrown, or its
 * promise rejected), loads them and runs it again. Synchronous when it can be: no promise for a
 * synchronous operation in the common case.
 */
export function withValidation<T>(operation: () => T): T | Promise<Awaited<T>> {
  try {
    const result = operation();
    return result instanceof Promise ? result.catch((err: unknown) => again(err, operation)) : result;
  } catch (err) {
    if (!(err instanceof ValidationLoading)) throw err;
    return again(err, operation);
  }
}
