// Shadow evaluation: while a candidate policy is pending (rollout.ts), every live decision of the
// active policy is decided again with the candidate, and the two placements (level and runtime)
// are compared and counted by transition. Off the answer path: a live decision only queues its
// request (a few array stores); the queue is decided after the turn's I/O (setImmediate), in
// batches. Bounded: the shadow may take `budgetShare` of the thread's wall time (default 5 %);
// past that, requests are not queued until the budget has refilled — sampled, not all decided —
// so under saturation the agent's throughput loses at most about that share. Runtime-neutral.
import type { Engine } from "../engine/engine.ts";
import { InvalidRequestError } from "../engine/errors.ts";
import { ValidationLoading } from "../engine/validation.ts";
import type { ShadowTally } from "./rollout.ts";
import type { ShadowCounts, Transition } from "./state.ts";

export type { ShadowCounts, Transition };

export interface ShadowOptions {
  /** The share of wall time the shadow may take (0–1). */
  budgetShare?: number;
  /** Each shadow decision, for the metrics: its transition's placement labels, or nulls when unchanged. */
  onDecision?: (from: string | null, to: string | null) => void;
  /** Counts carried over (a restart while pending). */
  counts?: ShadowCounts;
}

export const DEFAULT_BUDGET_SHARE = 0.05;
const MAX_QUEUE = 512;
/** At most this much budget is saved up while idle (ms). */
const MAX_BURST_MS = 50;
const MAX_TRANSITIONS = 64;
/** However small the share, the shadow samples again after at most this long (ms). */
const MAX_CLOSED_MS = 60_000;
const EXAMPLE_CHARS = 400;

/** A placement as transitions name it: "L4/wasmedge", "none" (nothing feasible), "invalid" (the candidate refuses the request), "error" (it trapped). */
const placementLabel = (level: string | null, runtime: string | null): string => (level === null ? "none" : `${level}/${runtime ?? "none"}`);

const later: (fn: () => void) => void = typeof setImmediate === "function" ? (fn) => setImmediate(fn) : (fn) => setTimeout(fn, 0);

function exampleOf(request: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(request) ?? "null";
  } catch {
    text = "(not JSON)";
  }
  return text.length > EXAMPLE_CHARS ? `${text.slice(0, EXAMPLE_CHARS)}…` : text;
}

export class Shadow {
  private readonly engine: Engine;
  private readonly share: number;
  private readonly onDecision?: (from: string | null, to: string | null) => void;
  // the queue, as parallel arrays (no object per request)
  private readonly requests: unknown[] = [];
  private readonly levels: (string | null)[] = [];
  private readonly runtimes: (string | null)[] = [];
  private queued = 0;
  private open = true;
  private stopped = false;
  private budgetMs = MAX_BURST_MS;
  private refilledAt = performance.now();
  private reopenTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly drainNow = () => this.drain();
  decisions = 0;
  changed = 0;
  unsampled = 0;
  private readonly transitions = new Map<string, Transition>();
  /** Bumped by every shadow decision: the manager saves counts only when they moved. */
  version = 0;

  constructor(engine: Engine, o: ShadowOptions = {}) {
    this.engine = engine;
    this.share = o.budgetShare ?? DEFAULT_BUDGET_SHARE;
    this.onDecision = o.onDecision;
    if (o.counts) {
      this.decisions = o.counts.decisions;
      this.changed = o.counts.changed;
      this.unsampled = o.counts.unsampled;
      for (const t of o.counts.transitions) this.transitions.set(`${t.from}>${t.to}`, { ...t });
    }
  }

  /** A live decision (the active policy's level and runtime for `request`): queued for the shadow, or counted as unsampled. */
  observe(request: unknown, level: string | null, runtime: string | null): void {
    const n = this.queued;
    if (!this.open || n === MAX_QUEUE) {
      this.unsampled++;
      return;
    }
    this.requests[n] = request;
    this.levels[n] = level;
    this.runtimes[n] = runtime;
    this.queued = n + 1;
    if (n === 0) later(this.drainNow);
  }

  /** Decides the queue with the candidate while the budget lasts; what is left is unsampled. */
  drain(): void {
    const n = this.queued;
    if (n === 0 || this.stopped) return;
    // the budget grows with all the time since the last refill, this drain's own included (its cost is taken below)
    const t0 = performance.now();
    this.budgetMs = Math.min(MAX_BURST_MS, this.budgetMs + (t0 - this.refilledAt) * this.share);
    this.refilledAt = t0;
    let i = 0;
    for (; i < n; i++) {
      // the clock is read every 16 decisions: a few µs each, the reading would cost a noticeable part
      if ((i & 15) === 15 && performance.now() - t0 >= this.budgetMs) break;
      this.decide(this.requests[i], this.levels[i], this.runtimes[i]);
    }
    this.unsampled += n - i;
    this.requests.fill(undefined, 0, n);
    this.queued = 0;
    this.budgetMs -= performance.now() - t0;
    if (this.budgetMs <= 0 && !this.stopped) {
      // closed until the deficit has been earned back
      this.open = false;
      this.reopenTimer = setTimeout(
        () => {
          this.open = true;
        },
        Math.min(MAX_CLOSED_MS, Math.ceil(-this.budgetMs / this.share) + 1),
      );
      (this.reopenTimer as { unref?: () => void }).unref?.();
    }
  }

  private decide(request: unknown, level: string | null, runtime: string | null): void {
    let to: string;
    try {
      const code = this.engine.placeCode(request);
      const toLevel = this.engine.levelOf(code),
        toRuntime = this.engine.runtimeOf(code);
      this.decisions++;
      this.version++;
      // unchanged, the common case: no label built
      if (toLevel === level && toRuntime === runtime) {
        this.onDecision?.(null, null);
        return;
      }
      to = placementLabel(toLevel, toRuntime);
    } catch (err) {
      if (err instanceof ValidationLoading) {
        this.unsampled++;
        return;
      }
      to = err instanceof InvalidRequestError ? "invalid" : "error";
      this.decisions++;
      this.version++;
    }
    const from = placementLabel(level, runtime);
    if (from !== to) {
      this.changed++;
      const key = `${from}>${to}`;
      let t = this.transitions.get(key);
      if (!t) {
        if (this.transitions.size < MAX_TRANSITIONS) this.transitions.set(key, (t = { from, to, count: 0, example: exampleOf(request) }));
        else t = this.other();
      }
      t.count++;
    }
    this.onDecision?.(from, to);
  }

  private other(): Transition {
    let t = this.transitions.get("other");
    if (!t) this.transitions.set("other", (t = { from: "other", to: "other", count: 0, example: "" }));
    return t;
  }

  /** The counts so far; `top` transitions, most frequent first. */
  counts(top = MAX_TRANSITIONS): ShadowCounts {
    const transitions = [...this.transitions.values()]
      .sort((a, b) => b.count - a.count)
      .slice(0, top)
      .map((t) => ({ ...t }));
    return { decisions: this.decisions, changed: this.changed, unsampled: this.unsampled, transitions };
  }

  get tally(): ShadowTally {
    return { decisions: this.decisions, changed: this.changed, unsampled: this.unsampled };
  }

  stop(): void {
    this.stopped = true;
    this.open = false;
    if (this.reopenTimer !== undefined) clearTimeout(this.reopenTimer);
    this.requests.length = 0;
    this.queued = 0;
  }
}
