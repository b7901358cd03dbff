// --policy oci://HOST/REPO:TAG or oci://HOST/REPO@sha256:…: a policy in an OCI registry.
// A tag is polled on the shared Poller's schedule (interval, jitter, backoff) with a HEAD and
// If-None-Match (the registry's ETag is the manifest digest), so an unchanged tag costs one 304;
// when it names a new manifest, the manifest, its module and every isoplace signature of it (its
// referrers, the sha256-<hex>.sig tag, the referrers tag schema: host/oci/policy.ts) are fetched,
// each checked against its digest and size cap, and offered together: the agent verifies each
// statement and takes a valid one, so junk or another key's signature beside it hides nothing.
// A pinned digest is fetched once (retried with backoff until it is) and never polled again.
// Content that fails its digest or cap is refused with that reason; an unreachable registry or
// refused credentials are source errors; either way the active policy stays. Runtime-neutral.
import { credentialsFor, type DockerConfig } from "../oci/auth.ts";
import { OciError } from "../oci/errors.ts";
import { pullPolicy, pullSignatures, type Signatures } from "../oci/policy.ts";
import { formatReference, parseReference, pinned, type OciReference } from "../oci/reference.ts";
import { Repository } from "../oci/registry.ts";
import { MAX_MODULE_BYTES } from "./limits.ts";
import type { LoggerLike } from "./logger.ts";
import { Poller, type PollOptions } from "./poller.ts";
import type { PollResult } from "./source-url.ts";
import type { PolicySink, PolicySource, SourceFactory } from "./source.ts";

/** What `serve` passes for oci:// (SourceContext.options.oci). */
export interface OciSettings {
  /** Registry hosts reached over plain HTTP although not loopback (--insecure-registry). */
  insecure?: string[];
  /** Docker's config.json, parsed, and where it was read from (for messages). */
  dockerConfig?: DockerConfig;
  dockerConfigPath?: string;
}

export interface OciSourceOptions extends PollOptions, OciSettings {
  ref: string;
  maxBytes?: number;
  fetch?: typeof fetch;
  logger?: LoggerLike;
}

export class OciSource implements PolicySource {
  readonly key: string;
  readonly ref: OciReference;
  /** Counters of finished polls: HEADs answered 304, full downloads, failures. */
  readonly stats = { polls: 0, notModified: 0, downloads: 0, errors: 0 };
  private readonly repo: Repository;
  private readonly poller: Poller;
  private readonly o: OciSourceOptions;
  private readonly shown: string;
  private sink: PolicySink | undefined;
  /** The ETag of the manifest last handled (a tag), or the pinned digest once delivered. */
  private etag: string | undefined;
  /** A manifest refused for want of a valid statement: its signatures are listed again on later polls. */
  private pending: { digest: string; module: Uint8Array; found: string } | undefined;
  private last: PollResult = { status: "not-modified" };

  constructor(o: OciSourceOptions) {
    this.o = o;
    this.ref = parseReference(o.ref);
    this.shown = formatReference(this.ref);
    this.key = `oci:${this.shown.slice("oci://".length)}`;
    this.repo = new Repository(this.ref, {
      insecure: o.insecure,
      fetch: o.fetch,
      timeoutMs: o.timeoutMs,
      credentials: credentialsFor(o.dockerConfig, this.ref.registry),
      credentialsFrom: o.dockerConfigPath,
    });
    this.poller = new Poller((signal) => this.pollOnce(signal), o);
  }

  get checks() {
    return this.poller.checks;
  }

  /** What the last poll did. */
  get lastResult(): PollResult {
    return this.last;
  }

  start(sink: PolicySink): void {
    this.sink = sink;
    this.etag ??= sink.tag(this.key);
    // a pinned digest already delivered (persisted in the data directory) needs no registry at all
    if (this.ref.digest && this.etag === this.ref.digest) return;
    this.poller.start();
  }

  stop(): void {
    this.poller.stop();
  }

  private async pollOnce(signal: AbortSignal): Promise<boolean> {
    const sink = this.sink;
    if (!sink) {
      this.last = { status: "error", message: "not started" };
      return false;
    }
    this.repo.transport.pollSignal = signal;
    try {
      this.last = this.ref.digest ? await this.fetchPinned(sink) : await this.checkTag(sink);
      return true;
    } catch (err) {
      this.stats.errors++;
      const e = err instanceof OciError ? err : new OciError("network", `${this.shown}: ${(err as Error).message}`);
      if (e.kind === "digest" || e.kind === "size") {
        // the registry's content is not what its digest says (or too big): a refusal with that reason
        this.last = { status: "offered", result: sink.reject(this.key, e.kind, e.message) };
      } else {
        sink.noteSourceError(this.key, e.message);
        this.last = { status: "error", message: e.message };
      }
      this.o.logger?.warn({ ref: this.shown, failures: this.poller.failureCount + 1, err: e.message }, "policy poll failed");
      return false;
    } finally {
      this.stats.polls++;
    }
  }

  private async fetchPinned(sink: PolicySink): Promise<PollResult> {
    const result = await this.download(sink, this.ref.digest!, this.ref.digest!);
    // fetched once: a pinned reference has nothing new to poll for (a refused one stays refused)
    this.poller.stop();
    return result;
  }

  private async checkTag(sink: PolicySink): Promise<PollResult> {
    const head = await this.repo.headManifest(this.ref.tag!, this.etag);
    if (head.status === "not-modified") {
      this.stats.notModified++;
      if (this.pending) return this.recheckSignatures(sink);
      sink.noteCheck(this.key);
      return { status: "not-modified" };
    }
    return this.download(sink, head.digest, head.etag ?? `"${head.digest}"`);
  }

  private async download(sink: PolicySink, digest: string, etag: string): Promise<PollResult> {
    const pulled = await pullPolicy(pinned(this.ref, digest), { maxModuleBytes: this.o.maxBytes ?? MAX_MODULE_BYTES, config: false }, this.repo);
    this.stats.downloads++;
    this.etag = etag;
    return this.offer(sink, pulled.digest, pulled.module, { found: pulled.signatures, skipped: pulled.skipped });
  }

  private async offer(sink: PolicySink, digest: string, module: Uint8Array, sigs: Signatures): Promise<PollResult> {
    const [first, ...rest] = sigs.found.map((f) => f.envelope);
    const result =
      sigs.found.length === 0 && sigs.skipped.length > 0
        ? // what was there could not be read: that is the reason, not "unsigned"
          sink.reject(
            this.key,
            sigs.skipped.some((e) => e.kind === "digest") ? "digest" : "signature",
            `no readable signature: ${sigs.skipped.map((e) => e.message).join("; ")}`,
          )
        : await sink.offer({ bytes: module, envelope: first ?? null, alternatives: rest, source: this.key, tag: { key: this.key, value: this.etag! } });
    const recheck = result.status === "rejected" && RECHECKED.has(result.reason);
    this.pending = recheck ? { digest, module, found: foundKey(sigs) } : undefined;
    return { status: "offered", result };
  }

  /** The manifest was refused for want of a valid statement: has a signature been added (or removed) since? */
  private async recheckSignatures(sink: PolicySink): Promise<PollResult> {
    const pending = this.pending!;
    const sigs = await pullSignatures(this.repo, pending.digest, this.shown);
    if (foundKey(sigs) === pending.found) {
      sink.noteCheck(this.key);
      return { status: "not-modified" };
    }
    return this.offer(sink, pending.digest, pending.module, sigs);
  }
}

/**
 * The refusals a signature pushed later can cure (none valid, malformed, for other bytes, expired,
 * naming another policy or version): while a tag names a manifest refused so, each poll lists its
 * signatures again. Not a lower or reused serial — a tag moved back on purpose would cost every
 * agent those requests on every poll — nor anything about the module itself.
 */
const RECHECKED = new Set(["signature", "statement", "digest", "expired", "name", "version"]);

/** What was found, by signature manifest digest: the same set again needs no second offer. */
const foundKey = (sigs: Signatures) =>
  sigs.found
    .map((f) => f.digest)
    .sort()
    .join(" ");

/** The source of an oci:// reference, for a host to register (registerSource("oci", ociSource)). */
export const ociSource: SourceFactory = (ref, ctx) =>
  new OciSource({
    ref,
    ...ctx.poll,
    fetch: ctx.fetch,
    maxBytes: ctx.maxBytes,
    logger: ctx.logger,
    ...(ctx.options?.oci as OciSettings | undefined),
  });
