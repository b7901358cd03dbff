// What shadow evaluation costs the hot path while a staged candidate is pending (host/delivery/shadow.ts):
// - per decision, in this process over the request mix: the live decision (engine.decide), the
//   hot path's own part (Shadow.observe: a request queued), and a shadow decision (the candidate's
//   engine.placeCode with the transition counted, as Shadow.drain runs it after the turn);
// - POST /v1/decide throughput: fresh agents in their own processes, as deployed (dist CLI, the
//   deployed node flags, logs at info to /dev/null, metrics on), each compared with itself in
//   pairs of rounds, with a candidate pending that changes the request's placement (every shadow
//   decision a change) and without (halted: the running module signed again). Identical agents
//   differ here by up to ~20 % for their whole life, so two agents cannot resolve a 10 % effect;
//   and how many live decisions the pending candidates decided in the shadow and how many their
//   budget left unsampled.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEngine } from "../../host/engine/engine.ts";
import { generateKeyPair, importSigningKey } from "../../host/delivery/signing.ts";
import { envelopeHeader, signModuleStatement } from "../../host/delivery/statement.ts";
import { DEFAULT_BUDGET_SHARE, Shadow, type ShadowCounts } from "../../host/delivery/shadow.ts";
import { SIGNATURE_HEADER } from "../../host/node/admin.ts";
import { buildPolicy } from "../../host/policy/compile.ts";
import { deployedNodeFlags } from "../deployed-flags.ts";
import { freePort } from "../fleet/registry-server.ts";
import { serverlessMovedSource } from "../fleet/variants.ts";
import type { BenchContext, Section } from "../section.ts";
import { round, summarise } from "../stats.ts";
import { CONNECTIONS, firstDecision, loadRound, type Round } from "./http.ts";

/** A serverless request: the candidate moves its placement (L4/wasmedge → L3/containerd). */
export const BODY = JSON.stringify({ workload: { scenario: "serverless", performance: "fast-cold-start" } });
const HEADERS = { "content-type": "application/json" };
const ADMIN_TOKEN = "bench-shadow-admin-token";
type Side = "plain" | "pending";

/** ns per call of `fn` over `items`: the mean of each of `rounds` passes over the list, then their median and p99. */
function perCall<T>(items: T[], fn: (x: T, i: number) => void, rounds: number): { p50: number; p99: number } {
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < items.length; i++) fn(items[i], i);
    samples.push(Number(process.hrtime.bigint() - t0) / items.length);
  }
  const s = summarise(samples);
  return { p50: round(s.p50), p99: round(s.p99) };
}

const load = (url: string, seconds: number, pid: number) => loadRound(pid, seconds, { url: `${url}/v1/decide`, method: "POST", headers: HEADERS, body: BODY });

export const shadowSection: Section = {
  name: "shadow",
  title: "Shadow evaluation of a pending policy: what it costs the answers",
  async run(ctx: BenchContext) {
    ctx.log("shadow: building a candidate that moves every serverless decision");
    const candidateBytes = (await buildPolicy(await serverlessMovedSource("2025.11.15-1.serverless-moved"), "shadow-candidate.yaml")).wasm;
    const candidate = await createEngine(candidateBytes);

    // ---- per decision, in process -----------------------------------------------------------
    const requests = ctx.mix.requests.filter((r) => {
      try {
        ctx.engine.decide(r);
        return true;
      } catch {
        return false;
      }
    });
    const live = requests.map((r) => ctx.engine.decide(r));
    const rounds = ctx.quick ? 3 : 40;
    const decide = perCall(
      requests,
      (r) => {
        ctx.engine.decide(r);
      },
      rounds,
    );
    const place = perCall(
      requests,
      (r) => {
        candidate.placeCode(r);
      },
      rounds,
    );
    // the hot path's part: observe() queues; then the queue is decided (Shadow.drain), timed per
    // decision made. The shadow keeps to its share of wall time, which a busy machine's
    // descheduling eats into too: a fresh one each round, and only batches decided in full count.
    const observeSamples: number[] = [],
      drainSamples: number[] = [];
    let decided = 0,
      changed = 0;
    for (let r = 0; r < rounds; r++) {
      const shadow = new Shadow(candidate, { budgetShare: 1 });
      for (let from = 0; from < requests.length; from += 256) {
        const batch = Math.min(256, requests.length - from);
        const t0 = process.hrtime.bigint();
        for (let i = from; i < from + batch; i++) shadow.observe(requests[i], live[i].level, live[i].runtime);
        const t1 = process.hrtime.bigint();
        const before = shadow.decisions;
        shadow.drain();
        const t2 = process.hrtime.bigint();
        observeSamples.push(Number(t1 - t0) / batch);
        if (shadow.decisions - before === batch) drainSamples.push(Number(t2 - t1) / batch);
      }
      decided += shadow.decisions;
      changed += shadow.changed;
      shadow.stop();
    }
    const observe = summarise(observeSamples),
      drain = summarise(drainSamples);
    const changedShare = round(changed / decided, 3);

    // ---- POST /v1/decide throughput: the same agent with and without a candidate pending ------
    const dir = mkdtempSync(join(tmpdir(), "isoplace-bench-shadow-"));
    const pair = await generateKeyPair();
    writeFileSync(join(dir, "policy.pub"), pair.publicPem);
    const signingKey = await importSigningKey(pair.privatePem);
    const runningBytes = readFileSync(join(ctx.root, "dist/policies/default.wasm"));
    let serial = Math.floor(Date.now() / 1000);
    // the candidate held for a day (its plan's only step opens in 24 h; a guard keeps the shadow
    // deciding), or the running module re-signed with a higher serial: the operator's halt
    const offer = async (url: string, side: Side) => {
      const bytes = side === "pending" ? candidateBytes : runningBytes;
      const staged =
        side === "pending"
          ? { rollout: { steps: [{ percent: 100, after: 86_400 }] }, guard: { maxChangedShare: 0.05, minShadowDecisions: 200, bake: 600 } }
          : {};
      const envelope = await signModuleStatement(bytes, [signingKey], { serial: ++serial, ...staged });
      const res = await fetch(`${url}/v1/policy`, {
        method: "PUT",
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/wasm", [SIGNATURE_HEADER]: envelopeHeader(envelope) },
        body: bytes as BodyInit,
      });
      const status = (await res.json()) as { pending: { shadow: Tally } | null };
      if ((side === "pending") !== (status.pending !== null))
        throw new Error(`shadow: PUT /v1/policy for ${side} left pending = ${JSON.stringify(status.pending)}`);
    };
    const flags = deployedNodeFlags(ctx.root);
    const result = { plain: [] as Round[][], pending: [] as Round[][] };
    type Tally = Omit<ShadowCounts, "transitions">;
    const shadowCounts: Tally = { decisions: 0, changed: 0, unsampled: 0 };
    const seconds = ctx.quick ? 1 : 2,
      agents = ctx.quick ? 1 : 3,
      pairs = ctx.quick ? 1 : 8;
    ctx.log(`shadow: ${agents} agents, each ${pairs} × (a round with a candidate pending, a round without), ${seconds} s a round, ${CONNECTIONS} connections`);
    try {
      for (let a = 0; a < agents; a++) {
        const port = await freePort();
        const child = spawn(
          process.execPath,
          [...flags, join(ctx.root, "dist/host/cli/main.js"), "serve", "--port", String(port), "--trusted-key", join(dir, "policy.pub")],
          {
            stdio: "ignore",
            env: { ...process.env, NODE_OPTIONS: undefined, LOG_LEVEL: "info", NODE_DISABLE_COMPILE_CACHE: "1", ISOPLACE_ADMIN_TOKEN: ADMIN_TOKEN },
          },
        );
        const url = `http://127.0.0.1:${port}`;
        try {
          await firstDecision(url, performance.now(), child, "/v1/decide", BODY);
          await load(url, 2, child.pid!); // warm-up
          const rs = { plain: [] as Round[], pending: [] as Round[] };
          for (let i = 0; i < 2 * pairs; i++) {
            // pending, plain, plain, pending, …: neither side always first
            const side: Side = (i + (i >> 1)) % 2 ? "plain" : "pending";
            await offer(url, side);
            rs[side].push(await load(url, seconds, child.pid!));
            if (side === "pending") {
              const shadow = ((await (await fetch(`${url}/v1/policy`)).json()) as { pending: { shadow: Tally } }).pending.shadow;
              shadowCounts.decisions += shadow.decisions;
              shadowCounts.changed += shadow.changed;
              shadowCounts.unsampled += shadow.unsampled;
            }
          }
          result.plain.push(rs.plain);
          result.pending.push(rs.pending);
        } finally {
          child.kill("SIGTERM");
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const median = (xs: number[]) => summarise(xs).p50;
    // a pair: two rounds one after the other on one agent, one with the candidate pending; the
    // verdict: the median pair's ratio (pairs cancel the machine's drift; agents, a process's luck)
    const pairRatios = (key: "rps" | "cpuUsPerRequest", a: number) => result.pending[a].map((r, k) => r[key] / result.plain[a][k][key]);
    const perAgent = result.plain.map((plainRounds, a) => ({
      plainRps: Math.round(median(plainRounds.map((r) => r.rps))),
      pendingRps: Math.round(median(result.pending[a].map((r) => r.rps))),
      rps: round(median(pairRatios("rps", a)), 3),
      cpuPerRequest: round(median(pairRatios("cpuUsPerRequest", a)), 3),
    }));
    const allPairs = (key: "rps" | "cpuUsPerRequest") => result.plain.flatMap((_, a) => pairRatios(key, a));
    const side = (s: Side) => ({
      rps: Math.round(median(result[s].flat().map((r) => r.rps))),
      p99Ms: median(result[s].flat().map((r) => r.p99)),
      cpuUsPerRequest: round(median(result[s].flat().map((r) => r.cpuUsPerRequest)), 1),
      failed: result[s].flat().reduce((n, r) => n + r.failed, 0),
    });
    const plain = side("plain"),
      pending = side("pending");
    const plainRps = perAgent.map((a) => a.plainRps);
    const seen = shadowCounts.decisions + shadowCounts.unsampled;
    const figures = {
      perDecision: {
        decideNs: decide,
        placeNs: place,
        observeNs: { p50: round(observe.p50), p99: round(observe.p99) },
        shadowDecisionNs: { p50: round(drain.p50), p99: round(drain.p99) },
        shadowOverDecide: round(drain.p50 / decide.p50, 3),
        observeOverDecide: round(observe.p50 / decide.p50, 4),
        requests: requests.length,
        changedShare,
        batchesTimed: drainSamples.length,
        batches: observeSamples.length,
      },
      http: {
        plain,
        pending,
        agents: perAgent,
        ratio: {
          rps: round(median(allPairs("rps")), 3),
          cpuPerRequest: round(median(allPairs("cpuUsPerRequest")), 3),
          // why each agent is compared with itself: the slowest agent without a candidate over the fastest
          agentSpread: round(Math.min(...plainRps) / Math.max(...plainRps), 3),
        },
        shadow: { ...shadowCounts, sampledShare: seen ? round(shadowCounts.decisions / seen, 3) : null },
        pairsPerAgent: pairs,
        budgetShare: DEFAULT_BUDGET_SHARE,
        connections: CONNECTIONS,
        secondsPerRound: seconds,
        nodeFlags: flags.join(" "),
      },
      method:
        "in process: ns per call over the bench's request mix (engine.decide: the live decision; engine.placeCode: the candidate's placement alone; Shadow.observe: what the hot path adds; Shadow.drain per request: a shadow decision with the candidate, transitions counted), medians of per-round means; over HTTP: fresh `node dist/host/cli/main.js serve` processes with the deployed node flags and an admin token, each compared with itself: pairs of rounds, one with a candidate pending (PUT /v1/policy; plan: one step in 24 h; a guard) that moves the body's placement, one without (the running module signed again with a higher serial: the operator's halt), the order alternating pair by pair (pending-plain, plain-pending); autocannon in the bench process; the verdict is the median of all pairs' ratios (identical agents differ here by up to ~20 % for their whole life, so agents are never compared with each other)",
    };
    return {
      figures: { shadow: figures },
      rows: [
        {
          id: "shadow.perDecision.shadowDecisionNs",
          label: "a shadow decision (the candidate's placement, transition counted), per request",
          value: round(drain.p50),
          unit: "ns",
          note: `${round(figures.perDecision.shadowOverDecide * 100, 1)} % of a live engine.decide (${decide.p50} ns); ${round(changedShare * 100, 1)} % of the mix changed`,
        },
        {
          id: "shadow.perDecision.observeNs",
          label: "what the answer path adds: Shadow.observe (queue one request)",
          value: round(observe.p50),
          unit: "ns",
          note: `p99 ${round(observe.p99)} ns`,
        },
        {
          id: "shadow.http.ratio.rps",
          label: "POST /v1/decide throughput, agent with a pending candidate / without",
          value: figures.http.ratio.rps,
          unit: "×",
          target: { op: ">=", limit: 0.9 },
          note: `the median of ${agents} × ${pairs} pairs of rounds, each agent against itself (agents' medians ${perAgent.map((a) => a.rps).join(", ")}); ${pending.rps} vs ${plain.rps} req/s; ${pending.failed + plain.failed} failed`,
        },
        {
          id: "shadow.http.ratio.cpuPerRequest",
          label: "server CPU per request, pending / without",
          value: figures.http.ratio.cpuPerRequest,
          unit: "×",
          note: `${pending.cpuUsPerRequest} vs ${plain.cpuUsPerRequest} µs`,
        },
        {
          id: "shadow.http.sampledShare",
          label: "live decisions decided in the shadow under that load",
          value: figures.http.shadow.sampledShare,
          unit: "",
          note: `${shadowCounts.decisions} decided, ${shadowCounts.unsampled} unsampled (budget ${DEFAULT_BUDGET_SHARE * 100} % of wall time)`,
        },
      ],
    };
  },
};
