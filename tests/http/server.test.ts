// The agent as a user runs it: `isoplace serve` as a real process on an ephemeral port. Every
// wait is on an event (a log line, a response, the exit), never on a timer.
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnAgent, type AgentProcess } from "../hardening/support/agent-process.ts";

const post = (url: string, body: unknown) => fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

/** Prometheus text exposition, parsed line by line: every line must be a comment or a sample. */
function parsePrometheus(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("# HELP ") || line.startsWith("# TYPE ")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})?) (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/.exec(line);
    if (!m) throw new Error(`not Prometheus text: ${line}`);
    samples.set(m[1], Number(m[2]));
  }
  return samples;
}

describe("isoplace serve (a real process)", () => {
  let agent: AgentProcess;
  beforeAll(async () => {
    agent = await spawnAgent(["--runtimes", "containerd,wasmedge"]);
  });
  afterAll(() => agent?.kill());

  it("decides with the configured node profile", async () => {
    const d = await (await post(`${agent.url}/v1/decide`, { workload: { scenario: "edge" } })).json();
    expect(d).toMatchObject({ level: "L4", runtime: "wasmedge", node: { source: "configured", runtimes: ["containerd", "wasmedge"] } });
  });

  it("answers a batch in order", async () => {
    const r = await (
      await post(`${agent.url}/v1/decide/batch`, { items: [{ workload: { scenario: "serverless" } }, { workload: { security: "multi-tenant" } }] })
    ).json();
    // multi-tenant wants L1, which needs kvm: the best-isolating level this node has wins
    expect(r.results.map((x: { level: string | null }) => x.level)).toEqual(["L4", "L4"]);
    expect(r.results[1].rule).toBe("score");
  });

  it("exposes metrics that parse as Prometheus text and count what happened", async () => {
    await post(`${agent.url}/v1/decide`, { node: { runtimes: [] } });
    const samples = parsePrometheus(await (await fetch(`${agent.url}/metrics`)).text());
    expect(samples.get('isoplace_http_requests_total{method="POST",route="/v1/decide",status="200"}')).toBeGreaterThanOrEqual(2);
    expect(samples.get('isoplace_decisions_total{level="L4"}')).toBeGreaterThanOrEqual(2);
    expect(samples.get("isoplace_infeasible_decisions_total")).toBeGreaterThanOrEqual(1);
    expect([...samples.keys()].some((k) => k.startsWith("isoplace_http_request_duration_seconds_bucket{"))).toBe(true);
    expect([...samples.keys()].some((k) => k.startsWith("isoplace_process_resident_memory_bytes"))).toBe(true);
    expect([...samples.keys()].find((k) => k.startsWith("isoplace_policy_info{"))).toMatch(/name="default"/);
  });

  it("logs one line per request, without bodies", async () => {
    const answer = await (await post(`${agent.url}/v1/decide`, { workload: { scenario: "microservices" } })).json();
    // the line of this very request, found by its decision id, whenever the logger writes it
    const line = await agent.waitForLine((l) => l.includes(answer.decisionId), "the request's log line", 10_000);
    expect(JSON.parse(line)).toMatchObject({
      msg: "request",
      method: "POST",
      route: "/v1/decide",
      status: 200,
      placement: "L3",
      decisionId: answer.decisionId,
    });
    expect(agent.output()).not.toContain("microservices");
  });
});

describe("graceful stop", () => {
  let agent: AgentProcess | undefined;
  afterAll(() => agent?.kill());

  it("SIGTERM lets an in-flight request finish, refuses new ones, and exits 0", async () => {
    agent = await spawnAgent([]);
    const a = agent;
    const { port, hostname } = new URL(a.url);
    const body = JSON.stringify({ workload: { scenario: "serverless" } });
    // `Expect: 100-continue` makes the server say when it has the request's headers: from then on
    // the request is in flight. Half the body goes, then SIGTERM; the rest only once the agent
    // has logged that it is stopping.
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        {
          host: hostname,
          port,
          method: "POST",
          path: "/v1/decide",
          headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), expect: "100-continue" },
        },
        (res) => {
          let text = "";
          res.on("data", (d) => (text += d));
          res.on("end", () => resolve({ status: res.statusCode!, text }));
        },
      );
      req.on("error", reject);
      req.on("continue", () => {
        req.write(body.slice(0, 10), () => {
          a.child.kill("SIGTERM");
          a.waitForLine((l) => l.includes('"msg":"stopping: draining in-flight requests"'), "the stopping line", 10_000).then(
            () => req.end(body.slice(10)),
            reject,
          );
        });
      });
      req.flushHeaders();
    });
    const done = await answer;
    expect(done.status).toBe(200);
    expect(JSON.parse(done.text).level).toBe("L4");
    expect(await a.exited).toBe(0);
    await expect(fetch(`${a.url}/healthz`)).rejects.toThrow();
  });
});
