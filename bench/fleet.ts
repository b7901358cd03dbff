// npm run bench:fleet [-- --agents 1000] [-- --intervals 5000,1000 (30000 with --registry)] [-- --jitter 0.2] [-- --kinds signature,full] [-- --registry] [-- --rollout-interval 5000 (30000 with --registry)] [-- --rollout-step 10000 (60000)] [-- --skip-rollout] [-- --out FILE]
// The fleet simulation on its own: N agents' pollers in this process against a bundle server on
// 127.0.0.1 (or, with --registry, a real OCI registry: Debian's docker-registry), once per poll
// interval and kind of agent (see fleet/simulate.ts), then the staged-rollout runs (a compressed plan,
// a guard under live traffic, a halt: fleet/rollout.ts); prints the figures and writes every run it
// made into one file, bench/fleet-results.json (bench/fleet-registry-results.json with
// --registry), with the machine, the load and the timestamps: docs/SHIPPING.md's and
// docs/OCI.md's fleet tables are generated from those files (scripts/figures.mjs).
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { describeFleet, describeRollout } from "./fleet/report.ts";
import { runFleet, runRolloutFleet } from "./fleet/run-fleet.ts";
import { haveRegistry, REGISTRY_BIN } from "./fleet/registry-server.ts";
import type { RolloutResult } from "./fleet/rollout.ts";
import type { AgentKind } from "./fleet/simulate.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const USAGE =
  "usage: npm run bench:fleet [-- --agents 1000] [-- --intervals 5000,1000 (30000 with --registry)] [-- --jitter 0.2] [-- --kinds signature,full] [-- --registry] [-- --rollout-interval 5000 (30000 with --registry)] [-- --rollout-step 10000 (60000)] [-- --skip-rollout] [-- --out FILE]";
let a;
try {
  ({ values: a } = parseArgs({
    options: {
      agents: { type: "string", default: "1000" },
      intervals: { type: "string" },
      "interval-ms": { type: "string" },
      jitter: { type: "string", default: "0.2" },
      kinds: { type: "string", default: "signature,full" },
      registry: { type: "boolean", default: false },
      "rollout-interval": { type: "string" },
      "rollout-step": { type: "string" },
      "skip-rollout": { type: "boolean", default: false },
      out: { type: "string" },
      help: { type: "boolean", default: false },
    },
  }));
} catch (err) {
  console.error(`bench:fleet: ${(err as Error).message}\n${USAGE}`);
  process.exit(2);
}
if (a.help) {
  console.log(USAGE);
  process.exit(0);
}
// against a registry, the agent's own default poll interval (30 s): each new version costs the
// registry five requests per agent (HEAD and GET of the manifest, the module, the signature's
// manifest and its envelope); against the bundle server, 5 s and 1 s (where one process
// simulating 1000 agents runs out of CPU). --interval-ms N is --intervals N.
const agents = Number(a.agents),
  jitter = Number(a.jitter);
const intervals = (a.intervals ?? a["interval-ms"] ?? (a.registry ? "30000" : "5000,1000")).split(",").map((x) => Number(x.trim()));
const kinds = a.kinds!.split(",").map((k) => k.trim()) as AgentKind[];
// the staged rollout: against the bundle server a poll every 5 s and a step every 10 s; against a
// registry the agent's default 30 s (1000 agents polling a registry every 5 s swamp it on this
// machine: pushes took a minute) and a step a minute. Either way the first step's agents see the
// candidate before the second opens, and a halt published after the second step reaches every
// agent before the third
const rolloutInterval = Number(a["rollout-interval"] ?? (a.registry ? "30000" : "5000"));
const rolloutStep = Number(a["rollout-step"] ?? (a.registry ? "60000" : "10000"));
if (
  !(agents >= 1 && jitter >= 0 && rolloutInterval > 0 && rolloutStep >= 1000 && rolloutStep % 1000 === 0) ||
  intervals.some((x) => !(x > 0)) ||
  kinds.some((k) => k !== "signature" && k !== "full")
) {
  console.error(
    "bench:fleet: --agents ≥ 1, --intervals > 0 (ms, comma-separated), --jitter ≥ 0, --rollout-interval > 0 (ms), --rollout-step a whole number of seconds in ms, --kinds from signature,full",
  );
  process.exit(2);
}

const out = a.out ?? join(root, "bench", a.registry ? "fleet-registry-results.json" : "fleet-results.json");
if (a.registry && !haveRegistry()) {
  console.error(`bench:fleet: --registry needs Debian's docker-registry (${REGISTRY_BIN}): apt-get install -y docker-registry`);
  process.exit(2);
}
// Ctrl-C or a kill: exit through process.exit, so the registry child is stopped too
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));
const round1 = (x: number) => Math.round(x * 10) / 10;
const startedAt = new Date(),
  loadStart = loadavg().map(round1);
const runs = [];
for (const intervalMs of intervals) {
  // each interval's runs carry the load and time they started at: the machine is shared
  const at = new Date().toISOString(),
    load = round1(loadavg()[0]);
  const results = await runFleet({ registry: a.registry, agents, kinds, intervalMs, jitter, log: (m) => process.stderr.write(`bench: ${m}\n`) });
  for (const r of results) runs.push({ startedAt: at, loadAverage1mAtStart: load, ...r });
}
let rollout: (RolloutResult & { startedAt: string; loadAverage1mAtStart: number }) | undefined;
if (!a["skip-rollout"]) {
  const at = new Date().toISOString(),
    load = round1(loadavg()[0]);
  rollout = {
    startedAt: at,
    loadAverage1mAtStart: load,
    ...(await runRolloutFleet({
      registry: a.registry,
      agents,
      intervalMs: rolloutInterval,
      stepMs: rolloutStep,
      jitter,
      log: (m) => process.stderr.write(`bench: ${m}\n`),
    })),
  };
}
const machine = {
  cpu: cpus()[0]?.model ?? "unknown",
  cores: cpus().length,
  memoryGb: round1(totalmem() / 2 ** 30),
  node: process.version,
  loadAverage: { start: loadStart, end: loadavg().map(round1) },
};
console.log(`\n${machine.cores} cores (${machine.cpu}), load ${loadStart[0]} at start, ${machine.loadAverage.end[0]} at the end, Node ${process.version}`);
for (const r of runs) console.log(`\n${describeFleet(r)} (load ${r.loadAverage1mAtStart} at its start)`);
if (rollout) console.log(`\n${describeRollout(rollout)} (load ${rollout.loadAverage1mAtStart} at its start)`);
// one run of this command, one file: never merged with an earlier run
writeFileSync(
  out,
  `${JSON.stringify(
    {
      generatedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      machine,
      options: {
        origin: a.registry ? "registry" : "bundle-server",
        agents,
        intervalsMs: intervals,
        jitter,
        kinds,
        ...(rollout ? { rolloutIntervalMs: rolloutInterval, rolloutStepMs: rolloutStep } : {}),
      },
      runs,
      ...(rollout ? { rollout } : {}),
    },
    null,
    2,
  )}\n`,
);
console.log(`\nwrote ${relative(process.cwd(), out) || out}`);
// the docs' tables follow the default file (docs/SHIPPING.md, docs/OCI.md)
if (!a.out) execFileSync(process.execPath, [join(root, "scripts", "figures.mjs")], { stdio: "inherit" });
