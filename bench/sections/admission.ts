// The admission webhook over HTTPS at its connection cap (autocannon, keep-alive, on loopback):
// admission reviews per second and p50/p99, side by side in one run with a bare Hono HTTPS route
// in its own process that answers a fixed AdmissionReview of the same size. Interleaved rounds,
// medians, each server's CPU per request; beside them, the admission's own work timed in this
// process (the review's checks, the decision, the patch and id, the answer's JSON: what the bare
// route does not do). Targets (issue 12): ≥ 0.8× the bare route, p99 ≤ 5 ms.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { loadValidation } from "../../host/engine/validation.ts";
import { admissionRoute } from "../../host/k8s/route.ts";
import { makeCertificates } from "../../host/node/certs.ts";
import { WEBHOOK_LIMITS } from "../../host/node/server-limits.ts";
import { deployedNodeFlags } from "../deployed-flags.ts";
import type { BenchContext, Section } from "../section.ts";
import { round, summarise } from "../stats.ts";
import { loadRound, type Round } from "./http.ts";

/** As many as the webhook takes at once (its --max-connections default): one more would be closed when accepted. */
const CONNECTIONS = WEBHOOK_LIMITS.maxConnections;
const PATH = "/v1/admission/pods";
const HEADERS = { "content-type": "application/json" };
/** The cluster's RuntimeClasses the bench's webhook is started with (bench/admission-server.mjs). */
export const RUNTIME_CLASSES = ["kata", "kata-fc", "gvisor", "wasmedge", "wasmtime"];

/** A pod as a user writes it, opted in: a serverless function that needs zero trust. */
const REVIEW = JSON.stringify({
  apiVersion: "admission.k8s.io/v1",
  kind: "AdmissionReview",
  request: {
    uid: "5b0f5e5c-3f4e-4d47-9a55-0c6b2ad4d3c1",
    kind: { group: "", version: "v1", kind: "Pod" },
    resource: { group: "", version: "v1", resource: "pods" },
    requestKind: { group: "", version: "v1", kind: "Pod" },
    requestResource: { group: "", version: "v1", resource: "pods" },
    operation: "CREATE",
    namespace: "functions",
    userInfo: { username: "system:serviceaccount:kube-system:replicaset-controller", groups: ["system:serviceaccounts", "system:authenticated"] },
    object: {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        generateName: "thumbnailer-7d9f8b6c5d-",
        namespace: "functions",
        labels: { app: "thumbnailer", "pod-template-hash": "7d9f8b6c5d" },
        annotations: { "isoplace.io/scenario": "serverless", "isoplace.io/security": "zero-trust", "isoplace.io/performance": "fast-cold-start" },
        ownerReferences: [
          {
            apiVersion: "apps/v1",
            kind: "ReplicaSet",
            name: "thumbnailer-7d9f8b6c5d",
            uid: "0c1d7a8e-1b2c-4d5e-8f90-a1b2c3d4e5f6",
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: {
        containers: [
          {
            name: "fn",
            image: "registry.example/thumbnailer:1.4.2",
            ports: [{ containerPort: 8080, protocol: "TCP" }],
            resources: { limits: { cpu: "250m", memory: "64Mi" } },
          },
        ],
        restartPolicy: "Always",
        terminationGracePeriodSeconds: 30,
        dnsPolicy: "ClusterFirst",
        serviceAccountName: "default",
      },
    },
    oldObject: null,
    dryRun: false,
    options: { apiVersion: "meta.k8s.io/v1", kind: "CreateOptions" },
  },
});

async function start(flags: string[], script: string, args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [...flags, script, ...args], { stdio: ["ignore", "ignore", "pipe"] });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start`)), 20_000);
    createInterface({ input: child.stderr! }).on("line", (line) => {
      try {
        const { url } = JSON.parse(line);
        clearTimeout(timer);
        resolve(url);
      } catch {
        /* other output */
      }
    });
    child.once("exit", (code) => reject(new Error(`${script} exited (${code})`)));
  });
  return { child, url };
}

/** The webhook's answer to the review: what the bare route answers, byte for byte. */
function answerOf(url: string, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const u = new URL(PATH, url);
    const req = request(
      // its own connection, closed after the answer: a kept-alive one would hold one of the webhook's slots, and autocannon needs all of them
      { host: u.hostname, port: u.port, path: u.pathname, method: "POST", ca, servername: "isoplace-webhook.isoplace.svc", headers: HEADERS, agent: false },
      (res) => {
        let text = "";
        res.on("data", (d) => {
          text += d;
        });
        res.on("end", () =>
          res.statusCode === 200 && JSON.parse(text).response.patch ? resolve(text) : reject(new Error(`the webhook answered ${res.statusCode}: ${text}`)),
        );
      },
    );
    req.on("error", reject);
    req.end(REVIEW);
  });
}

const load = (server: { url: string; child: ChildProcess }, seconds: number): Promise<Round> =>
  loadRound(server.child.pid!, seconds, { url: `${server.url}${PATH}`, method: "POST", headers: HEADERS, body: REVIEW, connections: CONNECTIONS });

/** The admission's own work per review, in this process: the parsed review in, the answer's JSON out (the webhook's classes, no log or metrics hook). */
async function admissionWorkUs(ctx: BenchContext, runtimeClasses: string[], n: number): Promise<number> {
  await loadValidation();
  const route = admissionRoute({ runtimeClasses });
  const call = { engine: ctx.engine };
  const reviews = Array.from({ length: n }, () => JSON.parse(REVIEW));
  for (let i = 0; i < Math.min(n, 2_000); i++) JSON.stringify(await route.json!(reviews[i], call)); // warm-up
  const t0 = performance.now();
  for (const review of reviews) JSON.stringify(await route.json!(review, call));
  return ((performance.now() - t0) * 1000) / n;
}

export const admissionSection: Section = {
  name: "admission",
  title: "Admission: the webhook over HTTPS",
  async run(ctx) {
    const flags = deployedNodeFlags(ctx.root, "deploy/k3s/webhook/deployment.yaml");
    const dir = mkdtempSync(join(tmpdir(), "isoplace-bench-admission-"));
    const children: ChildProcess[] = [];
    try {
      const certs = await makeCertificates({ service: "isoplace-webhook", namespace: "isoplace", outDir: dir, extraNames: ["127.0.0.1"] });
      const webhook = await start(flags, join(ctx.root, "bench/admission-server.mjs"), [certs.cert, certs.key, RUNTIME_CLASSES.join(",")]);
      children.push(webhook.child);
      const answer = await answerOf(webhook.url, readFileSync(certs.caCert));
      const answerFile = join(dir, "answer.json");
      writeFileSync(answerFile, answer);
      const bare = await start(flags, join(ctx.root, "bench/admission-bare.mjs"), [certs.cert, certs.key, answerFile]);
      children.push(bare.child);

      const rounds = ctx.quick ? 1 : 5,
        seconds = ctx.quick ? 1 : 6;
      await load(webhook, 1); // warm up both
      await load(bare, 1);
      ctx.log(`admission: ${rounds} A/B rounds of ${seconds} s per server, ${CONNECTIONS} connections, HTTPS`);
      const a: Round[] = [],
        b: Round[] = [];
      for (let i = 0; i < rounds; i++) {
        a.push(await load(webhook, seconds));
        b.push(await load(bare, seconds));
      }
      const workUs = await admissionWorkUs(ctx, RUNTIME_CLASSES, ctx.quick ? 2_000 : 50_000);
      const med = (xs: Round[], k: keyof Round) => summarise(xs.map((x) => x[k])).p50;
      const ratio = med(a, "rps") / med(b, "rps");
      const failures = [...a, ...b].reduce((n, r) => n + r.failed, 0);
      const cpuUs = { webhook: med(a, "cpuUsPerRequest"), bare: med(b, "cpuUsPerRequest") };
      return {
        figures: {
          admission: {
            webhook: { rps: Math.round(med(a, "rps")), p50Ms: med(a, "p50"), p99Ms: med(a, "p99"), cpuUsPerRequest: round(cpuUs.webhook, 1) },
            bare: { rps: Math.round(med(b, "rps")), p50Ms: med(b, "p50"), p99Ms: med(b, "p99"), cpuUsPerRequest: round(cpuUs.bare, 1) },
            admissionWorkUsInProcess: round(workUs, 2),
            ratio: round(ratio, 3),
            failures,
            rounds,
            secondsPerRound: seconds,
            connections: CONNECTIONS,
            reviewBytes: REVIEW.length,
            answerBytes: answer.length,
            method:
              "autocannon on 127.0.0.1 over HTTPS (keep-alive), POST of one opted-in pod's AdmissionReview; A: `isoplace webhook` (dist, info logs, metrics); B: a bare Hono HTTPS route in its own process answering the webhook's own answer; both with the Deployment's heap flags; interleaved rounds, medians; CPU per request: each server's utime+stime over its rounds / requests answered; the admission's work in process: admissionRoute's operation on a parsed review and JSON.stringify of its answer, 50,000 times in the bench process, mean",
          },
        },
        rows: [
          {
            id: "admission.webhook.rps",
            label: "POST /v1/admission/pods (HTTPS)",
            value: med(a, "rps"),
            unit: "req/s",
            note: `p50 ${med(a, "p50")} ms, p99 ${med(a, "p99")} ms`,
          },
          {
            id: "admission.bare.rps",
            label: "bare Hono HTTPS route, fixed AdmissionReview",
            value: med(b, "rps"),
            unit: "req/s",
            note: `p50 ${med(b, "p50")} ms, p99 ${med(b, "p99")} ms`,
          },
          {
            id: "admission.ratio",
            label: "webhook / bare",
            value: ratio,
            unit: "×",
            target: { op: ">=", limit: 0.8 },
            note: `${failures} failed requests; server CPU per request ${round(cpuUs.webhook, 1)} vs ${round(cpuUs.bare, 1)} µs`,
          },
          {
            id: "admission.workUsInProcess",
            label: "the admission's own work per review, in process",
            value: workUs,
            unit: "µs",
            note: "checks, decision, patch, id, answer JSON; no TLS, no HTTP, no log",
          },
          {
            id: "admission.webhook.p99Ms",
            label: `admission p99 at ${CONNECTIONS} connections`,
            value: med(a, "p99"),
            unit: "ms",
            target: { op: "<=", limit: 5 },
          },
        ],
      };
    } finally {
      for (const c of children) c.kill("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
