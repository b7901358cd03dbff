// A differential fuzz of the meter (host/engine/meter.ts) with someone else's generator:
// Binaryen's translate-to-fuzz (`wasm-opt -ttf`) makes random valid modules from random bytes;
// random byte changes of the default module make mostly invalid ones. For each: the meter
// refuses what does not validate, the metered module validates, every call answers the same
// metered and unmetered (answers, traps, calls into the imports, exported globals, memory and
// tables), and a call's exact cost is the boundary of the budget error (one unit less: the
// budget error; exactly that: the same answer). Every job runs in a worker thread under a wall
// clock kept here: a job that does not finish is a finding, and the thread is terminated.
// `npm test`: 100 of each; `npm run test:fuzz`: ISOPLACE_METER_FUZZ_MODULES=1000.
import { Worker } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Done, Job } from "./support/meter-fuzz-worker.ts";
import { loopingStartModule } from "../fixtures/looping-bytes.ts";

const MODULES = Number(process.env.ISOPLACE_METER_FUZZ_MODULES ?? 100);
const SEED = Number(process.env.ISOPLACE_METER_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
/** A job's wall-clock bound: a generated module's calls take milliseconds; one that hangs never returns. */
const WATCHDOG_MS = 60_000;

class Pool {
  private worker: Worker | undefined;
  restarts = 0;
  private async start(): Promise<Worker> {
    const w = new Worker(new URL("./support/meter-fuzz-worker.ts", import.meta.url));
    await new Promise<void>((resolve, reject) => {
      w.once("message", () => resolve());
      w.once("error", reject);
    });
    return w;
  }
  async run(job: Job): Promise<Done | { id: number; hung: true } | { id: number; crashed: string }> {
    const w = (this.worker ??= await this.start());
    return new Promise((resolve) => {
      const done = (r: Done | { id: number; hung: true } | { id: number; crashed: string }) => {
        clearTimeout(timer);
        w.off("message", onMessage);
        w.off("error", onError);
        resolve(r);
      };
      const onMessage = (m: Done) => {
        if (m.id === job.id) done(m);
      };
      const onError = (err: Error) => {
        this.worker = undefined;
        this.restarts++;
        done({ id: job.id, crashed: err.message });
      };
      const timer = setTimeout(() => {
        this.worker = undefined;
        this.restarts++;
        void w.terminate(); // stops a runaway Wasm loop (V8 interrupts it); a SIGTERM handler never would
        done({ id: job.id, hung: true });
      }, WATCHDOG_MS);
      w.on("message", onMessage);
      w.on("error", onError);
      w.postMessage(job);
    });
  }
  async close(): Promise<void> {
    await this.worker?.terminate();
  }
}

let pool: Pool;
beforeAll(() => {
  pool = new Pool();
});
afterAll(async () => {
  await pool.close();
});

async function fuzz(kind: "ttf" | "mutation") {
  const totals = {
    modules: 0,
    refused: {} as Record<string, number>,
    calls: 0,
    returned: 0,
    traps: 0,
    boundaries: 0,
    stopped: 0,
    startTrapped: 0,
    stackBound: 0,
    bytes: 0,
  };
  const findings: string[] = [];
  for (let i = 0; i < MODULES; i++) {
    const seed = (SEED + i * 7919) >>> 0;
    const r = await pool.run({ id: i, kind, seed });
    const again = `ISOPLACE_METER_FUZZ_SEED=${SEED} (job ${i}, ${kind} seed ${seed})`;
    if ("hung" in r) {
      findings.push(`${again}: no answer within ${WATCHDOG_MS} ms`);
      continue;
    }
    if ("crashed" in r) {
      findings.push(`${again}: the worker crashed: ${r.crashed}`);
      continue;
    }
    const rep = r.report;
    totals.modules++;
    totals.bytes += r.size;
    if (rep.refused) totals.refused[rep.refused] = (totals.refused[rep.refused] ?? 0) + 1;
    totals.calls += rep.calls;
    totals.returned += rep.returned;
    totals.traps += rep.traps;
    totals.boundaries += rep.boundaries;
    totals.stopped += rep.stopped;
    totals.startTrapped += rep.startTrapped ? 1 : 0;
    totals.stackBound += rep.stackBound ? 1 : 0;
    for (const f of rep.findings) findings.push(`${again}: ${f}`);
  }
  return { totals, findings };
}

/** Modules the fuzz found, made again from their seeds (Binaryen 131's generator), kept as regression cases. */
const FOUND = [
  { seed: 46742736, what: "ref.as_non_null (0xd4), which the meter refused as an unknown instruction: now metered" },
  { seed: 49015489, what: "ref.as_non_null again, in another function" },
  {
    seed: 2087067025,
    what: "a call that keeps calling back into itself through call-export-catch, catching its own traps: endless unmetered, stopped by the budget metered",
    stopped: true,
  },
];

describe("cases the fuzz found", () => {
  it.each(FOUND)(
    "ttf seed $seed: $what",
    async ({ seed, stopped }) => {
      const r = await pool.run({ id: -seed, kind: "ttf", seed });
      if (!("report" in r)) throw new Error(`ttf seed ${seed}: ${"hung" in r ? "no answer" : r.crashed}`);
      expect(r.report.refused).toBeUndefined();
      expect(r.report.findings).toEqual([]);
      if (stopped) expect(r.report.stopped).toBe(1);
    },
    120_000,
  );

  it("a start function that never ends (as a mutation of the default module made one): metered, its instantiation stops on the budget, and the check never runs it unmetered", async () => {
    const r = await pool.run({ id: -1, kind: "module", bytes: loopingStartModule() });
    if (!("report" in r)) throw new Error(`the looping start: ${"hung" in r ? "no answer" : r.crashed}`);
    expect(r.report).toMatchObject({ startTrapped: true, calls: 0, findings: [] });
  }, 120_000);
});

describe(`the meter against Binaryen's random modules (${MODULES} of each kind, seed ${SEED})`, () => {
  it(
    "translate-to-fuzz modules: all metered, all valid metered, every parameterless export the same metered and unmetered, the budget error at each call's exact cost",
    async () => {
      const { totals, findings } = await fuzz("ttf");
      console.log(
        `meter fuzz (wasm-opt -ttf, seed ${SEED}): ${totals.modules} modules (${Math.round(totals.bytes / Math.max(1, totals.modules))} bytes on average), refused ${JSON.stringify(totals.refused)}; ` +
          `${totals.calls} calls: ${totals.returned} answered, ${totals.traps} trapped alike, ${totals.stopped} stopped by the budget, ${totals.startTrapped} modules whose metered start trapped (not run unmetered), ${totals.stackBound} compared up to a stack overflow; ${totals.boundaries} exact-cost boundaries checked; ${findings.length} findings; worker restarts ${pool.restarts}`,
      );
      expect(findings).toEqual([]);
      expect(totals.modules).toBe(MODULES);
      expect(totals.refused).toEqual({}); // valid modules of the features the meter knows: every one metered
      expect(totals.returned).toBeGreaterThan(MODULES); // the check compared answers, not only traps
      expect(totals.boundaries).toBeGreaterThan(MODULES);
    },
    Math.max(300_000, MODULES * 2_000),
  );

  it(
    "random byte changes of the default module: refused (never an invalid one metered), or the same metered and unmetered",
    async () => {
      const { totals, findings } = await fuzz("mutation");
      const refused = Object.values(totals.refused).reduce((a, b) => a + b, 0);
      console.log(
        `meter fuzz (mutations of the default module, seed ${SEED}): ${totals.modules} modules, refused ${JSON.stringify(totals.refused)}, ${totals.modules - refused} metered; ` +
          `${totals.calls} calls: ${totals.returned} answered, ${totals.traps} trapped alike, ${totals.stopped} stopped by the budget, ${totals.startTrapped} modules whose metered start trapped (not run unmetered), ${totals.stackBound} compared up to a stack overflow; ${totals.boundaries} boundaries; ${findings.length} findings`,
      );
      expect(findings).toEqual([]);
      expect(totals.modules).toBe(MODULES);
      expect(refused).toBeGreaterThan(0);
    },
    Math.max(300_000, MODULES * 2_000),
  );
});
