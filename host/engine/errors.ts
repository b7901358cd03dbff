/** One bad field of a request: where it is, what is wrong, and for an unknown id the ids allowed. */
export interface FieldError { path: string; message: string; allowed?: string[] }

/** An invalid request. Carries the same `errors` list the HTTP problem answer shows. */
export class InvalidRequestError extends Error {
  readonly errors: FieldError[];
  constructor(errors: FieldError[]) {
    super(`invalid request: ${errors.map((e) => `${e.path || "(body)"}: ${e.message}`).join("; ")}`);
    this.name = "InvalidRequestError";
    this.errors = errors;
  }
}

/** Why a policy module was refused. `reason` is a stable code, used as a metrics label. */
export type RejectReason =
  | "size" | "signature" | "compile" | "imports" | "meta" | "abi" | "self-test" | "catalogue" | "source" | "meter" | "budget"
  // a signed statement's checks (host/delivery/statement.ts, pipeline.ts)
  | "statement" | "digest" | "expired" | "name" | "version" | "serial-lower" | "serial-reused"
  // a staged rollout's guard refused the candidate (host/delivery/rollout.ts)
  | "guard";

export class PolicyRejectedError extends Error {
  readonly reason: RejectReason;
  constructor(reason: RejectReason, message: string) {
    super(message);
    this.name = "PolicyRejectedError";
    this.reason = reason;
  }
}

/** The module trapped while answering; the engine has already re-created its instance. */
export class PolicyTrapError extends Error {
  constructor(cause: unknown) {
    super(`the policy module trapped: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = "PolicyTrapError";
  }
}
