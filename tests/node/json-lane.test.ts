// The agent serves its JSON operations (decide, batch, rank) from node:http directly
// (host/node/json-lane.ts) and everything else through the Hono app. Whichever serves it, a
// request gets the same answer: for each case here, the real agent on a port and the Hono app
// (app.request, as the Worker runs it) answer the same status, content type and body (decision
// ids aside), and the agent's log line and metrics name the route as the app would.
import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadPolicy } from "../../host/index.ts";
import { createApp } from "../../host/http/app.ts";
import { MAX_BODY_BYTES } from "../../host/http/body.ts";
import { startAgent, type Agent } from "../../host/node/agent.ts";

interface Case { name: string; path: string; body?: string; type?: string | null; chunked?: boolean }

const decide = JSON.stringify({ workload: { scenario: "edge", artifact: "wasm" }, node: { runtimes: ["containerd", "wasmedge"] } });
const CASES: Case[] = [
  { name: "a decision", path: "/v1/decide", body: decide },
  { name: "a decision, streamed without Content-Length", path: "/v1/decide", body: decide, chunked: true },
  { name: "an invalid field", path: "/v1/decide", body: JSON.stringify({ workload: { scenario: "moon" } }) },
  { name: "malformed JSON", path: "/v1/decide", body: "{\"workload\": " },
  { name: "another content type", path: "/v1/decide", body: decide, type: "text/plain" },
  { name: "a body without a content type", path: "/v1/decide", body: decide, type: null },
  { name: "no body at all", path: "/v1/decide", type: null },
  { name: "an empty JSON body", path: "/v1/decide", body: "" },
  { name: "a JSON array", path: "/v1/decide", body: "[1]" },
  { name: "a +json content type with charset", path: "/v1/decide", body: decide, type: "application/vnd.isoplace+json; charset=utf-8" },
  { name: "one byte over 64 KiB", path: "/v1/decide", body: `{"workload":{}${" ".repeat(MAX_BODY_BYTES - 15)}}` },
  { name: "one byte over 64 KiB, streamed", path: "/v1/decide", body: `{"workload":{}${" ".repeat(MAX_BODY_BYTES - 15)}}`, chunked: true },
  { name: "a batch with a bad item", path: "/v1/decide/batch", body: JSON.stringify({ items: [JSON.parse(decide), { workload: { cost: "free" } }] }) },
  { name: "a batch that is not one", path: "/v1/decide/batch", body: JSON.stringify({ items: 3 }) },
  { name: "a ranking", path: "/v1/rank", body: JSON.stringify({ weights: { isolation: 3, coldStart: 1 } }) },
  { name: "a ranking with a bad weight", path: "/v1/rank", body: JSON.stringify({ weights: { isolation: -1 } }) },
  { name: "a query string (the app's)", path: "/v1/decide?explain=1", body: decide },
  { name: "a trailing slash (the app's: 404)", path: "/v1/decide/", body: decide },
];

const lines: string[] = [];
let agent: Agent, app: ReturnType<typeof createApp>;
beforeAll(async () => {
  const sink = new Writable({ write(chunk, _e, done) { lines.push(...String(chunk).split("\n").filter(Boolean)); done(); } });
  agent = await startAgent({ port: 0, logger: pino({ base: { service: "isoplace" } }, sink) });
  const engine = await loadPolicy();
  app = createApp({ engine: () => engine });
});
afterAll(() => agent.close());

const headersOf = (c: Case): Record<string, string> => c.type === null ? {} : { "content-type": c.type ?? "application/json" };
const streamOf = (text: string) => new ReadableStream<Uint8Array>({
  start(controller) { controller.enqueue(new TextEncoder().encode(text)); controller.close(); },
});

/** Status, content type and body, decision ids taken out (they are fresh for every answer). */
async function answer(res: Response) {
  const text = await res.text();
  const body = text ? JSON.parse(text, (k, v) => (k === "decisionId" ? "<id>" : v)) : text;
  return { status: res.status, type: res.headers.get("content-type"), length: res.headers.get("content-length") === null ? null : "set", body };
}

describe("the JSON lane answers as the app does", () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const init = { method: "POST", headers: headersOf(c), body: c.body === undefined ? undefined : c.chunked ? streamOf(c.body) : c.body, duplex: "half" } as RequestInit;
      const viaAgent = await answer(await fetch(`${agent.url}${c.path}`, init));
      const viaApp = await answer(await app.request(c.path, { ...init, body: c.body === undefined ? undefined : c.chunked ? streamOf(c.body) : c.body } as RequestInit));
      expect({ ...viaAgent, length: undefined }).toEqual({ ...viaApp, length: undefined });
      expect(viaAgent.length).toBe("set");
    });
  }

  it("logs and counts each request under its route, as the app does", async () => {
    lines.length = 0;
    await fetch(`${agent.url}/v1/decide`, { method: "POST", headers: { "content-type": "application/json" }, body: decide });
    await fetch(`${agent.url}/v1/rank`, { method: "POST", headers: { "content-type": "text/plain" }, body: "{}" });
    await fetch(`${agent.url}/v1/decide/`, { method: "POST", headers: { "content-type": "application/json" }, body: decide });
    const requests = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === "request");
    expect(requests.map(({ method, route, status }) => ({ method, route, status }))).toEqual([
      { method: "POST", route: "/v1/decide", status: 200 },
      { method: "POST", route: "/v1/rank", status: 415 },
      { method: "POST", route: "unmatched", status: 404 },
    ]);
    expect(requests[0]).toMatchObject({ placement: "L4", decisionId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const metrics = await (await fetch(`${agent.url}/metrics`)).text();
    expect(metrics).toContain('isoplace_http_requests_total{method="POST",route="/v1/rank",status="415"} 1');
    expect(metrics).toMatch(/isoplace_decisions_total\{level="L4"\} [1-9]/);
  });
});
