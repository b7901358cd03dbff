#!/usr/bin/env node
// README's Performance table, generated from bench/results.json (one bench run): rewrites the
// block between <!-- figures:start --> and <!-- figures:end --> in README.md (and, where
// deploy/k3s/README.md has a <!-- memory:start --> … <!-- memory:end --> block and
// deploy/k3s/memory-results.json exists, its memory table from that file). `npm run bench`
// runs it after writing results.json; --check exits 1 when README's block is not what the file
// gives (tests/bench/figures.test.ts). Every number in the block comes from the file.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const START = "<!-- figures:start -->", END = "<!-- figures:end -->";

const num = (x, digits = 0) => x.toLocaleString("en", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ns = (x) => (x >= 1000 ? `${num(x / 1000, 1)} µs` : `${num(x)} ns`);
const ms = (x, d = 0) => `${num(x, d)} ms`;
const ratio = (x) => `${num(x, 2)}×`;

export function figuresBlock(r) {
  const t = r.targets ?? {};
  const verdict = (id, limit = (x) => `${x}`) => {
    const e = t[id];
    if (!e) return "—";
    return `${e.op === "<=" ? "≤" : "≥"} ${limit(e.limit)} — ${e.met ? "met" : "missed"}`;
  };
  const h = r.http, core = r.core, e = r.engineDecide, b = r.engineBaseline, cold = r.createEngineCold;
  const m = r.machine, loadAvg = m.loadAverage;
  const rows = [
    ["default policy module", `**${num(r.moduleBytes)} bytes**`, `${verdict("moduleBytes", (x) => `${num(x)} bytes`)}`],
    ["Wasm decision alone (codes in → the whole output read out), per decision", `**${ns(core.wasm.p50Ns)}** p50, ${ns(core.wasm.p99Ns)} p99, ${ns(core.wasm.meanNs)} mean`, "—"],
    ["the same rules in plain TypeScript, same output (`bench/baseline.ts`)", `${ns(core.ts.p50Ns)} p50, ${ns(core.ts.p99Ns)} p99, ${ns(core.ts.meanNs)} mean`, "—"],
    ["ratio Wasm / TypeScript (mean)", `**${num(core.ratio.mean, 2)}** (p50 ${num(core.ratio.p50, 2)}, p99 ${num(core.ratio.p99, 2)})`, verdict("core.ratio.mean", (x) => `${x}×`)],
    ["`engine.decide(request)` (validation, ranking with reasons, explanation, id), per call", `**${ns(e.p50Ns)}** p50, ${ns(e.p99Ns)} p99`, `p99 ${verdict("engineDecide.p99Ns", ns)}`],
    ["the same full answer with the rules in TypeScript (`bench/baseline-answer.ts`)", `${ns(b.p50Ns)} p50, ${ns(b.p99Ns)} p99`, "—"],
    ["ratio `engine.decide` / TypeScript full answer (mean)", `**${num(b.ratio.mean, 2)}** (p50 ${num(b.ratio.p50, 2)}, p99 ${num(b.ratio.p99, 2)})`, verdict("engineBaseline.ratio.mean", (x) => `${x}×`)],
    ["`createEngine(bytes)` cold: first call in a fresh process", `**${ms(cold.firstMs, 1)}**`, "—"],
    ["`createEngine(bytes)` warm (median of repeated loads)", `${ms(r.instantiateMs, 2)} (${ms(r.instantiate.fromModule.medianMs, 2)} from a compiled module, as on Workers)`, verdict("instantiateMs", (x) => ms(x))],
    ["linear memory", `${r.linearMemory.memoryGrowInstructions} \`memory.grow\` in the module: flat by construction`, verdict("linearMemory.memoryGrowInstructions")],
    [`\`POST /v1/decide\` throughput, agent vs a bare Hono server (own process, same answer size)`, `${num(h.agent.rps)} vs ${num(h.bare.rps)} req/s: **${ratio(h.ratio.rps)}**`, verdict("http.ratio.rps", (x) => `${x}×`)],
    ["server CPU time per request, agent vs bare", `${num(h.agent.cpuUsPerRequest, 1)} vs ${num(h.bare.cpuUsPerRequest, 1)} µs: ${ratio(h.ratio.cpuPerRequest)}`, "—"],
    ["`POST /v1/decide` p99, agent vs bare", `${ms(h.agent.p99Ms)} vs ${ms(h.bare.p99Ms)}: **${ratio(h.ratio.p99)}**`, verdict("http.ratio.p99", (x) => `${x}×`)],
    ["spawn → first answered decision, as deployed (no compile cache)", `${ms(h.start.deployed.agent.ms)} vs ${ms(h.start.deployed.bare.ms)}: **${ratio(h.ratio.startDeployed)}**`, verdict("http.ratio.startDeployed", (x) => `${x}×`)],
    ["spawn → first answered decision, warm compile cache", `${ms(h.start.warmCache.agent.ms)} vs ${ms(h.start.warmCache.bare.ms)}: ${ratio(h.ratio.startWarmCache)}`, "—"],
    ["RSS after the first answer", `${num(h.start.deployed.agent.rssMb, 1)} vs ${num(h.start.deployed.bare.rssMb, 1)} MB: **${ratio(h.ratio.rssFirstAnswer)}**`, verdict("http.ratio.rssFirstAnswer", (x) => `${x}×`)],
    ["peak RSS under that load (heap bounds as deployed)", `${num(h.agent.peakRssMb, 1)} vs ${num(h.bare.peakRssMb, 1)} MB: **${ratio(h.ratio.rssUnderLoad)}**`, verdict("http.ratio.rssUnderLoad", (x) => `${x}×`)],
  ];
  const fleet = r.fleet?.full;
  if (fleet) rows.push([`policy rollout to ${num(fleet.agents)} simulated agents (full pipeline), poll ${num(fleet.intervalMs / 1000)} s + ${Math.round(fleet.jitter * 100)} % jitter`, `all on v2 after **${num(fleet.update.convergedMs / 1000, 1)} s**; ${fleet.update.maxDownloadsPerAgent} download per agent`, verdict("fleet.full.convergenceMs", (x) => `${num(x / 1000, 1)} s`)]);
  const lines = [
    START,
    `<!-- generated by scripts/figures.mjs from bench/results.json: do not edit by hand -->`,
    `Run of ${r.generatedAt.slice(0, 16).replace("T", " ")} UTC${r.quick ? " (--quick: figures not meaningful)" : ""}, ${r.durationSeconds} s: ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GiB, Node ${m.node.replace(/^v/, "")}; load average ${loadAvg.start[0]} at the start, ${loadAvg.end[0]} at the end.`,
    "",
    "| figure | measured | target |",
    "|---|---|---|",
    ...rows.map((row) => `| ${row.join(" | ")} |`),
    "",
    `HTTP: both servers run with the DaemonSet's \`NODE_OPTIONS\` (\`${h.nodeFlags}\`), the agent with its logs at info and its metrics on; autocannon, ${h.connections} connections, on the same ${m.cores} cores.`,
    END,
  ];
  return lines.join("\n");
}

export function rewrite(readme, block, start = START, end = END) {
  const a = readme.indexOf(start), z = readme.indexOf(end);
  if (a < 0 || z < a) throw new Error(`no ${start} … ${end} block`);
  return readme.slice(0, a) + block + readme.slice(z + end.length);
}

const MEMORY_START = "<!-- memory:start -->", MEMORY_END = "<!-- memory:end -->";

/** deploy/k3s/README.md's memory table, from deploy/k3s/memory-results.json (measure-memory.mjs). */
export function memoryBlock(r) {
  const m = r.machine;
  return [
    MEMORY_START,
    `<!-- generated by scripts/figures.mjs from deploy/k3s/memory-results.json: do not edit by hand -->`,
    `Run of ${r.generatedAt.slice(0, 16).replace("T", " ")} UTC: ${m.cpu}, ${m.cores} cores, Node ${m.node.replace(/^v/, "")}, load average ${m.loadAverage.start[0]}; \`NODE_OPTIONS=${r.nodeOptions}\`; ${r.secondsPerPhase} s per phase, ${r.connections} connections.`,
    "",
    "| load | req/s | failed | peak RSS |",
    "|---|---|---|---|",
    `| idle, after start | — | — | ${num(r.idleRssMb, 1)} MiB |`,
    ...r.phases.map((p) => `| ${p.phase} | ${num(p.rps)} | ${num(p.errors)} | ${num(p.peakRssMb, 1)} MiB |`),
    `| after the load | — | — | ${num(r.afterLoadRssMb, 1)} MiB; high-water mark ${num(r.highWaterMarkMb, 1)} MiB |`,
    MEMORY_END,
  ].join("\n");
}

/** Every generated block: [file, its new text, its current text]; a block is skipped while its source file or markers are missing. */
function blocks() {
  const out = [];
  const readmePath = join(root, "README.md");
  const readme = readFileSync(readmePath, "utf8");
  out.push([readmePath, rewrite(readme, figuresBlock(JSON.parse(readFileSync(join(root, "bench/results.json"), "utf8")))), readme]);
  const k3sPath = join(root, "deploy/k3s/README.md"), memoryPath = join(root, "deploy/k3s/memory-results.json");
  const k3s = readFileSync(k3sPath, "utf8");
  if (existsSync(memoryPath) && k3s.includes(MEMORY_START)) {
    out.push([k3sPath, rewrite(k3s, memoryBlock(JSON.parse(readFileSync(memoryPath, "utf8"))), MEMORY_START, MEMORY_END), k3s]);
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const stale = [];
  for (const [file, next, current] of blocks()) {
    if (next === current) continue;
    if (process.argv.includes("--check")) stale.push(file);
    else { writeFileSync(file, next); console.log(`${file.slice(root.length + 1)}: figures regenerated`); }
  }
  if (stale.length) {
    console.error(`figures differ from their JSON in ${stale.map((f) => f.slice(root.length + 1)).join(", ")}: run node scripts/figures.mjs`);
    process.exit(1);
  }
}
