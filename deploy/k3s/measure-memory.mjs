#!/usr/bin/env node
// Measures the agent's memory, to size the DaemonSet's requests and limits: starts
// `node dist/host/cli/main.js serve` (as the image does, logs at info to a sink), loads it with
// autocannon (single decisions, then 1000-item batches, then both at once) and samples its RSS
// from /proc. Linux only. NODE_OPTIONS passes through (the DaemonSet sets heap limits there).
// Writes every figure of the run to deploy/k3s/memory-results.json (machine, load, timestamps,
// NODE_OPTIONS; never merged with an earlier run): deploy/k3s/README.md's memory figures come
// from that file.
// Usage: npm run build && NODE_OPTIONS="…" node deploy/k3s/measure-memory.mjs [seconds per phase]
import { execFileSync, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const seconds = Number(process.argv[2] ?? 20);

const freePort = () => new Promise((resolve) => {
  const s = createServer().listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
});
const status = (pid) => Object.fromEntries(readFileSync(`/proc/${pid}/status`, "utf8").split("\n")
  .filter((l) => /^Vm(RSS|HWM):/.test(l)).map((l) => [l.split(":")[0], Number(l.split(/\s+/)[1]) / 1024]));
const mb = (x) => `${x.toFixed(1)} MiB`;

const startedAt = new Date();
const loadStart = loadavg();
const port = await freePort();
const agent = spawn(process.execPath, [join(root, "dist/host/cli/main.js"), "serve", "--host", "127.0.0.1", "--port", String(port)],
  { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, LOG_LEVEL: "info" } });
const url = `http://127.0.0.1:${port}`;
for (let i = 0; ; i++) {
  try { if ((await fetch(`${url}/readyz`)).ok) break; } catch { /* not yet */ }
  if (i > 100) throw new Error("the agent did not become ready");
  await new Promise((r) => setTimeout(r, 100));
}
await new Promise((r) => setTimeout(r, 1000));
const idle = status(agent.pid).VmRSS;

const decide = JSON.stringify({ workload: { scenario: "edge", performance: "fast-cold-start", constraints: { maxMemoryMb: 64 } }, node: { runtimes: ["containerd", "wasmedge"] } });
const batch = JSON.stringify({ items: Array.from({ length: 1000 }, (_, i) => ({ workload: { scenario: ["edge", "microservices", "serverless", "ai-inference"][i % 4] } })) });
const post = (path, body) => ({ method: "POST", path, headers: { "content-type": "application/json" }, body });
const phases = [
  ["decide", [post("/v1/decide", decide)]],
  ["batch of 1000", [post("/v1/decide/batch", batch)]],
  ["mixed", [post("/v1/decide", decide), post("/v1/decide/batch", batch), { method: "GET", path: "/v1/levels" }, { method: "GET", path: "/metrics" }]],
];
const rows = [];
for (const [name, requests] of phases) {
  let peak = 0;
  const timer = setInterval(() => { peak = Math.max(peak, status(agent.pid).VmRSS); }, 100);
  const r = await autocannon({ url, connections: 50, duration: seconds, timeout: 30, requests });  // 30 s: the agent's own request timeout
  clearInterval(timer);
  rows.push({ phase: name, "req/s": Math.round(r.requests.average), errors: r.errors + r.non2xx, "peak RSS": mb(peak), peakRssMb: Math.round(peak * 10) / 10 });
}
await new Promise((r) => setTimeout(r, 2000));
const after = status(agent.pid);
agent.kill("SIGTERM");
console.log(`node ${process.version}, ${seconds} s per phase, 50 connections`);
console.table(rows.map(({ peakRssMb: _, ...r }) => r));
console.log(`idle RSS ${mb(idle)}; after load ${mb(after.VmRSS)}; high-water mark ${mb(after.VmHWM)}`);
const round1 = (x) => Math.round(x * 10) / 10;
const out = join(root, "deploy/k3s/memory-results.json");
writeFileSync(out, `${JSON.stringify({
  generatedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(),
  machine: { cpu: cpus()[0]?.model ?? "unknown", cores: cpus().length, memoryGb: round1(totalmem() / 2 ** 30), node: process.version, loadAverage: { start: loadStart.map(round1), end: loadavg().map(round1) } },
  nodeOptions: process.env.NODE_OPTIONS ?? "", secondsPerPhase: seconds, connections: 50,
  idleRssMb: round1(idle), afterLoadRssMb: round1(after.VmRSS), highWaterMarkMb: round1(after.VmHWM),
  phases: rows.map((r) => ({ phase: r.phase, rps: r["req/s"], errors: r.errors, peakRssMb: r.peakRssMb })),
}, null, 2)}\n`);
console.log(`wrote ${out}`);
// deploy/k3s/README.md's memory table follows the file
execFileSync(process.execPath, [join(root, "scripts", "figures.mjs")], { stdio: "inherit" });
