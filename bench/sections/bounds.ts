// The bounds of issue 22, measured: how fast the agent refuses a signed module that refills the
// meter's budget (target ≤ 1 s); the time and answer of a 3 MiB AdmissionReview of unknown
// annotations (≤ 1.5 s, ≤ 64 KiB); the largest batch answer a 64 KiB body of bad items can get
// (≤ 1 MiB) beside a 1000-item batch of good ones; and the webhook's peak RSS with its
// connection cap's worth of such reviews in flight at once (its memory limit is sized from it).
// The agent in process (sources); the webhook as deployed (dist, the Deployment's heap flags).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import pino from "pino";
import { generateKeyPair, importPublicKey, importSigningKey } from "../../host/delivery/signing.ts";
import { envelopeHeader, signModuleStatement } from "../../host/delivery/statement.ts";
import { MAX_REVIEW_BYTES } from "../../host/k8s/route.ts";
import { makeCertificates } from "../../host/node/certs.ts";
import { startAgent } from "../../host/node/agent.ts";
import { WEBHOOK_LIMITS } from "../../host/node/server-limits.ts";
import { refillingModule } from "../../tests/fixtures/looping-bytes.ts";
import { BAD_ITEMS, batchOf, floodedReview } from "../../tests/hardening/support/bounds.ts";
import { deployedNodeFlags } from "../deployed-flags.ts";
import { RUNTIME_CLASSES } from "./admission.ts";
import type { Section } from "../section.ts";
import { round, summarise } from "../stats.ts";

const TOKEN = "bench-bounds-token-0123456789abcdef";
const KiB = 1024,
  MiB = 1024 * KiB;

/** The agent's answer to a PUT of the budget-refilling module, timed (it must be a 422 "invalid"). */
async function refillRefusals(moduleBytes: Uint8Array, rounds: number): Promise<number[]> {
  const pair = await generateKeyPair();
  const signer = await importSigningKey(pair.privatePem);
  const agent = await startAgent({ port: 0, logger: pino({ level: "silent" }), adminToken: TOKEN, trustedKeys: [await importPublicKey(pair.publicPem)] });
  try {
    const probe = refillingModule(moduleBytes);
    const times: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const header = envelopeHeader(await signModuleStatement(probe, [signer], { serial: 1000 + i }));
      const t0 = performance.now();
      const res = await fetch(`${agent.url}/v1/policy`, {
        method: "PUT",
        body: probe as BufferSource,
        signal: AbortSignal.timeout(30_000),
        headers: { "content-type": "application/wasm", "isoplace-signature": header, authorization: `Bearer ${TOKEN}` },
      });
      const body = await res.json();
      times.push(performance.now() - t0);
      if (res.status !== 422 || body.reason !== "invalid") throw new Error(`bounds: the refilling module was answered ${res.status} ${JSON.stringify(body)}`);
    }
    return times;
  } finally {
    await agent.close();
  }
}

/** The largest batch answer of a 64 KiB body of bad items (each shape), and a 1000-item batch of good ones. */
async function batchAnswers(): Promise<{ bad: { bytes: number; items: number; shape: string }; good: { bytes: number; items: number } }> {
  const agent = await startAgent({ port: 0, logger: pino({ level: "silent" }) });
  const post = async (body: unknown) => {
    const res = await fetch(`${agent.url}/v1/decide/batch`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    return Buffer.byteLength(await res.text());
  };
  try {
    let bad = { bytes: 0, items: 0, shape: "" };
    for (const [shape, item] of Object.entries(BAD_ITEMS)) {
      const body = batchOf(item);
      const bytes = await post(body);
      if (bytes > bad.bytes) bad = { bytes, items: body.items.length, shape };
    }
    const good = {
      items: Array.from({ length: 1000 }, (_, i) => ({
        workload: { scenario: ["edge", "serverless", "microservices", "ai-inference"][i % 4], security: "multi-tenant" },
      })),
    };
    return { bad, good: { bytes: await post(good), items: 1000 } };
  } finally {
    await agent.close();
  }
}

function post(url: string, ca: Buffer, body: string): Promise<{ ms: number; bytes: number; status: number }> {
  return new Promise((resolve, reject) => {
    const u = new URL("/v1/admission/pods", url);
    const t0 = performance.now();
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: "POST",
        ca,
        servername: "isoplace-webhook.isoplace.svc",
        agent: false,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        let bytes = 0;
        res.on("data", (d: Buffer) => {
          bytes += d.length;
        });
        res.on("end", () => resolve({ ms: performance.now() - t0, bytes, status: res.statusCode! }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** The webhook Deployment's memory limit in MiB, as its manifest says. */
function webhookLimitMiB(root: string): number {
  const m = /limits:\s*\n\s*cpu: .*\n\s*memory: (\d+)Mi/.exec(readFileSync(join(root, "deploy/k3s/webhook/deployment.yaml"), "utf8"));
  if (!m) throw new Error("bench: the webhook Deployment's memory limit not found");
  return Number(m[1]);
}

/** The webhook's peak RSS (VmHWM) in MiB. */
const peakRss = (pid: number) => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;

export const boundsSection: Section = {
  name: "bounds",
  title: "Bounds: refusals and answers that stay small",
  async run(ctx) {
    const rounds = ctx.quick ? 1 : 5;
    ctx.log("bounds: the budget-refilling module, PUT to an agent");
    const refusals = await refillRefusals(ctx.moduleBytes, rounds);
    const refusal = { p50: summarise(refusals).p50, max: Math.max(...refusals) };
    ctx.log("bounds: batches of bad items");
    const batch = await batchAnswers();

    const dir = mkdtempSync(join(tmpdir(), "isoplace-bench-bounds-"));
    let child: ChildProcess | undefined;
    const limitMiB = webhookLimitMiB(ctx.root);
    try {
      const certs = await makeCertificates({ service: "isoplace-webhook", namespace: "isoplace", outDir: dir, extraNames: ["127.0.0.1"] });
      const ca = readFileSync(certs.caCert);
      child = spawn(
        process.execPath,
        [
          ...deployedNodeFlags(ctx.root, "deploy/k3s/webhook/deployment.yaml"),
          join(ctx.root, "bench/admission-server.mjs"),
          certs.cert,
          certs.key,
          RUNTIME_CLASSES.join(","),
        ],
        { stdio: ["ignore", "ignore", "pipe"] },
      );
      const url = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child!.stderr! }).on("line", (line) => {
          try {
            resolve(JSON.parse(line).url);
          } catch {
            /* other output */
          }
        });
        child!.once("exit", (code) => reject(new Error(`the webhook exited (${code})`)));
      });
      const { review, count } = floodedReview(MAX_REVIEW_BYTES - KiB);
      const body = JSON.stringify(review);
      ctx.log(
        `bounds: ${(body.length / MiB).toFixed(2)} MiB reviews of ${count} unknown annotations, one at a time, then ${WEBHOOK_LIMITS.maxConnections} at once`,
      );
      const single: { ms: number; bytes: number }[] = [];
      for (let i = 0; i < rounds; i++) {
        const r = await post(url, ca, body);
        if (r.status !== 200) throw new Error(`bounds: the webhook answered ${r.status}`);
        single.push(r);
      }
      const idleRss = peakRss(child.pid!);
      const concurrent: number[] = [];
      for (let i = 0; i < (ctx.quick ? 1 : 3); i++) {
        const all = await Promise.all(Array.from({ length: WEBHOOK_LIMITS.maxConnections }, () => post(url, ca, body)));
        if (all.some((r) => r.status !== 200)) throw new Error("bounds: a concurrent review failed");
        concurrent.push(Math.max(...all.map((r) => r.ms)));
      }
      const rss = peakRss(child.pid!);
      const time = { p50: summarise(single.map((r) => r.ms)).p50, max: Math.max(...single.map((r) => r.ms)) };
      const answerBytes = Math.max(...single.map((r) => r.bytes));
      return {
        figures: {
          bounds: {
            refillRefusalMs: { p50: round(refusal.p50, 1), max: round(refusal.max, 1), rounds },
            review: { bodyBytes: body.length, annotations: count, p50Ms: round(time.p50, 0), maxMs: round(time.max, 0), answerBytes, rounds },
            reviewsAtOnce: {
              connections: WEBHOOK_LIMITS.maxConnections,
              slowestMs: round(Math.max(...concurrent), 0),
              peakRssMiB: round(rss, 1),
              rssBeforeMiB: round(idleRss, 1),
              limitMiB,
            },
            batch: {
              badBodyBytes: 64 * KiB,
              largestBadAnswerBytes: batch.bad.bytes,
              largestBadItems: batch.bad.items,
              largestBadShape: batch.bad.shape,
              goodAnswerBytes: batch.good.bytes,
              goodItems: batch.good.items,
            },
            method:
              "agent in process (PUT of a signed copy of the default module whose selfTest refills the budget; batches over HTTP on 127.0.0.1); webhook: `bench/admission-server.mjs` (dist) with the Deployment's heap flags, reviews over HTTPS, peak RSS = VmHWM",
          },
        },
        rows: [
          {
            id: "bounds.refillRefusalMs",
            label: "refusal of a budget-refilling signed module (PUT)",
            value: refusal.p50,
            unit: "ms",
            target: { op: "<=", limit: 1000 },
            note: `max ${round(refusal.max, 1)} ms`,
          },
          {
            id: "bounds.review.maxMs",
            label: `3 MiB review of ${count} unknown annotations`,
            value: time.max,
            unit: "ms",
            target: { op: "<=", limit: 1500 },
            note: `p50 ${round(time.p50, 0)} ms`,
          },
          { id: "bounds.review.answerBytes", label: "its answer", value: answerBytes, unit: "bytes", target: { op: "<=", limit: 64 * KiB } },
          {
            id: "bounds.batch.largestBadAnswerBytes",
            label: "largest batch answer, 64 KiB of bad items",
            value: batch.bad.bytes,
            unit: "bytes",
            target: { op: "<=", limit: MiB },
            note: `${batch.bad.items} items: ${batch.bad.shape}`,
          },
          { id: "bounds.batch.goodAnswerBytes", label: "1000-item batch answer, good items", value: batch.good.bytes, unit: "bytes" },
          {
            id: "bounds.reviewsAtOnce.peakRssMiB",
            label: `webhook peak RSS, ${WEBHOOK_LIMITS.maxConnections} such reviews at once`,
            value: rss,
            unit: "MiB",
            target: { op: "<=", limit: limitMiB },
            note: `slowest answer ${round(Math.max(...concurrent), 0)} ms`,
          },
        ],
      };
    } finally {
      child?.kill("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
