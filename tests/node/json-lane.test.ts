// The agent serves its JSON operations (decide, batch, rank, admission, any json: route a host
// adds) from node:http directly (host/node/json-lane.ts) and everything else through the Hono app;
// both through host/http/json-operation.ts. Two real agents on ports, the same options but one
// with the lane (the default) and one without (jsonLane: false, every request through the app on
// @hono/node-server): for every contract case (tests/contract/cases.ts) and the lane's own edge
// cases they answer the same status, headers and body, and their log entries show which path
// served: `via: "node"` only on the lane's. Their policy is the trapping fixture (the default
// rules, but decide() traps on one combination of needs) for the 500 path.
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { apiRoutes, createApp } from "../../host/http/app.ts";
import { MAX_BODY_BYTES } from "../../host/http/body.ts";
import type { RouteSpec } from "../../host/http/types.ts";
import { admissionRoute, ADMISSION_PATH } from "../../host/k8s/route.ts";
import { startAgent, type Agent } from "../../host/node/agent.ts";
import { DEFAULT_POLICY_SOURCE, PACKAGE_ROOT } from "../../host/package.ts";
import { buildPolicy } from "../../host/policy/compile.ts";
import { cases as contractCases, toRequest, type ContractCase } from "../contract/cases.ts";
import { CLASSES, reviewOf } from "../k8s/support/webhook.ts";

const JSON_TYPE = { "content-type": "application/json" };
const decide = { workload: { scenario: "edge", artifact: "wasm" }, node: { runtimes: ["containerd", "wasmedge"] } };
const over64KiB = `{"workload":{}${" ".repeat(MAX_BODY_BYTES - 15)}}`;
/** The trapping fixture's poison: decide() traps when both needs are asked for. */
const poison = { workload: { performance: "low-memory-overhead", security: "supply-chain" } };
const THROWS = "/test/throws";

interface Case {
  name: string;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array | object;
  chunked?: boolean;
}
const CASES: Case[] = [
  ...contractCases.filter((c) => !c.hosts || c.hosts.includes("node")).map((c: ContractCase) => ({ ...c, name: `contract: ${c.name}` })),
  { name: "a decision, streamed without Content-Length", path: "/v1/decide", body: decide, chunked: true },
  { name: "another content type", path: "/v1/decide", headers: { "content-type": "text/plain" }, body: JSON.stringify(decide) },
  { name: "a body without a content type", path: "/v1/decide", body: new TextEncoder().encode(JSON.stringify(decide)) },
  { name: "no body at all", method: "POST", path: "/v1/decide" },
  { name: "an empty JSON body", path: "/v1/decide", headers: JSON_TYPE, body: "" },
  {
    name: "a +json content type with charset",
    path: "/v1/decide",
    headers: { "content-type": "application/vnd.isoplace+json; charset=utf-8" },
    body: JSON.stringify(decide),
  },
  { name: "one byte over 64 KiB", path: "/v1/decide", headers: JSON_TYPE, body: over64KiB },
  { name: "one byte over 64 KiB, streamed", path: "/v1/decide", headers: JSON_TYPE, body: over64KiB, chunked: true },
  { name: "a batch with a bad item", path: "/v1/decide/batch", body: { items: [decide, { workload: { cost: "free" } }] } },
  { name: "a query string (the app's)", path: "/v1/decide?explain=1", body: decide },
  { name: "a trailing slash (the app's: 404)", path: "/v1/decide/", body: decide },
  { name: "a GET operation with a query string (the app's)", path: "/readyz?verbose" },
  { name: "HEAD on a GET operation (the app's)", method: "HEAD", path: "/healthz" },
  { name: "a GET operation's path, POSTed (the app's: 405)", path: "/v1/levels", body: {} },
  { name: "admission: a pod placed", path: ADMISSION_PATH, body: reviewOf({ annotations: { "isoplace.io/scenario": "serverless" } }) },
  { name: "admission: not an AdmissionReview", path: ADMISSION_PATH, body: { kind: "Pod" } },
  { name: "admission: not JSON", path: ADMISSION_PATH, headers: { "content-type": "text/plain" }, body: "{}" },
  { name: "admission: over 3 MiB by Content-Length", path: ADMISSION_PATH, headers: JSON_TYPE, body: `{"x":"${"a".repeat(3 * 1024 * 1024)}"}` },
  { name: "500: the policy traps on this request", path: "/v1/decide", body: poison },
  { name: "500: an operation that throws", path: THROWS, body: {} },
];

/** The JSON operations: the routes the lane serves (by method, exact path). */
const LANE_ROUTES = new Set([
  ...["/v1/decide", "/v1/decide/batch", "/v1/rank", ADMISSION_PATH, THROWS].map((p) => `POST ${p}`),
  ...["/healthz", "/readyz", "/metrics", "/v1/levels", "/v1/scenarios", "/v1/policy"].map((p) => `GET ${p}`),
]);
const servedByLane = (c: Case) => LANE_ROUTES.has(`${c.method ?? (c.body === undefined ? "GET" : "POST")} ${c.path}`);

/** A json: route a host adds, whose operation fails unexpectedly: the plain 500. */
const throws: RouteSpec = {
  method: "post",
  path: THROWS,
  operationId: "testThrows",
  summary: "Fails (test)",
  responses: { 200: { description: "never" } },
  json: () => {
    throw new Error("injected failure");
  },
};

/** An agent whose request entries (its log lines) arrive as events: a test waits for the one it caused. */
interface Logged {
  agent: Agent;
  entries: Record<string, any>[];
  next(): Promise<Record<string, any>>;
}
async function logged(jsonLane: boolean, builtIn: Uint8Array): Promise<Logged> {
  const entries: Record<string, any>[] = [];
  let waiting: ((e: Record<string, any>) => void)[] = [];
  const sink = new Writable({
    write(chunk, _e, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) {
        const e = JSON.parse(line);
        if (e.msg !== "request") continue;
        entries.push(e);
        const w = waiting;
        waiting = [];
        for (const resolve of w) resolve(e);
      }
      done();
    },
  });
  const agent = await startAgent({
    port: 0,
    jsonLane,
    logger: pino({ base: { service: "isoplace" } }, sink),
    builtIn: async () => builtIn,
    routes: [admissionRoute({ runtimeClasses: CLASSES }), throws],
  });
  return { agent, entries, next: () => new Promise((resolve) => waiting.push(resolve)) };
}

let lane: Logged, app: Logged;
beforeAll(async () => {
  const entry = readFileSync(join(PACKAGE_ROOT, "tests/fixtures/trapping.ts"), "utf8");
  const trapping = (await buildPolicy(readFileSync(DEFAULT_POLICY_SOURCE, "utf8"), "default.yaml", { entry: "trapping.ts", files: { "trapping.ts": entry } }))
    .wasm;
  [lane, app] = await Promise.all([logged(true, trapping), logged(false, trapping)]);
}, 120_000);
afterAll(() => Promise.all([lane?.agent.close(), app?.agent.close()]));

const streamOf = (text: string) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(text));
      controller.close();
    },
  });

function requestOf(c: Case, base: string): Request {
  const r = toRequest({ ...c, check: () => {} } as ContractCase, base);
  if (!c.chunked) return r;
  const text = typeof c.body === "string" ? c.body : JSON.stringify(c.body);
  return new Request(r.url, { method: r.method, headers: r.headers, body: streamOf(text), duplex: "half" } as RequestInit);
}

/** Status, headers (but the date) and body, with what is fresh in every answer taken out: decision ids, times, counters. */
async function answer(res: Response, path: string) {
  const text = await res.text();
  const headers = Object.fromEntries([...res.headers].filter(([k]) => k !== "date"));
  let body: unknown = text;
  if (path === "/metrics") {
    body = text
      .split("\n")
      .filter((l) => l.startsWith("# "))
      .join("\n");
    delete headers["content-length"];
  } else if (text && res.headers.get("content-type")?.includes("json")) {
    body = JSON.parse(text, (k, v) => (k === "decisionId" ? "<id>" : typeof v === "string" && /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(v) ? "<time>" : v));
  }
  return { status: res.status, headers, body };
}

/** A request to a logged agent: its answer and the entry it logged. */
async function exchange(to: Logged, c: Case) {
  const entry = to.next();
  const res = await fetch(requestOf(c, to.agent.url));
  return { answer: await answer(res, c.path), entry: await entry };
}

describe("the JSON lane answers as the app does", () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const viaLane = await exchange(lane, c);
      const viaApp = await exchange(app, c);
      expect(viaLane.answer).toEqual(viaApp.answer);
      // (/metrics' length, which changes with its counters, is taken out of both answers)
      if (servedByLane(c) && c.path !== "/metrics") expect(viaLane.answer.headers["content-length"]).toBeDefined();
      // which path served: the lane's entries say so, the app's never do
      expect(viaLane.entry.via).toBe(servedByLane(c) ? "node" : undefined);
      expect(viaApp.entry.via).toBeUndefined();
      const { time: _t, ms: _m, decisionId: laneId, via: _v, ...laneEntry } = viaLane.entry;
      const { time: _t2, ms: _m2, decisionId: appId, ...appEntry } = viaApp.entry;
      expect(laneEntry).toEqual(appEntry);
      expect(laneId === undefined).toBe(appId === undefined);
    });
  }

  it("the 500s: a problem (the unexpected one logged as ours), and the agent serves the next request", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    for (const to of [lane, app]) {
      const trap = await exchange(to, CASES.find((c) => c.path === "/v1/decide" && c.body === poison)!);
      expect(trap.answer).toMatchObject({ status: 500, body: { type: "urn:isoplace:problem:policy-trap" } });
      const thrown = await exchange(to, CASES.find((c) => c.path === THROWS)!);
      expect(thrown.answer).toMatchObject({ status: 500, body: { type: "urn:isoplace:problem:internal" } });
      expect((await exchange(to, { name: "", path: "/v1/decide", body: decide })).answer.status).toBe(200);
    }
    expect(errors.mock.calls.map((c) => String(c[0]))).toEqual([
      `isoplace: unexpected error on POST ${THROWS}:`,
      `isoplace: unexpected error on POST ${THROWS}:`,
    ]);
    errors.mockRestore();
  });

  it("a client gone mid-body: no crash, a 400 logged (not ours, not a 5xx), the agent serves the next request", async () => {
    const errors = vi.spyOn(console, "error");
    try {
      for (const to of [lane, app]) {
        const entry = to.next();
        const arrived = new Promise((resolve) => to.agent.server.once("request", resolve));
        const socket = connect(to.agent.port, "127.0.0.1");
        socket.write(`POST /v1/decide HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"workload":`);
        await arrived;
        socket.destroy();
        expect(await entry).toMatchObject({ method: "POST", route: "/v1/decide", status: 400, ...(to === lane ? { via: "node" } : {}) });
        expect((await exchange(to, { name: "", path: "/v1/decide", body: decide })).answer.status).toBe(200);
      }
      expect(errors).not.toHaveBeenCalled();
    } finally {
      errors.mockRestore();
    }
  });

  it("logs and counts each request under its route, as the app does", async () => {
    await exchange(lane, { name: "", path: "/v1/rank", headers: { "content-type": "text/plain" }, body: "{}" });
    const metrics = await (await fetch(`${lane.agent.url}/metrics`)).text();
    expect(metrics).toMatch(/isoplace_http_requests_total\{method="POST",route="\/v1\/rank",status="415"\} [1-9]/);
    expect(metrics).toMatch(/isoplace_decisions_total\{level="L4"\} [1-9]/);
    expect(lane.entries.find((e) => e.route === "/v1/decide" && e.status === 200)).toMatchObject({
      placement: "L4",
      decisionId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
  });

  it("the app has no middleware (the lane's requests would pass it by): Hono holds one handler per route, nothing else", () => {
    const options = { engine: () => lane.agent.policy.engine, routes: [admissionRoute({ runtimeClasses: CLASSES })] };
    const app = createApp(options);
    const routes = [...apiRoutes(options), { method: "get", path: "/openapi.json" }];
    expect(app.routes.map((r) => `${r.method} ${r.path}`).sort()).toEqual(routes.map((r) => `${r.method.toUpperCase()} ${r.path}`).sort());
    app.use(async (_c, next) => next());
    expect(app.routes.map((r) => r.method)).toContain("ALL");
  });

  it("/openapi.json carries package.json's version (the agent gives it to the app)", async () => {
    const doc = await (await fetch(`${lane.agent.url}/openapi.json`)).json();
    expect(doc.info.version).toBe(JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")).version);
  });
});
