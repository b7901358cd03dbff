// The agent starts without zod and the request schemas (engine/validation.ts): its first
// decision does not need them. A request that does need them before they are loaded — an
// invalid decide, a rank, a batch, a compare — waits for them and gets the answer it always
// gets: the same 400s with the same field errors, never a 500. Nothing here loads them first.
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validationLoaded } from "../../host/engine/validation.ts";
import { startAgent, type Agent } from "../../host/node/agent.ts";

let agent: Agent;
beforeAll(async () => {
  agent = await startAgent({ port: 0, logger: pino({ level: "silent" }) });
});
afterAll(() => agent.close());

const post = (path: string, body: unknown) =>
  fetch(`${agent.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

describe("before the request schemas are loaded", () => {
  it("requests that need them are answered as always, all at once", async () => {
    // not loaded by the agent's start (asked without starting the load: the requests below must start it)
    expect(validationLoaded(), "the request schemas were loaded before the requests").toBe(false);
    const [decide, rank, batch, compare, valid] = await Promise.all([
      post("/v1/decide", { workload: { scenario: "moon" } }),
      post("/v1/rank", { weights: { isolation: -1 } }),
      post("/v1/decide/batch", { items: [{ workload: { scenario: "edge" } }, { workload: { cost: "free" } }] }),
      fetch(`${agent.url}/v1/compare?a=L9&b=L1`),
      post("/v1/decide", { workload: { scenario: "edge" } }),
    ]);
    expect(decide.status).toBe(400);
    expect((await decide.json()).errors).toEqual([
      expect.objectContaining({ path: "workload.scenario", message: expect.stringMatching(/^unknown scenario "moon"; allowed: /) }),
    ]);
    expect(rank.status).toBe(400);
    expect((await rank.json()).errors).toEqual([{ path: "weights.isolation", message: "a weight must be ≥ 0" }]);
    expect(batch.status).toBe(200);
    const { results } = await batch.json();
    expect(results[0].level).toBe("L4");
    expect(results[1]).toMatchObject({ status: 400, errors: [expect.objectContaining({ path: "items[1].workload.cost" })] });
    expect(compare.status).toBe(400);
    expect((await compare.json()).errors).toEqual([expect.objectContaining({ path: "a" })]);
    expect(valid.status).toBe(200);
    expect(validationLoaded()).toBe(true); // loaded by the requests that needed them
  });
});
