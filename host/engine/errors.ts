/** One bad field of a request: where it is, what is wrong, and for an unknown id the ids allowed. */
export interface FieldError {
  path: string;
  message: string;
  allowed?: string[];
}

/**
 * How many errors an answer lists for one request (a batch item, an admission review): the
 * rest are counted, not listed, so that an answer — and a log line — stays bounded whatever
 * the request (every bad id would otherwise cost its own error, with the ids allowed).
 */
export const MAX_LISTED_ERRORS = 10;
/** The longest message an error keeps (characters), and the most ids its `allowed` lists (each clipped). */
const MAX_ERROR_MESSAGE = 512;
const MAX_ALLOWED = 64,
  MAX_ID = 64,
  MAX_PATH = 128;

const cut = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

/** One error cut to its bounds: path, message and allowed ids. */
function boundedError(e: FieldError): FieldError {
  const out: FieldError = { path: cut(e.path, MAX_PATH), message: cut(e.message, MAX_ERROR_MESSAGE) };
  if (e.allowed) out.allowed = e.allowed.slice(0, MAX_ALLOWED).map((id) => cut(id, MAX_ID));
  return out;
}

/** The errors an answer lists (at most `max`, each bounded) and how many it leaves out. */
export function listedErrors(errors: readonly FieldError[], max = MAX_LISTED_ERRORS): { errors: FieldError[]; omitted: number } {
  return { errors: errors.slice(0, Math.max(0, max)).map(boundedError), omitted: Math.max(0, errors.length - Math.max(0, max)) };
}

/** An invalid request. Carries the same `errors` list the HTTP problem answer shows (there, at most MAX_LISTED_ERRORS). */
export class InvalidRequestError extends Error {
  readonly errors: FieldError[];
  constructor(errors: FieldError[]) {
    const { errors: shown, omitted } = listedErrors(errors);
    super(`invalid request: ${shown.map((e) => `${e.path || "(body)"}: ${e.message}`).join("; ")}${omitted ? `; and ${omitted} more` : ""}`);
    this.name = "InvalidRequestError";
    this.errors = errors;
  }
}

/** Why a policy module was refused. `reason` is a stable code, used as a metrics label. */
export type RejectReason =
  | "size"
  | "signature"
  | "invalid"
  | "compile"
  | "imports"
  | "meta"
  | "abi"
  | "self-test"
  | "catalogue"
  | "inflate"
  | "source"
  | "meter"
  | "memory"
  | "budget"
  // a signed statement's checks (host/delivery/statement.ts, pipeline.ts)
  | "statement"
  | "digest"
  | "expired"
  | "name"
  | "version"
  | "serial-lower"
  | "serial-reused"
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
