// Inside real workerd, two Workers: a caller's (tests/worker-client/caller.ts, with a service
// binding ISOPLACE) and the isoplace Worker as `wrangler deploy` bundles it. The client is the
// package's own, as a Worker resolves `isoplace/client/embedded` (its workerd build, with the
// policy module bundled compiled). The stalled server is a real one on a Node-side port
// (global-setup.ts).
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createClient, IsoplaceProblem, type FallbackEvent, type RetryEvent } from "isoplace/client/embedded";
import { clientCalls, comparable, expectSameProblem } from "../client/calls.ts";
import { answerOf, toRequest } from "../contract/cases.ts";

const viaBinding = (r: Request) => env.ISOPLACE.fetch(r).then(answerOf);

describe("a Worker calling the isoplace Worker through a service binding", () => {
  it("the caller's function gets the isoplace Worker's decision", async () => {
    expect((await env.ISOPLACE.fetch("http://isoplace/readyz")).status).toBe(200); // built: its first request verifies the module
    const res = await exports.default.fetch(new Request("http://caller.test/", { method: "POST", body: JSON.stringify({ workload: { scenario: "edge" } }) }));
    expect(res.status).toBe(200);
    const direct = await viaBinding(
      new Request("http://isoplace/v1/decide", { method: "POST", headers: { "content-type": "application/json" }, body: '{"workload":{"scenario":"edge"}}' }),
    );
    expect(await res.json()).toEqual({ level: "L4", runtime: "wasmedge", stack: "K3s + WasmEdge 0.14.1", policy: direct.json.policy, source: "agent" });
  });

  const retries: RetryEvent[] = [],
    fallbacks: FallbackEvent[] = [];
  // a generous deadline: these cases check answers, and the isoplace Worker's first request verifies its module
  const client = createClient({
    fetcher: env.ISOPLACE,
    timeoutMs: 10_000,
    fallback: "embedded",
    onRetry: (e) => retries.push(e),
    onFallback: (e) => fallbacks.push(e),
  });
  for (const { case: c, call } of clientCalls) {
    it(`${c.name}: the client's answer is the isoplace Worker's`, async () => {
      const http = await viaBinding(toRequest(c, "http://isoplace"));
      const answer = await call(client).catch((err: unknown) => err);
      if (http.status === 200) expect(comparable(answer)).toEqual(comparable(http.json));
      else expectSameProblem(answer, http, "agent");
    });
  }
  it("no retry and no fallback were needed", () => {
    expect([retries, fallbacks]).toEqual([[], []]);
  });
});

describe("inside workerd, a stalled agent: deadline, retry, then the embedded policy", () => {
  it("each step counted; the fallback answers as the isoplace Worker does", async () => {
    const retries: RetryEvent[] = [],
      fallbacks: FallbackEvent[] = [];
    const stalled = createClient({ baseUrl: env.STALLED_URL, fallback: "embedded", onRetry: (e) => retries.push(e), onFallback: (e) => fallbacks.push(e) });
    const request = { workload: { scenario: "serverless", artifact: "container" }, node: { runtimes: ["containerd", "wasmedge"] } };
    const d = await stalled.decide(request);
    expect(d.source).toBe("fallback");
    expect(retries.map((r) => [r.operation, r.attempt, r.reason])).toEqual([["decide", 1, "timeout"]]);
    expect(fallbacks).toEqual([{ operation: "decide", attempts: 2, reason: "timeout", status: undefined }]);
    const http = await viaBinding(
      new Request("http://isoplace/v1/decide", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(request) }),
    );
    expect(comparable(d)).toEqual(comparable(http.json));
  });

  it("bad input in the fallback is the same IsoplaceProblem as the agent's", async () => {
    const stalled = createClient({ baseUrl: env.STALLED_URL, retries: 0, fallback: "embedded" });
    const bad = { workload: { scenario: "mainframe", constraints: { maxColdStartMs: -1 } } };
    const err = await stalled.decide(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IsoplaceProblem);
    const http = await viaBinding(
      new Request("http://isoplace/v1/decide", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(bad) }),
    );
    expectSameProblem(err, http, "fallback");
    expect((err as IsoplaceProblem).errors.map((e) => e.path)).toEqual(["workload.scenario", "workload.constraints.maxColdStartMs"]);
  });
});

describe("inside workerd, a caller's mistake ends at once", () => {
  it("a baseUrl without its scheme is a TypeError at createClient, never a call the fallback answers", () => {
    expect(() => createClient({ baseUrl: "isoplace.internal:8787", fallback: "embedded" })).toThrow(
      new TypeError(
        'isoplace/client: baseUrl must be an http: or https: URL such as "http://127.0.0.1:8787", without credentials, query or fragment (or give a fetcher), got "isoplace.internal:8787"',
      ),
    );
    expect(() => createClient({ fetcher: env.ISOPLACE, retries: -1 })).toThrow(
      new TypeError("isoplace/client: retries must be an integer from 0 to 10, got -1"),
    );
  });

  it("an aborted signal ends the call with its reason: no attempt counted, no fallback", async () => {
    const retries: RetryEvent[] = [],
      fallbacks: FallbackEvent[] = [];
    const client = createClient({ fetcher: env.ISOPLACE, fallback: "embedded", onRetry: (e) => retries.push(e), onFallback: (e) => fallbacks.push(e) });
    const reason = new Error("the caller gave up");
    expect(await client.decide({}, { signal: AbortSignal.abort(reason) }).catch((e: unknown) => e)).toBe(reason);
    expect([retries, fallbacks]).toEqual([[], []]);
  });
});

describe("types (checked by npm run typecheck, host/worker/tsconfig.json)", () => {
  it("come from the server's schemas: a request the API refuses does not typecheck", () => {
    type Decide = Parameters<ReturnType<typeof createClient>["decide"]>[0];
    type Rank = Parameters<ReturnType<typeof createClient>["rank"]>[0];
    const ok: Decide = {
      workload: { scenario: "edge", performance: ["fast-cold-start"], constraints: { maxColdStartMs: 50 } },
      node: { runtimes: ["containerd"] },
    };
    // @ts-expect-error an unknown top-level field
    const extra: Decide = { workloads: {} };
    // @ts-expect-error a constraint is a number
    const text: Decide = { workload: { constraints: { maxMemoryMb: "64" } } };
    // @ts-expect-error rank needs weights
    const noWeights: Rank = {};
    expect([ok, extra, text, noWeights]).toHaveLength(4);
  });
});
