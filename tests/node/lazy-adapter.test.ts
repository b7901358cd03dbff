// An agent that only decides, answers its probes and is scraped never loads Hono's Node adapter
// (host/node/hono-listener.ts): importing it reads the web Request and Response globals, which
// loads undici, megabytes of RSS the JSON lane does not need. A real `isoplace serve` process,
// preloaded with a trap that says on stderr when one of those globals is first read.
import { get as httpGet, request } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnChild, type Child } from "../support/child.ts";
import { SOURCE_MAIN } from "../support/cli.ts";

const TRAP = join(import.meta.dirname, "fixtures/web-globals-trap.cjs");
const READ = /^web global read: /;

let agent: Child, url: string;
beforeAll(async () => {
  agent = spawnChild(process.execPath, ["--require", TRAP, SOURCE_MAIN, "serve", "--port", "0"], { env: { ...process.env, LOG_LEVEL: "info" } });
  url = JSON.parse(await agent.waitForLine(/isoplace agent listening/, "the agent listening", 30_000)).url;
}, 40_000);
afterAll(() => agent?.stop());

// node:http, not fetch: the agent's reads are what the trap tells, and this process's client need not be undici
const get = (path: string) =>
  new Promise<number>((resolve, reject) => {
    httpGet(`${url}${path}`, (res) => res.resume().on("end", () => resolve(res.statusCode!))).on("error", reject);
  });
const post = (path: string, body: unknown) =>
  new Promise<number>((resolve, reject) => {
    request(`${url}${path}`, { method: "POST", headers: { "content-type": "application/json" } }, (res) =>
      res.resume().on("end", () => resolve(res.statusCode!)),
    )
      .on("error", reject)
      .end(JSON.stringify(body));
  });

describe("the Hono adapter loads with the first request the JSON lane does not serve", () => {
  it("decisions, probes, /metrics and the GET views: answered, nothing read", async () => {
    expect(await post("/v1/decide", { workload: { scenario: "serverless" } })).toBe(200);
    expect(await post("/v1/decide", { workload: { scenario: "nope" } })).toBe(400);
    expect(await post("/v1/decide/batch", { items: [{}] })).toBe(200);
    expect(await post("/v1/rank", { weights: { isolation: 1 } })).toBe(200);
    for (const path of ["/healthz", "/readyz", "/metrics", "/v1/levels", "/v1/scenarios", "/v1/policy"]) expect(await get(path)).toBe(200);
    // its own request line comes after each answer: the last one logged means the trap had its chance
    await agent.waitForLine((l) => l.includes('"route":"/v1/policy"'), "the last request's log line");
    expect(agent.lines.filter((l) => READ.test(l))).toEqual([]);
  });

  it("then a route of the app's: the adapter loads, and it answers", async () => {
    expect(await get("/openapi.json")).toBe(200);
    expect(await agent.waitForLine(READ, "the adapter's read of the web globals")).toMatch(READ);
    expect(await get("/v1/compare?a=L3&b=L4")).toBe(200);
  });
});
