#!/usr/bin/env node
// Measures the memory of the agent (default) or of the admission webhook (--webhook), to size the
// DaemonSet's and the webhook Deployment's requests and limits: starts `node dist/host/cli/main.js
// serve` (or `webhook`, over HTTPS with a CA made by `webhook certs`), as the image does, logs at
// info to a sink; loads it with autocannon (three phases, below) and samples its RSS from /proc.
// Linux only. NODE_OPTIONS passes through (the manifests set heap limits there); the image's
// entrypoint flags are added. Writes every figure of the run to deploy/k3s/memory-results.json
// (--webhook: deploy/k3s/webhook/memory-results.json; machine, load, timestamps, NODE_OPTIONS;
// never merged with an earlier run); deploy/k3s/README.md's and docs/ADMISSION.md's memory tables
// are generated from those files.
// Usage: npm run build && NODE_OPTIONS="…" node deploy/k3s/measure-memory.mjs [--webhook] [seconds per phase]
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { imageEntrypoint } from "../../bench/deployed-flags.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const webhook = process.argv.includes("--webhook");
const seconds = Number(process.argv.slice(2).find((a) => !a.startsWith("--")) ?? 20);

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
const status = (pid) =>
  Object.fromEntries(
    readFileSync(`/proc/${pid}/status`, "utf8")
      .split("\n")
      .filter((l) => /^Vm(RSS|HWM):/.test(l))
      .map((l) => [l.split(":")[0], Number(l.split(/\s+/)[1]) / 1024]),
  );
const mb = (x) => `${x.toFixed(1)} MiB`;
const main = join(root, "dist/host/cli/main.js");
// as many connections as the command takes at once (its --max-connections default): one more is closed when accepted
const { SERVER_LIMITS, WEBHOOK_LIMITS } = await import(join(root, "dist/host/node/server-limits.js"));
const connections = (webhook ? WEBHOOK_LIMITS : SERVER_LIMITS).maxConnections;
const post = (path, body) => ({ method: "POST", path, headers: { "content-type": "application/json" }, body });

/** An AdmissionReview of a Pod as the API server sends it; `env` variables of 40 bytes make it as large as wanted. */
function review(i, env = 0) {
  return JSON.stringify({
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: `705ab4f5-6393-11e8-b7cc-${String(i).padStart(12, "0")}`,
      kind: { group: "", version: "v1", kind: "Pod" },
      resource: { group: "", version: "v1", resource: "pods" },
      namespace: "functions",
      operation: "CREATE",
      userInfo: { username: "system:serviceaccount:kube-system:replicaset-controller", groups: ["system:serviceaccounts", "system:authenticated"] },
      object: {
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
          generateName: "thumbnailer-7d9c8-",
          namespace: "functions",
          labels: { app: "thumbnailer" },
          annotations: { "isoplace.io/scenario": "serverless", "isoplace.io/artifact": "container" },
        },
        spec: {
          containers: [
            {
              name: "fn",
              image: "registry.example/thumbnailer:1.4.2",
              env: Array.from({ length: env }, (_, k) => ({ name: `VAR_${k}`, value: "x".repeat(32) })),
              resources: { limits: { memory: "128Mi" } },
            },
          ],
        },
      },
    },
  });
}

/** What is measured: how the process starts, its URL's scheme, the load phases, where the figures go. */
function target() {
  if (!webhook) {
    const decide = JSON.stringify({
      workload: { scenario: "edge", performance: "fast-cold-start", constraints: { maxMemoryMb: 64 } },
      node: { runtimes: ["containerd", "wasmedge"] },
    });
    const batch = JSON.stringify({
      items: Array.from({ length: 1000 }, (_, i) => ({ workload: { scenario: ["edge", "microservices", "serverless", "ai-inference"][i % 4] } })),
    });
    return {
      args: ["serve", "--host", "127.0.0.1"],
      scheme: "http",
      out: "deploy/k3s/memory-results.json",
      phases: [
        ["decide", [post("/v1/decide", decide)]],
        ["batch of 1000", [post("/v1/decide/batch", batch)]],
        ["mixed", [post("/v1/decide", decide), post("/v1/decide/batch", batch), { method: "GET", path: "/v1/levels" }, { method: "GET", path: "/metrics" }]],
      ],
    };
  }
  const certs = mkdtempSync(join(tmpdir(), "isoplace-measure-"));
  execFileSync(
    process.execPath,
    [main, "webhook", "certs", "--service", "isoplace-webhook", "--namespace", "isoplace", "--out", certs, "--name", "127.0.0.1"],
    { stdio: "ignore" },
  );
  process.once("exit", () => rmSync(certs, { recursive: true, force: true }));
  // a small pod, and one just under the largest the API server stores (etcd's request limit, 1.5 MiB)
  const small = review(1),
    large = review(2, 24_000);
  return {
    args: [
      "webhook",
      "--tls-cert",
      join(certs, "tls.crt"),
      "--tls-key",
      join(certs, "tls.key"),
      "--host",
      "127.0.0.1",
      "--runtime-classes",
      "kata,kata-fc,gvisor,wasmedge,wasmtime",
    ],
    scheme: "https",
    ca: readFileSync(join(certs, "ca.crt")),
    out: "deploy/k3s/webhook/memory-results.json",
    reviewBytes: { small: small.length, large: large.length },
    phases: [
      ["admission", [post("/v1/admission/pods", small)]],
      ["large reviews", [post("/v1/admission/pods", large)]],
      ["mixed", [post("/v1/admission/pods", small), post("/v1/admission/pods", large), { method: "GET", path: "/metrics" }]],
    ],
  };
}

/** Whether GET /readyz answers 200 (over HTTPS: trusting the run's own CA). */
function ready(url, ca) {
  if (!ca)
    return fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
  return new Promise((resolve) => {
    request(`${url}/readyz`, { ca }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    })
      .on("error", () => resolve(false))
      .end();
  });
}

const t = target();
const startedAt = new Date();
const loadStart = loadavg();
const port = await freePort();
const agent = spawn(process.execPath, [...imageEntrypoint(root).nodeFlags, main, ...t.args, "--port", String(port)], {
  stdio: ["ignore", "ignore", "inherit"],
  env: { ...process.env, LOG_LEVEL: "info" },
});
const url = `${t.scheme}://127.0.0.1:${port}`;
for (let i = 0; !(await ready(url, t.ca)); i++) {
  if (i > 100) throw new Error(`${t.args[0]} did not become ready`);
  await new Promise((r) => setTimeout(r, 100));
}
await new Promise((r) => setTimeout(r, 1000));
const idle = status(agent.pid).VmRSS;

const rows = [];
for (const [name, requests] of t.phases) {
  let peak = 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, status(agent.pid).VmRSS);
  }, 100);
  const r = await autocannon({ url, connections, duration: seconds, timeout: 30, requests }); // 30 s: the agent's own request timeout
  clearInterval(timer);
  rows.push({ phase: name, "req/s": Math.round(r.requests.average), errors: r.errors + r.non2xx, "peak RSS": mb(peak), peakRssMb: Math.round(peak * 10) / 10 });
}
await new Promise((r) => setTimeout(r, 2000));
const after = status(agent.pid);
agent.kill("SIGTERM");
console.log(`node ${process.version}, ${seconds} s per phase, ${connections} connections`);
console.table(rows.map(({ peakRssMb: _, ...r }) => r));
console.log(`idle RSS ${mb(idle)}; after load ${mb(after.VmRSS)}; high-water mark ${mb(after.VmHWM)}`);
const round1 = (x) => Math.round(x * 10) / 10;
const out = join(root, t.out);
writeFileSync(
  out,
  `${JSON.stringify(
    {
      generatedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      machine: {
        cpu: cpus()[0]?.model ?? "unknown",
        cores: cpus().length,
        memoryGb: round1(totalmem() / 2 ** 30),
        node: process.version,
        loadAverage: { start: loadStart.map(round1), end: loadavg().map(round1) },
      },
      command: t.args[0],
      nodeFlags: imageEntrypoint(root).nodeFlags,
      nodeOptions: process.env.NODE_OPTIONS ?? "",
      secondsPerPhase: seconds,
      connections,
      ...(t.reviewBytes ? { reviewBytes: t.reviewBytes } : {}),
      idleRssMb: round1(idle),
      afterLoadRssMb: round1(after.VmRSS),
      highWaterMarkMb: round1(after.VmHWM),
      phases: rows.map((r) => ({ phase: r.phase, rps: r["req/s"], errors: r.errors, peakRssMb: r.peakRssMb })),
    },
    null,
    2,
  )}\n`,
);
console.log(`wrote ${out}`);
// the memory tables follow the files
execFileSync(process.execPath, [join(root, "scripts", "figures.mjs")], { stdio: "inherit" });
