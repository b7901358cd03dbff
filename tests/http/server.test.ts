// The agent as a user runs it: `isoplace serve` as a real process on an ephemeral port.
import { spawn, type ChildProcess } from "node:child_process";
import { request } from "node:http";
import { createInterface } from "node:readline";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../..");
const NODE = join(root, "node_modules/.bin/node");

interface Running { child: ChildProcess; url: string; lines: string[]; exited: Promise<number | null> }

async function startServe(args: string[] = []): Promise<Running> {
  const child = spawn(NODE, [join(root, "host/cli/main.ts"), "serve", "--port", "0", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`agent did not start:\n${lines.join("\n")}`)), 20_000);
    createInterface({ input: child.stdout! }).on("line", (line) => {
      lines.push(line);
      const entry = JSON.parse(line);
      if (entry.msg === "isoplace agent listening") { clearTimeout(timer); resolve(entry.url); }
    });
    child.stderr!.on("data", (d) => lines.push(String(d)));
  });
  return { child, url, lines, exited };
}

const post = (url: string, body: unknown) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

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
  let agent: Running;
  beforeAll(async () => { agent = await startServe(["--runtimes", "containerd,wasmedge"]); });
  afterAll(() => { agent?.child.kill("SIGKILL"); });

  it("decides with the configured node profile", async () => {
    const d = await (await post(`${agent.url}/v1/decide`, { workload: { scenario: "edge" } })).json();
    expect(d).toMatchObject({ level: "L4", runtime: "wasmedge", node: { source: "configured", runtimes: ["containerd", "wasmedge"] } });
  });

  it("answers a batch in order", async () => {
    const r = await (await post(`${agent.url}/v1/decide/batch`, { items: [{ workload: { scenario: "serverless" } }, { workload: { security: "multi-tenant" } }] })).json();
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
    await post(`${agent.url}/v1/decide`, { workload: { scenario: "microservices" } });
    await new Promise((r) => setTimeout(r, 100));
    const entries = agent.lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l)).filter((e) => e.msg === "request");
    const last = entries.filter((e) => e.route === "/v1/decide").at(-1);
    expect(last).toMatchObject({ method: "POST", status: 200, placement: "L3" });
    expect(last.decisionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(agent.lines.join("\n")).not.toContain("microservices");
  });
});

describe("graceful stop", () => {
  it("SIGTERM lets an in-flight request finish, refuses new ones, and exits 0", async () => {
    const agent = await startServe();
    const { port, hostname } = new URL(agent.url);
    const body = JSON.stringify({ workload: { scenario: "serverless" } });
    // Start a request and send only half its body: it is in flight when SIGTERM arrives.
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request({ host: hostname, port, method: "POST", path: "/v1/decide", headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
        let text = "";
        res.on("data", (d) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode!, text }));
      });
      req.on("error", reject);
      req.write(body.slice(0, 10));
      setTimeout(() => {
        agent.child.kill("SIGTERM");
        setTimeout(() => req.end(body.slice(10)), 300);
      }, 200);
    });
    const done = await answer;
    expect(done.status).toBe(200);
    expect(JSON.parse(done.text).level).toBe("L4");
    expect(await agent.exited).toBe(0);
    await expect(fetch(`${agent.url}/healthz`)).rejects.toThrow();
  });
});
