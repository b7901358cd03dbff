// The soak's faults, through the agent's admin API while the load runs: a good signed policy
// swapped in every `swapMs` (PUT of the other of two versions; every fourth swap a rollback), and
// a bad module uploaded every `badMs`, rotating through the bad classes. Each answer is checked:
// a swap must be 200 "activated", a bad module 422 with its class's reason.
import type { BadModule } from "../../tests/hardening/support/bad-modules.ts";

/** `sign`: a new statement for each PUT (a higher serial), as a publisher alternating two policies would sign. */
export interface GoodModule {
  version: string;
  bytes: Uint8Array;
  sign: () => Promise<string>;
}

export interface FaultTally {
  swaps: { done: number; puts: number; rollbacks: number; failed: number; failures: string[] };
  bad: { sent: number; rejected: number; failures: string[]; byClass: Record<string, { sent: number; rejected: number; reason: string; answered: string[] }> };
  /** Milliseconds each swap took (request to answer: every check, the persist and the swap). */
  swapMs: number[];
}

export interface FaultOptions {
  url: string;
  token: string;
  good: [GoodModule, GoodModule];
  bad: BadModule[];
  swapMs: number;
  badMs: number;
  activeVersion: string;
  /** Called after each swap and each bad upload has been answered. */
  onAnswer?: () => void;
}

/** Calls `fn` every `ms`, on a fixed schedule (a slow call delays the next, never doubles it up), until stopped. */
function every(ms: number, fn: (n: number) => Promise<void>): { stop: () => Promise<void> } {
  let stopped = false,
    timer: ReturnType<typeof setTimeout> | undefined,
    current: Promise<void> = Promise.resolve();
  const start = performance.now();
  const tick = (n: number) => {
    timer = setTimeout(
      () => {
        current = fn(n).finally(() => {
          if (!stopped) tick(n + 1);
        });
      },
      Math.max(0, start + (n + 1) * ms - performance.now()),
    );
  };
  tick(0);
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}

export function startFaults(o: FaultOptions): { tally: FaultTally; stop: () => Promise<FaultTally> } {
  const tally: FaultTally = {
    swaps: { done: 0, puts: 0, rollbacks: 0, failed: 0, failures: [] },
    bad: {
      sent: 0,
      rejected: 0,
      failures: [],
      byClass: Object.fromEntries(o.bad.map((b) => [b.name, { sent: 0, rejected: 0, reason: b.reason, answered: [] }])),
    },
    swapMs: [],
  };
  const auth = { authorization: `Bearer ${o.token}` };
  let active = o.activeVersion;
  const put = (bytes: Uint8Array, signature: string | null) =>
    fetch(`${o.url}/v1/policy`, {
      method: "PUT",
      body: bytes as BufferSource,
      headers: { ...auth, "content-type": "application/wasm", ...(signature ? { "isoplace-signature": signature } : {}) },
    });

  const swaps = every(o.swapMs, async (n) => {
    const rollback = n % 4 === 3;
    const next = o.good.find((g) => g.version !== active)!;
    const t = performance.now();
    try {
      const res = rollback ? await fetch(`${o.url}/v1/policy/rollback`, { method: "POST", headers: auth }) : await put(next.bytes, await next.sign());
      const body = (await res.json()) as { result?: string; active?: { version: string } };
      if (res.status !== 200 || body.result !== "activated") throw new Error(`HTTP ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
      tally.swapMs.push(performance.now() - t);
      active = body.active!.version;
      tally.swaps.done++;
      tally.swaps[rollback ? "rollbacks" : "puts"]++;
    } catch (err) {
      tally.swaps.failed++;
      if (tally.swaps.failures.length < 10) tally.swaps.failures.push(`${rollback ? "rollback" : `PUT ${next.version}`}: ${(err as Error).message}`);
    }
    o.onAnswer?.();
  });

  const bads = every(o.badMs, async (n) => {
    const b = o.bad[n % o.bad.length];
    const c = tally.bad.byClass[b.name];
    tally.bad.sent++;
    c.sent++;
    try {
      const res = await put(b.body, b.signature);
      const body = (await res.json()) as { reason?: string };
      const answered = `${res.status} ${body.reason ?? ""}`.trim();
      if (!c.answered.includes(answered)) c.answered.push(answered);
      if (res.status === 422 && body.reason === b.reason) {
        tally.bad.rejected++;
        c.rejected++;
      } else tally.bad.failures.push(`${b.name}: expected 422 ${b.reason}, got ${answered}`);
    } catch (err) {
      tally.bad.failures.push(`${b.name}: ${(err as Error).message}`);
    }
    o.onAnswer?.();
  });

  return {
    tally,
    stop: async () => {
      await Promise.all([swaps.stop(), bads.stop()]);
      return tally;
    },
  };
}
