// isoplace/client: a small typed client for the HTTP API, on fetch alone (Node, Workers, Deno,
// browsers). Each attempt has a deadline; a failure that says nothing about the request (the
// network, the deadline, 502/503/504) is retried after a jittered backoff and then, if one is
// given, answered by the fallback. Every operation is safe to repeat: the GETs read, and the
// POSTs (decide, decide/batch, rank) are pure functions of their body. A 4xx is the caller's
// request and is never retried: it is thrown as an IsoplaceProblem.
import type { Answer, BatchAnswer, Comparison, Decision, DecideRequest, FieldError, LevelRef, Levels, PolicyStatus, Problem, RankAnswer, RankRequest, Scenarios, Source } from "./types.ts";

export type * from "./types.ts";

/** Anything that answers a Request: globalThis.fetch, a Workers service binding, an app in-process. */
export interface Fetcher { fetch(request: Request): Response | Promise<Response> }

/** Why an attempt failed without an answer: no connection, no answer in time, or 502/503/504. */
export type FailureReason = "network" | "timeout" | "unavailable";

export interface RetryEvent { operation: string; attempt: number; reason: FailureReason; status?: number; delayMs: number }
export interface FallbackEvent { operation: string; attempts: number; reason: FailureReason; status?: number }

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

export type ClientOptions = CommonOptions & (
  | { baseUrl: string; fetcher?: Fetcher }
  /** A Workers service binding: the host of the URLs it is sent does not matter. */
  | { fetcher: Fetcher; baseUrl?: string }
);

export interface CallOptions { signal?: AbortSignal }

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

  constructor(operation: string, attempts: number, reason: FailureReason, status?: number, cause?: unknown) {
    super(`isoplace ${operation}: no answer after ${attempts} attempt${attempts > 1 ? "s" : ""} (${reason}${status ? ` ${status}` : ""})`, { cause });
    this.name = "IsoplaceUnavailable";
    this.operation = operation;
    this.attempts = attempts;
    this.reason = reason;
    this.status = status;
  }
}

const RETRY_STATUS = [502, 503, 504];

type Failed = { reason: FailureReason; status?: number; cause?: unknown };
class Deadline extends Error {}

export function createClient(options: ClientOptions) {
  const { timeoutMs = 100, retries = 1, backoffMs = 25, headers, fallback, onRetry, onFallback } = options;
  if (typeof fallback === "string") throw new TypeError(`fallback "${fallback}": import createClient from "isoplace/client/embedded" for the built-in policy`);
  const fetcher = options.fetcher ?? { fetch: (r: Request) => globalThis.fetch(r) };
  const base = (options.baseUrl ?? "http://isoplace").replace(/\/+$/, "");

  const request = (path: string, body: unknown, signal?: AbortSignal) => new Request(base + path, body === undefined
    ? { headers, signal }
    : { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify(body), signal });

  /** One attempt with its deadline: the answer, or why there was none. A problem is thrown. */
  async function attempt(path: string, body: unknown, signal?: AbortSignal): Promise<{ answer: object } | Failed> {
    const abort = new AbortController();
    const stop = () => abort.abort(signal!.reason);
    signal?.addEventListener("abort", stop);
    let timer: ReturnType<typeof setTimeout>;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => { reject(new Deadline()); abort.abort(); }, timeoutMs);
    });
    try {
      const res = await Promise.race([fetcher.fetch(request(path, body, abort.signal)), deadline]);
      if (RETRY_STATUS.includes(res.status)) {
        void res.body?.cancel().catch(() => {});
        return { reason: "unavailable", status: res.status };
      }
      return { answer: await Promise.race([read(res, "agent"), deadline]) };
    } catch (err) {
      if (err instanceof IsoplaceProblem || signal?.aborted) throw err instanceof IsoplaceProblem ? err : signal!.reason;
      return err instanceof Deadline ? { reason: "timeout" } : { reason: "network", cause: err };
    } finally {
      clearTimeout(timer!);
      signal?.removeEventListener("abort", stop);
    }
  }

  async function call<T>(operation: string, path: string, body?: unknown, { signal }: CallOptions = {}): Promise<Answer<T>> {
    let failed: Failed;
    for (let n = 1; ; n++) {
      const outcome = await attempt(path, body, signal);
      if ("answer" in outcome) return outcome.answer as Answer<T>;
      failed = outcome;
      if (n > retries) break;
      const delayMs = Math.random() * backoffMs * 2 ** (n - 1);
      onRetry?.({ operation, attempt: n, reason: failed.reason, status: failed.status, delayMs });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      signal?.throwIfAborted();
    }
    if (!fallback) throw new IsoplaceUnavailable(operation, retries + 1, failed.reason, failed.status, failed.cause);
    onFallback?.({ operation, attempts: retries + 1, reason: failed.reason, status: failed.status });
    return read(await fallback.fetch(request(path, body, signal)), "fallback") as Promise<Answer<T>>;
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
  try { json = JSON.parse(text); } catch { /* not JSON: a problem below, or a bad answer */ }
  const object = typeof json === "object" && json !== null && !Array.isArray(json) ? json as Record<string, unknown> : undefined;
  if (res.ok && object) return Object.assign(object, { source });
  if (!res.ok && typeof object?.type === "string" && typeof object.status === "number") throw new IsoplaceProblem(object as Problem, source);
  throw new IsoplaceProblem({
    type: "about:blank", status: res.ok ? 502 : res.status, title: res.ok ? "Bad answer" : res.statusText || `HTTP ${res.status}`,
    detail: `the answer is not ${res.ok ? "a JSON object" : "a problem document"}: ${text.slice(0, 120)}`,
  }, source);
}
