// The soak (bench/soak.ts, `npm run soak`) in brief: load on a real agent with a swap every 300 ms
// and a bad module every 200 ms (each waits for the one before), run until 4 swaps, every bad
// class and 200 requests have been answered — counts, not a length of time, so a busy machine
// makes it slower, never thinner.
import { expect, it } from "vitest";
import { runSoak } from "../../bench/soak/run.ts";

const SWAPS = 4,
  REQUESTS = 200;

it(`load until ${SWAPS} swaps, every bad class and ${REQUESTS} requests: no failed request, every bad class refused with its reason`, async () => {
  const r = await runSoak({ length: { swaps: SWAPS, requests: REQUESTS }, connections: 4, swapMs: 300, badMs: 200 });
  console.log(
    `soak (short): ${r.requests.total} requests, ${r.requests.failed} failed, p99 ${r.requests.latencyMs.p99} ms; ` +
      `${r.swaps.done} swaps; ${r.badUploads.rejected}/${r.badUploads.sent} bad uploads rejected, ${r.badUploads.classesTried} classes`,
  );
  expect(r.problems).toEqual([]);
  expect(r.requests.failed).toBe(0);
  expect(r.requests.total).toBeGreaterThanOrEqual(REQUESTS);
  expect(r.swaps.done).toBeGreaterThanOrEqual(SWAPS);
  expect(r.badUploads.classesTried).toBe(r.badUploads.classes);
  for (const c of Object.values(r.badUploads.byClass)) expect(c.answered).toEqual([`422 ${c.reason}`]);
  expect(r.passed).toBe(true);
}, 60_000);
