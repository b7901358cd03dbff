// The soak (bench/soak.ts, `npm run soak`) in brief: 4 s of load on a real agent with a swap
// every 300 ms and a bad module every 200 ms (each waits for the one before), so every bad class
// is tried at least once even on a busy machine.
import { expect, it } from "vitest";
import { runSoak } from "../../bench/soak/run.ts";

it("4 s of load with swaps and bad uploads: no failed request, every bad class refused with its reason", async () => {
  const r = await runSoak({ seconds: 4, connections: 4, swapMs: 300, badMs: 200 });
  console.log(`soak (short): ${r.requests.total} requests, ${r.requests.failed} failed, p99 ${r.requests.latencyMs.p99} ms; ` +
    `${r.swaps.done} swaps; ${r.badUploads.rejected}/${r.badUploads.sent} bad uploads rejected, ${r.badUploads.classesTried} classes`);
  expect(r.problems).toEqual([]);
  expect(r.requests.failed).toBe(0);
  expect(r.requests.total).toBeGreaterThan(100);
  expect(r.swaps.done).toBeGreaterThanOrEqual(4);
  expect(r.badUploads.classesTried).toBe(r.badUploads.classes);
  for (const c of Object.values(r.badUploads.byClass)) expect(c.answered).toEqual([`422 ${c.reason}`]);
  expect(r.passed).toBe(true);
}, 60_000);
