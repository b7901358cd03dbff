// The agent serves POST /v1/decide straight from node:http (host/http/decide-direct.ts); with a
// query string the same route goes through the Hono app. Both must answer alike — status,
// headers, body (the decision id aside), log line and metrics — for good and bad requests.
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnAgent, type AgentProcess } from "../hardening/support/agent-process.ts";

interface Sent { status: number; headers: Record<string, string | string[] | undefined>; body: string }

/** A raw request (chunked bodies and wrong lengths included), answered in full. */
function send(url: string, path: string, headers: Record<string, string>, body?: string | Buffer, chunked = false): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method: "POST", headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
    if (body !== undefined && chunked) { req.write(body.slice(0, 5)); req.end(body.slice(5)); } else req.end(body);
  });
}

const json = { "content-type": "application/json" };
const big = JSON.stringify({ workload: { scenario: "edge" }, pad: "x".repeat(70_000) });
const CASES: [string, Record<string, string>, (string | Buffer)?, boolean?][] = [
  ["a decision", json, '{"workload":{"scenario":"edge"}}'],
  ["an infeasible decision", json, '{"node":{"runtimes":[]}}'],
  ["an empty JSON body", json, ""],
  ["no body, no type", {}, undefined],
  ["invalid fields", json, '{"workload":{"scenario":"nope"},"extra":1}'],
  ["malformed JSON", json, '{"workload":'],
  ["not JSON", { "content-type": "text/plain" }, "hello"],
  ["declared too large", json, big],
  ["too large, chunked", json, big, true],
  ["a chunked decision", json, '{"workload":{"scenario":"serverless"}}', true],
  ["JSON with a charset", { "content-type": "application/json; charset=utf-8" }, '{"workload":{"scenario":"edge"}}'],
];

const withoutId = (body: string) => body.replace(/"decisionId":"[0-9a-f-]+"/, '"decisionId":"…"');
const same = (r: Sent) => ({ status: r.status, type: r.headers["content-type"], length: r.headers["content-length"], body: withoutId(r.body) });

describe("POST /v1/decide, direct and through the app", () => {
  let agent: AgentProcess;
  beforeAll(async () => { agent = await spawnAgent(["--runtimes", "containerd,wasmedge"]); });
  afterAll(() => agent?.kill());

  it.each(CASES)("%s: the same answer", async (_, headers, body, chunked) => {
    const direct = await send(agent.url, "/v1/decide", headers, body, chunked);
    const viaApp = await send(agent.url, "/v1/decide?via=app", headers, body, chunked);
    expect(same(direct)).toEqual(same(viaApp));
  });

  it("logs and counts both alike", async () => {
    const ids: string[] = [];
    for (const path of ["/v1/decide", "/v1/decide?via=app"]) {
      const r = await send(agent.url, path, json, '{"workload":{"scenario":"edge"}}');
      ids.push(JSON.parse(r.body).decisionId);
    }
    const lines = await Promise.all(ids.map((id) => agent.waitForLine((l) => l.includes(id), "the request's line", 10_000)));
    const shape = (l: string) => { const { time: _t, ms: _m, decisionId: _d, ...rest } = JSON.parse(l); return Object.keys(JSON.parse(l)).join(",") + JSON.stringify(rest); };
    expect(shape(lines[0])).toBe(shape(lines[1]));
    expect(JSON.parse(lines[0])).toMatchObject({ level: 30, service: "isoplace", method: "POST", route: "/v1/decide", status: 200, placement: "L4", msg: "request" });
    const metrics = await (await fetch(`${agent.url}/metrics`)).text();
    // every case above was sent twice: each status counted an even number of times, under the one route
    for (const m of metrics.matchAll(/^isoplace_http_requests_total\{method="POST",route="\/v1\/decide",status="(\d+)"\} (\d+)$/gm)) expect(Number(m[2]) % 2).toBe(0);
    expect(metrics).not.toMatch(/via=app/);
  });
});
