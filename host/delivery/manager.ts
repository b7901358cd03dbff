// The one way a policy becomes active on an agent. Every source (the data directory at start,
// a watched file, a polled URL, an OCI registry, PUT /v1/policy, rollback) hands its candidate to
// offer(); the candidate passes every check (pipeline.ts), is persisted with the serial it
// carries, and only then is swapped in, atomically. A candidate whose statement stages it
// (rollout.ts) is held pending instead — decided in the shadow of the live decisions — until its
// step opens and its guard lets it in, or refuses it. Offers run one at a time. A rejected
// candidate changes nothing but lastError and the rejection counter. Runtime-neutral: the
// store, logger and metrics are interfaces (host/node supplies the data directory, pino and
// prom-client).
import type { Engine, NodeProfile } from "../engine/engine.ts";
import { PolicyRejectedError } from "../engine/errors.ts";
import { ActivePolicy } from "./active.ts";
import type { LoggerLike } from "./logger.ts";
import { adoptionOf, PendingCandidate, TOP_TRANSITIONS } from "./pending.ts";
import { checkCandidate, type Candidate, type Checked } from "./pipeline.ts";
import { isStaged, judge, rolloutBucket } from "./rollout.ts";
import { parseSignedTime } from "./signed-time.ts";
import type { Transition } from "./shadow.ts";
import type { TrustedKey } from "./signing.ts";
import type { Delivery, OfferResult, PolicySink } from "./source.ts";
import {
  emptyState,
  table,
  type Adoption,
  type PendingEntry,
  type PolicyStoreLike,
  type RefusedMark,
  type SerialMark,
  type StoredEntry,
  type StoredState,
} from "./state.ts";
import { canonicalEnvelope, LEGACY_NOTE, type Statement, type StatementFormat } from "./statement.ts";

export type { OfferResult };

const HISTORY_LIMIT = 5;
/** A pending candidate is looked at again (and its shadow counts saved) at least this often. */
const REVIEW_EVERY_MS = 30_000;
/** Refused serials remembered per policy name. */
const REFUSED_KEPT = 8;

/** What status() shows: GET /v1/policy's answer and what the console reads. */
export interface PolicyStatusView {
  active: Record<string, unknown>;
  history: Record<string, unknown>[];
  /** A staged candidate held until its rollout step opens and its guard speaks. */
  pending?: Record<string, unknown> | null;
  lastCheck?: string | null;
  lastError?: { at: string; reason: string; message: string } | null;
}

export interface ManagerOptions {
  trustedKeys: readonly TrustedKey[];
  /** The bytes of the default policy built into the package (trusted without a signature). */
  builtIn: () => Promise<Uint8Array>;
  /** The node's profile, or a function of the first engine (detection reads its catalogue). */
  node?: NodeProfile | ((engine: Engine) => NodeProfile | undefined);
  store?: PolicyStoreLike;
  metrics?: ManagerMetrics;
  logger?: LoggerLike;
  /** The clock statements' expiry and rollout plans are judged by (tests move it). */
  now?: () => Date;
  /** Where this agent stands in staged rollouts: its node name (hashed with a policy's name into its bucket), or a bucket pinned (0 ≤ bucket < 100). */
  rollout?: { nodeName?: string; bucket?: number };
  /** The share of wall time the shadow evaluation of a pending candidate may take (default 5 %). */
  shadowBudget?: number;
  /** A pending candidate is looked at again at least this often (ms). */
  reviewEveryMs?: number;
  maxBytes?: number;
  /** How many previous policies are kept for rollback. */
  historyLimit?: number;
}

/** The counters the manager bumps (prom-client's Counter satisfies them). */
interface ManagerMetrics {
  rejections: { inc(labels: { reason: string }): void };
  /** A source could not be read (unreachable URL, missing file). */
  sourceErrors?: { inc(): void };
  /** A live decision decided again with a pending candidate: its transition's placement labels, or nulls when unchanged. */
  shadowDecision?(from: string | null, to: string | null): void;
  /** The pending candidate, or null when none is held. */
  pendingPolicy?(p: { name: string; version: string; serial: number; bucket: number } | null): void;
}

export interface PolicyError {
  at: string;
  reason: string;
  message: string;
  source?: string;
  /** A guard's refusal: the shadow decisions seen, how many changed, and the top transitions with an example each. */
  decisions?: number;
  changed?: number;
  transitions?: Transition[];
}

export type RollbackResult = OfferResult | { status: "nothing-to-roll-back" };

interface Kept {
  entry: StoredEntry;
  bytes?: Uint8Array;
  envelope?: string | null;
}

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
  private pending: PendingCandidate | null = null;
  /** The pending candidate's shadow, read on every live decision. */
  private shadow: PendingCandidate["shadow"] | undefined;
  private refused: Record<string, RefusedMark[]>;
  private readonly buckets = new Map<string, number>();
  private reviewTimer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  private constructor(o: ManagerOptions, active: ActivePolicy, kept: Kept[], state: StoredState, lastErr: PolicyError | null) {
    this.o = o;
    this.active = active;
    this.kept = kept;
    this.sources = state.sources;
    this.serials = state.serials;
    this.refused = table(state.refused);
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
        lastErr = {
          at: new Date().toISOString(),
          reason: "store",
          message: `the data directory's state is unreadable, starting without it: ${(err as Error).message}`,
        };
        log?.error({ dir: o.store.dir, err: (err as Error).message }, "policy store unreadable");
      }
    }

    // a staged first delivery is offered once the manager runs: its plan decides (rollout.ts)
    let deferred: Candidate | null = null;
    const tryCandidate = async (c: Candidate, fresh: boolean): Promise<Engine | null> => {
      try {
        const checked = await checkCandidate(c, fresh ? { ...o, freshness: freshness(o, state.serials) } : o);
        if (fresh && checked.statement && isStaged(checked.statement)) {
          deferred = c;
          return null;
        }
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
      kept = [
        { entry, bytes: chosen.bytes, envelope: envelope && canonicalEnvelope(envelope) },
        ...kept.filter((k) => k.entry.moduleSha256 !== entry.moduleSha256),
      ];
    } else {
      // described by the engine just checked: a built-in entry may come from a newer package
      const k = kept[0].entry;
      kept[0].entry = { ...k, ...entryOf(engine, k.source, activatedAt, k.builtIn ?? false, keyId ?? k.keyId ?? null, statement) };
    }
    const active = new ActivePolicy(engine, kept[0].entry.source, typeof o.node === "function" ? o.node(engine) : o.node, activatedAt);
    // serials are never forgotten, even when the rest of the state is (say, its key is no longer trusted)
    const next: StoredState = {
      format: 1,
      kept: [],
      sources: restored ? state.sources : table(),
      serials: state.serials,
      ...(state.refused ? { refused: state.refused } : {}),
    };
    if (chosen?.tag) next.sources[chosen.tag.key] = { tag: chosen.tag.value, moduleSha256: kept[0].entry.moduleSha256 };
    // only a delivery raises the mark; a restored policy was counted when it was activated
    if (statement && chosen) raiseSerial(next.serials, statement);
    const m = new PolicyManager(o, active, kept.slice(0, 1 + (o.historyLimit ?? HISTORY_LIMIT)), next, lastErr);
    if (state.pending) await m.restorePending(state.pending);
    await m.persist(chosen ? moduleOf(kept[0]) : undefined);
    m.noteFormat(format, engine, kept[0].entry.source);
    if (deferred) await m.offer(deferred);
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
      const pendingBefore = this.pending;
      if (statement) {
        const settled = this.againstPending(statement, checked.moduleSha256, c.source);
        if (settled) return settled;
      }
      if (c.tag) this.sources[c.tag.key] = { tag: c.tag.value, moduleSha256: checked.moduleSha256 };
      const refused = statement && this.refused[statement.name]?.find((r) => r.serial === statement.serial && r.moduleSha256 === checked.moduleSha256);
      if (refused) {
        if (c.tag) await this.persist();
        return this.rejected(
          new PolicyRejectedError(
            "guard",
            `serial ${statement.serial} of ${statement.name} ${statement.version} was refused by its guard at ${refused.at} and is not tried again; sign it with a new serial to try again`,
          ),
          c.source,
        );
      }
      if (checked.moduleSha256 === this.kept[0].entry.moduleSha256) {
        const cur = this.kept[0];
        if (statement && !cur.entry.builtIn && statement.serial > (cur.entry.serial ?? 0)) {
          // the same module re-signed (a later serial, a new expiry): no swap, but the statement is
          // kept and the mark raised, so statements between the two serials are refused from now on
          raiseSerial(this.serials, statement);
          const { expires: _, ...entry } = cur.entry;
          cur.entry = {
            ...entry,
            ...(keyId ? { keyId } : {}),
            serial: statement.serial,
            issuedAt: statement.issuedAt,
            ...(statement.expires ? { expires: statement.expires } : {}),
          };
          cur.bytes = c.bytes;
          cur.envelope = checked.envelope && canonicalEnvelope(checked.envelope);
          await this.persist(moduleOf(cur));
          this.o.logger?.info({ policy: engine.policy, source: c.source, keyId, serial: statement.serial }, "policy statement renewed");
          this.noteFormat(checked.format, engine, c.source);
        } else if (c.tag || pendingBefore !== this.pending) await this.persist();
        return { status: "unchanged", policy: this.kept[0].entry };
      }
      let adoption: Adoption | undefined;
      if (statement && isStaged(statement)) {
        const bucket = await this.bucketFor(statement.name);
        const now = this.clock(),
          none = { decisions: 0, changed: 0 };
        const v = judge(statement, bucket, now, none, now);
        // the same module signed again (another plan, a later serial): what the shadow saw of it still holds
        const carried = pendingBefore && pendingBefore !== this.pending && pendingBefore.sha === checked.moduleSha256 ? pendingBefore : undefined;
        if (v.kind !== "adopt") return this.hold(c, checked, bucket, v.kind === "wait" ? v.until : now, carried);
        adoption = adoptionOf(statement, bucket, v, none);
      }
      return this.activate(c, checked, adoption);
    });
  }

  /** Persists and swaps in a checked candidate. */
  private async activate(c: Candidate, checked: Checked, adoption?: Adoption): Promise<OfferResult> {
    const { engine, keyId, statement } = checked;
    const entry: StoredEntry = {
      ...entryOf(engine, c.source, new Date().toISOString(), c.builtIn ?? false, keyId, statement),
      ...(adoption ? { adoption } : {}),
    };
    const kept: Kept = { entry, bytes: c.bytes, envelope: checked.envelope && canonicalEnvelope(checked.envelope) };
    this.kept = [kept, ...this.kept.filter((k) => k.entry.moduleSha256 !== entry.moduleSha256)].slice(0, 1 + (this.o.historyLimit ?? HISTORY_LIMIT));
    if (statement) raiseSerial(this.serials, statement);
    // persisted (serial included) before it serves: a crash after this point restores it
    await this.persist(moduleOf(kept));
    this.swap(engine, entry);
    this.o.logger?.info({ policy: engine.policy, source: c.source, keyId, serial: statement?.serial, ...(adoption ? { adoption } : {}) }, "policy activated");
    this.noteFormat(checked.format, engine, c.source);
    return { status: "activated", policy: entry };
  }

  /**
   * A live decision of the active policy (its level and runtime for `request`): decided again
   * with the pending candidate, if one is held — off the answer path (shadow.ts).
   */
  observe(request: unknown, level: string | null, runtime: string | null): void {
    this.shadow?.observe(request, level, runtime);
  }

  /**
   * Looks at the pending candidate again: adopts it, refuses it, or waits (saving its shadow
   * counts). Its timer calls it when its step opens or its bake ends, and at least every
   * reviewEveryMs; tests call it after moving the clock.
   */
  review(): Promise<void> {
    return this.serial(async () => {
      const p = this.pending;
      if (!p) return;
      const now = this.clock();
      const st = p.statement;
      if (st.expires && parseSignedTime(st.expires)! <= now) {
        this.clearPending();
        this.rejected(
          new PolicyRejectedError("expired", `the statement for ${st.name} ${st.version} (serial ${st.serial}) expired at ${st.expires} while it was pending`),
          p.candidate.source,
        );
        await this.persist();
        return;
      }
      const v = p.judge(now);
      if (v.kind === "wait") {
        if (p.dirty) await this.persist();
        this.scheduleReview(v.until);
        return;
      }
      if (v.kind === "refuse") return this.refuse(p, v.message);
      this.clearPending();
      await this.activate(p.candidate, p.checked, p.adoption(v));
    });
  }

  /** Stops the review timer and the shadow, saving the pending candidate's counts (the agent is stopping). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reviewTimer !== undefined) clearTimeout(this.reviewTimer);
    await this.serial(async () => {
      this.shadow?.drain();
      if (this.pending?.dirty) await this.persist();
      this.shadow?.stop();
    });
  }

  /** Holds a checked, staged candidate until its step opens (and its guard speaks). */
  private async hold(c: Candidate, checked: Checked, bucket: number, until: number, carried?: PendingCandidate): Promise<OfferResult> {
    const p = new PendingCandidate(c, checked, bucket, carried?.since ?? this.clock(), this.active.node, {
      ...this.shadowOptions(),
      ...(carried ? { counts: carried.shadow.counts() } : {}),
    });
    this.setPending(p);
    // judged again at once: counts carried over may already decide it
    if (carried) until = this.clock();
    await this.persist({ sha: p.sha, bytes: c.bytes, envelope: checked.envelope && canonicalEnvelope(checked.envelope) });
    const view = p.view();
    this.o.logger?.info(
      {
        policy: checked.engine.policy,
        source: c.source,
        serial: p.serial,
        bucket: view.bucket,
        percent: view.percent,
        opensAt: view.opensAt,
        ...(view.bakeUntil ? { bakeUntil: view.bakeUntil } : {}),
      },
      "policy pending: held until its rollout step opens",
    );
    this.scheduleReview(until);
    return { status: "pending", policy: this.kept[0].entry };
  }

  /**
   * A new statement against the pending candidate: the same one again is still pending; a lower
   * serial (but the active module's own statement) is refused; a higher serial — or another
   * policy — supersedes it: the operator's stop button. Null: go on with the offer.
   */
  private againstPending(st: Statement, sha: string, source: string): OfferResult | null {
    const p = this.pending;
    if (!p) return null;
    if (st.name === p.name && st.serial <= p.serial) {
      if (st.serial === p.serial && sha === p.sha) return { status: "pending", policy: this.kept[0].entry };
      if (st.serial === p.serial)
        return this.rejected(
          new PolicyRejectedError("serial-reused", `serial ${st.serial} of ${st.name} is held pending for module ${p.sha}; other bytes need a higher serial`),
          source,
        );
      if (sha === this.kept[0].entry.moduleSha256) return null;
      return this.rejected(
        new PolicyRejectedError(
          "serial-lower",
          `serial ${st.serial} of ${st.name} is lower than ${p.serial}, held pending; a newer statement needs a higher serial`,
        ),
        source,
      );
    }
    this.o.logger?.info(
      { policy: { name: p.name, version: p.statement.version }, serial: p.serial, by: { name: st.name, version: st.version, serial: st.serial } },
      "staged rollout halted: a newer statement supersedes the pending candidate",
    );
    this.clearPending();
    return null;
  }

  private async refuse(p: PendingCandidate, message: string): Promise<void> {
    this.clearPending();
    const st = p.statement,
      counts = p.shadow.counts(TOP_TRANSITIONS),
      at = new Date().toISOString();
    const marks = (this.refused[st.name] ??= []);
    marks.push({ serial: st.serial, moduleSha256: p.sha, at });
    marks.splice(0, Math.max(0, marks.length - REFUSED_KEPT));
    this.lastErr = {
      at,
      reason: "guard",
      message: `${st.name} ${st.version} (serial ${st.serial}) is not adopted and not tried again: ${message}`,
      source: p.candidate.source,
      decisions: counts.decisions,
      changed: counts.changed,
      transitions: counts.transitions,
    };
    this.o.metrics?.rejections.inc({ reason: "guard" });
    this.o.logger?.warn(
      {
        source: p.candidate.source,
        policy: { name: st.name, version: st.version },
        serial: st.serial,
        bucket: p.view().bucket,
        reason: "guard",
        decisions: counts.decisions,
        changed: counts.changed,
        transitions: counts.transitions,
        err: message,
      },
      "policy refused by its guard",
    );
    await this.persist();
  }

  private setPending(p: PendingCandidate): void {
    this.pending = p;
    this.shadow = p.shadow;
    this.o.metrics?.pendingPolicy?.({ name: p.name, version: p.statement.version, serial: p.serial, bucket: p.bucket });
  }

  private clearPending(): void {
    this.pending?.shadow.stop();
    this.pending = null;
    this.shadow = undefined;
    if (this.reviewTimer !== undefined) clearTimeout(this.reviewTimer);
    this.o.metrics?.pendingPolicy?.(null);
  }

  private scheduleReview(until: number): void {
    if (this.reviewTimer !== undefined) clearTimeout(this.reviewTimer);
    if (this.stopped) return;
    const delay = Math.max(0, Math.min(until - this.clock(), this.o.reviewEveryMs ?? REVIEW_EVERY_MS));
    this.reviewTimer = setTimeout(() => void this.review(), delay + 1);
    (this.reviewTimer as { unref?: () => void }).unref?.();
  }

  private shadowOptions() {
    const m = this.o.metrics;
    return {
      budgetShare: this.o.shadowBudget,
      ...(m?.shadowDecision ? { onDecision: (from: string | null, to: string | null) => m.shadowDecision!(from, to) } : {}),
    };
  }

  /** A pending candidate saved before a restart: checked again, and held with its shadow counts. */
  private async restorePending(rec: PendingEntry): Promise<void> {
    const warn = (reason: string, message: string) => {
      this.lastErr = { at: new Date().toISOString(), reason, message, source: rec.source };
      this.o.logger?.warn({ source: rec.source, serial: rec.serial, reason, err: message }, "pending policy not restored");
    };
    const stored = await this.o.store?.readModule(rec.moduleSha256).catch(() => null);
    if (!stored) {
      // the source must offer it again
      for (const [key, s] of Object.entries(this.sources)) if (s.moduleSha256 === rec.moduleSha256) delete this.sources[key];
      return warn("source", `the pending module ${rec.moduleSha256} is missing from the data directory`);
    }
    const c: Candidate = { bytes: stored.bytes, envelope: stored.envelope, source: rec.source };
    let checked: Checked;
    try {
      checked = await checkCandidate(c, { ...this.o, freshness: freshness(this.o, this.serials) });
    } catch (err) {
      const { reason, message } = rejection(err);
      return warn(reason, message);
    }
    const st = checked.statement;
    if (!st || !isStaged(st) || st.serial !== rec.serial || checked.moduleSha256 === this.kept[0].entry.moduleSha256) return;
    const bucket = await this.bucketFor(st.name);
    const since = Date.parse(rec.since);
    this.setPending(
      new PendingCandidate(c, checked, bucket, Number.isNaN(since) ? this.clock() : since, this.active.node, {
        ...this.shadowOptions(),
        counts: validCounts(rec.shadow),
      }),
    );
    this.o.logger?.info(
      { policy: checked.engine.policy, serial: st.serial, decisions: this.pending!.shadow.decisions },
      "pending policy restored with its shadow counts",
    );
    this.scheduleReview(this.clock());
  }

  private async bucketFor(name: string): Promise<number> {
    const pinned = this.o.rollout?.bucket;
    if (pinned !== undefined) return pinned;
    let b = this.buckets.get(name);
    if (b === undefined) this.buckets.set(name, (b = await rolloutBucket(this.o.rollout?.nodeName ?? "", name)));
    return b;
  }

  private clock(): number {
    return this.o.now?.().getTime() ?? Date.now();
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
      if (!c)
        return this.rejected(new PolicyRejectedError("source", `the module ${prev.entry.moduleSha256} is missing from the data directory`), prev.entry.source);
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
      const entry: StoredEntry = {
        ...was,
        ...entryOf(
          engine,
          prev.entry.source,
          new Date().toISOString(),
          prev.entry.builtIn ?? false,
          checked.keyId ?? prev.entry.keyId ?? null,
          checked.statement,
        ),
        rollback: { from },
      };
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
  tag(key: string): string | undefined {
    return this.sources[key]?.tag;
  }

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
  serialMark(name: string): SerialMark | undefined {
    return this.serials[name];
  }

  /** A verified policy is active: the built-in default or one that passed every check. */
  get ready(): boolean {
    return this.kept.length > 0;
  }

  get lastError(): PolicyError | null {
    return this.lastErr;
  }

  status(): PolicyStatusView {
    const view = (e: StoredEntry) => ({
      name: e.name,
      version: e.version,
      sha256: e.sha256,
      abi: e.abi,
      moduleSha256: e.moduleSha256,
      activatedAt: e.activatedAt,
      source: e.source,
      ...(e.keyId ? { keyId: e.keyId } : {}),
      ...(e.serial ? { serial: e.serial, issuedAt: e.issuedAt } : {}),
      ...(e.expires ? { expires: e.expires } : {}),
      ...(e.rollback ? { activatedBy: "rollback", rollback: e.rollback } : {}),
      ...(e.adoption ? { adoption: e.adoption } : {}),
    });
    return {
      active: view(this.kept[0].entry),
      history: this.kept.slice(1).map((k) => view(k.entry)),
      pending: this.pending?.view() ?? null,
      lastCheck: this.lastCheckAt,
      lastError: this.lastErr,
    };
  }

  /** Waits for the offers queued so far. */
  async idle(): Promise<void> {
    await this.queue;
  }

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

  private async persist(added?: { sha: string; bytes: Uint8Array; envelope: string | null }): Promise<void> {
    const store = this.o.store;
    if (!store) return;
    const p = this.pending;
    const state: StoredState = {
      format: 1,
      kept: this.kept.map((k) => k.entry),
      sources: this.sources,
      serials: this.serials,
      ...(p ? { pending: p.entry() } : {}),
      ...(Object.keys(this.refused).length ? { refused: this.refused } : {}),
    };
    if (p) p.savedVersion = p.shadow.version;
    try {
      await store.save(state, added);
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
const MAX_REJECTION_MESSAGE = 1024;

function rejection(err: unknown): { reason: string; message: string } {
  const message = err instanceof Error ? err.message : String(err);
  const bounded = message.length > MAX_REJECTION_MESSAGE ? `${message.slice(0, MAX_REJECTION_MESSAGE - 1)}…` : message;
  return { reason: err instanceof PolicyRejectedError ? err.reason : "internal", message: bounded };
}

function entryOf(engine: Engine, source: string, activatedAt: string, builtIn: boolean, keyId: string | null, st: Statement | null): StoredEntry {
  const p = engine.policy;
  return {
    moduleSha256: p.moduleSha256 ?? "",
    name: p.name,
    version: p.version,
    sha256: p.sha256,
    abi: p.abi,
    source,
    activatedAt,
    ...(builtIn ? { builtIn: true } : {}),
    ...(keyId ? { keyId } : {}),
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

/** A kept policy's module as the store writes it (none for the built-in default). */
function moduleOf(k: Kept): { sha: string; bytes: Uint8Array; envelope: string | null } | undefined {
  return !k.entry.builtIn && k.bytes ? { sha: k.entry.moduleSha256, bytes: k.bytes, envelope: k.envelope ?? null } : undefined;
}

/** Shadow counts read back from state.json: only well-formed numbers and transitions. */
function validCounts(c: PendingEntry["shadow"] | undefined): PendingEntry["shadow"] {
  const n = (x: unknown) => (Number.isSafeInteger(x) && (x as number) >= 0 ? (x as number) : 0);
  const transitions = Array.isArray(c?.transitions)
    ? c.transitions
        .filter((t) => t && typeof t.from === "string" && typeof t.to === "string")
        .map((t) => ({ from: t.from, to: t.to, count: n(t.count), example: String(t.example ?? "") }))
    : [];
  return { decisions: n(c?.decisions), changed: n(c?.changed), unsampled: n(c?.unsampled), transitions };
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
