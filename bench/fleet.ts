// npm run bench:fleet [-- --agents 1000] [-- --interval-ms 5000 (30000 with --registry)] [-- --jitter 0.2] [-- --kinds signature,full] [-- --registry] [-- --out FILE]
// The fleet simulation on its own: N agents' pollers in this process against a bundle server on
// 127.0.0.1 (or, with --registry, a real OCI registry: Debian's docker-registry), once per kind of
// agent (see fleet/simulate.ts); prints the figures and writes bench/fleet-results.json
// (bench/fleet-registry-results.json with --registry).
import { writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { describeFleet } from "./fleet/report.ts";
import { runFleet } from "./fleet/run-fleet.ts";
import { haveRegistry, REGISTRY_BIN } from "./fleet/registry-server.ts";
import type { AgentKind } from "./fleet/simulate.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const USAGE = "usage: npm run bench:fleet [-- --agents 1000] [-- --interval-ms 5000 (30000 with --registry)] [-- --jitter 0.2] [-- --kinds signature,full] [-- --registry] [-- --out FILE]";
let a;
try {
  ({ values: a } = parseArgs({
    options: {
      agents: { type: "string", default: "1000" }, "interval-ms": { type: "string" },
      jitter: { type: "string", default: "0.2" }, kinds: { type: "string", default: "signature,full" },
      registry: { type: "boolean", default: false },
      out: { type: "string" }, help: { type: "boolean", default: false },
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
// manifest and its envelope)
const agents = Number(a.agents), intervalMs = Number(a["interval-ms"] ?? (a.registry ? 30_000 : 5000)), jitter = Number(a.jitter);
const kinds = a.kinds!.split(",").map((k) => k.trim()) as AgentKind[];
if (!(agents >= 1 && intervalMs > 0 && jitter >= 0) || kinds.some((k) => k !== "signature" && k !== "full")) {
  console.error("bench:fleet: --agents ≥ 1, --interval-ms > 0, --jitter ≥ 0, --kinds from signature,full");
  process.exit(2);
}

const out = a.out ?? join(root, "bench", a.registry ? "fleet-registry-results.json" : "fleet-results.json");
if (a.registry && !haveRegistry()) {
  console.error(`bench:fleet: --registry needs Debian's docker-registry (${REGISTRY_BIN}): apt-get install -y docker-registry`);
  process.exit(2);
}
// Ctrl-C or a kill: exit through process.exit, so the registry child is stopped too
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));
const load = loadavg()[0];
const results = await runFleet({ registry: a.registry, agents, kinds, intervalMs, jitter, log: (m) => process.stderr.write(`bench: ${m}\n`) });
console.log(`\n${cpus().length} cores (${cpus()[0]?.model ?? "unknown"}), load ${load.toFixed(2)} at start, Node ${process.version}`);
for (const r of results) console.log(`\n${describeFleet(r)}`);
writeFileSync(out, `${JSON.stringify({ generatedAt: new Date().toISOString(), cores: cpus().length, loadAverage1m: load, node: process.version, runs: results }, null, 2)}\n`);
console.log(`\nwrote ${relative(process.cwd(), out) || out}`);
