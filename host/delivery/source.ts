// Policy delivery has one shape: a PolicySource (a watched file, a polled URL, an OCI registry…)
// finds candidate modules and offers each to one PolicySink (the agent's PolicyManager), which
// checks and activates. A host registers the sources it offers by the scheme of their reference
// (host/node/sources.ts); no source module registers itself on import. Runtime-neutral (no Node
// imports): the file source lives in host/node/.
import type { LoggerLike } from "./logger.ts";
import type { PollOptions } from "./poller.ts";
import type { CheckCount } from "./poller.ts";
import type { StoredEntry } from "./state.ts";

/** What a source remembers a delivery by: its key ("file:…", "url:…", "oci:…") and an ETag or digest. */
interface SourceTag {
  key: string;
  value: string;
}

/** A candidate module as a source found it. */
export interface Delivery {
  bytes: Uint8Array;
  /** The signed statement: a DSSE envelope's JSON (or that JSON in base64); null when none came with the module. */
  envelope: string | null;
  /**
   * More signed statements found for the same module, where a source can find several (an OCI
   * registry's referrers: a second signer during a key rotation, a renewal, anyone's junk). Each
   * is checked as `envelope` is, and the valid one with the highest serial is taken.
   */
  alternatives?: readonly string[];
  /** Where it came from, e.g. "file:/etc/isoplace/policy.wasm", "url:https://…", "admin". */
  source: string;
  /** What the source remembers it by, persisted with the activation so a restart does not fetch it again. */
  tag?: SourceTag;
}

export type OfferResult =
  /** pending: verified, but held until its rollout step opens and its guard speaks; `policy` is the active one. */
  { status: "activated" | "unchanged" | "pending"; policy: StoredEntry } | { status: "rejected"; reason: string; message: string };

/** Where a source hands what it finds: the agent's PolicyManager (or, in the fleet simulation, a lighter stand-in). */
export interface PolicySink {
  /** Checks a delivery and activates it when it passes every check. Offers are handled one at a time. */
  offer(d: Delivery): Promise<OfferResult>;
  /** What the source `key` last delivered (persisted across restarts), so it is not fetched or offered again. */
  tag(key: string): string | undefined;
  /** The source looked and found nothing new. */
  noteCheck(key?: string): void;
  /** The source could not be read (unreachable, missing file): not a rejected module. */
  noteSourceError(key: string, message: string): void;
  /** The source refused a candidate before it could be offered (e.g. a download over the size limit). */
  reject(key: string, reason: string, message: string): OfferResult;
}

/** The statements a delivery brings: its envelope and the alternatives, or [null] for none. */
export function envelopesOf(d: Pick<Delivery, "envelope" | "alternatives">): (string | null)[] {
  const all = [d.envelope, ...(d.alternatives ?? [])].filter((e): e is string => e !== null);
  return all.length ? all : [null];
}

export interface PolicySource {
  /** The key it offers under: "file:/abs/path", "url:https://host/path", "oci:host/repo:tag". */
  readonly key: string;
  /**
   * The delivery to consider at start, read synchronously with startup (a local file); null when
   * the source has nothing to offer yet. Throws (a PolicyRejectedError "source" or "size") when the
   * reference cannot be read — the agent then warns once and shows it in GET /v1/policy.
   */
  initial?(): Promise<Delivery | null>;
  /** Begins watching or polling; every find goes to `sink`. */
  start(sink: PolicySink): void;
  stop(): void;
  /** Finished checks (polls, file reads), to wait on in tests and simulations. */
  readonly checks?: CheckCount;
}

export interface SourceContext {
  logger?: LoggerLike;
  /** Polling sources: interval, jitter, backoff, timeout. */
  poll?: PollOptions;
  /** The file source: debounce after a change event and the fallback poll period. */
  watch?: { debounceMs?: number; pollMs?: number };
  /** The fetch the network sources use (default: globalThis.fetch). */
  fetch?: typeof fetch;
  /** Size limit of a module (default MAX_MODULE_BYTES). */
  maxBytes?: number;
  /** Source-specific settings (e.g. registry credentials for oci://), by source. */
  options?: Record<string, unknown>;
}

export type SourceFactory = (ref: string, ctx: SourceContext) => PolicySource;

const factories = new Map<string, SourceFactory>();

/** Makes `scheme` (without ":", case-insensitive) deliverable: `--policy scheme://…`. */
export function registerSource(scheme: string, factory: SourceFactory): void {
  factories.set(scheme.toLowerCase(), factory);
}

/** The schemes registered so far, sorted. */
export function registeredSchemes(): string[] {
  return [...factories.keys()].sort();
}

/** The scheme of a reference: "https" for https://…, "file" for file://… and for a bare path. */
export function schemeOf(ref: string): string {
  const m = /^([a-z][a-z0-9+.-]*):\/\//i.exec(ref);
  return m ? m[1].toLowerCase() : "file";
}

/** The source for a --policy reference, by its scheme; an unknown scheme is an error naming the supported ones. */
export function sourceFor(ref: string, ctx: SourceContext = {}): PolicySource {
  const scheme = schemeOf(ref);
  const factory = factories.get(scheme);
  if (!factory) {
    throw new Error(
      `cannot deliver a policy from "${ref}": the scheme "${scheme}://" is not supported; supported: ${registeredSchemes()
        .map((s) => `${s}://`)
        .join(", ")} (a bare path is a file)`,
    );
  }
  return factory(ref, ctx);
}
