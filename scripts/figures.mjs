#!/usr/bin/env node
// The figures in the docs, generated from the JSON files the runs write (one run, one file):
//   README.md                <!-- headline:start -->  ← bench/results.json (npm run bench): a few of its figures
//   docs/PERFORMANCE.md      <!-- figures:start -->   ← bench/results.json (npm run bench)
//   deploy/k3s/README.md     <!-- memory:start -->    ← deploy/k3s/memory-results.json (measure-memory.mjs)
//   docs/ADMISSION.md        <!-- webhook-memory:start --> ← deploy/k3s/webhook/memory-results.json (measure-memory.mjs --webhook)
//   docs/SHIPPING.md         <!-- fleet:start -->     ← bench/fleet-results.json (npm run bench:fleet)
//   docs/OCI.md              <!-- fleet-registry:start --> ← bench/fleet-registry-results.json (npm run bench:fleet -- --registry)
//   docs/SHIPPING.md         <!-- rollout:start -->   ← bench/fleet-results.json's rollout runs (npm run bench:fleet)
//   docs/SHIPPING.md         <!-- rollout-registry:start --> ← bench/fleet-registry-results.json's rollout runs
//   docs/SECURITY.md         <!-- soak:start -->      ← bench/soak-results.json (npm run soak)
//   docs/SECURITY.md         <!-- meter:start -->     ← bench/results.json's meter section (npm run bench)
//   docs/SECURITY.md         <!-- bounds:start -->    ← bench/results.json's bounds section (npm run bench)
// Each block is rewritten between its start and end markers. `npm run bench` runs this after
// writing results.json; --check exits 1 when a block is not what its file gives
// (tests/bench/figures.test.ts). Every number in a block comes from its file.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const START = "<!-- figures:start -->",
  END = "<!-- figures:end -->";

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
  const h = r.http,
    core = r.core,
    e = r.engineDecide,
    b = r.engineBaseline,
    cold = r.createEngineCold;
  const m = r.machine,
    loadAvg = m.loadAverage;
  const rows = [
    ["default policy module", `**${num(r.moduleBytes)} bytes**`, `${verdict("moduleBytes", (x) => `${num(x)} bytes`)}`],
    [
      "Wasm decision alone (codes in → the whole output read out), per decision",
      `**${ns(core.wasm.p50Ns)}** p50, ${ns(core.wasm.p99Ns)} p99, ${ns(core.wasm.meanNs)} mean`,
      "—",
    ],
    [
      "the same rules in plain TypeScript, same output (`bench/baseline.ts`)",
      `${ns(core.ts.p50Ns)} p50, ${ns(core.ts.p99Ns)} p99, ${ns(core.ts.meanNs)} mean`,
      "—",
    ],
    [
      "ratio Wasm / TypeScript (mean)",
      `**${num(core.ratio.mean, 2)}** (p50 ${num(core.ratio.p50, 2)}, p99 ${num(core.ratio.p99, 2)})`,
      verdict("core.ratio.mean", (x) => `${x}×`),
    ],
    [
      "`engine.decide(request)` (validation, ranking with reasons, explanation, id), per call",
      `**${ns(e.p50Ns)}** p50, ${ns(e.p99Ns)} p99`,
      `p99 ${verdict("engineDecide.p99Ns", ns)}`,
    ],
    ["the same full answer with the rules in TypeScript (`bench/baseline-answer.ts`)", `${ns(b.p50Ns)} p50, ${ns(b.p99Ns)} p99`, "—"],
    [
      "ratio `engine.decide` / TypeScript full answer (mean)",
      `**${num(b.ratio.mean, 2)}** (p50 ${num(b.ratio.p50, 2)}, p99 ${num(b.ratio.p99, 2)})`,
      verdict("engineBaseline.ratio.mean", (x) => `${x}×`),
    ],
    [
      "`createEngine(bytes)` cold: first call in a fresh process (it loads zod and the request schemas)",
      `**${ms(cold.firstMs, 1)}**, after ${ms(cold.importMs, 1)} importing the engine`,
      "—",
    ],
    [
      "`createEngine(bytes)` warm (median of repeated loads)",
      `${ms(r.instantiateMs, 2)} (${ms(r.instantiate.fromModule.medianMs, 2)} from a compiled module, as on Workers)`,
      verdict("instantiateMs", (x) => ms(x)),
    ],
    [
      "linear memory",
      `${r.linearMemory.memoryGrowInstructions} \`memory.grow\` in the module: flat by construction`,
      verdict("linearMemory.memoryGrowInstructions"),
    ],
    [
      `\`POST /v1/decide\` throughput, agent vs a bare Hono server (own process, same answer size)`,
      `${num(h.agent.rps)} vs ${num(h.bare.rps)} req/s: **${ratio(h.ratio.rps)}**`,
      verdict("http.ratio.rps", (x) => `${x}×`),
    ],
    [
      "server CPU time per request, agent vs bare",
      `${num(h.agent.cpuUsPerRequest, 1)} vs ${num(h.bare.cpuUsPerRequest, 1)} µs: ${ratio(h.ratio.cpuPerRequest)}`,
      "—",
    ],
    [
      "`POST /v1/decide` p99, agent vs bare",
      `${ms(h.agent.p99Ms)} vs ${ms(h.bare.p99Ms)}: **${ratio(h.ratio.p99)}**`,
      verdict("http.ratio.p99", (x) => `${x}×`),
    ],
    [
      "spawn → first answered decision, as deployed (no compile cache)",
      `${ms(h.start.deployed.agent.ms)} vs ${ms(h.start.deployed.bare.ms)}: **${ratio(h.ratio.startDeployed)}**`,
      verdict("http.ratio.startDeployed", (x) => `${x}×`),
    ],
    [
      "spawn → first answered decision, warm compile cache",
      `${ms(h.start.warmCache.agent.ms)} vs ${ms(h.start.warmCache.bare.ms)}: ${ratio(h.ratio.startWarmCache)}`,
      "—",
    ],
    [
      "RSS after the first answer",
      `${num(h.start.deployed.agent.rssMb, 1)} vs ${num(h.start.deployed.bare.rssMb, 1)} MB: **${ratio(h.ratio.rssFirstAnswer)}**`,
      verdict("http.ratio.rssFirstAnswer", (x) => `${x}×`),
    ],
    [
      "peak RSS under that load (heap bounds as deployed)",
      `${num(h.agent.peakRssMb, 1)} vs ${num(h.bare.peakRssMb, 1)} MB: **${ratio(h.ratio.rssUnderLoad)}**`,
      verdict("http.ratio.rssUnderLoad", (x) => `${x}×`),
    ],
  ];
  const fleet = r.fleet?.full;
  const client = r.client;
  if (client) {
    const e = client.embedded,
      zodPct = (100 * e.minBytesByPart.zod) / e.script.minBytes;
    rows.push(
      [
        "`isoplace/client` alone, bundled (esbuild, minified, gzip -9)",
        `**${num(client.bare.gzipBytes)} bytes**`,
        verdict("client.bare.gzipBytes", (x) => `${num(x)} bytes`),
      ],
      [
        "with the embedded fallback as a Worker bundles it (engine, HTTP app, zod), the policy module included",
        `${num(e.gzipBytes)} bytes (script ${num(e.script.gzipBytes)} + module ${num(e.module.gzipBytes)}; zod ${num(zodPct)} % of the minified script)`,
        "—",
      ],
    );
  }
  if (fleet)
    rows.push([
      `policy rollout to ${num(fleet.agents)} simulated agents (full pipeline), poll ${num(fleet.intervalMs / 1000)} s + ${Math.round(fleet.jitter * 100)} % jitter`,
      `all on v2 after **${num(fleet.update.convergedMs / 1000, 1)} s**; ${fleet.update.maxDownloadsPerAgent} download per agent`,
      verdict("fleet.full.convergenceMs", (x) => `${num(x / 1000, 1)} s`),
    ]);
  const sh = r.shadow;
  if (sh) {
    rows.push([
      "shadow evaluation of a pending policy, per request: a shadow decision (after the answer) / what the answer path adds (queueing it)",
      `${ns(sh.perDecision.shadowDecisionNs.p50)} / **${ns(sh.perDecision.observeNs.p50)}**`,
      "—",
    ]);
    rows.push([
      "`POST /v1/decide` throughput with a pending candidate vs without (the same agent, in turns)",
      `${num(sh.http.pending.rps)} vs ${num(sh.http.plain.rps)} req/s: **${ratio(sh.http.ratio.rps)}** (each of ${sh.http.agents.length} agents with and without, in turns; the median agent); ${num(sh.http.shadow.sampledShare * 100, 1)} % of the decisions decided in the shadow`,
      verdict("shadow.http.ratio.rps", (x) => `${x}×`),
    ]);
  }
  const plan = r.plan;
  if (plan)
    rows.push([
      `\`isoplace plan -o json\`, ${num(plan.workloads)} workloads, spawn to exit (\`-o yaml\`: ${ms(plan.yaml.wallMs)}; an empty file: ${ms(plan.emptyMs)})`,
      `**${ms(plan.json.wallMs)}**`,
      verdict("plan.json.wallMs", (x) => ms(x)),
    ]);
  const o = r.opa;
  if (o) {
    const x = (limit) => `${limit}×`;
    const times = (v) => `${num(v, v < 0.1 ? 3 : 2)}×`; // the per-decision ratios are far below 0.1
    const oi = o.http.isoplace,
      oo = o.http.opa,
      oq = o.http.opaLogError;
    const quiet = oq ? `; OPA at \`--log-level error\` ${num(oq.rps)} req/s: ${ratio(o.ratio.rpsLogError)}` : "";
    rows.push(
      [
        `vs OPA ${o.version} (the same rules in Rego, docs/OPA.md; ${num(o.equivalence.spaceSample + o.equivalence.mix + o.equivalence.server)} requests decided alike first): per decision in-process, \`engine.decide\` vs OPA's Wasm build`,
        `${ns(o.decide.isoplace.p50Ns)} vs ${ns(o.decide.opaWasm.p50Ns)} p50: **${times(o.ratio.decideP50)}**; p99 ${ns(o.decide.isoplace.p99Ns)} vs ${ns(o.decide.opaWasm.p99Ns)}: ${times(o.ratio.decideP99)}`,
        `p50 ${verdict("opa.ratio.decideP50", x)}; p99 ${verdict("opa.ratio.decideP99", x)}`,
      ],
      [
        "module vs OPA's Wasm build",
        `${num(o.module.isoplaceBytes)} vs ${num(o.module.opaWasmBytes)} bytes (+ ${num(o.module.opaDataBytes)} of data): **${times(o.ratio.moduleBytes)}**; bytes → ready ${ms(o.instantiate.isoplaceMs, 2)} vs ${ms(o.instantiate.opaWasmMs, 2)}`,
        verdict("opa.ratio.moduleBytes", x),
      ],
      [
        "`POST /v1/decide` on `isoplace serve` vs `opa run --server`, same requests",
        `${num(oi.rps)} vs ${num(oo.rps)} req/s: **${ratio(o.ratio.rps)}**; p99 ${ms(oi.p99Ms)} vs ${ms(oo.p99Ms)}: **${ratio(o.ratio.p99)}**${quiet}`,
        `${verdict("opa.ratio.rps", x)}; p99 ${verdict("opa.ratio.p99", x)}`,
      ],
      [
        "RSS, `isoplace serve` vs `opa run --server`",
        `after start ${num(oi.rssAfterStartMb, 1)} vs ${num(oo.rssAfterStartMb, 1)} MB: **${ratio(o.ratio.rssAfterStart)}**${o.http.nodeFloor ? ` (Node's floor, a bare \`node:http\` server with the same flags: ${num(o.http.nodeFloor.rssAfterStartMb, 1)} MB, ${ratio(o.ratio.nodeFloorRssAfterStart)})` : ""}; under load ${num(oi.peakRssMb, 1)} vs ${num(oo.peakRssMb, 1)} MB: ${ratio(o.ratio.rssUnderLoad)}; start → first answer ${ms(oi.startMs)} vs ${ms(oo.startMs)}`,
        `${verdict("opa.ratio.rssAfterStart", x)}; under load ${verdict("opa.ratio.rssUnderLoad", x)}`,
      ],
    );
  }
  const adm = r.admission;
  if (adm) {
    rows.push([
      "admission over HTTPS, `isoplace webhook` vs a bare Hono HTTPS route answering the same review in its own process",
      `${num(adm.webhook.rps)} vs ${num(adm.bare.rps)} req/s: **${ratio(adm.ratio)}**; p99 ${ms(adm.webhook.p99Ms)} vs ${ms(adm.bare.p99Ms)}` +
        (adm.admissionWorkUsInProcess !== undefined
          ? `; server CPU per request ${num(adm.webhook.cpuUsPerRequest, 1)} vs ${num(adm.bare.cpuUsPerRequest, 1)} µs; the admission's own work per review (checks, decision, patch, id, answer JSON) ${num(adm.admissionWorkUsInProcess, 1)} µs in process`
          : ""),
      `${verdict("admission.ratio", (x) => `${x}×`)}; p99 ${verdict("admission.webhook.p99Ms", (x) => ms(x))}`,
    ]);
  }
  const apis = r.apiserver;
  if (apis) {
    rows.push([
      `pod creation through kube-apiserver ${apis.kubernetes}, ${apis.clients} clients: time the webhook adds`,
      `**${ms(apis.addedMs.p50, 2)}** p50, **${ms(apis.addedMs.p99, 2)}** p99 (${ms(apis.withWebhook.p50Ms, 2)} vs ${ms(apis.withoutWebhook.p50Ms, 2)} p50)` +
        (apis.cpuMsPerCreate
          ? `; where it goes: the call as kube-apiserver times it ${ms(apis.webhookCallMsSeenByApiserver, 2)} (mean), CPU per create kube-apiserver ${ms(apis.cpuMsPerCreate.withWebhook.apiserver, 2)} vs ${ms(apis.cpuMsPerCreate.withoutWebhook.apiserver, 2)}, the webhook ${ms(apis.cpuMsPerCreate.withWebhook.webhook, 2)}; one client: ${ms(apis.oneClientAddedMs.p50, 2)} added at p50`
          : "") +
        (apis.floorAddedMs
          ? `; floors in the same run (bench/admission-floor.mjs): a webhook that changes nothing adds ${ms(apis.floorAddedMs.p50, 2)} p50, one answering isoplace's patch without computing it ${ms(apis.patchFloorAddedMs.p50, 2)} (kube-apiserver CPU per create ${ms(apis.cpuMsPerCreate.withFloor.apiserver, 2)} and ${ms(apis.cpuMsPerCreate.withPatchFloor.apiserver, 2)})`
          : ""),
      `${verdict("apiserver.addedMs.p50", (x) => ms(x, 1))}; p99 ${verdict("apiserver.addedMs.p99", (x) => ms(x))}`,
    ]);
  }
  const lines = [
    START,
    `<!-- generated by scripts/figures.mjs from bench/results.json: do not edit by hand -->`,
    `Run of ${r.generatedAt.slice(0, 16).replace("T", " ")} UTC${r.quick ? " (--quick: figures not meaningful)" : ""}, ${r.durationSeconds} s: ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GiB, Node ${m.node.replace(/^v/, "")}; load average ${loadAvg.start[0]} at the start, ${loadAvg.end[0]} at the end.`,
    "",
    "| figure | measured | target |",
    "|---|---|---|",
    ...rows.map((row) => `| ${row.join(" | ")} |`),
    "",
    `HTTP: both servers run with the deployed node flags — the image's entrypoint's and the DaemonSet's \`NODE_OPTIONS\` (\`${h.nodeFlags}\`), the agent with its logs at info and its metrics on; autocannon, ${h.connections} connections, on the same ${m.cores} cores.`,
    END,
  ];
  return lines.join("\n");
}

const HEADLINE_START = "<!-- headline:start -->",
  HEADLINE_END = "<!-- headline:end -->";

/** README.md's headline: a few figures of the recorded run, the rest in docs/PERFORMANCE.md. */
export function headlineBlock(r) {
  const m = r.machine,
    e = r.engineDecide,
    h = r.http;
  const parts = [
    `the default policy module ${num(r.moduleBytes)} bytes`,
    e && `\`engine.decide\` ${ns(e.p50Ns)} p50, ${ns(e.p99Ns)} p99 per call`,
    h?.ratio && `the agent's \`POST /v1/decide\` at ${ratio(h.ratio.rps)} the throughput of a bare Hono server in its own process`,
  ].filter(Boolean);
  return [
    HEADLINE_START,
    "<!-- generated by scripts/figures.mjs from bench/results.json: do not edit by hand -->",
    `From the recorded run of ${when(r.generatedAt)}${r.quick ? " (--quick: figures not meaningful)" : ""} (${m.cpu}, ${m.cores} cores, load average ${m.loadAverage.start[0]} at the start): ${parts.join("; ")}.`,
    HEADLINE_END,
  ].join("\n");
}

export function rewrite(readme, block, start = START, end = END) {
  const a = readme.indexOf(start),
    z = readme.indexOf(end);
  if (a < 0 || z < a) throw new Error(`no ${start} … ${end} block`);
  return readme.slice(0, a) + block + readme.slice(z + end.length);
}

const MEMORY_START = "<!-- memory:start -->",
  MEMORY_END = "<!-- memory:end -->";

const PHASE_LABEL = {
  decide: "single decisions (`POST /v1/decide`)",
  "batch of 1000": "1000-item batches (`POST /v1/decide/batch`, the maximum)",
  mixed: "mixed: decisions, 1000-item batches, `/v1/levels`, `/metrics` at once",
};

const WEBHOOK_MEMORY_START = "<!-- webhook-memory:start -->",
  WEBHOOK_MEMORY_END = "<!-- webhook-memory:end -->";

const WEBHOOK_PHASE_LABEL = {
  admission: "admissions of a small pod (`POST /v1/admission/pods`)",
  "large reviews": "admissions of a pod near etcd's 1.5 MiB object limit (a large spec)",
  mixed: "mixed: small and large admissions, `/metrics` at once",
};

/** A memory table of measure-memory.mjs's results: the agent's (deploy/k3s/README.md) or the webhook's (docs/ADMISSION.md). */
function memoryTable(r, source, start, end, labels) {
  const m = r.machine;
  const flags = [...(r.nodeFlags ?? []), ...(r.nodeOptions ? [`NODE_OPTIONS=${r.nodeOptions}`] : [])].join(" ");
  const sizes = r.reviewBytes ? `; reviews of ${num(r.reviewBytes.small)} and ${num(r.reviewBytes.large)} bytes` : "";
  return [
    start,
    `<!-- generated by scripts/figures.mjs from ${source}: do not edit by hand -->`,
    `Run of ${r.generatedAt.slice(0, 16).replace("T", " ")} UTC: ${m.cpu}, ${m.cores} cores, Node ${m.node.replace(/^v/, "")}, load average ${m.loadAverage.start[0]}; \`${flags}\`; ${r.secondsPerPhase} s per phase, ${r.connections} connections${sizes}.`,
    "",
    "| load | req/s | failed | peak RSS |",
    "|---|---|---|---|",
    `| idle, after start | — | — | ${num(r.idleRssMb, 1)} MiB |`,
    ...r.phases.map((p) => `| ${labels[p.phase] ?? p.phase} | ${num(p.rps)} | ${num(p.errors)} | ${num(p.peakRssMb, 1)} MiB |`),
    `| after the load | — | — | ${num(r.afterLoadRssMb, 1)} MiB; high-water mark ${num(r.highWaterMarkMb, 1)} MiB |`,
    end,
  ].join("\n");
}

/** deploy/k3s/README.md's memory table, from deploy/k3s/memory-results.json (measure-memory.mjs). */
export const memoryBlock = (r) => memoryTable(r, "deploy/k3s/memory-results.json", MEMORY_START, MEMORY_END, PHASE_LABEL);

/** docs/ADMISSION.md's memory table, from deploy/k3s/webhook/memory-results.json (measure-memory.mjs --webhook). */
export const webhookMemoryBlock = (r) =>
  memoryTable(r, "deploy/k3s/webhook/memory-results.json", WEBHOOK_MEMORY_START, WEBHOOK_MEMORY_END, WEBHOOK_PHASE_LABEL);

const round = (x, d = 1) => num(x, d);
const sec = (msValue, d = 1) => `${num(msValue / 1000, d)} s`;
const when = (iso) => `${iso.slice(0, 16).replace("T", " ")} UTC`;

/** The machine of a fleet file: `machine` (bench/fleet.ts) or, in files written before it, top-level fields. */
function fleetMachine(r) {
  if (r.machine) return { ...r.machine, loadStart: r.machine.loadAverage.start[0], loadEnd: r.machine.loadAverage.end[0] };
  return { cpu: undefined, cores: r.cores, node: r.node, loadStart: r.loadAverage1m, loadEnd: undefined };
}
const machineText = (m) =>
  `${m.cpu ? `${m.cpu}, ` : ""}${m.cores} cores, Node ${m.node.replace(/^v/, "")}; load average ${m.loadStart} at the start${m.loadEnd === undefined ? "" : `, ${m.loadEnd} at the end`}`;
const allOf = (runs, f) => runs.flatMap((r) => [f(r.startup, r), f(r.update, r)]);
/** What held in every run of a fleet file, summed from the file (not asserted: said as it was). */
function fleetSummary(runs) {
  const maxDownloads = Math.max(...allOf(runs, (p) => p.maxDownloadsPerAgent));
  const rejected = allOf(runs, (p) => p.rejected).reduce((a, b) => a + b, 0);
  const pollErrors = allOf(runs, (p) => p.pollErrors).reduce((a, b) => a + b, 0);
  const idleModules = runs.reduce((a, r) => a + r.steady.server.full, 0);
  const allConverged = allOf(runs, (p, r) => p.converged === r.agents).every(Boolean);
  return (
    `Over all ${runs.length} runs: at most ${maxDownloads} module download${maxDownloads === 1 ? "" : "s"} per agent per version, ` +
    `${num(rejected)} candidate${rejected === 1 ? "" : "s"} rejected, ${num(pollErrors)} failed poll${pollErrors === 1 ? "" : "s"}, ` +
    `${num(idleModules)} module${idleModules === 1 ? "" : "s"} sent in an idle cycle; ${allConverged ? "every agent reached every version" : "**not every agent reached every version**"}.`
  );
}

const FLEET_START = "<!-- fleet:start -->",
  FLEET_END = "<!-- fleet:end -->";

/** docs/SHIPPING.md's fleet table, from bench/fleet-results.json (npm run bench:fleet). */
export function fleetBlock(r) {
  const m = fleetMachine(r),
    runs = r.runs;
  const bytes = [...new Set(runs.map((x) => x.moduleBytes))].map((b) => num(b)).join(" / ");
  const jitter = [...new Set(runs.map((x) => Math.round(x.jitter * 100)))].join(" / ");
  return [
    FLEET_START,
    "<!-- generated by scripts/figures.mjs from bench/fleet-results.json: do not edit by hand -->",
    `Run of ${when(r.generatedAt)}: ${machineText(m)}; module ${bytes} bytes, poll interval + up to ${jitter} % jitter:`,
    "",
    "| agents | kind | interval | load at its start | all on v2 after publish | median | target (interval + jitter) | full downloads | per agent | 304s in an idle cycle | simulator CPU |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
    ...runs.map((x) => {
      const u = x.update;
      const loadAt = num(x.loadAverage1mAtStart ?? m.loadStart, 1);
      return `| ${num(x.agents)} | ${x.kind} | ${sec(x.intervalMs, 0)} | ${loadAt} | ${sec(u.convergedMs, 2)} | ${sec(u.p50Ms, 2)} | ${sec(x.targetMs)} — ${u.convergedMs <= x.targetMs ? "met" : "missed"} | ${num(u.server.full)} | ${u.maxDownloadsPerAgent} | ${num(x.steady.server.notModified)}, ${x.steady.server.full === 0 ? "no module" : `${num(x.steady.server.full)} modules`} | ${u.cpuPct} % |`;
    }),
    "",
    fleetSummary(runs),
    FLEET_END,
  ].join("\n");
}

const REGISTRY_START = "<!-- fleet-registry:start -->",
  REGISTRY_END = "<!-- fleet-registry:end -->";
const KIND_LABEL = { signature: "signature check only", full: "full pipeline (compile, self-test)" };

/** docs/OCI.md's fleet-against-a-registry table, from bench/fleet-registry-results.json. */
export function fleetRegistryBlock(r) {
  const m = fleetMachine(r),
    runs = r.runs;
  const sent = (s, bold) => {
    const t = `${num(s.full)} modules, ${num(s.sigFull)} signatures`;
    return `${bold ? `**${t}**` : t}, ${num(s.notModified)} \`304\``;
  };
  const rows = runs.flatMap((x) => [
    `| ${KIND_LABEL[x.kind] ?? x.kind} | initial (first polls spread over a cycle) | ${sec(x.startup.convergedMs)} | ${round(x.startup.p50Ms / 1000)} / ${sec(x.startup.p95Ms)} | ${sent(x.startup.server, false)} | ≤ ${x.startup.maxDownloadsPerAgent} | ${num(x.startup.pollErrors)} |`,
    `| | steady, nothing new (${sec(x.steady.windowMs, 0)}) | — | — | **${num(x.steady.server.notModified)} \`304\`, ${num(x.steady.server.full)} modules** | ${x.steady.server.full === 0 ? 0 : "—"} | — |`,
    `| | update to v2 | **${sec(x.update.convergedMs)}** | ${round(x.update.p50Ms / 1000)} / ${sec(x.update.p95Ms)} | ${sent(x.update.server, true)} | ≤ ${x.update.maxDownloadsPerAgent} | ${num(x.update.pollErrors)} |`,
  ]);
  const verdicts = runs
    .map((x) => `${KIND_LABEL[x.kind] ?? x.kind} ${sec(x.update.convergedMs)} — ${x.update.convergedMs <= x.targetMs ? "met" : "missed"}`)
    .join("; ");
  const pushes = runs.map((x) => x.update.publishMs).filter((x) => x !== undefined);
  const agents = [...new Set(runs.map((x) => num(x.agents)))].join(" / ");
  const intervals = [...new Set(runs.map((x) => `${sec(x.intervalMs, 0)} + up to ${Math.round(x.jitter * 100)} % jitter, target ${sec(x.targetMs, 0)}`))].join(
    "; ",
  );
  return [
    REGISTRY_START,
    "<!-- generated by scripts/figures.mjs from bench/fleet-registry-results.json: do not edit by hand -->",
    `Run of ${when(r.generatedAt)}: ${machineText(m)}; poll ${intervals}:`,
    "",
    `| agents (${agents}) | phase | all on the version after | p50 / p95 | registry sent | downloads per agent | failed polls |`,
    "|---|---|---|---|---|---|---|",
    ...rows,
    "",
    `All agents on the new version within one interval + jitter: ${verdicts}.${pushes.length ? ` The push of v2 itself (${ms(Math.min(...pushes))}–${ms(Math.max(...pushes))}) is not counted.` : ""} ${fleetSummary(runs)}`,
    REGISTRY_END,
  ].join("\n");
}

const ROLLOUT_START = "<!-- rollout:start -->",
  ROLLOUT_END = "<!-- rollout:end -->";
const ROLLOUT_REGISTRY_START = "<!-- rollout-registry:start -->",
  ROLLOUT_REGISTRY_END = "<!-- rollout-registry:end -->";
const pts = (x) => `${x >= 0 ? "+" : "−"}${num(Math.abs(x), 1)}`;
const met = (ok) => (ok ? "met" : "**missed**");

/** docs/SHIPPING.md's staged-rollout figures, from a fleet file's `rollout` runs (bench/fleet/rollout.ts); absent until a run made them. */
export function rolloutBlock(r, source, start = ROLLOUT_START, end = ROLLOUT_END) {
  const head = [start, `<!-- generated by scripts/figures.mjs from ${source}: do not edit by hand -->`];
  const x = r.rollout;
  if (!x)
    return [
      ...head,
      `No staged-rollout run recorded in ${source} yet (\`npm run bench:fleet${source.includes("registry") ? " -- --registry" : ""}\` makes one).`,
      end,
    ].join("\n");
  const m = fleetMachine(r),
    s = x.staged,
    g = x.guarded,
    h = x.halt,
    gd = x.guard;
  const plan = x.plan.map((p) => `${p.percent} % at ${sec(p.afterMs, 0)}`).join(", ");
  return [
    ...head,
    `Run of ${when(x.startedAt)} (${x.origin === "registry" ? "agents polling a real OCI registry" : "agents polling a URL"}): ${machineText(m)} of the whole file's run, ${num(x.loadAverage1mAtStart, 1)} when these runs began; ${num(x.agents)} agents (each a real \`PolicyManager\` named \`node-NNNN\`), poll ${sec(x.intervalMs, 0)} + up to ${Math.round(x.jitter * 100)} % jitter; plan ${plan}:`,
    "",
    `| step | opens | on the new version, just before the next step (${sec(s.steps.at(-1).measuredAtMs - s.steps.at(-1).opensAtMs, 0)} after the last) | target: the plan ± 2 points | buckets the step covers |`,
    "|---|---|---|---|---|",
    ...s.steps.map(
      (p) =>
        `| ${p.percent} % | ${sec(p.opensAtMs, 0)} | ${num(p.adopted)} agents, **${num(p.adoptedPct, 1)} %** (at ${sec(p.measuredAtMs)}) | ${pts(p.deviationPts)} points — ${met(Math.abs(p.deviationPts) <= 2)} | ${num(p.coveredPct, 1)} % |`,
    ),
    "",
    `- **Staged:** ${num(s.early)} agents adopted before their step opened; those of the later steps (holding the candidate already) adopted ${ms(s.adoptionLagMs.p50)} after their step opened (p99 ${ms(s.adoptionLagMs.p99)}, max ${ms(s.adoptionLagMs.max)}); at most **${s.maxDownloadsPerAgent} module download per agent** (${num(s.fullDownloads)} in all); ${num(s.pollErrors)} failed polls; the simulator's event-loop delay p99 ${ms(s.loopDelayMs.p99)}, max ${ms(s.loopDelayMs.max)}.`,
    `- **Guard** (max-changed ${num(gd.maxChangedShare * 100)} %, min-decisions ${gd.minShadowDecisions}, bake ${gd.bake} s) against a candidate that moves every serverless decision — ${num(g.mixChangedShare * 100, 1)} % of the live mix (${g.topTransition}) — with ${g.requestsPerAgentPerS} live requests per agent per second: **adopted by ${num(g.adopted)} agents** (target 0 — ${met(g.adopted === 0)}), refused by ${num(g.refused)}, ${num(g.pendingAtEnd)} still pending; a median ${num(g.decisionsMedian)} shadow decisions per refusing agent (min ${num(g.decisionsMin)}), ${num(g.changedShareMedian * 100, 1)} % of them changed.`,
    `- **Halt** (the running module signed again with a higher serial) published ${sec(h.haltAtMs)} after the start: ${num(h.adoptedBeforeHalt)} agents had adopted the candidate, ${num(h.adoptedWithinGrace)} more within one poll interval + jitter (${sec(h.graceMs)}), **${num(h.adoptedAfterGrace)} after it** (target 0 — ${met(h.adoptedAfterGrace === 0)}); ${num(h.onV1AtEnd)} of ${num(x.agents)} on the running module at the end, ${num(h.pendingAtEnd)} pending; event-loop delay p99 ${ms(h.loopDelayMs.p99)}.`,
    end,
  ].join("\n");
}

const SOAK_START = "<!-- soak:start -->",
  SOAK_END = "<!-- soak:end -->";

/** docs/SECURITY.md's soak figures, from bench/soak-results.json (npm run soak). */
export function soakBlock(r) {
  const m = r.machine,
    q = r.requests,
    l = q.latencyMs,
    s = r.swaps,
    b = r.badUploads,
    o = r.options;
  const routes = Object.entries(q.byRoute)
    .map(([k, v]) => `${k} ${num(v)}`)
    .join(", ");
  const reasons = Object.entries(b.byClass)
    .map(([k, v]) => `${k} → \`${v.reason}\``)
    .join("; ");
  return [
    SOAK_START,
    "<!-- generated by scripts/figures.mjs from bench/soak-results.json: do not edit by hand -->",
    `Load with faults, \`npm run soak\`: run of ${when(r.generatedAt)}, ${o.seconds} s, ${o.connections} connections, a policy swap every ${sec(o.swapEveryMs, 0)} and a bad upload every ${sec(o.badEveryMs, 0)}; ${m.cpu}, ${m.cores} cores (load generator on the same cores), Node ${m.node.replace(/^v/, "")}, load average ${m.loadAverage1mAtStart} at the start. ${r.passed ? "Passed" : "**Failed**"}${r.problems.length ? `: ${r.problems.join("; ")}` : ""}.`,
    "",
    "| figure | measured |",
    "|---|---|",
    `| requests | ${num(q.total)} (${num(q.perSecond)}/s; ${routes}) — **${num(q.failed)} failed** |`,
    `| latency | p50 ${ms(l.p50, 2)}, p90 ${ms(l.p90, 2)}, p99 ${ms(l.p99, 2)}, p99.9 ${ms(l.p999, 2)}, max ${ms(l.max)} |`,
    `| policy swaps | ${num(s.done)} (${num(s.puts)} PUT, ${num(s.rollbacks)} rollback), ${num(s.failed)} failed; p50 ${ms(s.latencyMs.p50)}, p99 ${ms(s.latencyMs.p99)} |`,
    `| bad uploads | ${num(b.sent)} sent, ${num(b.rejected)} rejected, **${b.classesTried} of ${b.classes} classes** tried: ${reasons} |`,
    `| agent | ready in ${ms(r.agent.startMs)}; exit code on SIGTERM ${r.agent.exitOnSigterm}; ${num(r.agent.outputLines)} output lines, ${r.agent.secretInOutput ? "**a secret in the output**" : "no secret in them"} |`,
    SOAK_END,
  ].join("\n");
}

const METER_START = "<!-- meter:start -->",
  METER_END = "<!-- meter:end -->";

/** docs/SECURITY.md's cost of metering, from bench/results.json's meter section (npm run bench). */
export function meterBlock(r) {
  const t = r.meter,
    m = r.machine,
    raw = t.rawDecide,
    eng = t.engineDecideValid,
    rw = t.rewrite,
    run = t.runaway;
  const pct = (100 * eng.p50OverheadNs) / eng.unmetered.p50Ns;
  return [
    METER_START,
    "<!-- generated by scripts/figures.mjs from bench/results.json (section meter): do not edit by hand -->",
    `**What metering costs** (\`npm run bench\`, section \`meter\`, run of ${when(r.generatedAt)}${r.quick ? ", --quick: figures not meaningful" : ""}; ${m.cpu}, ${m.cores} cores, load average ${m.loadAverage.start[0]} at the start): ` +
      `the raw \`decide\` export p50 ${ns(raw.metered.p50Ns)} metered vs ${ns(raw.unmetered.p50Ns)} unmetered (p99 ${ns(raw.metered.p99Ns)} vs ${ns(raw.unmetered.p99Ns)}); ` +
      `\`engine.decideValid\` p50 ${ns(eng.metered.p50Ns)} vs ${ns(eng.unmetered.p50Ns)} (p99 ${ns(eng.metered.p99Ns)} vs ${ns(eng.unmetered.p99Ns)}) — **${ns(eng.p50OverheadNs)}, ${num(pct, 1)} % per decision** at the median. ` +
      `The rewrite costs **${ms(rw.warmP50Ms, 2)}** per activation warm (p50; p99 ${ms(rw.warmP99Ms, 1)}), ${ms(rw.coldMs, 1)} the first in a process; the default module grows ${num(rw.bytesIn)} → ${num(rw.bytesOut)} bytes. ` +
      `A runaway call is stopped at the budget of ${num(t.budget)} units: an endless loop in **${ms(run.loopP50Ms, 2)}** (p50; max ${ms(run.loopMaxMs, 1)}), a fan-out recursion in ${ms(run.fanOutP50Ms, 2)} (p50).`,
    METER_END,
  ].join("\n");
}

const BOUNDS_START = "<!-- bounds:start -->",
  BOUNDS_END = "<!-- bounds:end -->";
const bytes = (x) => (x >= 1024 * 1024 ? `${num(x / 1024 / 1024, 2)} MiB` : x >= 1024 ? `${num(x / 1024, 1)} KiB` : `${num(x)} bytes`);

/** docs/SECURITY.md's bounds (issue 22), from bench/results.json's bounds section; a placeholder until a run has it. */
export function boundsBlock(r) {
  const b = r.bounds,
    m = r.machine;
  const head = [BOUNDS_START, "<!-- generated by scripts/figures.mjs from bench/results.json (section bounds): do not edit by hand -->"];
  if (!b) return [...head, "Not measured in the recorded run yet (`npm run bench`, section `bounds`).", BOUNDS_END].join("\n");
  const met = (id) => (r.targets?.[id] ? (r.targets[id].met ? "met" : "**missed**") : "—");
  return [
    ...head,
    `Measured by \`npm run bench\`, section \`bounds\`, run of ${when(r.generatedAt)}${r.quick ? ", --quick: figures not meaningful" : ""}; ${m.cpu}, ${m.cores} cores, load average ${m.loadAverage.start[0]} at the start.`,
    "",
    "| figure | measured | target |",
    "|---|---|---|",
    `| a signed module that refills its own budget, \`PUT /v1/policy\`: refused (\`invalid\`) in | ${ms(b.refillRefusalMs.p50, 1)} p50, ${ms(b.refillRefusalMs.max, 1)} max (${b.refillRefusalMs.rounds} rounds) | ≤ 1 s — ${met("bounds.refillRefusalMs")} |`,
    `| a ${bytes(b.review.bodyBytes)} AdmissionReview of ${num(b.review.annotations)} unknown annotations: denied in | ${ms(b.review.maxMs)} max, ${ms(b.review.p50Ms)} p50 | ≤ 1.5 s — ${met("bounds.review.maxMs")} |`,
    `| its answer | ${bytes(b.review.answerBytes)} | ≤ 64 KiB — ${met("bounds.review.answerBytes")} |`,
    `| the largest batch answer for a 64 KiB body of bad items | ${bytes(b.batch.largestBadAnswerBytes)} (${num(b.batch.largestBadItems)} items: ${b.batch.largestBadShape}) | ≤ 1 MiB — ${met("bounds.batch.largestBadAnswerBytes")} |`,
    `| a ${num(b.batch.goodItems)}-item batch answer of good items (what the DaemonSet's 512Mi holds 50 of) | ${bytes(b.batch.goodAnswerBytes)} | — |`,
    `| the webhook's peak RSS with ${b.reviewsAtOnce.connections} such reviews at once (its \`--max-connections\`), Deployment heap flags | ${num(b.reviewsAtOnce.peakRssMiB, 1)} MiB (${num(b.reviewsAtOnce.rssBeforeMiB, 1)} MiB before; slowest answer ${ms(b.reviewsAtOnce.slowestMs)}) | ≤ ${b.reviewsAtOnce.limitMiB} MiB (its limit) — ${met("bounds.reviewsAtOnce.peakRssMiB")} |`,
    BOUNDS_END,
  ].join("\n");
}

/** Every generated block: { file, source, next, current }, each throwing when its file or markers are missing. */
export function blocks() {
  const read = (rel) => readFileSync(join(root, rel), "utf8");
  const json = (rel) => JSON.parse(read(rel));
  const specs = [
    ["README.md", "bench/results.json", headlineBlock, HEADLINE_START, HEADLINE_END],
    ["docs/PERFORMANCE.md", "bench/results.json", figuresBlock, START, END],
    ["deploy/k3s/README.md", "deploy/k3s/memory-results.json", memoryBlock, MEMORY_START, MEMORY_END],
    ["docs/ADMISSION.md", "deploy/k3s/webhook/memory-results.json", webhookMemoryBlock, WEBHOOK_MEMORY_START, WEBHOOK_MEMORY_END],
    ["docs/SHIPPING.md", "bench/fleet-results.json", fleetBlock, FLEET_START, FLEET_END],
    ["docs/OCI.md", "bench/fleet-registry-results.json", fleetRegistryBlock, REGISTRY_START, REGISTRY_END],
    ["docs/SHIPPING.md", "bench/fleet-results.json", (r) => rolloutBlock(r, "bench/fleet-results.json"), ROLLOUT_START, ROLLOUT_END],
    [
      "docs/SHIPPING.md",
      "bench/fleet-registry-results.json",
      (r) => rolloutBlock(r, "bench/fleet-registry-results.json", ROLLOUT_REGISTRY_START, ROLLOUT_REGISTRY_END),
      ROLLOUT_REGISTRY_START,
      ROLLOUT_REGISTRY_END,
    ],
    ["docs/SECURITY.md", "bench/soak-results.json", soakBlock, SOAK_START, SOAK_END],
    ["docs/SECURITY.md", "bench/results.json", meterBlock, METER_START, METER_END],
    ["docs/SECURITY.md", "bench/results.json", boundsBlock, BOUNDS_START, BOUNDS_END],
  ];
  // a file with several blocks: each is rewritten on top of the ones before it
  const texts = new Map();
  return specs.map(([file, source, make, start, end]) => {
    const current = texts.get(file) ?? read(file);
    const next = rewrite(current, make(json(source)), start, end);
    texts.set(file, next);
    return { file, source, next, current };
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const stale = [];
  for (const { file, source, next, current } of blocks()) {
    if (next === current) continue;
    if (process.argv.includes("--check")) stale.push(`${file} (from ${source})`);
    else {
      writeFileSync(join(root, file), next);
      console.log(`${file}: figures regenerated from ${source}`);
    }
  }
  if (stale.length) {
    console.error(`figures differ from their JSON in ${stale.join(", ")}: run node scripts/figures.mjs`);
    process.exit(1);
  }
}
