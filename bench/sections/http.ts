// The agent over HTTP against a floor: a bare @hono/node-server + Hono app in its own process
// (bench/bare-server.mjs) whose POST /v1/decide parses the body and answers a fixed object of
// the agent's answer size. Both run as deployed (the image entrypoint's and the DaemonSet's NODE_OPTIONS heap flags; the
// agent with its logs at info — to /dev/null — and metrics on), started and stopped here, side
// by side in this one run:
// - start → first answered POST /v1/decide: a fresh process per sample, with no compile cache
//   (as deployed: read-only root, NODE_DISABLE_COMPILE_CACHE=1) and with a warm one
//   (NODE_COMPILE_CACHE=a directory primed by one start); wall time, the child's CPU time, and
//   its RSS right after that first answer;
// - throughput: autocannon rounds on loopback, bare and agent alternating, same body, same
//   client, same connections; the peak RSS of each under its own rounds, and each server's CPU
//   time per answered request (which a busy machine distorts far less than req/s).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
// @ts-expect-error autocannon ships no types
import autocannon from "autocannon";
import { deployedNodeFlags } from "../deployed-flags.ts";
import { freePort } from "../fleet/registry-server.ts";
import type { BenchContext, Section } from "../section.ts";
import { round, summarise } from "../stats.ts";

export const BODY = JSON.stringify({
  workload: { scenario: "edge", performance: "fast-cold-start", security: "zero-trust", cost: "lowest-infrastructure-cost" },
  node: { runtimes: ["containerd", "wasmedge"] },
});
const HEADERS = { "content-type": "application/json" };
export const CONNECTIONS = 32;

export type Side = "bare" | "agent";
const SIDES: Side[] = ["bare", "agent"];

export const proc = (pid: number) => ({
  rssMb: Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN) / 1024,
  // utime + stime, in clock ticks (100/s on Linux)
  cpuMs: (() => {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(f[11]) + Number(f[12])) * 10;
  })(),
});

export interface Launch {
  side: Side;
  env: Record<string, string | undefined>;
  flags: string[];
  answer: string;
}

export function launch(ctx: BenchContext, l: Launch, port: number): ChildProcess {
  const args = l.side === "bare" ? [join(ctx.root, "bench/bare-server.mjs")] : [join(ctx.root, "dist/host/cli/main.js"), "serve", "--port", String(port)];
  return spawn(process.execPath, [...l.flags, ...args], {
    stdio: "ignore",
    env: { ...process.env, NODE_OPTIONS: undefined, LOG_LEVEL: "info", PORT: String(port), BARE_ANSWER: l.answer, ...l.env },
  });
}

/** Polls until the server answers `body` with 200; the time since t0. */
export async function firstDecision(url: string, t0: number, child: ChildProcess, path = "/v1/decide", body = BODY): Promise<number> {
  for (;;) {
    try {
      const res = await fetch(`${url}${path}`, { method: "POST", headers: HEADERS, body });
      if (res.status === 200) {
        await res.arrayBuffer();
        return performance.now() - t0;
      }
    } catch {
      /* not listening yet */
    }
    if (child.exitCode !== null) throw new Error(`http: the process exited (${child.exitCode}) before answering`);
    if (performance.now() - t0 > 30_000) throw new Error("http: no answer within 30 s");
    await new Promise((r) => setTimeout(r, 2));
  }
}

interface Start {
  ms: number;
  cpuMs: number;
  rssMb: number;
}

/** One fresh process: spawn → first 200 from POST /v1/decide; its CPU time and RSS then. */
async function startOnce(ctx: BenchContext, l: Launch): Promise<Start> {
  const port = await freePort();
  const t0 = performance.now();
  const child = launch(ctx, l, port);
  try {
    const ms = await firstDecision(`http://127.0.0.1:${port}`, t0, child);
    return { ms, ...proc(child.pid!) };
  } finally {
    child.kill("SIGKILL");
  }
}

export interface Round {
  rps: number;
  p50: number;
  p99: number;
  failed: number;
  cpuUsPerRequest: number;
}

/**
 * One autocannon round (`send`: its url and what to send; CONNECTIONS connections unless it says)
 * against a server process; also the server's CPU time per answered request (robust to a busy machine).
 */
export async function loadRound(pid: number, seconds: number, send: Record<string, unknown>): Promise<Round> {
  const cpu0 = proc(pid).cpuMs;
  const r = await autocannon({ connections: CONNECTIONS, ...send, duration: seconds });
  const cpuMs = proc(pid).cpuMs - cpu0;
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    failed: r.errors + r.timeouts + r.non2xx,
    cpuUsPerRequest: r.requests.total ? (cpuMs * 1000) / r.requests.total : NaN,
  };
}

const load = (url: string, seconds: number, pid: number) => loadRound(pid, seconds, { url: `${url}/v1/decide`, method: "POST", headers: HEADERS, body: BODY });

/**
 * `rounds` rounds, each side loaded once per round, one at a time, the order reversed every other
 * round; each side's peak RSS sampled while its own rounds run.
 */
export async function alternatingRounds<S extends string>(
  sides: readonly S[],
  rounds: number,
  pidOf: (side: S) => number,
  runRound: (side: S) => Promise<Round>,
) {
  const results = Object.fromEntries(sides.map((s) => [s, [] as Round[]])) as Record<S, Round[]>;
  const peakRssMb = Object.fromEntries(sides.map((s) => [s, 0])) as Record<S, number>;
  for (let i = 0; i < rounds; i++) {
    for (const side of i % 2 ? [...sides].reverse() : sides) {
      const pid = pidOf(side);
      const sampler = setInterval(() => {
        peakRssMb[side] = Math.max(peakRssMb[side], proc(pid).rssMb);
      }, 50);
      try {
        results[side].push(await runRound(side));
      } finally {
        clearInterval(sampler);
      }
      peakRssMb[side] = Math.max(peakRssMb[side], proc(pid).rssMb);
    }
  }
  return { results, peakRssMb };
}

const median = (xs: number[]) => summarise(xs).p50;

/** A side's rounds in figures: medians of the rounds, its peak RSS, failures, each round's req/s. */
export const roundFigures = (rounds: Round[], peakRssMb: number) => ({
  rps: Math.round(median(rounds.map((r) => r.rps))),
  p50Ms: median(rounds.map((r) => r.p50)),
  p99Ms: median(rounds.map((r) => r.p99)),
  cpuUsPerRequest: round(median(rounds.map((r) => r.cpuUsPerRequest)), 1),
  peakRssMb: round(peakRssMb, 1),
  failed: rounds.reduce((n, r) => n + r.failed, 0),
  rounds: rounds.map((r) => Math.round(r.rps)),
});

/** The agent's garbage collections so far by kind (its /metrics: prom-client's isoplace_nodejs_gc_duration_seconds). */
async function collections(url: string): Promise<Record<string, { count: number; ms: number }>> {
  const out: Record<string, { count: number; ms: number }> = {};
  for (const line of (await (await fetch(`${url}/metrics`)).text()).split("\n")) {
    const m = /^isoplace_nodejs_gc_duration_seconds_(count|sum)\{kind="(\w+)"\} (\S+)$/.exec(line);
    if (!m) continue;
    out[m[2]] ??= { count: 0, ms: 0 };
    if (m[1] === "count") out[m[2]].count = Number(m[3]);
    else out[m[2]].ms = Number(m[3]) * 1000;
  }
  return out;
}

export const httpSection: Section = {
  name: "http",
  title: "HTTP: the agent vs a bare Hono server, each in its own process",
  async run(ctx) {
    const flags = deployedNodeFlags(ctx.root);
    // The bare server answers the agent's own answer to the body (a fresh decision id aside: same size).
    const answer = JSON.stringify(ctx.engine.decide(JSON.parse(BODY)));
    const samples = ctx.quick ? 1 : 7;
    const cacheDir = mkdtempSync(join(tmpdir(), "isoplace-bench-cache-"));
    const modes = {
      deployed: { NODE_DISABLE_COMPILE_CACHE: "1", NODE_COMPILE_CACHE: undefined },
      warmCache: { NODE_COMPILE_CACHE: cacheDir, NODE_DISABLE_COMPILE_CACHE: undefined },
    };
    const starts: Record<string, Record<Side, Start[]>> = {};
    try {
      for (const side of SIDES) await startOnce(ctx, { side, env: modes.warmCache, flags, answer }); // primes the cache
      for (const [mode, env] of Object.entries(modes)) {
        ctx.log(`http: start → first decision, ${mode}, ${samples} fresh processes per side, alternating`);
        starts[mode] = { bare: [], agent: [] };
        for (let i = 0; i < samples; i++) for (const side of SIDES) starts[mode][side].push(await startOnce(ctx, { side, env, flags, answer }));
      }
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }

    // Throughput: both servers up (deployed, no cache), loaded one at a time, alternating. Two
    // identical processes here can differ by ~20 % for their whole life (bench/sections/shadow.ts),
    // so each side is several fresh processes, who starts first alternating pair by pair.
    const pairs = ctx.quick ? 1 : 3,
      rounds = ctx.quick ? 1 : 3,
      seconds = ctx.quick ? 1 : 3;
    const loaded = { results: { bare: [] as Round[], agent: [] as Round[] }, peakRssMb: { bare: [] as number[], agent: [] as number[] } };
    // the agents' collections during their rounds, per second of load: a run whose agent is slow says whether its collector was busy
    const gcTotal: Record<string, { count: number; ms: number }> = {};
    ctx.log(`http: ${pairs} pairs of fresh processes, ${rounds} rounds of ${seconds} s per side each, ${CONNECTIONS} connections, alternating`);
    for (let p = 0; p < pairs; p++) {
      const order: Side[] = p % 2 ? ["agent", "bare"] : ["bare", "agent"];
      const servers = {} as Record<Side, { child: ChildProcess; url: string }>;
      try {
        for (const side of order) {
          const port = await freePort();
          const child = launch(ctx, { side, env: modes.deployed, flags, answer }, port);
          servers[side] = { child, url: `http://127.0.0.1:${port}` };
          await firstDecision(servers[side].url, performance.now(), child);
        }
        for (const side of order) await load(servers[side].url, 1, servers[side].child.pid!); // warm-up
        const gcBefore = await collections(servers.agent.url);
        const pair = await alternatingRounds(
          order,
          rounds,
          (side) => servers[side].child.pid!,
          (side) => load(servers[side].url, seconds, servers[side].child.pid!),
        );
        for (const [kind, after] of Object.entries(await collections(servers.agent.url))) {
          const before = gcBefore[kind] ?? { count: 0, ms: 0 };
          gcTotal[kind] ??= { count: 0, ms: 0 };
          gcTotal[kind].count += after.count - before.count;
          gcTotal[kind].ms += after.ms - before.ms;
        }
        for (const side of SIDES) {
          loaded.results[side].push(...pair.results[side]);
          loaded.peakRssMb[side].push(pair.peakRssMb[side]);
        }
      } finally {
        for (const s of Object.values(servers)) s.child.kill("SIGTERM");
      }
    }
    const loadSeconds = pairs * rounds * seconds;
    const gcPerSecond = Object.fromEntries(
      Object.entries(gcTotal).map(([kind, g]) => [kind, { count: round(g.count / loadSeconds, 1), ms: round(g.ms / loadSeconds, 2) }]),
    );

    const startFigures = (mode: string) =>
      Object.fromEntries(
        SIDES.map((side) => {
          const xs = starts[mode][side];
          return [
            side,
            {
              ms: round(median(xs.map((x) => x.ms)), 1),
              cpuMs: median(xs.map((x) => x.cpuMs)),
              rssMb: round(median(xs.map((x) => x.rssMb)), 1),
              samplesMs: xs.map((x) => round(x.ms, 1)),
            },
          ];
        }),
      );
    const start = { deployed: startFigures("deployed"), warmCache: startFigures("warmCache") };
    const ratio = (a: number, b: number) => round(a / b, 3);
    const side = (s: Side) => roundFigures(loaded.results[s], median(loaded.peakRssMb[s]));
    const bare = side("bare"),
      agent = { ...side("agent"), gcPerSecond };
    const ratios = {
      rps: ratio(agent.rps, bare.rps),
      cpuPerRequest: ratio(agent.cpuUsPerRequest, bare.cpuUsPerRequest),
      p99: ratio(agent.p99Ms, bare.p99Ms),
      startDeployed: ratio(start.deployed.agent.ms, start.deployed.bare.ms),
      startDeployedCpu: ratio(start.deployed.agent.cpuMs, start.deployed.bare.cpuMs),
      startWarmCache: ratio(start.warmCache.agent.ms, start.warmCache.bare.ms),
      rssFirstAnswer: ratio(start.deployed.agent.rssMb, start.deployed.bare.rssMb),
      rssUnderLoad: ratio(agent.peakRssMb, bare.peakRssMb),
    };
    return {
      figures: {
        http: {
          bare,
          agent,
          ratio: ratios,
          start,
          nodeFlags: flags.join(" "),
          connections: CONNECTIONS,
          secondsPerRound: seconds,
          pairs,
          roundsPerPair: rounds,
          startSamples: samples,
          answerBytes: answer.length,
          method:
            "processes started by the bench: bench/bare-server.mjs (@hono/node-server + Hono; POST /v1/decide parses the JSON body, answers a fixed object of the agent's answer size) and `node dist/host/cli/main.js serve` (logs at info to /dev/null, metrics on); both with the deployed node flags (the image entrypoint's and the DaemonSet's NODE_OPTIONS); autocannon in the bench process on 127.0.0.1; throughput: " +
            pairs +
            " pairs of fresh processes (identical processes here differ by up to ~20 % for their whole life), who starts first alternating by pair, " +
            rounds +
            " rounds a side per pair alternating, medians of all rounds a side, peak RSS the median of the processes' peaks; the agents' collections from their /metrics (prom-client); start: a fresh process per sample, spawn → first 200 from POST /v1/decide (deployed: NODE_DISABLE_COMPILE_CACHE=1, as on the read-only root; warmCache: NODE_COMPILE_CACHE primed by one start), medians; cpuMs: the child's utime+stime then (10 ms ticks)",
        },
      },
      rows: [
        {
          id: "http.ratio.rps",
          label: "POST /v1/decide throughput, agent / bare",
          value: ratios.rps,
          unit: "×",
          target: { op: ">=", limit: 0.8 },
          note: `${agent.rps} vs ${bare.rps} req/s; ${agent.failed + bare.failed} failed; the agent's collections a second: ${Object.entries(gcPerSecond)
            .map(([kind, g]) => `${kind} ${g.count} (${g.ms} ms)`)
            .join(", ")}`,
        },
        {
          id: "http.ratio.cpuPerRequest",
          label: "server CPU time per request, agent / bare",
          value: ratios.cpuPerRequest,
          unit: "×",
          note: `${agent.cpuUsPerRequest} vs ${bare.cpuUsPerRequest} µs (utime+stime / requests; less sensitive to a busy machine)`,
        },
        {
          id: "http.ratio.p99",
          label: "POST /v1/decide p99, agent / bare",
          value: ratios.p99,
          unit: "×",
          target: { op: "<=", limit: 1.5 },
          note: `${agent.p99Ms} vs ${bare.p99Ms} ms (p50 ${agent.p50Ms} vs ${bare.p50Ms})`,
        },
        {
          id: "http.ratio.startDeployed",
          label: "start → first decision, agent / bare (no compile cache, as deployed)",
          value: ratios.startDeployed,
          unit: "×",
          target: { op: "<=", limit: 1.5 },
          note: `${start.deployed.agent.ms} vs ${start.deployed.bare.ms} ms; CPU ${start.deployed.agent.cpuMs} vs ${start.deployed.bare.cpuMs} ms`,
        },
        {
          id: "http.ratio.startWarmCache",
          label: "start → first decision, agent / bare (warm compile cache)",
          value: ratios.startWarmCache,
          unit: "×",
          note: `${start.warmCache.agent.ms} vs ${start.warmCache.bare.ms} ms`,
        },
        {
          id: "http.ratio.rssFirstAnswer",
          label: "RSS after the first answer, agent / bare",
          value: ratios.rssFirstAnswer,
          unit: "×",
          target: { op: "<=", limit: 1.15 },
          note: `${start.deployed.agent.rssMb} vs ${start.deployed.bare.rssMb} MB`,
        },
        {
          id: "http.ratio.rssUnderLoad",
          label: "peak RSS under load, agent / bare",
          value: ratios.rssUnderLoad,
          unit: "×",
          target: { op: "<=", limit: 1.3 },
          note: `${agent.peakRssMb} vs ${bare.peakRssMb} MB, ${flags.join(" ")}`,
        },
      ],
    };
  },
};
