// Side by side with Open Policy Agent (docs/OPA.md): the same placement rules in Rego
// (bench/peers/opa/placement.rego over data.json, generated from policies/default.yaml), the
// same requests, in this one run. First equivalence: a sample of the `policy diff` request space,
// the bench's mix and the HTTP mix, decided by isoplace and by OPA's Wasm build, and the HTTP
// mix plus a smaller sample through `opa run --server`; any difference aborts before timing.
// Then:
// - in-process, per call: engine.decide(request) vs the OPA Wasm SDK's evaluate(request) on
//   `opa build -t wasm`, over the mixed requests, each call timed, alternating blocks; module
//   sizes; bytes → ready to decide (createEngine vs loadPolicy + setData), in turn;
// - over HTTP: `isoplace serve` POST /v1/decide vs `opa run --server` POST /v1/data/…, both on
//   127.0.0.1 as they ship (the agent with the deployed node flags, logs at info; OPA with its
//   default logging, info) and OPA once more at `--log-level error`, as many deployments run it;
//   the same requests (OPA's data API takes them as `input`), autocannon with the same
//   connections, rounds alternating; RSS after the first answer and peak under load; spawn →
//   first answer in fresh processes, and Node's own floor there (bench/node-floor.mjs, a bare
//   node:http server with the agent's flags); OPA's GOMAXPROCS, from its metrics.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createEngine } from "../../host/engine/engine.ts";
import { missingPeers, peerBin } from "../../tests/support/peers.ts";
import { deployedNodeFlags } from "../deployed-flags.ts";
import { checkEquivalence, describeMismatch, sampleSpace, type Equivalence } from "../peers/opa/equivalence.ts";
import { DATA_PATH, defaultOpaDataText } from "../peers/opa/generate.ts";
import { DATA_API, buildWasm, dataApiBody, decideWasm, loadWasm, serverArgs, serverDecisions, serverGomaxprocs, type OpaDecision } from "../peers/opa/opa.ts";
import type { BenchContext, Section } from "../section.ts";
import { round, summarise, timerOverheadNs } from "../stats.ts";
import { freePort } from "../fleet/registry-server.ts";
import { CONNECTIONS, alternatingRounds, firstDecision, launch, loadRound, proc, roundFigures } from "./http.ts";

const HTTP_MIX = 32;
const BLOCK = 500;
const HEADERS = { "content-type": "application/json" };

type Side = "isoplace" | "opa";
const SIDES: Side[] = ["isoplace", "opa"];
/** The servers loaded: both sides as they ship, and OPA logging errors only. */
type Server = Side | "opaLogError";
const SERVERS: Server[] = ["isoplace", "opa", "opaLogError"];
const sideOf = (server: Server): Side => (server === "isoplace" ? "isoplace" : "opa");

/** Each side's way to the same decision: its path and the body it takes for a request. */
const ROUTE: Record<Side, { path: string; body: (request: unknown) => string }> = {
  isoplace: { path: "/v1/decide", body: (r) => JSON.stringify(r) },
  opa: { path: DATA_API, body: dataApiBody },
};

function refuse(what: string, eq: Equivalence): void {
  if (!eq.mismatches.length) return;
  throw new Error(
    `opa: bench aborted, OPA and isoplace disagree on ${eq.mismatches.length} of ${eq.checked} requests (${what}); first:\n` +
      eq.mismatches.slice(0, 5).map(describeMismatch).join("\n"),
  );
}

/** Per-call timings, alternating blocks between the sides, each side in its own loop. */
function timeInProcess(ctx: BenchContext, decideOpa: (r: unknown) => OpaDecision | undefined, calls: number) {
  const requests = ctx.mix.requests,
    n = requests.length;
  const sides = {
    isoplace: (out: Float64Array, start: number, end: number) => {
      let sink = 0;
      for (let i = start; i < end; i++) {
        const t0 = process.hrtime.bigint();
        const d = ctx.engine.decide(requests[i % n]);
        out[i] = Number(process.hrtime.bigint() - t0);
        sink += d.ranking.length;
      }
      return sink;
    },
    opa: (out: Float64Array, start: number, end: number) => {
      let sink = 0;
      for (let i = start; i < end; i++) {
        const t0 = process.hrtime.bigint();
        const d = decideOpa(requests[i % n]);
        out[i] = Number(process.hrtime.bigint() - t0);
        sink += d!.ranking.length;
      }
      return sink;
    },
  };
  const warm = new Float64Array(Math.min(calls, 5_000));
  let sink = sides.isoplace(warm, 0, warm.length) + sides.opa(warm, 0, warm.length);
  const out = { isoplace: new Float64Array(calls), opa: new Float64Array(calls) };
  for (let start = 0; start < calls; start += BLOCK) {
    const end = Math.min(calls, start + BLOCK);
    const order: Side[] = (start / BLOCK) & 1 ? ["opa", "isoplace"] : ["isoplace", "opa"];
    for (const side of order) sink += sides[side](out[side], start, end);
  }
  if (sink === 0) throw new Error("opa: no decisions made");
  return { isoplace: summarise(out.isoplace), opa: summarise(out.opa) };
}

/** Bytes → ready to decide, each way once per round, in turn; medians in ms. */
async function timeLoads(rounds: number, ways: Record<Side, () => Promise<unknown>>) {
  const out = { isoplace: new Float64Array(rounds), opa: new Float64Array(rounds) };
  for (let i = 0; i < rounds; i++) {
    for (const side of SIDES) {
      const t0 = process.hrtime.bigint();
      await ways[side]();
      out[side][i] = Number(process.hrtime.bigint() - t0) / 1e6;
    }
  }
  return { isoplace: summarise(out.isoplace), opa: summarise(out.opa) };
}

interface Running {
  child: ChildProcess;
  url: string;
}

/** A server as a process: one of those compared, or "node", Node's floor with the agent's flags. */
function startServer(ctx: BenchContext, server: Server | "node", port: number, flags: string[]): ChildProcess {
  if (server === "node")
    return spawn(process.execPath, [...flags, join(ctx.root, "bench/node-floor.mjs")], {
      stdio: "ignore",
      env: { ...process.env, NODE_OPTIONS: undefined, PORT: String(port) },
    });
  if (server === "isoplace")
    return launch(ctx, { side: "agent", env: { NODE_DISABLE_COMPILE_CACHE: "1", NODE_COMPILE_CACHE: undefined }, flags, answer: "" }, port);
  return spawn(peerBin("opa"), serverArgs(port, ...(server === "opaLogError" ? ["--log-level", "error"] : [])), { stdio: "ignore" });
}

/** A fresh process: spawn → first 200 to the first request of the mix; its RSS then. "node": Node's floor, with the agent's flags. */
async function startOnce(ctx: BenchContext, side: Side | "node", flags: string[], first: unknown): Promise<{ ms: number; rssMb: number }> {
  const port = await freePort();
  const t0 = performance.now();
  const child = startServer(ctx, side, port, flags);
  const route = ROUTE[side === "node" ? "isoplace" : side];
  try {
    const ms = await firstDecision(`http://127.0.0.1:${port}`, t0, child, route.path, route.body(first));
    return { ms, rssMb: proc(child.pid!).rssMb };
  } finally {
    child.kill("SIGKILL");
  }
}

/** One autocannon round over the mix (each connection cycles through the requests). */
function load(running: Running, side: Side, mix: unknown[], seconds: number) {
  const requests = mix.map((r) => ({ method: "POST", path: ROUTE[side].path, headers: HEADERS, body: ROUTE[side].body(r) }));
  return loadRound(running.child.pid!, seconds, { url: running.url, requests });
}

const median = (xs: number[]) => summarise(xs).p50;
const ratio = (a: number, b: number) => round(a / b, 3);

export const opaSection: Section = {
  name: "opa",
  title: "Side by side with OPA: the same rules in Rego (bench/peers/opa)",
  async run(ctx) {
    const missing = missingPeers("opa");
    if (missing.length) throw new Error(`opa: the peer ${peerBin("opa")} is missing; npm run peers builds it`);
    if (readFileSync(DATA_PATH, "utf8") !== defaultOpaDataText())
      throw new Error("opa: bench/peers/opa/data.json is not what policies/default.yaml gives: run node bench/peers/opa/generate.ts");
    const opa = peerBin("opa");
    const build = buildWasm(opa);
    const policy = await loadWasm(build);
    const decideOpa = (r: unknown) => decideWasm(policy, r);
    const httpMix = ctx.mix.requests.slice(0, HTTP_MIX);

    // Equivalence first.
    const sample = sampleSpace(ctx.engine, ctx.quick ? 2_000 : 20_000);
    const spaceEq = checkEquivalence(ctx.engine, sample.requests, decideOpa);
    refuse("policy diff space sample, Wasm", spaceEq);
    const mixEq = checkEquivalence(ctx.engine, ctx.mix.requests, decideOpa);
    refuse("bench mix, Wasm", mixEq);
    ctx.log(
      `opa: OPA ${build.version} (Wasm) and isoplace agree on ${spaceEq.checked} requests of the policy diff space (of ${sample.spaceSize}) and all ${mixEq.checked} of the mix`,
    );

    // In-process, per decision.
    const calls = ctx.quick ? 1_000 : 40_000;
    ctx.log(`opa: ${calls} calls each of engine.decide and OPA-Wasm evaluate, timed one by one, alternating blocks of ${BLOCK}`);
    const perCall = timeInProcess(ctx, decideOpa, calls);
    const loadRounds = ctx.quick ? 3 : 60;
    await timeLoads(ctx.quick ? 1 : 10, { isoplace: () => createEngine(ctx.moduleBytes), opa: () => loadWasm(build) }); // warm-up
    const loads = await timeLoads(loadRounds, { isoplace: () => createEngine(ctx.moduleBytes), opa: () => loadWasm(build) });
    const dataBytes = Buffer.byteLength(JSON.stringify(build.data));

    // Over HTTP.
    const flags = deployedNodeFlags(ctx.root);
    const samples = ctx.quick ? 1 : 7;
    const starts = { isoplace: [] as { ms: number; rssMb: number }[], opa: [] as { ms: number; rssMb: number }[], node: [] as { ms: number; rssMb: number }[] };
    ctx.log(`opa: start → first answer, ${samples} fresh processes per side (and of Node's floor), alternating`);
    for (let i = 0; i < samples; i++) for (const side of [...SIDES, "node" as const]) starts[side].push(await startOnce(ctx, side, flags, httpMix[0]));
    const nodeFloor = { rssAfterStartMb: round(median(starts.node.map((x) => x.rssMb)), 1), startMs: round(median(starts.node.map((x) => x.ms)), 1) };

    const rounds = ctx.quick ? 1 : 5,
      seconds = ctx.quick ? 1 : 5;
    const running = {} as Record<Server, Running>;
    const idle = {} as Record<Server, number>;
    let loaded: Awaited<ReturnType<typeof alternatingRounds<Server>>>, serverEq: Equivalence, gomaxprocs: number;
    try {
      for (const server of SERVERS) {
        const port = await freePort(),
          side = sideOf(server);
        const child = startServer(ctx, server, port, flags);
        running[server] = { child, url: `http://127.0.0.1:${port}` };
        await firstDecision(running[server].url, performance.now(), child, ROUTE[side].path, ROUTE[side].body(httpMix[0]));
        idle[server] = proc(child.pid!).rssMb;
      }
      const served = [...httpMix, ...sample.requests.slice(0, ctx.quick ? 100 : 1_000)];
      const answers = await serverDecisions(running.opa.url, served);
      serverEq = checkEquivalence(ctx.engine, served, (r) => answers.get(r));
      refuse("through opa run --server", serverEq);
      ctx.log(`opa: opa run --server and isoplace agree on all ${serverEq.checked} requests sent to it`);
      gomaxprocs = await serverGomaxprocs(running.opa.url);
      for (const server of SERVERS) await load(running[server], sideOf(server), httpMix, 1); // warm-up
      ctx.log(
        `opa: ${rounds} rounds of ${seconds} s per server (isoplace, OPA, OPA at --log-level error), ${CONNECTIONS} connections, a mix of ${httpMix.length} requests, alternating`,
      );
      loaded = await alternatingRounds(
        SERVERS,
        rounds,
        (server) => running[server].child.pid!,
        (server) => load(running[server], sideOf(server), httpMix, seconds),
      );
    } finally {
      for (const r of Object.values(running)) r.child.kill("SIGTERM");
    }

    const loadFigures = (server: Server) => ({ ...roundFigures(loaded.results[server], loaded.peakRssMb[server]), rssAfterStartMb: round(idle[server], 1) });
    const http = (s: Side) => ({
      ...loadFigures(s),
      startMs: round(median(starts[s].map((x) => x.ms)), 1),
      startRssMb: round(median(starts[s].map((x) => x.rssMb)), 1),
    });
    const hi = http("isoplace"),
      ho = http("opa"),
      hq = loadFigures("opaLogError");
    const pi = perCall.isoplace,
      po = perCall.opa;
    const ratios = {
      decideP50: ratio(pi.p50, po.p50),
      decideP99: ratio(pi.p99, po.p99),
      decideMean: ratio(pi.mean, po.mean),
      moduleBytes: ratio(ctx.moduleBytes.length, build.wasm.length),
      instantiate: ratio(loads.isoplace.p50, loads.opa.p50),
      rps: ratio(hi.rps, ho.rps),
      p99: ratio(hi.p99Ms, ho.p99Ms),
      cpuPerRequest: ratio(hi.cpuUsPerRequest, ho.cpuUsPerRequest),
      rpsLogError: ratio(hi.rps, hq.rps),
      p99LogError: ratio(hi.p99Ms, hq.p99Ms),
      cpuPerRequestLogError: ratio(hi.cpuUsPerRequest, hq.cpuUsPerRequest),
      rssAfterStart: ratio(hi.rssAfterStartMb, ho.rssAfterStartMb),
      nodeFloorRssAfterStart: ratio(nodeFloor.rssAfterStartMb, ho.rssAfterStartMb),
      rssUnderLoad: ratio(hi.peakRssMb, ho.peakRssMb),
      start: ratio(hi.startMs, ho.startMs),
    };
    const overhead = timerOverheadNs();
    const ns = (s: ReturnType<typeof summarise>) => ({ p50Ns: round(s.p50), p99Ns: round(s.p99), meanNs: round(s.mean) });
    return {
      figures: {
        opa: {
          version: build.version,
          equivalence: {
            spaceSample: spaceEq.checked,
            spaceSize: sample.spaceSize,
            mix: mixEq.checked,
            server: serverEq.checked,
            mismatches: 0,
            byRule: spaceEq.byRule,
            infeasible: spaceEq.infeasible,
          },
          decide: { isoplace: ns(pi), opaWasm: ns(po), calls, timerOverheadNs: round(overhead) },
          module: { isoplaceBytes: ctx.moduleBytes.length, opaWasmBytes: build.wasm.length, opaDataBytes: dataBytes },
          instantiate: { isoplaceMs: round(loads.isoplace.p50, 3), opaWasmMs: round(loads.opa.p50, 3), rounds: loadRounds },
          http: {
            isoplace: hi,
            opa: ho,
            opaLogError: hq,
            nodeFloor,
            opaGomaxprocs: gomaxprocs,
            connections: CONNECTIONS,
            requests: httpMix.length,
            secondsPerRound: seconds,
            startSamples: samples,
            nodeFlags: flags.join(" "),
          },
          ratio: ratios,
          method:
            "bench/peers/opa: placement.rego over data.json (generated from policies/default.yaml); equivalence (level, runtime, rule, fallback, ranking) on a seeded sample of the policy diff space and the bench mix through the Wasm build, and on the HTTP mix plus part of the sample through opa run --server, before anything is timed; " +
            "in-process: engine.decide(request) vs @open-policy-agent/opa-wasm evaluate(request) on opa build -t wasm -O=0 (data set once with setData), the bench mix, each call timed with process.hrtime.bigint, alternating blocks; instantiate: createEngine(bytes) vs loadPolicy(bytes) + setData(data), in turn, medians; " +
            'HTTP: isoplace serve (deployed node flags, LOG_LEVEL=info, output to /dev/null; its JavaScript on one thread) vs opa run --server (default logging: info, a line per request and per answer, to /dev/null; GOMAXPROCS from its /metrics) and opa run --server --log-level error, all on 127.0.0.1, the first requests of the mix as bodies (OPA: {"input": body}), autocannon in the bench process, rounds alternating, medians; RSS after the first answer, peak under load; start: spawn → first 200, fresh processes, medians',
        },
      },
      rows: [
        {
          id: "opa.ratio.decideP50",
          label: "per decision p50, engine.decide / OPA-Wasm",
          value: ratios.decideP50,
          unit: "×",
          target: { op: "<=", limit: 0.1 },
          note: `${round(pi.p50)} vs ${round(po.p50)} ns; OPA ${build.version}`,
        },
        {
          id: "opa.ratio.decideP99",
          label: "per decision p99, engine.decide / OPA-Wasm",
          value: ratios.decideP99,
          unit: "×",
          target: { op: "<=", limit: 0.1 },
          note: `${round(pi.p99)} vs ${round(po.p99)} ns`,
        },
        {
          id: "opa.ratio.moduleBytes",
          label: "module size, isoplace / OPA-Wasm",
          value: ratios.moduleBytes,
          unit: "×",
          target: { op: "<=", limit: 0.1 },
          note: `${ctx.moduleBytes.length} vs ${build.wasm.length} bytes (+ ${dataBytes} bytes of OPA data)`,
        },
        {
          id: "opa.ratio.instantiate",
          label: "bytes → ready to decide, isoplace / OPA-Wasm",
          value: ratios.instantiate,
          unit: "×",
          note: `${round(loads.isoplace.p50, 3)} vs ${round(loads.opa.p50, 3)} ms`,
        },
        {
          id: "opa.ratio.rps",
          label: "HTTP throughput, isoplace serve / opa run --server",
          value: ratios.rps,
          unit: "×",
          target: { op: ">=", limit: 1.5 },
          note: `${hi.rps} vs ${ho.rps} req/s; ${hi.failed + ho.failed} failed`,
        },
        {
          id: "opa.ratio.p99",
          label: "HTTP p99, isoplace / OPA",
          value: ratios.p99,
          unit: "×",
          target: { op: "<=", limit: 1 },
          note: `${hi.p99Ms} vs ${ho.p99Ms} ms (p50 ${hi.p50Ms} vs ${ho.p50Ms})`,
        },
        {
          id: "opa.ratio.cpuPerRequest",
          label: "server CPU time per request, isoplace / OPA",
          value: ratios.cpuPerRequest,
          unit: "×",
          note: `${hi.cpuUsPerRequest} vs ${ho.cpuUsPerRequest} µs`,
        },
        {
          id: "opa.ratio.rpsLogError",
          label: "HTTP throughput, isoplace serve / opa run --server --log-level error",
          value: ratios.rpsLogError,
          unit: "×",
          note: `${hi.rps} vs ${hq.rps} req/s; p99 ${hi.p99Ms} vs ${hq.p99Ms} ms; ${hq.failed} failed; OPA GOMAXPROCS ${gomaxprocs}`,
        },
        {
          id: "opa.ratio.cpuPerRequestLogError",
          label: "server CPU time per request, isoplace / OPA at --log-level error",
          value: ratios.cpuPerRequestLogError,
          unit: "×",
          note: `${hi.cpuUsPerRequest} vs ${hq.cpuUsPerRequest} µs`,
        },
        {
          id: "opa.ratio.rssAfterStart",
          label: "RSS after start, isoplace / OPA",
          value: ratios.rssAfterStart,
          unit: "×",
          target: { op: "<=", limit: 1.5 },
          note: `${hi.rssAfterStartMb} vs ${ho.rssAfterStartMb} MB`,
        },
        {
          id: "opa.ratio.nodeFloorRssAfterStart",
          label: "RSS after the first answer, Node's floor (bare node:http, same flags) / OPA",
          value: ratios.nodeFloorRssAfterStart,
          unit: "×",
          note: `${nodeFloor.rssAfterStartMb} vs ${ho.rssAfterStartMb} MB`,
        },
        {
          id: "opa.ratio.rssUnderLoad",
          label: "peak RSS under load, isoplace / OPA",
          value: ratios.rssUnderLoad,
          unit: "×",
          target: { op: "<=", limit: 1.5 },
          note: `${hi.peakRssMb} vs ${ho.peakRssMb} MB`,
        },
        { id: "opa.ratio.start", label: "spawn → first answer, isoplace / OPA", value: ratios.start, unit: "×", note: `${hi.startMs} vs ${ho.startMs} ms` },
      ],
    };
  },
};
