// The fuzz's worker thread: makes one module per job — Binaryen's translate-to-fuzz from seeded
// random bytes, or the default module with random bytes changed — and runs the differential
// check on it (meter-differential.ts). The test on the main thread keeps the wall clock and
// terminates this thread when a job does not finish.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parentPort } from "node:worker_threads";
import { PACKAGE_ROOT } from "../../../host/package.ts";
import { loadTtf } from "./binaryen-ttf.ts";
import { differential, withArguments, type Report } from "./meter-differential.ts";

export type Job = { id: number; kind: "ttf" | "mutation"; seed: number } | { id: number; kind: "module"; bytes: Uint8Array };
export interface Done {
  id: number;
  report: Report;
  size: number;
}

/** mulberry32: a small seeded generator, so a failing job can be made again from its seed alone. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const defaultModule = new Uint8Array(readFileSync(join(PACKAGE_ROOT, "dist/policies/default.wasm")));

/** The default module with 1–4 bytes set to random values, and now and then cut short. */
export function mutation(seed: number): Uint8Array {
  const r = random(seed);
  const out = defaultModule.slice(0, r() < 0.1 ? Math.floor(r() * defaultModule.length) : defaultModule.length);
  for (let n = 1 + Math.floor(r() * 4); n > 0; n--) out[Math.floor(r() * out.length)] = Math.floor(r() * 256);
  return out;
}

if (parentPort) {
  const port = parentPort;
  const ttf = await loadTtf();
  port.on("message", (job: Job) => {
    let bytes: Uint8Array, report: Report;
    if (job.kind === "ttf") {
      const r = random(job.seed);
      const seedBytes = Uint8Array.from({ length: 500 + Math.floor(r() * 7500) }, () => Math.floor(r() * 256));
      bytes = ttf.generate(seedBytes);
      report = differential(bytes);
    } else if (job.kind === "module") {
      bytes = job.bytes;
      report = differential(bytes);
    } else {
      bytes = mutation(job.seed);
      // the default module's calls need ~0.5 M units at most; a mutation that loops is stopped well before a second
      report = differential(bytes, { plan: withArguments(random(job.seed ^ 0x5eed)), ample: 20_000_000, maxMemoryPages: 64 });
    }
    port.postMessage({ id: job.id, report, size: bytes.length } satisfies Done);
  });
  port.postMessage("ready");
}
