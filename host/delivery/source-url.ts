// --policy http(s)://…: a module polled over HTTP(S). Each poll sends If-None-Match with the ETag
// of what it last got, so an unchanged module costs the server a 304 and no body. The signed
// statement is fetched from URL + ".sig" (a DSSE envelope, as `isoplace policy sign` writes it)
// when the module changed, the query kept (pre-signed URLs). The schedule (interval, jitter,
// backoff) is the shared Poller's; sizes are capped by limits.ts. Redirects are followed here, not
// by fetch: at most 5, never from HTTPS to plain HTTP; credentials in the URL (user:password@)
// go as Basic to the URL's own origin only, never to a host it redirects to. Runtime-neutral:
// fetch only.
import { sha256Hex } from "../engine/digest.ts";
import { describeFetchError, readLimited } from "../net/response.ts";
import { basicHeader } from "../oci/auth.ts";
import { MAX_ENVELOPE_BYTES, MAX_MODULE_BYTES } from "./limits.ts";
import type { LoggerLike } from "./logger.ts";
import { Poller, type PollOptions } from "./poller.ts";
import type { OfferResult, PolicySink, PolicySource, SourceFactory } from "./source.ts";

export interface UrlSourceOptions extends PollOptions {
  url: string;
  maxBytes?: number;
  fetch?: typeof fetch;
  logger?: LoggerLike;
}

export type PollResult = { status: "not-modified" } | { status: "offered"; result: OfferResult } | { status: "error"; message: string };

class FetchError extends Error {}

const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** What logs, errors, GET /v1/policy and state.json show of a URL: never its query or credentials, which may carry a token. */
function shownUrl(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}${u.search ? "?…" : ""}`;
}

export class UrlSource implements PolicySource {
  readonly url: string;
  readonly key: string;
  /** Counters of finished polls, for the fleet simulation and for tests. */
  readonly stats = { polls: 0, notModified: 0, downloads: 0, errors: 0 };
  private readonly poller: Poller;
  private readonly sigUrl: string;
  private readonly shown: string;
  /** The URL's own origin, and the Basic credentials its user-info part carries (sent there only). */
  private readonly origin: string;
  private readonly authorization: string | undefined;
  private readonly o: UrlSourceOptions;
  private sink: PolicySink | undefined;
  private etag: string | undefined;
  private lastDigest: string | undefined;
  /** A module whose statement was refused (or is staged): its .sig is checked again (it may have been published late, or signed again). */
  private unsigned: { bytes: Uint8Array; sigEtag: string | undefined } | undefined;
  private last: PollResult = { status: "not-modified" };

  constructor(o: UrlSourceOptions) {
    this.o = o;
    const u = new URL(o.url);
    this.origin = u.origin;
    if (u.username || u.password) this.authorization = basicHeader(decodeURIComponent(u.username), decodeURIComponent(u.password));
    u.username = u.password = "";
    this.url = u.href;
    u.pathname += ".sig";
    this.sigUrl = u.href;
    this.shown = shownUrl(o.url);
    this.key = `url:${this.shown}`;
    this.poller = new Poller((signal) => this.pollOnce(signal), o);
  }

  get checks() {
    return this.poller.checks;
  }
  private get fetch(): typeof fetch {
    return this.o.fetch ?? globalThis.fetch;
  }
  private get maxBytes(): number {
    return this.o.maxBytes ?? MAX_MODULE_BYTES;
  }

  start(sink: PolicySink): void {
    this.sink = sink;
    this.etag ??= sink.tag(this.key);
    this.poller.start();
  }

  stop(): void {
    this.poller.stop();
  }

  /** The wait before the next poll (interval or backoff, plus jitter). */
  nextDelay(): number {
    return this.poller.nextDelay();
  }

  /** One poll now: fetch with If-None-Match, and on a new module fetch its statement and offer both. */
  async poll(sink?: PolicySink): Promise<PollResult> {
    if (sink) this.sink = sink;
    await this.poller.runOnce();
    return this.last;
  }

  private async pollOnce(signal: AbortSignal): Promise<boolean> {
    const sink = this.sink;
    if (!sink) {
      this.last = { status: "error", message: "not started" };
      return false;
    }
    try {
      this.last = await this.fetchAndOffer(sink, signal);
      return true;
    } catch (err) {
      this.stats.errors++;
      const message = err instanceof FetchError ? err.message : `GET ${this.shown}: ${describeFetchError(err)}`;
      sink.noteSourceError(this.key, message);
      this.o.logger?.warn({ url: this.shown, failures: this.poller.failureCount + 1, err: message }, "policy poll failed");
      this.last = { status: "error", message };
      return false;
    } finally {
      this.stats.polls++;
    }
  }

  private async fetchAndOffer(sink: PolicySink, signal: AbortSignal): Promise<PollResult> {
    const res = await this.get(this.url, this.etag, signal, this.shown);
    if (res.status === 304) {
      await res.body?.cancel();
      this.stats.notModified++;
      if (this.unsigned) return this.recheckSignature(sink, signal);
      sink.noteCheck(this.key);
      return { status: "not-modified" };
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new FetchError(`GET ${this.shown}: HTTP ${res.status}`);
    }
    const etag = res.headers.get("etag") ?? undefined;
    const bytes = await readLimited(res, this.maxBytes);
    this.stats.downloads++;
    if (!bytes) {
      this.etag = etag;
      return { status: "offered", result: sink.reject(this.key, "size", `${this.shown} is over the ${this.maxBytes}-byte limit`) };
    }
    const sig = await this.fetchEnvelope(signal, undefined);
    this.etag = etag;
    return this.offer(sink, bytes, sig.envelope, sig.etag, etag);
  }

  private async offer(
    sink: PolicySink,
    bytes: Uint8Array,
    envelope: string | null,
    sigEtag: string | undefined,
    etag: string | undefined,
  ): Promise<PollResult> {
    // without ETags every poll downloads; the digest still keeps an unchanged module from being checked again
    const digest = `${await sha256Hex(bytes)}:${envelope ?? ""}`;
    if (digest === this.lastDigest) {
      sink.noteCheck(this.key);
      return { status: "not-modified" };
    }
    this.lastDigest = digest;
    const result = await sink.offer({ bytes, envelope, source: this.key, ...(etag ? { tag: { key: this.key, value: etag } } : {}) });
    // a module published before its statement: the old .sig is refused (bad signature, or a statement for the old module);
    // and a staged one (held pending, or refused by its guard later): its statement may be signed again — another
    // plan, or a new serial to try it again — with the same bytes, which the module's ETag does not show
    const recheck =
      result.status === "pending" ||
      (result.status === "rejected" && (result.reason === "signature" || result.reason === "digest" || result.reason === "guard"));
    this.unsigned = recheck ? { bytes, sigEtag } : undefined;
    return { status: "offered", result };
  }

  /** GET, following redirects by hand (see the top): the final answer. */
  private async get(url: string, etag: string | undefined, signal: AbortSignal, shown: string): Promise<Response> {
    let at = new URL(url);
    for (let hop = 0; ; hop++) {
      const headers: Record<string, string> = etag ? { "if-none-match": etag } : {};
      if (this.authorization && at.origin === this.origin) headers.authorization = this.authorization;
      const res = await this.fetch(at.href, { headers, signal, redirect: "manual" });
      const location = res.headers.get("location");
      if (!REDIRECTS.has(res.status) || !location) return res;
      await res.body?.cancel();
      if (hop === MAX_REDIRECTS) throw new FetchError(`GET ${shown}: more than ${MAX_REDIRECTS} redirects`);
      const next = new URL(location, at);
      if (next.protocol !== "https:" && next.protocol !== "http:")
        throw new FetchError(`GET ${shown}: redirected to ${next.protocol} (only http and https are followed)`);
      if (at.protocol === "https:" && next.protocol === "http:")
        throw new FetchError(`GET ${shown}: redirected from HTTPS to plain HTTP (${next.origin}); not followed`);
      next.username = next.password = "";
      at = next;
    }
  }

  private async recheckSignature(sink: PolicySink, signal: AbortSignal): Promise<PollResult> {
    const pending = this.unsigned!;
    const sig = await this.fetchEnvelope(signal, pending.sigEtag);
    if (sig.notModified) {
      sink.noteCheck(this.key);
      return { status: "not-modified" };
    }
    return this.offer(sink, pending.bytes, sig.envelope, sig.etag, this.etag);
  }

  private async fetchEnvelope(signal: AbortSignal, etag: string | undefined): Promise<{ envelope: string | null; etag?: string; notModified?: boolean }> {
    const res = await this.get(this.sigUrl, etag, signal, `${this.shown}.sig`);
    if (res.status === 304) {
      await res.body?.cancel();
      return { envelope: null, notModified: true };
    }
    if (res.status === 404) {
      await res.body?.cancel();
      return { envelope: null, etag: res.headers.get("etag") ?? undefined };
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new FetchError(`GET ${this.shown}.sig: HTTP ${res.status}`);
    }
    const text = await readLimited(res, MAX_ENVELOPE_BYTES);
    if (!text) throw new FetchError(`GET ${this.shown}.sig: over the ${MAX_ENVELOPE_BYTES}-byte limit of a signature envelope`);
    return { envelope: new TextDecoder().decode(text).trim() || null, etag: res.headers.get("etag") ?? undefined };
  }
}

/** The source of an http(s):// reference, for a host to register (registerSource("https", urlSource)). */
export const urlSource: SourceFactory = (ref, ctx) => new UrlSource({ url: ref, ...ctx.poll, fetch: ctx.fetch, maxBytes: ctx.maxBytes, logger: ctx.logger });
