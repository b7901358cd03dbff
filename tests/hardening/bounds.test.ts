// Bounded answers (issue 22, finding 6 and the rule behind finding 3): a request lists at most 10
// errors, with the count of the rest; a batch answer lists at most 100 in all, so the largest
// answer a 64 KiB body of bad items can get stays under 1 MiB. On main at 5930eb5 every bad id
// cost its own error with the ids allowed: a 65 KB batch of 122 items with 32 bad ids per list
// answered 4.4 MB. Through a real agent on 127.0.0.1.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgent, type Agent } from "../../host/node/agent.ts";
import { silent } from "../shipping/support/fixtures.ts";
import { BAD_ITEMS, batchOf } from "./support/bounds.ts";

const KiB = 1024,
  MiB = 1024 * KiB;
let agent: Agent;
beforeAll(async () => {
  agent = await startAgent({ port: 0, logger: silent });
});
afterAll(async () => {
  await agent.close();
});

const post = async (path: string, body: unknown) => {
  const res = await fetch(`${agent.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, bytes: Buffer.byteLength(text), json: JSON.parse(text) };
};

const xs = (n: number) => Array.from({ length: n }, (_, i) => `x${i}`);

describe("one request", () => {
  it("at most 10 errors listed, the rest counted: 4 lists of 32 bad ids", async () => {
    const r = await post("/v1/decide", { workload: { performance: xs(32), security: xs(32), cost: xs(32) }, node: { runtimes: xs(32) } });
    expect(r.status).toBe(400);
    expect(r.json.errors).toHaveLength(10);
    expect(r.json.omittedErrors).toBe(128 - 10);
    expect(r.bytes).toBeLessThan(8 * KiB);
    console.log(`bounds: a decide with 128 bad ids answered ${r.bytes} bytes (10 errors listed, ${r.json.omittedErrors} counted)`);
  });

  it("an error's message and its allowed ids are bounded whatever the id sent", async () => {
    const r = await post("/v1/decide", { workload: { scenario: "s".repeat(60_000) } });
    expect(r.status).toBe(400);
    expect(r.json.errors[0].message.length).toBeLessThanOrEqual(512);
    expect(r.bytes).toBeLessThan(2 * KiB);
  });
});

describe("a batch: at most 10 errors an item, 100 in all", () => {
  it("the largest answer for a 64 KiB body of bad items is under 1 MiB; every item still says it is invalid and how many errors it has", async () => {
    const sizes: [string, number, number][] = [];
    for (const [what, item] of Object.entries(BAD_ITEMS)) {
      const body = batchOf(item),
        n = body.items.length;
      expect(JSON.stringify(body).length).toBeLessThanOrEqual(64 * KiB);
      const r = await post("/v1/decide/batch", body);
      expect(r.status, what).toBe(200);
      expect(r.json.results).toHaveLength(n);
      let listed = 0;
      for (const p of r.json.results) {
        expect(p.status).toBe(400);
        expect(p.errors.length).toBeLessThanOrEqual(10);
        listed += p.errors.length;
        expect(p.errors.length + (p.omittedErrors ?? 0)).toBeGreaterThan(0);
      }
      expect(listed).toBeLessThanOrEqual(100);
      sizes.push([what, n, r.bytes]);
    }
    const [worst, items, bytes] = sizes.reduce((a, b) => (b[2] > a[2] ? b : a));
    console.log(
      `bounds: the largest batch answer for a 64 KiB body of bad items: ${bytes} bytes (${(bytes / MiB).toFixed(2)} MiB; ${items} items of "${worst}")\n` +
        sizes.map(([w, n, b]) => `  ${w}: ${n} items, ${b} bytes`).join("\n"),
    );
    expect(bytes).toBeLessThanOrEqual(MiB);
  });

  it("the first bad items list their errors; later ones count them and say how to see them", async () => {
    const item = { workload: { performance: xs(12) } };
    const r = await post("/v1/decide/batch", { items: Array.from({ length: 20 }, () => item) });
    const results = r.json.results;
    expect(results.slice(0, 10).map((p: { errors: unknown[] }) => p.errors.length)).toEqual(Array(10).fill(10));
    expect(results[0].omittedErrors).toBe(2);
    expect(results[10]).toMatchObject({
      errors: [],
      omittedErrors: 12,
      detail: expect.stringMatching(/^Item 10 is invalid \(12 errors\).*send the item alone/),
    });
  });
});
