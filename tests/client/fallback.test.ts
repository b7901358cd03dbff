// When the agent does not answer: real servers on 127.0.0.1 ports that stall, refuse, stall
// halfway through an answer, or answer 503 / 4xx / 500; the client's deadline, its retry and its
// fallback, each counted through the hooks and each request seen by the server. No sleeps: the
// client's own deadline is the only clock, and the test waits for what the servers and hooks saw.
import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createClient, inProcess } from "../../host/client/embedded.node.ts";
import {
  createClient as createBareClient,
  IsoplaceProblem,
  IsoplaceUnavailable,
  type FallbackEvent,
  type IsoplaceClient,
  type RetryEvent,
} from "../../host/client/index.ts";
import { InvalidRequestError, type Engine } from "../../host/engine/index.ts";
import { loadPolicy } from "../../host/index.ts";
import { answerOf, toRequest } from "../contract/cases.ts";
import { spawnAgent, type AgentProcess } from "../hardening/support/agent-process.ts";
import { closedPort, startStalled, type Stalled } from "../support/stalled.ts";
import { clientCalls, comparable, expectSameProblem } from "./calls.ts";

/** A real server on a port that answers each request with `handler`; it records what it was asked. */
async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    handler(req, res);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const close = async () => {
    server.closeAllConnections();
    server.close();
    await once(server, "close");
  };
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, close };
}

const problemJson = (res: ServerResponse, status: number, body: object) => {
  res.writeHead(status, { "content-type": "application/problem+json" });
  res.end(JSON.stringify(body));
};

/** For tests of what an answer (or a refusal) does: on a loaded machine, no deadline must turn it into a timeout. */
const unhurried = { timeoutMs: 60_000 };

function counted() {
  const retries: RetryEvent[] = [],
    fallbacks: FallbackEvent[] = [];
  return { retries, fallbacks, hooks: { onRetry: (e: RetryEvent) => retries.push(e), onFallback: (e: FallbackEvent) => fallbacks.push(e) } };
}

let stalled: Stalled;
let refused: string;
let engine: Engine;
const closing: (() => Promise<void>)[] = [];

beforeAll(async () => {
  [stalled, refused, engine] = await Promise.all([startStalled(), closedPort(), loadPolicy()]);
});
afterEach(async () => {
  await Promise.all(closing.splice(0).map((c) => c()));
});
afterAll(() => stalled?.close());

describe("a stalled agent: deadline, then retry, then fallback", () => {
  it("each attempt is cut at timeoutMs, retried once, then the embedded policy answers; each step counted", async () => {
    const before = stalled.requests.length;
    const aborted: Promise<unknown>[] = [];
    const onRequest = (req: IncomingMessage) => aborted.push(once(req.socket, "close"));
    stalled.events.on("request", onRequest);
    const { retries, fallbacks, hooks } = counted();
    const client = createClient({ baseUrl: stalled.url, fallback: "embedded", ...hooks });
    const d = await client.decide({ workload: { scenario: "edge" } });
    stalled.events.off("request", onRequest);

    expect(d).toMatchObject({ level: "L4", runtime: "wasmedge", source: "fallback", policy: { name: "default" } });
    expect(comparable(d)).toEqual(comparable(engine.decide({ workload: { scenario: "edge" } })));
    expect(stalled.requests.slice(before)).toEqual(["POST /v1/decide", "POST /v1/decide"]);
    expect(retries).toEqual([{ operation: "decide", attempt: 1, reason: "timeout", status: undefined, delayMs: expect.any(Number) }]);
    expect(retries[0].delayMs).toBeGreaterThanOrEqual(0);
    expect(retries[0].delayMs).toBeLessThan(25);
    expect(fallbacks).toEqual([{ operation: "decide", attempts: 2, reason: "timeout", status: undefined }]);
    // both attempts were given up: the client closed each connection it had waited on
    await Promise.all(aborted);
    expect(aborted).toHaveLength(2);
  });

  it("retries: n makes n + 1 attempts; retries: 0 falls back after the first", async () => {
    for (const n of [0, 2]) {
      const before = stalled.requests.length;
      const { retries, fallbacks, hooks } = counted();
      const a = await createClient({ baseUrl: stalled.url, fallback: "embedded", retries: n, timeoutMs: 50, ...hooks }).levels();
      expect(a.source).toBe("fallback");
      expect(stalled.requests.length - before).toBe(n + 1);
      expect(retries.map((r) => r.attempt)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
      expect(fallbacks).toEqual([{ operation: "levels", attempts: n + 1, reason: "timeout", status: undefined }]);
    }
  });

  it("without a fallback: IsoplaceUnavailable after the same attempts", async () => {
    const before = stalled.requests.length;
    const err = await createBareClient({ baseUrl: stalled.url })
      .rank({ weights: { isolation: 1 } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IsoplaceUnavailable);
    expect(err).toMatchObject({ operation: "rank", attempts: 2, reason: "timeout" });
    expect(stalled.requests.slice(before)).toEqual(["POST /v1/rank", "POST /v1/rank"]);
  });

  it("the deadline covers the whole answer: headers sent, then a body that never ends, is a timeout", async () => {
    const s = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"level":');
    });
    closing.push(s.close);
    const { retries, fallbacks, hooks } = counted();
    const d = await createClient({ baseUrl: s.url, fallback: "embedded", ...hooks }).decide({});
    expect(d).toMatchObject({ level: "L3", source: "fallback" });
    expect(s.requests).toHaveLength(2);
    expect([retries[0].reason, fallbacks[0].reason]).toEqual(["timeout", "timeout"]);
  });

  // the second fetcher is another hop that forwards the request without its signal: only the client can stop waiting
  const forwarding = { fetch: (r: Request) => fetch(r.url, { method: r.method, headers: r.headers, body: r.body, duplex: "half" } as RequestInit) };
  for (const [how, fetcher] of [
    ["fetch", undefined],
    ["a fetcher that ignores the signal", forwarding],
  ] as const) {
    it(`a caller's abort during an attempt ends the call at once (${how}): no retry, no fallback`, async () => {
      const { retries, fallbacks, hooks } = counted();
      const client = createClient({ baseUrl: stalled.url, fetcher, fallback: "embedded", ...unhurried, ...hooks });
      const abort = new AbortController();
      const reason = new Error("the caller gave up");
      const taken = once(stalled.events, "request");
      const call = client.decide({}, { signal: abort.signal }).catch((e: unknown) => e);
      await taken;
      abort.abort(reason);
      expect(await call).toBe(reason);
      expect([retries, fallbacks]).toEqual([[], []]);
    });
  }
});

describe("the caller's signal, wherever the call is", () => {
  it("already aborted: the call ends before any request, even to a healthy agent", async () => {
    const s = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"levels":[]}');
    });
    closing.push(s.close);
    const { retries, fallbacks, hooks } = counted();
    const reason = new Error("cancelled before it began");
    for (const baseUrl of [s.url, refused]) {
      const client = createClient({ baseUrl, fallback: "embedded", ...unhurried, ...hooks });
      expect(await client.levels({ signal: AbortSignal.abort(reason) }).catch((e: unknown) => e)).toBe(reason);
    }
    expect(s.requests).toEqual([]);
    expect([retries, fallbacks]).toEqual([[], []]);
  });

  it("aborted during the backoff: the call ends at once, without waiting out the delay or trying the fallback", async () => {
    const s = await serve((_req, res) => problemJson(res, 503, { type: "about:blank", title: "Unavailable", status: 503, detail: "upstream down" }));
    closing.push(s.close);
    const { retries, fallbacks, hooks } = counted();
    const abort = new AbortController();
    const reason = new Error("the caller gave up");
    // the delay drawn is 0.9 × backoffMs, 54 s: far past the test's own timeout, were it waited out
    const random = vi.spyOn(Math, "random").mockReturnValue(0.9);
    try {
      const client = createClient({
        baseUrl: s.url,
        fallback: "embedded",
        backoffMs: 60_000,
        ...unhurried,
        ...hooks,
        onRetry: (e) => {
          hooks.onRetry(e);
          setImmediate(() => abort.abort(reason));
        },
      });
      expect(await client.levels({ signal: abort.signal }).catch((e: unknown) => e)).toBe(reason);
    } finally {
      random.mockRestore();
    }
    expect(retries.map((r) => [r.reason, r.status, r.delayMs])).toEqual([["unavailable", 503, 54_000]]);
    expect(s.requests).toHaveLength(1);
    expect(fallbacks).toEqual([]);
  });

  it("aborted while the fallback works: the call ends at once", async () => {
    const { fallbacks, hooks } = counted();
    const abort = new AbortController();
    const reason = new Error("the caller gave up");
    // an engine whose load does not finish: the caller gives up while it loads
    const loading = inProcess(() => {
      abort.abort(reason);
      return new Promise<Engine>(() => {});
    });
    const client = createClient({ baseUrl: refused, retries: 0, fallback: loading, ...hooks });
    expect(await client.decide({}, { signal: abort.signal }).catch((e: unknown) => e)).toBe(reason);
    expect(fallbacks).toHaveLength(1);
  });
});

describe("a request the client cannot send is the caller's error, never a network failure", () => {
  it("a body JSON cannot encode throws its TypeError: no request, no retry, no fallback", async () => {
    const s = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    });
    closing.push(s.close);
    const { retries, fallbacks, hooks } = counted();
    const client = createClient({ baseUrl: s.url, fallback: "embedded", ...unhurried, ...hooks });
    const err = await client.decide({ workload: { constraints: { maxMemoryMb: 64n } } } as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect((err as Error).message).toMatch(/BigInt/);
    expect(s.requests).toEqual([]);
    expect([retries, fallbacks]).toEqual([[], []]);
  });
});

describe("a fallback that cannot answer either", () => {
  it("an engine that does not load: IsoplaceUnavailable, its error as cause; the next call loads again", async () => {
    const { fallbacks, hooks } = counted();
    const broken = new Error("no policy module here");
    let loads = 0;
    const client = createClient({
      baseUrl: refused,
      fallback: inProcess(() => (++loads === 1 ? Promise.reject(broken) : Promise.resolve(engine))),
      ...unhurried,
      ...hooks,
    });
    const err = await client.levels().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IsoplaceUnavailable);
    expect(err).toMatchObject({ operation: "levels", attempts: 2, reason: "network", cause: broken });
    expect((err as Error).message).toBe("isoplace levels: no answer after 2 attempts (network), nor from the fallback");
    expect(await client.levels()).toMatchObject({ source: "fallback" });
    expect([loads, fallbacks.length]).toEqual([2, 2]);
  });

  it("a fetcher (another agent) that cannot be reached: IsoplaceUnavailable, its error as cause", async () => {
    const elsewhere = { fetch: (r: Request) => fetch(refused + new URL(r.url).pathname) };
    const err = await createBareClient({ baseUrl: refused, retries: 0, fallback: elsewhere, ...unhurried })
      .scenarios()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IsoplaceUnavailable);
    expect(err).toMatchObject({ operation: "scenarios", attempts: 1, reason: "network" });
    expect((err as Error).cause).toBeInstanceOf(TypeError);
  });

  it("a fallback's problem is still thrown as the IsoplaceProblem it is", async () => {
    const err = await createClient({ baseUrl: refused, retries: 0, fallback: "embedded", ...unhurried })
      .compare("L9", "L4")
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IsoplaceProblem);
    expect(err).toMatchObject({ status: 400, source: "fallback" });
  });
});

describe("other failures", () => {
  it("connection refused is a network failure: retried, then the fallback", async () => {
    const { retries, fallbacks, hooks } = counted();
    const s = await createClient({ baseUrl: refused, fallback: "embedded", ...unhurried, ...hooks }).scenarios();
    expect(s.source).toBe("fallback");
    expect(comparable(s)).toEqual(comparable(engine.scenarios()));
    expect(retries.map((r) => r.reason)).toEqual(["network"]);
    expect(fallbacks).toEqual([{ operation: "scenarios", attempts: 2, reason: "network", status: undefined }]);
  });

  for (const status of [502, 503, 504]) {
    it(`${status} is retried, then the fallback`, async () => {
      const s = await serve((_req, res) => problemJson(res, status, { type: "about:blank", title: "Unavailable", status, detail: "upstream down" }));
      closing.push(s.close);
      const { retries, fallbacks, hooks } = counted();
      const c = await createClient({ baseUrl: s.url, fallback: "embedded", ...unhurried, ...hooks }).compare("L3", "L4");
      expect(c).toMatchObject({ a: "L3", b: "L4", source: "fallback" });
      expect(s.requests).toEqual(["GET /v1/compare?a=L3&b=L4", "GET /v1/compare?a=L3&b=L4"]);
      expect(retries.map((r) => [r.reason, r.status])).toEqual([["unavailable", status]]);
      expect(fallbacks.map((f) => [f.reason, f.status])).toEqual([["unavailable", status]]);
    });
  }

  for (const status of [400, 404, 413, 429, 500]) {
    it(`${status} is the answer: thrown as IsoplaceProblem, never retried, never the fallback`, async () => {
      const s = await serve((_req, res) =>
        problemJson(res, status, { type: "urn:isoplace:problem:x", title: "No", status, detail: "refused", errors: [{ path: "workload", message: "bad" }] }),
      );
      closing.push(s.close);
      const { retries, fallbacks, hooks } = counted();
      const err = await createClient({ baseUrl: s.url, fallback: "embedded", ...unhurried, ...hooks })
        .decide({})
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(IsoplaceProblem);
      expect(err).toMatchObject({
        status,
        type: "urn:isoplace:problem:x",
        title: "No",
        detail: "refused",
        errors: [{ path: "workload", message: "bad" }],
        source: "agent",
      });
      expect(s.requests).toHaveLength(1);
      expect([retries, fallbacks]).toEqual([[], []]);
    });
  }

  it("a problem's other members are kept (a bounded error list's count of the rest), errors as sent", async () => {
    const errors = Array.from({ length: 10 }, (_, i) => ({ path: `items[${i}]`, message: "bad" }));
    const s = await serve((_req, res) =>
      problemJson(res, 400, {
        type: "urn:isoplace:problem:invalid-request",
        title: "Invalid request",
        status: 400,
        detail: "see errors",
        errors,
        errorsOmitted: 990,
        instance: "/v1/decide/batch",
      }),
    );
    closing.push(s.close);
    const err = (await createClient({ baseUrl: s.url, ...unhurried })
      .decideBatch([])
      .catch((e: unknown) => e)) as IsoplaceProblem;
    expect(err.errors).toEqual(errors);
    expect(err.extensions).toEqual({ errorsOmitted: 990, instance: "/v1/decide/batch" });
  });

  it("an answer that is not a problem document is still an IsoplaceProblem with its status", async () => {
    const s = await serve((_req, res) => {
      res.writeHead(404, { "content-type": "text/html" });
      res.end("<h1>no such page</h1>");
    });
    closing.push(s.close);
    const err = await createClient({ baseUrl: s.url, ...unhurried })
      .levels()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IsoplaceProblem);
    expect(err).toMatchObject({ status: 404, type: "about:blank", errors: [] });
  });

  it('the bare client refuses fallback: "embedded" and says where it is', () => {
    expect(() => createBareClient({ baseUrl: refused, fallback: "embedded" as never })).toThrow(/isoplace\/client\/embedded/);
  });
});

describe("the fallback answers as the engine and the agent do", () => {
  let agent: AgentProcess;
  const { fallbacks, hooks } = counted();
  let client: IsoplaceClient;
  beforeAll(async () => {
    client = createClient({ baseUrl: refused, retries: 0, fallback: "embedded", ...hooks });
    agent = await spawnAgent([]);
  });
  afterAll(() => agent?.kill());

  for (const { case: c, call, engine: viaEngine } of clientCalls) {
    it(c.name, async () => {
      const before = fallbacks.length;
      const [answer, http] = await Promise.all([call(client).catch((e: unknown) => e), fetch(toRequest(c, agent.url)).then(answerOf)]);
      expect(fallbacks.length).toBe(before + 1);
      let direct: unknown;
      try {
        direct = viaEngine?.(engine);
      } catch (err) {
        direct = err;
      }
      if (http.status === 200) {
        expect((answer as { source: string }).source).toBe("fallback");
        if (viaEngine) expect(comparable(answer)).toEqual(comparable(direct));
        if (c.path === "/v1/policy") expect((answer as { active: object }).active).toMatchObject(engine.policy);
        else expect(comparable(answer)).toEqual(comparable(http.json));
      } else {
        expectSameProblem(answer, http, "fallback");
        if (http.status === 400 && direct instanceof InvalidRequestError) expect((answer as IsoplaceProblem).errors).toEqual(direct.errors);
      }
    });
  }
});

describe("fallback: an engine the caller loaded", () => {
  it("answers from that engine, its node profile included", async () => {
    const own = await loadPolicy(undefined, { node: { source: "configured", runtimes: ["containerd"] } });
    const d = await createClient({ baseUrl: refused, retries: 0, fallback: own }).decide({ workload: { scenario: "edge" } });
    expect(d).toMatchObject({ level: "L3", rule: "second-choice", node: { source: "configured", runtimes: ["containerd"] }, source: "fallback" });
  });

  it("or any fetcher (another agent), through inProcess for an engine", async () => {
    const d = await createClient({ baseUrl: refused, retries: 0, fallback: inProcess(engine) }).rank({ weights: { coldStart: 1 } });
    expect(d).toMatchObject({ best: "L4", source: "fallback" });
  });
});
