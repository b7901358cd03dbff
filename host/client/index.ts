// isoplace/client: a small typed client for the HTTP API, on fetch alone (Node, Workers, Deno,
// browsers). Each attempt has a deadline; a failure that says nothing about the request (the
// network, the deadline, 502/503/504) is retried after a jittered backoff and then, if one is
// given, answered by the fallback. Every operation is safe to repeat: the GETs read, and the
// POSTs (decide, decide/batch, rank) are pure functions of their body. Any other answer (a 4xx,
// a 500) is about the request: it is thrown as an IsoplaceProblem, never retried nor sent to the
// fallback. The caller's signal ends a call at once, wherever it is.
import { settings } from "./options.ts";
import type {
  Answer,
  BatchAnswer,
  Comparison,
  Decision,
  DecideRequest,
  FieldError,
  LevelRef,
  Levels,
  PolicyStatus,
  Problem,
  RankAnswer,
  RankRequest,
  Scenarios,
  Source,
} from "./types.ts";

export type * from "./types.ts";

/** Anything that answers a Request: globalThis.fetch, a Workers service binding, an app in-process. */
export interface Fetcher {
  fetch(request: Request): Response | Promise<Response>;
}

/** Why an attempt failed without an answer: no connection, no answer in time, or 502/503/504. */
export type FailureReason = "network" | "timeout" | "unavailable";

export interface RetryEvent {
  operation: string;
  attempt: number;
  reason: FailureReason;
  status?: number;
  delayMs: number;
}
export interface FallbackEvent {
  operation: string;
  attempts: number;
  reason: FailureReason;
  status?: number;
}

interface CommonOptions {
  /** Per attempt, until the whole answer is read. Default 100. */
  timeoutMs?: number;
  /** Attempts after the first, for failures that say nothing about the request. Default 1. */
  retries?: number;
  /** The backoff before retry n is uniform in [0, backoffMs × 2^(n-1)). Default 25. */
  backoffMs?: number;
  /** Sent with every request (e.g. authorization for a proxy in front of the agent). */
  headers?: Record<string, string>;
  /** Answers when the agent cannot: see isoplace/client/embedded for the built-in policy. */
  fallback?: Fetcher;
  onRetry?: (event: RetryEvent) => void;
  /** Called each time the fallback answers instead of the agent (to count them). */
  onFallback?: (event: FallbackEvent) => void;
}

export type ClientOptions = CommonOptions &
  (
    | { baseUrl: string; fetcher?: Fetcher }
    /** A Workers service binding: the host of the URLs it is sent does not matter. */
    | { fetcher: Fetcher; baseUrl?: string }
  );

export interface CallOptions {
  signal?: AbortSignal;
}

/** An answer of the API that is a problem (4xx, 500), or a batch item's. */
export class IsoplaceProblem extends Error {
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string;
  /** Each bad field; empty when the problem names none. */
  readonly errors: FieldError[];
  /** Members beyond those (RFC 9457 extensions, e.g. a count of errors left out of a long list). */
  readonly extensions: Record<string, unknown>;
  /** Which answered: the agent or the fallback. */
  readonly source: Source;

  constructor(problem: Problem & Record<string, unknown>, source: Source = "agent") {
    const { type, title, status, detail, errors, ...extensions } = problem;
    super(`${status} ${title}: ${detail}`);
    this.name = "IsoplaceProblem";
    this.status = status;
    this.type = type;
    this.title = title;
    this.detail = detail;
    this.errors = errors ?? [];
    this.extensions = extensions;
    this.source = source;
  }
}

/** Neither the agent nor a fallback answered. */
export class IsoplaceUnavailable extends Error {
  readonly operation: string;
  readonly attempts: number;
  readonly reason: FailureReason;
  /** The last status, for "unavailable". */
  readonly status?: number;

  /** `cause` is the agent's last error, or the fallback's when the fallback failed too. */
  constructor(operation: string, attempts: number, reason: FailureReason, status?: number, cause?: unknown, fallbackFailed = false) {
    super(
      `isoplace ${operation}: no answer after ${attempts} attempt${attempts > 1 ? "s" : ""} (${reason}${status ? ` ${status}` : ""})${fallbackFailed ? ", nor from the fallback" : ""}`,
      { cause },
    );
    this.name = "IsoplaceUnavailable";
    this.operation = operation;
    this.attempts = attempts;
    this.reason = reason;
    this.status = status;
  }
}

const RETRY_STATUS = [502, 503, 504];

type Failed = { reason: FailureReason; status?: number; cause?: unknown };

/** `work`, unless the caller's signal aborts first: then the signal's reason, at once. */
function unlessAborted<T>(signal: AbortSignal | undefined, work: Promise<T>): Promise<T> {
  if (!signal) return work;
  let stop!: () => void;
  const aborted = new Promise<never>((_, reject) => {
    stop = () => reject(signal.reason);
  });
  if (signal.aborted) stop();
  else signal.addEventListener("abort", stop);
  return Promise.race([work, aborted]).finally(() => signal.removeEventListener("abort", stop));
}

export function createClient(options: ClientOptions) {
  const { base, fetcher, get, post, timeoutMs, retries, backoffMs, fallback, onRetry, onFallback } = settings(options);

  const request = (path: string, body: string | undefined, signal?: AbortSignal) =>
    new Request(base + path, body === undefined ? { headers: get, signal } : { method: "POST", headers: post, body, signal });

  /** One attempt with its deadline: the answer, or why there was none. A problem, or the caller's abort, is thrown. */
  async function attempt(path: string, body: string | undefined, signal?: AbortSignal): Promise<{ answer: object } | Failed> {
    // aborted at the deadline (no reason given) or with the caller's signal (its reason)
    const cut = new AbortController();
    const stopped = new Promise<never>((_, reject) => cut.signal.addEventListener("abort", () => reject(cut.signal.reason)));
    const timer = setTimeout(() => cut.abort(), timeoutMs);
    const callerAbort = () => cut.abort(signal!.reason);
    signal?.addEventListener("abort", callerAbort);
    const req = request(path, body, cut.signal);
    try {
      const res = await Promise.race([fetcher.fetch(req), stopped]);
      if (RETRY_STATUS.includes(res.status)) {
        void res.body?.cancel().catch(() => {});
        return { reason: "unavailable", status: res.status };
      }
      return { answer: await Promise.race([read(res, "agent"), stopped]) };
    } catch (err) {
      if (err instanceof IsoplaceProblem) throw err;
      signal?.throwIfAborted();
      return cut.signal.aborted ? { reason: "timeout" } : { reason: "network", cause: err };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", callerAbort);
    }
  }

  async function call<T>(operation: string, path: string, payload?: unknown, { signal }: CallOptions = {}): Promise<Answer<T>> {
    signal?.throwIfAborted();
    const body = payload === undefined ? undefined : JSON.stringify(payload);
    let failed: Failed;
    for (let n = 1; ; n++) {
      const outcome = await attempt(path, body, signal);
      if ("answer" in outcome) return outcome.answer as Answer<T>;
      failed = outcome;
      if (n > retries) break;
      const delayMs = Math.random() * backoffMs * 2 ** (n - 1);
      onRetry?.({ operation, attempt: n, reason: failed.reason, status: failed.status, delayMs });
      let timer: ReturnType<typeof setTimeout>;
      await unlessAborted(
        signal,
        new Promise((resolve) => {
          timer = setTimeout(resolve, delayMs);
        }),
      ).finally(() => clearTimeout(timer));
    }
    const attempts = retries + 1;
    if (!fallback) throw new IsoplaceUnavailable(operation, attempts, failed.reason, failed.status, failed.cause);
    signal?.throwIfAborted();
    onFallback?.({ operation, attempts, reason: failed.reason, status: failed.status });
    try {
      return (await unlessAborted(signal, (async () => read(await fallback.fetch(request(path, body, signal)), "fallback"))())) as Answer<T>;
    } catch (err) {
      signal?.throwIfAborted();
      if (err instanceof IsoplaceProblem) throw err;
      throw new IsoplaceUnavailable(operation, attempts, failed.reason, failed.status, err, true);
    }
  }

  return {
    decide: (request: DecideRequest, o?: CallOptions) => call<Decision>("decide", "/v1/decide", request, o),
    decideBatch: (items: DecideRequest[], o?: CallOptions) => call<BatchAnswer>("decideBatch", "/v1/decide/batch", { items }, o),
    rank: (request: RankRequest, o?: CallOptions) => call<RankAnswer>("rank", "/v1/rank", request, o),
    compare: (a: LevelRef, b: LevelRef, o?: CallOptions) =>
      call<Comparison>("compare", `/v1/compare?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`, undefined, o),
    levels: (o?: CallOptions) => call<Levels>("levels", "/v1/levels", undefined, o),
    scenarios: (o?: CallOptions) => call<Scenarios>("scenarios", "/v1/scenarios", undefined, o),
    policy: (o?: CallOptions) => call<PolicyStatus>("policy", "/v1/policy", undefined, o),
  };
}

export type IsoplaceClient = ReturnType<typeof createClient>;

/** A 2xx answer marked with its source; anything else thrown as the problem it is. */
async function read(res: Response, source: Source): Promise<object> {
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON: a problem below, or a bad answer */
  }
  const object = typeof json === "object" && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>) : undefined;
  if (res.ok && object) return Object.assign(object, { source });
  if (!res.ok && typeof object?.type === "string" && typeof object.status === "number") throw new IsoplaceProblem(object as Problem, source);
  throw new IsoplaceProblem(
    {
      type: "about:blank",
      status: res.ok ? 502 : res.status,
      title: res.ok ? "Bad answer" : res.statusText || `HTTP ${res.status}`,
      detail: `the answer is not ${res.ok ? "a JSON object" : "a problem document"}: ${text.slice(0, 120)}`,
    },
    source,
  );
}
