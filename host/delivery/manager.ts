// The one way a policy becomes active on an agent. Every source (the data directory at start,
// a watched file, a polled URL, an OCI registry, PUT /v1/policy, rollback) hands its candidate to
// offer(); the candidate passes every check (pipeline.ts), is persisted with the serial it
// carries, and only then is swapped in, atomically. Offers run one at a time. A rejected
// candidate changes nothing but lastError and the rejection counter. Runtime-neutral: the
// store, logger and metrics are interfaces (host/node supplies the data directory, pino and
// prom-client).
import type { Engine, NodeProfile } from "../engine/engine.ts";
import { PolicyRejectedError } from "../engine/errors.ts";
import type { PolicyStatusView } from "../http/types.ts";
import { ActivePolicy } from "./active.ts";
import type { LoggerLike } from "./logger.ts";
import { checkCandidate, type Candidate, type Checked } from "./pipeline.ts";
import type { TrustedKey } from "./signing.ts";
import type { Delivery, OfferResult, PolicySink, SourceTag } from "./source.ts";
import { emptyState, table, type PolicyStoreLike, type SerialMark, type StoredEntry, type StoredState } from "./state.ts";
import { canonicalEnvelope, LEGACY_NOTE, type Statement, type StatementFormat } from "./statement.ts";

export type { OfferResult, SourceTag };

export const HISTORY_LIMIT = 5;

export interface ManagerOptions {
  trustedKeys: readonly TrustedKey[];
  /** The bytes of the default policy built into the package (trusted without a signature). */
  builtIn: () => Promise<Uint8Array>;
  /** The node's profile, or a function of the first engine (detection reads its catalogue). */
  node?: NodeProfile | ((engine: Engine) => NodeProfile | undefined);
  store?: PolicyStoreLike;
  metrics?: ManagerMetrics;
  logger?: LoggerLike;
  /** The clock statements' expiry is checked against (tests move it). */
  now?: () => Date;
  maxBytes?: number;
  /** How many previous policies are kept for rollback. */
  historyLimit?: number;
}

/** The counters the manager bumps (prom-client's Counter satisfies them). */
export interface ManagerMetrics {
  rejections: { inc(labels: { reason: string }): void };
  /** A source could not be read (unreachable URL, missing file). */
  sourceErrors?: { inc(): void };
}

export interface PolicyError { at: string; reason: string; message: string; source?: string }

export type RollbackResult = OfferResult | { status: "nothing-to-roll-back" };

interface Kept { entry: StoredEntry; bytes?: Uint8Array; envelope?: string | null }

export class PolicyManager implements PolicySink {
  readonly active: ActivePolicy;
  private kept: Kept[];
  private sources: StoredState["sources"];
  private serials: StoredState["serials"];
  private sourceErrorShown = new Map<string, string>();
  private lastCheckAt: string | null = null;
  private lastErr: PolicyError | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly o: ManagerOptions;

  private constructor(o: ManagerOptions, active: ActivePolicy, kept: Kept[], state: StoredState, lastErr: PolicyError | null) {
    this.o = o;
    this.active = active;
    this.kept = kept;
    this.sources = state.sources;
    this.serials = state.serials;
    this.lastErr = lastErr;
  }

  /**
   * Chooses the policy to serve at start, in this order: the last one activated (from the data
   * directory, checked again), the source's initial delivery (--policy FILE), the policies kept
   * before the last one (newest first, each checked again), the built-in default. A source that
   * cannot be read is warned about, counted and shown in lastError.
   */
  static async start(o: ManagerOptions, source?: { key: string; initial?(): Promise<Delivery | null> }): Promise<PolicyManager> {
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

    const tryCandidate = async (c: Candidate, fresh: boolean): Promise<Engine | null> => {
      try {
        const checked = await checkCandidate(c, fresh ? { ...o, freshness: freshness(o, state.serials) } : o);
        keyId = checked.keyId;
        statement = checked.statement;
        format = checked.format;
        envelope = checked.envelope;
        return checked.engine;
      } catch (err) {
        reject(err, c.source);
        return null;
      }
    };

    let kept: Kept[] = state.kept.map((entry) => ({ entry }));
    let engine: Engine | null = null;
    let keyId: string | null = null;
    let statement: Statement | null = null;
    let format: StatementFormat | null = null;
    let envelope: string | null = null;
    let chosen: Candidate | null = null;
    // A kept policy was activated here before: its serial and expiry were checked then. Its
    // statement is verified again before any of its code runs (pipeline.ts), against the keys
    // trusted now; one refused (altered bytes: `digest`) is dropped from the list.
    const restore = async (what: string): Promise<Engine | null> => {
      const last = kept[0].entry;
      const c = await loadKept(o, kept[0]);
      const e = c ? await tryCandidate(c, false) : null;
      if (!c) reject(new PolicyRejectedError("source", `the module ${last.moduleSha256} is missing from the data directory`), last.source);
      if (e) log?.info({ policy: e.policy, source: last.source }, what);
      else kept = kept.slice(1);
      return e;
    };
    if (kept.length) engine = await restore("serving the last activated policy from the data directory");
    const restored = engine !== null;
    if (!engine && source?.initial) {
      const i = await source.initial().catch((err: Error) => {
        reject(err instanceof PolicyRejectedError ? err : new PolicyRejectedError("source", err.message), source.key);
        return null;
      });
      if (i && (engine = await tryCandidate(i, true))) chosen = i;
    }
    // the last one refused and no source to start from: the next good one kept, newest first
    while (!engine && kept.length) engine = await restore("serving an earlier policy from the data directory (the last activated one was refused)");
    if (!engine) {
      chosen = { bytes: await o.builtIn(), envelope: null, source: "built-in", builtIn: true };
      engine = (await checkCandidate(chosen, o)).engine;
      keyId = null;
      statement = null;
      format = null;
      envelope = null;
    }

    const activatedAt = new Date().toISOString();
    if (chosen) {
      const entry = entryOf(engine, chosen.source, activatedAt, chosen.builtIn ?? false, keyId, statement);
      kept = [{ entry, bytes: chosen.bytes, envelope: envelope && canonicalEnvelope(envelope) }, ...kept.filter((k) => k.entry.moduleSha256 !== entry.moduleSha256)];
    } else {
      // described by the engine just checked: a built-in entry may come from a newer package
      const k = kept[0].entry;
      kept[0].entry = { ...k, ...entryOf(engine, k.source, activatedAt, k.builtIn ?? false, keyId ?? k.keyId ?? null, statement) };
    }
    const active = new ActivePolicy(engine, kept[0].entry.source, typeof o.node === "function" ? o.node(engine) : o.node, activatedAt);
    // serials are never forgotten, even when the rest of the state is (say, its key is no longer trusted)
    const next: StoredState = { format: 1, kept: [], sources: restored ? state.sources : table(), serials: state.serials };
    if (chosen?.tag) next.sources[chosen.tag.key] = { tag: chosen.tag.value, moduleSha256: kept[0].entry.moduleSha256 };
    // only a delivery raises the mark; a restored policy was counted when it was activated
    if (statement && chosen) raiseSerial(next.serials, statement);
    const m = new PolicyManager(o, active, kept.slice(0, 1 + (o.historyLimit ?? HISTORY_LIMIT)), next, lastErr);
    await m.persist(chosen ? kept[0] : undefined);
    m.noteFormat(format, engine, kept[0].entry.source);
    return m;
  }

  /** Checks a delivery and, when it passes every check, activates it. Its tag is what the source remembers it by. */
  offer(c: Candidate): Promise<OfferResult> {
    return this.serial(async () => {
      this.lastCheckAt = new Date().toISOString();
      let checked: Checked;
      try {
        checked = await checkCandidate(c, { ...this.o, freshness: freshness(this.o, this.serials) });
      } catch (err) {
        return this.rejected(err, c.source);
      }
      const { engine, keyId, statement } = checked;
      if (c.tag) this.sources[c.tag.key] = { tag: c.tag.value, moduleSha256: checked.moduleSha256 };
      if (checked.moduleSha256 === this.kept[0].entry.moduleSha256) {
        const cur = this.kept[0];
        if (statement && !cur.entry.builtIn && statement.serial > (cur.entry.serial ?? 0)) {
          // the same module re-signed (a later serial, a new expiry): no swap, but the statement is
          // kept and the mark raised, so statements between the two serials are refused from now on
          raiseSerial(this.serials, statement);
          const { expires: _, ...entry } = cur.entry;
          cur.entry = { ...entry, ...(keyId ? { keyId } : {}), serial: statement.serial, issuedAt: statement.issuedAt, ...(statement.expires ? { expires: statement.expires } : {}) };
          cur.bytes = c.bytes;
          cur.envelope = checked.envelope && canonicalEnvelope(checked.envelope);
          await this.persist(cur);
          this.o.logger?.info({ policy: engine.policy, source: c.source, keyId, serial: statement.serial }, "policy statement renewed");
          this.noteFormat(checked.format, engine, c.source);
        } else if (c.tag) await this.persist();
        return { status: "unchanged", policy: this.kept[0].entry };
      }
      const entry = entryOf(engine, c.source, new Date().toISOString(), c.builtIn ?? false, keyId, statement);
      const kept: Kept = { entry, bytes: c.bytes, envelope: checked.envelope && canonicalEnvelope(checked.envelope) };
      this.kept = [kept, ...this.kept.filter((k) => k.entry.moduleSha256 !== entry.moduleSha256)].slice(0, 1 + (this.o.historyLimit ?? HISTORY_LIMIT));
      if (statement) raiseSerial(this.serials, statement);
      // persisted (serial included) before it serves: a crash after this point restores it
      await this.persist(kept);
      this.swap(engine, entry);
      this.o.logger?.info({ policy: engine.policy, source: c.source, keyId, serial: statement?.serial }, "policy activated");
      this.noteFormat(checked.format, engine, c.source);
      return { status: "activated", policy: entry };
    });
  }

  /**
   * Re-activates the previous policy (checked again: its key may no longer be trusted). The one
   * way back to a lower serial: the serial mark stays where it was, the statement rolled back from
   * is marked so that re-delivering it does not undo the rollback, and the entry says "rollback".
   */
  rollback(): Promise<RollbackResult> {
    return this.serial(async () => {
      if (this.kept.length < 2) return { status: "nothing-to-roll-back" as const };
      const prev = this.kept[1];
      const c = await loadKept(this.o, prev);
      if (!c) return this.rejected(new PolicyRejectedError("source", `the module ${prev.entry.moduleSha256} is missing from the data directory`), prev.entry.source);
      let checked: Checked;
      try {
        checked = await checkCandidate(c, this.o);
      } catch (err) {
        return this.rejected(err, `rollback to ${prev.entry.source}`);
      }
      const { engine } = checked;
      this.noteFormat(checked.format, engine, prev.entry.source);
      const cur = this.kept[0].entry;
      const from = { name: cur.name, version: cur.version, moduleSha256: cur.moduleSha256, ...(cur.serial ? { serial: cur.serial } : {}) };
      const { rollback: _, ...was } = prev.entry;
      const entry: StoredEntry = { ...was, ...entryOf(engine, prev.entry.source, new Date().toISOString(), prev.entry.builtIn ?? false, checked.keyId ?? prev.entry.keyId ?? null, checked.statement), rollback: { from } };
      const mark = this.serials[cur.name];
      if (cur.serial && mark && mark.serial === cur.serial && mark.moduleSha256 === cur.moduleSha256) mark.rolledBack = true;
      this.kept = [{ ...prev, entry }, ...this.kept.slice(2)];
      await this.persist();
      this.swap(engine, entry);
      this.o.logger?.info({ policy: engine.policy, source: entry.source, from, activatedBy: "rollback" }, "policy rolled back");
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
  noteCheck(key?: string): void {
    this.lastCheckAt = new Date().toISOString();
    if (key) this.sourceErrorShown.delete(key);
  }

  /** A source could not be read (unreachable URL, missing file): not a rejected module. Warned about once per new message. */
  noteSourceError(source: string, message: string): void {
    this.lastCheckAt = new Date().toISOString();
    this.lastErr = { at: this.lastCheckAt, reason: "source", message, source };
    this.o.metrics?.sourceErrors?.inc();
    if (this.sourceErrorShown.get(source) !== message) {
      this.sourceErrorShown.set(source, message);
      this.o.logger?.warn({ source, err: message }, "policy source unreadable; the active policy is kept");
    }
  }

  /** The highest serial activated for a policy name (persisted across restarts). */
  serialMark(name: string): SerialMark | undefined { return this.serials[name]; }

  /** A verified policy is active: the built-in default or one that passed every check. */
  get ready(): boolean { return this.kept.length > 0; }

  get lastError(): PolicyError | null { return this.lastErr; }

  status(): PolicyStatusView {
    const view = (e: StoredEntry) => ({
      name: e.name, version: e.version, sha256: e.sha256, abi: e.abi, moduleSha256: e.moduleSha256,
      activatedAt: e.activatedAt, source: e.source, ...(e.keyId ? { keyId: e.keyId } : {}),
      ...(e.serial ? { serial: e.serial, issuedAt: e.issuedAt } : {}), ...(e.expires ? { expires: e.expires } : {}),
      ...(e.rollback ? { activatedBy: "rollback", rollback: e.rollback } : {}),
    });
    return { active: view(this.kept[0].entry), history: this.kept.slice(1).map((k) => view(k.entry)), lastCheck: this.lastCheckAt, lastError: this.lastErr };
  }

  /** Waits for the offers queued so far. */
  async idle(): Promise<void> { await this.queue; }

  /** A statement in the old format is accepted for one release: the log says so each time one is taken. */
  private noteFormat(format: StatementFormat | null, engine: Engine, source: string): void {
    if (format === "legacy") this.o.logger?.warn({ policy: engine.policy, source, statementFormat: format }, `policy accepted with ${LEGACY_NOTE}`);
  }

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
    const state: StoredState = { format: 1, kept: this.kept.map((k) => k.entry), sources: this.sources, serials: this.serials };
    const a = added && !added.entry.builtIn && added.bytes ? { sha: added.entry.moduleSha256, bytes: added.bytes, envelope: added.envelope ?? null } : undefined;
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

/** The longest rejection message kept (lastError, logs, the admin's 422): a module's own strings are in some. */
export const MAX_REJECTION_MESSAGE = 1024;

function rejection(err: unknown): { reason: string; message: string } {
  const message = err instanceof Error ? err.message : String(err);
  const bounded = message.length > MAX_REJECTION_MESSAGE ? `${message.slice(0, MAX_REJECTION_MESSAGE - 1)}…` : message;
  return { reason: err instanceof PolicyRejectedError ? err.reason : "internal", message: bounded };
}

function entryOf(engine: Engine, source: string, activatedAt: string, builtIn: boolean, keyId: string | null, st: Statement | null): StoredEntry {
  const p = engine.policy;
  return {
    moduleSha256: p.moduleSha256 ?? "", name: p.name, version: p.version, sha256: p.sha256, abi: p.abi, source, activatedAt,
    ...(builtIn ? { builtIn: true } : {}), ...(keyId ? { keyId } : {}),
    ...(st ? { serial: st.serial, issuedAt: st.issuedAt, ...(st.expires ? { expires: st.expires } : {}) } : {}),
  };
}

function freshness(o: ManagerOptions, serials: StoredState["serials"]): NonNullable<Parameters<typeof checkCandidate>[1]["freshness"]> {
  return { now: o.now?.() ?? new Date(), serial: (name) => serials[name] };
}

/** Records an activated statement's serial: the mark only grows. */
function raiseSerial(serials: StoredState["serials"], st: Statement): void {
  const mark = serials[st.name];
  if (!mark || st.serial > mark.serial) serials[st.name] = { serial: st.serial, moduleSha256: st.moduleSha256 };
}

/** A kept policy as a candidate again: the built-in from the package, others from memory or the data directory. */
async function loadKept(o: ManagerOptions, k: Kept): Promise<Candidate | null> {
  if (k.entry.builtIn) return { bytes: await o.builtIn(), envelope: null, source: k.entry.source, builtIn: true };
  if (k.bytes) return { bytes: k.bytes, envelope: k.envelope ?? null, source: k.entry.source };
  const m = await o.store?.readModule(k.entry.moduleSha256);
  if (!m) return null;
  k.bytes = m.bytes;
  k.envelope = m.envelope;
  return { bytes: m.bytes, envelope: m.envelope, source: k.entry.source };
}
