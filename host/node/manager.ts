// The one way a policy becomes active on an agent. Every source (the data directory at start,
// a watched file, a polled URL, PUT /v1/policy, rollback) hands its candidate to offer(); the
// candidate passes every check (pipeline.ts), is persisted, and only then is swapped in,
// atomically. Offers run one at a time. A rejected candidate changes nothing but lastError and
// the rejection counter.
import type { Logger } from "pino";
import type { Engine, NodeProfile } from "../engine/engine.ts";
import { PolicyRejectedError } from "../engine/errors.ts";
import type { PolicyStatusView } from "../http/types.ts";
import type { TrustedKey } from "../policy/signing.ts";
import { ActivePolicy } from "./active.ts";
import type { AgentMetrics } from "./metrics.ts";
import { checkCandidate, type Candidate } from "./pipeline.ts";
import { emptyState, type PolicyStore, type StoredEntry, type StoredState } from "./store.ts";

export const HISTORY_LIMIT = 5;

export interface ManagerOptions {
  trustedKeys: readonly TrustedKey[];
  /** The bytes of the default policy built into the package (trusted without a signature). */
  builtIn: () => Promise<Uint8Array>;
  /** The node's profile, or a function of the first engine (detection reads its catalogue). */
  node?: NodeProfile | ((engine: Engine) => NodeProfile | undefined);
  store?: PolicyStore;
  metrics?: AgentMetrics;
  logger?: Logger;
  maxBytes?: number;
  /** How many previous policies are kept for rollback. */
  historyLimit?: number;
}

/** What a source remembers a delivery by: its key ("file:…", "url:…") and an ETag or digest. */
export interface SourceTag { key: string; value: string }

export interface PolicyError { at: string; reason: string; message: string; source?: string }

export type OfferResult =
  | { status: "activated" | "unchanged"; policy: StoredEntry }
  | { status: "rejected"; reason: string; message: string };

export type RollbackResult = OfferResult | { status: "nothing-to-roll-back" };

interface Kept { entry: StoredEntry; bytes?: Uint8Array; signature?: string | null }

export class PolicyManager {
  readonly active: ActivePolicy;
  private kept: Kept[];
  private sources: StoredState["sources"];
  private lastCheckAt: string | null = null;
  private lastErr: PolicyError | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly o: ManagerOptions;

  private constructor(o: ManagerOptions, active: ActivePolicy, kept: Kept[], sources: StoredState["sources"], lastErr: PolicyError | null) {
    this.o = o;
    this.active = active;
    this.kept = kept;
    this.sources = sources;
    this.lastErr = lastErr;
  }

  /**
   * Chooses the policy to serve at start, in this order: the last one activated (from the data
   * directory, checked again), the `initial` candidate (--policy FILE), the built-in default.
   */
  static async start(o: ManagerOptions, initial?: () => Promise<{ candidate: Candidate; tag?: SourceTag } | null>): Promise<PolicyManager> {
    const log = o.logger;
    let lastErr: PolicyError | null = null;
    const reject = (err: unknown, source: string): void => {
      const { reason, message } = rejection(err);
      lastErr = { at: new Date().toISOString(), reason, message, source };
      o.metrics?.rejections.inc({ reason });
      log?.warn({ source, reason, err: message }, "policy rejected at start");
    };

    let state: StoredState = emptyState();
    if (o.store) {
      try {
        await o.store.init();
        state = await o.store.load();
      } catch (err) {
        lastErr = { at: new Date().toISOString(), reason: "store", message: `the data directory's state is unreadable, starting without it: ${(err as Error).message}` };
        log?.error({ dir: o.store.dir, err: (err as Error).message }, "policy store unreadable");
      }
    }

    const tryCandidate = async (c: Candidate): Promise<Engine | null> => {
      try {
        const checked = await checkCandidate(c, o);
        keyId = checked.keyId;
        return checked.engine;
      } catch (err) {
        reject(err, c.source);
        return null;
      }
    };

    let kept: Kept[] = state.kept.map((entry) => ({ entry }));
    let engine: Engine | null = null;
    let keyId: string | null = null;
    let chosen: Candidate | null = null;
    let chosenTag: SourceTag | undefined;
    if (kept.length) {
      const last = kept[0].entry;
      const c = await loadKept(o, kept[0]);
      engine = c ? await tryCandidate(c) : null;
      if (!c) reject(new PolicyRejectedError("source", `the module ${last.moduleSha256} is missing from the data directory`), last.source);
      if (engine) log?.info({ policy: engine.policy, source: last.source }, "serving the last activated policy from the data directory");
      else kept = kept.slice(1);
    }
    const restored = engine !== null;
    if (!engine && initial) {
      const i = await initial().catch((err: Error) => {
        reject(err instanceof PolicyRejectedError ? err : new PolicyRejectedError("source", err.message), "initial");
        return null;
      });
      if (i && (engine = await tryCandidate(i.candidate))) {
        chosen = i.candidate;
        chosenTag = i.tag;
      }
    }
    if (!engine) {
      chosen = { bytes: await o.builtIn(), signature: null, source: "built-in", builtIn: true };
      engine = (await checkCandidate(chosen, o)).engine;
      keyId = null;
    }

    const activatedAt = new Date().toISOString();
    if (chosen) {
      const entry = entryOf(engine, chosen.source, activatedAt, chosen.builtIn ?? false, keyId);
      kept = [{ entry, bytes: chosen.bytes, signature: chosen.signature }, ...kept.filter((k) => k.entry.moduleSha256 !== entry.moduleSha256)];
    } else {
      // described by the engine just checked: a built-in entry may come from a newer package
      const k = kept[0].entry;
      kept[0].entry = entryOf(engine, k.source, activatedAt, k.builtIn ?? false, k.keyId ?? null);
    }
    const active = new ActivePolicy(engine, kept[0].entry.source, typeof o.node === "function" ? o.node(engine) : o.node, activatedAt);
    const sources = restored ? state.sources : {};
    if (chosenTag) sources[chosenTag.key] = { tag: chosenTag.value, moduleSha256: kept[0].entry.moduleSha256 };
    const m = new PolicyManager(o, active, kept.slice(0, 1 + (o.historyLimit ?? HISTORY_LIMIT)), sources, lastErr);
    await m.persist(chosen ? kept[0] : undefined);
    return m;
  }

  /** Checks a candidate and, when it passes every check, activates it. `tag`: what the source remembers it by. */
  offer(c: Candidate, tag?: SourceTag): Promise<OfferResult> {
    return this.serial(async () => {
      this.lastCheckAt = new Date().toISOString();
      let engine: Engine, keyId: string | null;
      try {
        ({ engine, keyId } = await checkCandidate(c, this.o));
      } catch (err) {
        return this.rejected(err, c.source);
      }
      if (tag) this.sources[tag.key] = { tag: tag.value, moduleSha256: engine.policy.moduleSha256 ?? "" };
      if (engine.policy.moduleSha256 === this.kept[0].entry.moduleSha256) {
        if (tag) await this.persist();
        return { status: "unchanged", policy: this.kept[0].entry };
      }
      const entry = entryOf(engine, c.source, new Date().toISOString(), c.builtIn ?? false, keyId);
      const kept: Kept = { entry, bytes: c.bytes, signature: c.signature };
      this.kept = [kept, ...this.kept.filter((k) => k.entry.moduleSha256 !== entry.moduleSha256)].slice(0, 1 + (this.o.historyLimit ?? HISTORY_LIMIT));
      await this.persist(kept);
      this.swap(engine, entry);
      this.o.logger?.info({ policy: engine.policy, source: c.source, keyId }, "policy activated");
      return { status: "activated", policy: entry };
    });
  }

  /** Re-activates the previous policy (checked again: its key may no longer be trusted). */
  rollback(): Promise<RollbackResult> {
    return this.serial(async () => {
      if (this.kept.length < 2) return { status: "nothing-to-roll-back" as const };
      const prev = this.kept[1];
      const c = await loadKept(this.o, prev);
      if (!c) return this.rejected(new PolicyRejectedError("source", `the module ${prev.entry.moduleSha256} is missing from the data directory`), prev.entry.source);
      let engine: Engine;
      try {
        ({ engine } = await checkCandidate(c, this.o));
      } catch (err) {
        return this.rejected(err, `rollback to ${prev.entry.source}`);
      }
      const entry = entryOf(engine, prev.entry.source, new Date().toISOString(), prev.entry.builtIn ?? false, prev.entry.keyId ?? null);
      this.kept = [{ ...prev, entry }, ...this.kept.slice(2)];
      await this.persist();
      this.swap(engine, entry);
      this.o.logger?.info({ policy: engine.policy, source: entry.source }, "policy rolled back");
      return { status: "activated" as const, policy: entry };
    });
  }

  /**
   * What a source last delivered (its ETag or digest), so that after a restart it neither fetches
   * nor offers it again — and a rollback holds until the source has something new. Empty when the
   * data directory was not restored (say, its policy's key is no longer trusted): sources start afresh.
   */
  tag(key: string): string | undefined { return this.sources[key]?.tag; }

  /** A source refused a candidate before it could be offered (e.g. a download over the size limit). */
  reject(source: string, reason: string, message: string): OfferResult {
    return this.rejected(new PolicyRejectedError(reason as never, message), source);
  }

  /** A source looked for a new policy (whatever it found). */
  noteCheck(): void { this.lastCheckAt = new Date().toISOString(); }

  /** A source could not be read (unreachable URL, unreadable file): not a rejected module. */
  noteSourceError(source: string, message: string): void {
    this.lastCheckAt = new Date().toISOString();
    this.lastErr = { at: this.lastCheckAt, reason: "source", message, source };
  }

  /** A verified policy is active: the built-in default or one that passed every check. */
  get ready(): boolean { return this.kept.length > 0; }

  get lastError(): PolicyError | null { return this.lastErr; }

  status(): PolicyStatusView {
    const view = (e: StoredEntry) => ({
      name: e.name, version: e.version, sha256: e.sha256, abi: e.abi, moduleSha256: e.moduleSha256,
      activatedAt: e.activatedAt, source: e.source, ...(e.keyId ? { keyId: e.keyId } : {}),
    });
    return { active: view(this.kept[0].entry), history: this.kept.slice(1).map((k) => view(k.entry)), lastCheck: this.lastCheckAt, lastError: this.lastErr };
  }

  /** Waits for the offers queued so far. */
  async idle(): Promise<void> { await this.queue; }

  private swap(engine: Engine, entry: StoredEntry): void {
    this.active.activate(engine, entry.source, entry.activatedAt);
  }

  private rejected(err: unknown, source: string): OfferResult {
    const { reason, message } = rejection(err);
    this.lastErr = { at: new Date().toISOString(), reason, message, source };
    this.o.metrics?.rejections.inc({ reason });
    this.o.logger?.warn({ source, reason, err: message }, "policy rejected");
    return { status: "rejected", reason, message };
  }

  private async persist(added?: Kept): Promise<void> {
    const store = this.o.store;
    if (!store) return;
    const state: StoredState = { format: 1, kept: this.kept.map((k) => k.entry), sources: this.sources };
    const a = added && !added.entry.builtIn && added.bytes ? { sha: added.entry.moduleSha256, bytes: added.bytes, signature: added.signature ?? null } : undefined;
    try {
      await store.save(state, a);
    } catch (err) {
      // The policy passed every check; a full or read-only disk must not keep it from serving.
      this.lastErr = { at: new Date().toISOString(), reason: "persist", message: `could not write the data directory: ${(err as Error).message}` };
      this.o.logger?.error({ dir: store.dir, err: (err as Error).message }, "policy not persisted");
    }
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function rejection(err: unknown): { reason: string; message: string } {
  if (err instanceof PolicyRejectedError) return { reason: err.reason, message: err.message };
  return { reason: "internal", message: err instanceof Error ? err.message : String(err) };
}

function entryOf(engine: Engine, source: string, activatedAt: string, builtIn: boolean, keyId: string | null): StoredEntry {
  const p = engine.policy;
  return {
    moduleSha256: p.moduleSha256 ?? "", name: p.name, version: p.version, sha256: p.sha256, abi: p.abi, source, activatedAt,
    ...(builtIn ? { builtIn: true } : {}), ...(keyId ? { keyId } : {}),
  };
}

/** A kept policy as a candidate again: the built-in from the package, others from memory or the data directory. */
async function loadKept(o: ManagerOptions, k: Kept): Promise<Candidate | null> {
  if (k.entry.builtIn) return { bytes: await o.builtIn(), signature: null, source: k.entry.source, builtIn: true };
  if (k.bytes) return { bytes: k.bytes, signature: k.signature ?? null, source: k.entry.source };
  const m = await o.store?.readModule(k.entry.moduleSha256);
  if (!m) return null;
  k.bytes = m.bytes;
  k.signature = m.signature;
  return { bytes: m.bytes, signature: m.signature, source: k.entry.source };
}
