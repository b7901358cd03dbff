// --policy URL: a module polled over HTTP(S). Each poll sends If-None-Match with the ETag of what
// it last got, so an unchanged module costs the server a 304 and no body. The signature is
// fetched from URL + ".sig" (base64, as `isoplace policy sign` writes it) when the module
// changed. Polls come every interval plus a random jitter (0 … jitter × interval), so a fleet
// spreads out; errors back off exponentially (interval × 2^(failures−1), capped) until a poll works.
import type { Logger } from "pino";
import { sha256Hex } from "../engine/engine.ts";
import type { OfferResult, PolicyManager } from "./manager.ts";
import { MAX_MODULE_BYTES } from "./pipeline.ts";

/** Where a poller hands what it finds: the agent's PolicyManager (or, in the fleet simulation, a lighter stand-in). */
export type PolicySink = Pick<PolicyManager, "offer" | "tag" | "noteCheck" | "noteSourceError" | "reject">;

export interface UrlSourceOptions {
  url: string;
  manager: () => PolicySink | undefined;
  intervalMs?: number;
  /** Fraction of the interval added at random to each wait. */
  jitter?: number;
  maxBackoffMs?: number;
  timeoutMs?: number;
  maxBytes?: number;
  /** Delay of the first poll (default: a random part of the jitter window, so a fleet restart spreads). */
  firstDelayMs?: number;
  fetch?: typeof fetch;
  random?: () => number;
  logger?: Logger;
}

export type PollResult =
  | { status: "not-modified" }
  | { status: "offered"; result: OfferResult }
  | { status: "error"; message: string };

export const POLL_DEFAULTS = { intervalMs: 30_000, jitter: 0.2, maxBackoffMs: 300_000, timeoutMs: 10_000 };

class FetchError extends Error {}

export class UrlSource {
  readonly url: string;
  private readonly sigUrl: string;
  private readonly shown: string;
  readonly key: string;
  /** Counters (of completed polls), for the fleet simulation and for tests. */
  readonly stats = { polls: 0, notModified: 0, downloads: 0, errors: 0 };
  private readonly o: UrlSourceOptions;
  private etag: string | undefined;
  private lastDigest: string | undefined;
  /** A module whose signature was refused: its .sig is checked again (it may have been published late). */
  private unsigned: { bytes: Uint8Array; sigEtag: string | undefined } | undefined;
  private failures = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private abort: AbortController | undefined;
  private stopped = true;

  constructor(o: UrlSourceOptions) {
    this.o = o;
    this.url = o.url;
    const u = new URL(o.url);
    // The signature sits beside the module: path + ".sig", the query kept (pre-signed URLs).
    u.pathname += ".sig";
    this.sigUrl = u.href;
    // What logs, errors, GET /v1/policy and state.json show: never the query or credentials,
    // which may carry a token.
    const shown = new URL(o.url);
    this.shown = `${shown.origin}${shown.pathname}${shown.search ? "?…" : ""}`;
    this.key = `url:${this.shown}`;
  }

  private get interval(): number { return this.o.intervalMs ?? POLL_DEFAULTS.intervalMs; }
  private get fetch(): typeof fetch { return this.o.fetch ?? globalThis.fetch; }
  private get random(): number { return (this.o.random ?? Math.random)(); }

  start(): void {
    this.stopped = false;
    this.etag ??= this.o.manager()?.tag(this.key);
    const jitterMs = this.interval * (this.o.jitter ?? POLL_DEFAULTS.jitter);
    this.schedule(this.o.firstDelayMs ?? this.random * jitterMs);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.abort?.abort();
  }

  /** The wait before the next poll: the interval, or the backoff after failures, plus jitter. */
  nextDelay(): number {
    const base = this.failures === 0 ? this.interval : Math.min(this.o.maxBackoffMs ?? POLL_DEFAULTS.maxBackoffMs, this.interval * 2 ** (this.failures - 1));
    return base + this.random * base * (this.o.jitter ?? POLL_DEFAULTS.jitter);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(async () => {
      await this.poll();
      this.schedule(this.nextDelay());
    }, ms);
    this.timer.unref?.();
  }

  /** One poll: fetch with If-None-Match, and on a new module fetch its signature and offer both. */
  async poll(): Promise<PollResult> {
    try {
      return await this.pollOnce();
    } finally {
      this.stats.polls++;
    }
  }

  private async pollOnce(): Promise<PollResult> {
    const manager = this.o.manager();
    if (!manager) return { status: "error", message: "no policy manager" };
    this.abort = new AbortController();
    const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.o.timeoutMs ?? POLL_DEFAULTS.timeoutMs)]);
    try {
      const res = await this.fetch(this.url, { headers: this.etag ? { "if-none-match": this.etag } : {}, signal });
      if (res.status === 304) {
        await res.body?.cancel();
        this.failures = 0;
        this.stats.notModified++;
        if (this.unsigned) return await this.recheckSignature(manager, signal);
        manager.noteCheck();
        return { status: "not-modified" };
      }
      if (!res.ok) {
        await res.body?.cancel();
        throw new FetchError(`GET ${this.shown}: HTTP ${res.status}`);
      }
      const etag = res.headers.get("etag") ?? undefined;
      const bytes = await readLimited(res, this.o.maxBytes ?? MAX_MODULE_BYTES);
      this.stats.downloads++;
      this.failures = 0;
      if (!bytes) {
        this.etag = etag;
        return { status: "offered", result: manager.reject(this.key, "size", `${this.shown} is over the ${this.o.maxBytes ?? MAX_MODULE_BYTES}-byte limit`) };
      }
      const sig = await this.fetchSignature(signal, undefined);
      this.etag = etag;
      return await this.offer(manager, bytes, sig.signature, sig.etag, etag);
    } catch (err) {
      this.failures++;
      this.stats.errors++;
      const message = err instanceof FetchError ? err.message : `GET ${this.shown}: ${describe(err)}`;
      manager.noteSourceError(this.key, message);
      this.o.logger?.warn({ url: this.shown, failures: this.failures, err: message }, "policy poll failed");
      return { status: "error", message };
    }
  }

  private async offer(manager: PolicySink, bytes: Uint8Array, signature: string | null, sigEtag: string | undefined, etag: string | undefined): Promise<PollResult> {
    // without ETags every poll downloads; the digest still keeps an unchanged module from being checked again
    const digest = `${await sha256Hex(bytes)}:${signature ?? ""}`;
    if (digest === this.lastDigest) {
      manager.noteCheck();
      return { status: "not-modified" };
    }
    this.lastDigest = digest;
    const result = await manager.offer({ bytes, signature, source: this.key }, etag ? { key: this.key, value: etag } : undefined);
    this.unsigned = result.status === "rejected" && result.reason === "signature" ? { bytes, sigEtag } : undefined;
    return { status: "offered", result };
  }

  private async recheckSignature(manager: PolicySink, signal: AbortSignal): Promise<PollResult> {
    const pending = this.unsigned!;
    const sig = await this.fetchSignature(signal, pending.sigEtag);
    if (sig.notModified) {
      manager.noteCheck();
      return { status: "not-modified" };
    }
    return this.offer(manager, pending.bytes, sig.signature, sig.etag, this.etag);
  }

  private async fetchSignature(signal: AbortSignal, etag: string | undefined): Promise<{ signature: string | null; etag?: string; notModified?: boolean }> {
    const res = await this.fetch(this.sigUrl, { headers: etag ? { "if-none-match": etag } : {}, signal });
    if (res.status === 304) {
      await res.body?.cancel();
      return { signature: null, notModified: true };
    }
    if (res.status === 404) {
      await res.body?.cancel();
      return { signature: null, etag: res.headers.get("etag") ?? undefined };
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new FetchError(`GET ${this.shown}.sig: HTTP ${res.status}`);
    }
    const text = (await readLimited(res, 1024)) ?? new Uint8Array();
    return { signature: new TextDecoder().decode(text).trim() || null, etag: res.headers.get("etag") ?? undefined };
  }
}

/** fetch's own errors say "fetch failed"; the reason (ECONNREFUSED, a timeout…) is in its cause. */
function describe(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e?.name === "TimeoutError") return "timed out";
  const cause = e?.cause?.code ?? e?.cause?.message;
  return cause ? `${e.message} (${cause})` : String(e?.message ?? err);
}

/** The body, or null when it is over `max` bytes (stops reading there). */
async function readLimited(res: Response, max: number): Promise<Uint8Array | null> {
  const declared = Number(res.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > max) {
    await res.body?.cancel();
    return null;
  }
  if (!res.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > max) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
