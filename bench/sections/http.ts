// The agent over HTTP, as a user meets it: start → first answered decision; POST /v1/decide
// against a bare Hono JSON route on the same server (A/B interleaved, autocannon on loopback);
// the agent's RSS under that load.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
// @ts-expect-error autocannon ships no types
import autocannon from "autocannon";
import type { Section } from "../section.ts";
import { round, summarise } from "../stats.ts";

const BODY = JSON.stringify({ workload: { scenario: "edge", performance: "fast-cold-start", security: "zero-trust", cost: "lowest-infrastructure-cost" }, node: { runtimes: ["containerd", "wasmedge"] } });
const HEADERS = { "content-type": "application/json" };

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Spawn `isoplace serve` (built JS) → the first 200 from POST /v1/decide, in ms. */
async function startToFirstDecision(root: string): Promise<number> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(root, "dist/host/cli/main.js"), "serve", "--port", String(port)], { stdio: "ignore" });
  try {
    for (;;) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/v1/decide`, { method: "POST", headers: HEADERS, body: BODY });
        if (res.status === 200) { await res.arrayBuffer(); return performance.now() - t0; }
      } catch { /* not listening yet */ }
      if (performance.now() - t0 > 20_000) throw new Error("the agent did not answer within 20 s");
      await new Promise((r) => setTimeout(r, 2));
    }
  } finally {
    child.kill("SIGKILL");
  }
}

/**
 * The V8 heap flags the K3s DaemonSet runs the agent with (deploy/k3s/daemonset.yaml,
 * NODE_OPTIONS). Without them V8 lets the heap grow under load (≈ 300 MB peak RSS here, with
 * no leak: a capped heap serves the same load at ≈ 100 MB).
 */
const DEPLOYED_NODE_FLAGS = ["--max-semi-space-size=4", "--max-old-space-size=192"];

async function startServer(root: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [...DEPLOYED_NODE_FLAGS, join(root, "bench/http-server.mjs")], { stdio: ["ignore", "ignore", "pipe"] });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("bench server did not start")), 20_000);
    createInterface({ input: child.stderr! }).on("line", (line) => {
      try { const { url } = JSON.parse(line); clearTimeout(timer); resolve(url); } catch { /* other output */ }
    });
  });
  return { child, url };
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

interface Round { rps: number; p50: number; p99: number; errors: number; non2xx: number }

async function load(url: string, seconds: number, connections: number): Promise<Round> {
  const r = await autocannon({ url, method: "POST", headers: HEADERS, body: BODY, connections, duration: seconds });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx };
}

export const httpSection: Section = {
  name: "http",
  title: "HTTP: the agent on loopback",
  async run(ctx) {
    const starts = ctx.quick ? 1 : 5;
    ctx.log(`http: start → first decision, ${starts} times`);
    const startMs: number[] = [];
    for (let i = 0; i < starts; i++) startMs.push(await startToFirstDecision(ctx.root));

    const { child, url } = await startServer(ctx.root);
    const rounds = ctx.quick ? 1 : 5, seconds = ctx.quick ? 1 : 6, connections = 50;
    const decide: Round[] = [], bare: Round[] = [];
    let peakRss = 0;
    const sampler = setInterval(() => { peakRss = Math.max(peakRss, rssMb(child.pid!)); }, 100);
    try {
      await load(`${url}/v1/decide`, 1, connections);  // warm up both routes
      await load(`${url}/bench/bare`, 1, connections);
      ctx.log(`http: ${rounds} A/B rounds of ${seconds} s per route, ${connections} connections`);
      for (let i = 0; i < rounds; i++) {
        decide.push(await load(`${url}/v1/decide`, seconds, connections));
        bare.push(await load(`${url}/bench/bare`, seconds, connections));
      }
    } finally {
      clearInterval(sampler);
      child.kill("SIGTERM");
    }
    const med = (xs: Round[], k: keyof Round) => summarise(xs.map((x) => x[k])).p50;
    const ratio = med(decide, "rps") / med(bare, "rps");
    const failures = [...decide, ...bare].reduce((n, r) => n + r.errors + r.non2xx, 0);
    const start = summarise(startMs);
    return {
      figures: {
        startToFirstDecisionMs: round(start.p50, 1),
        http: {
          decide: { rps: Math.round(med(decide, "rps")), p50Ms: med(decide, "p50"), p99Ms: med(decide, "p99") },
          bare: { rps: Math.round(med(bare, "rps")), p50Ms: med(bare, "p50"), p99Ms: med(bare, "p99") },
          ratio: round(ratio, 3), failures, rounds, secondsPerRound: seconds, connections,
          method: "autocannon on 127.0.0.1, POST with the source's example body; A (/v1/decide) and B (a bare Hono JSON route that reads the same body) on the same agent process, interleaved; medians of the rounds",
        },
        rssMb: round(peakRss, 1),
        rssNodeFlags: DEPLOYED_NODE_FLAGS.join(" "),
      },
      rows: [
        { id: "startToFirstDecisionMs", label: "spawn `isoplace serve` → first decision", value: start.p50, unit: "ms", target: { op: "<=", limit: 300 }, note: `${starts} runs, max ${round(Math.max(...startMs), 1)} ms` },
        { id: "http.decide.rps", label: "POST /v1/decide", value: med(decide, "rps"), unit: "req/s", note: `p50 ${med(decide, "p50")} ms, p99 ${med(decide, "p99")} ms` },
        { id: "http.bare.rps", label: "bare Hono JSON route, same server", value: med(bare, "rps"), unit: "req/s", note: `p50 ${med(bare, "p50")} ms, p99 ${med(bare, "p99")} ms` },
        { id: "http.ratio", label: "decide / bare", value: ratio, unit: "×", target: { op: ">=", limit: 0.85 }, note: `${failures} failed requests` },
        { id: "rssMb", label: "agent RSS under that load (peak)", value: peakRss, unit: "MB", target: { op: "<=", limit: 80 }, note: `node ${DEPLOYED_NODE_FLAGS.join(" ")}, as deployed` },
      ],
    };
  },
};
