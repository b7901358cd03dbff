// The soak (bench/soak.ts, `npm run soak`) in brief: 3 s of load on a real agent with a swap
// every 250 ms and a bad module every 350 ms, so every bad class is tried at least once.
import { expect, it } from "vitest";
import { runSoak } from "../../bench/soak/run.ts";

it("3 s of load with swaps and bad uploads: no failed request, every bad class refused with its reason", async () => {
  const r = await runSoak({ seconds: 3, connections: 4, swapMs: 250, badMs: 350 });
  console.log(`soak (short): ${r.requests.total} requests, ${r.requests.failed} failed, p99 ${r.requests.latencyMs.p99} ms; ` +
    `${r.swaps.done} swaps; ${r.badUploads.rejected}/${r.badUploads.sent} bad uploads rejected, ${r.badUploads.classesTried} classes`);
  expect(r.problems).toEqual([]);
  expect(r.requests.failed).toBe(0);
  expect(r.requests.total).toBeGreaterThan(100);
  expect(r.swaps.done).toBeGreaterThanOrEqual(6);
  expect(r.badUploads.classesTried).toBe(r.badUploads.classes);
  for (const c of Object.values(r.badUploads.byClass)) expect(c.answered).toEqual([`422 ${c.reason}`]);
  expect(r.passed).toBe(true);
}, 60_000);
