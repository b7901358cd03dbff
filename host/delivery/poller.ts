// The schedule every polling source shares: a check every interval plus a random jitter
// (0 … jitter × interval), so a fleet spreads out; after failures an exponential backoff
// (interval × 2^(failures−1), capped) until a check works. Each finished check bumps `checks`,
// which tests (and the fleet simulation) wait on instead of sleeping.
export interface PollOptions {
  intervalMs?: number;
  /** Fraction of the interval added at random to each wait. */
  jitter?: number;
  maxBackoffMs?: number;
  /** A single check is aborted after this long. */
  timeoutMs?: number;
  /** Delay of the first check (default: a random part of the jitter window, so a fleet restart spreads). */
  firstDelayMs?: number;
  random?: () => number;
}

const POLL_DEFAULTS = { intervalMs: 30_000, jitter: 0.2, maxBackoffMs: 300_000, timeoutMs: 10_000 };

/** A count of finished checks that can be waited on. */
export class CheckCount {
  private n = 0;
  private waiters: { target: number; resolve: (n: number) => void }[] = [];

  get value(): number {
    return this.n;
  }

  bump(): void {
    this.n++;
    const ready = this.waiters.filter((w) => w.target <= this.n);
    this.waiters = this.waiters.filter((w) => w.target > this.n);
    for (const w of ready) w.resolve(this.n);
  }

  /** Resolves once the count reaches `target` (at once when it already has). */
  reach(target: number): Promise<number> {
    if (this.n >= target) return Promise.resolve(this.n);
    return new Promise((resolve) => this.waiters.push({ target, resolve }));
  }

  /** Resolves after `k` more checks than have finished now. */
  more(k = 1): Promise<number> {
    return this.reach(this.n + k);
  }
}

/** Runs `check` on the schedule; `check` says whether it worked (false: back off). */
export class Poller {
  readonly checks = new CheckCount();
  private failures = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private abort: AbortController | undefined;
  private stopped = true;
  private readonly o: PollOptions;
  private readonly check: (signal: AbortSignal) => Promise<boolean>;

  constructor(check: (signal: AbortSignal) => Promise<boolean>, o: PollOptions = {}) {
    this.check = check;
    this.o = o;
  }

  get interval(): number {
    return this.o.intervalMs ?? POLL_DEFAULTS.intervalMs;
  }
  get failureCount(): number {
    return this.failures;
  }
  private get jitter(): number {
    return this.o.jitter ?? POLL_DEFAULTS.jitter;
  }
  private random(): number {
    return (this.o.random ?? Math.random)();
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(this.o.firstDelayMs ?? this.random() * this.interval * this.jitter);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.abort?.abort();
  }

  /** The wait before the next check: the interval, or the backoff after failures, plus jitter. */
  nextDelay(): number {
    const base = this.failures === 0 ? this.interval : Math.min(this.o.maxBackoffMs ?? POLL_DEFAULTS.maxBackoffMs, this.interval * 2 ** (this.failures - 1));
    return base + this.random() * base * this.jitter;
  }

  /** One check now (outside the schedule too); resolves with whether it worked. */
  async runOnce(): Promise<boolean> {
    this.abort = new AbortController();
    const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.o.timeoutMs ?? POLL_DEFAULTS.timeoutMs)]);
    let ok = false;
    try {
      ok = await this.check(signal);
    } catch {
      ok = false;
    } finally {
      this.failures = ok ? 0 : this.failures + 1;
      this.checks.bump();
    }
    return ok;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(async () => {
      await this.runOnce();
      this.schedule(this.nextDelay());
    }, ms);
    (this.timer as { unref?: () => void }).unref?.();
  }
}
