// npm run soak [-- --seconds 60] [-- --connections 8] [-- --swap-ms 1000] [-- --bad-ms 5000] [-- --out FILE]
// Load with faults: a real agent under concurrent mixed load while a good signed policy is
// swapped in every second and a bad module uploaded every five (see soak/run.ts). Prints the
// figures, writes bench/soak-results.json, and exits 1 unless the run passed (no failed request,
// every swap done, every bad module refused with the right reason, no secret in the logs). A run
// shorter than 7 × --bad-ms tries only some of the seven bad classes (the output says which).
import { writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { runSoak } from "./soak/run.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const USAGE = "usage: npm run soak [-- --seconds 60] [-- --connections 8] [-- --swap-ms 1000] [-- --bad-ms 5000] [-- --out FILE]";
let a;
try {
  ({ values: a } = parseArgs({
    options: {
      seconds: { type: "string", default: "60" },
      connections: { type: "string", default: "8" },
      "swap-ms": { type: "string", default: "1000" },
      "bad-ms": { type: "string", default: "5000" },
      out: { type: "string", default: join(root, "bench", "soak-results.json") },
      help: { type: "boolean", default: false },
    },
  }));
} catch (err) {
  console.error(`soak: ${(err as Error).message}\n${USAGE}`);
  process.exit(2);
}
if (a.help) {
  console.log(USAGE);
  process.exit(0);
}
const seconds = Number(a.seconds),
  connections = Number(a.connections),
  swapMs = Number(a["swap-ms"]),
  badMs = Number(a["bad-ms"]);
if (!(seconds > 0 && Number.isInteger(connections) && connections >= 1 && swapMs > 0 && badMs > 0)) {
  console.error(`soak: --seconds > 0, --connections a whole number ≥ 1, --swap-ms > 0, --bad-ms > 0\n${USAGE}`);
  process.exit(2);
}

const r = await runSoak({ length: { seconds }, connections, swapMs, badMs, log: (m) => process.stderr.write(`soak: ${m}\n`) });
const q = r.requests.latencyMs;
console.log(`\n${r.machine.cores} cores (${r.machine.cpu}), load ${r.machine.loadAverage1mAtStart} at start, Node ${r.machine.node}`);
console.log(
  `requests: ${r.requests.total} in ${seconds} s (${r.requests.perSecond}/s; ${Object.entries(r.requests.byRoute)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ")}), failed ${r.requests.failed}`,
);
console.log(`latency ms: p50 ${q.p50}, p90 ${q.p90}, p99 ${q.p99}, p99.9 ${q.p999}, max ${q.max}`);
console.log(
  `swaps: ${r.swaps.done} done (${r.swaps.puts} PUT, ${r.swaps.rollbacks} rollback), ${r.swaps.failed} failed; each p50 ${r.swaps.latencyMs.p50} ms, max ${r.swaps.latencyMs.max} ms`,
);
console.log(
  `bad uploads: ${r.badUploads.sent} sent, ${r.badUploads.rejected} rejected with the right reason; ${r.badUploads.classesTried} of ${r.badUploads.classes} classes tried (one every ${badMs} ms, in turn)`,
);
for (const [name, c] of Object.entries(r.badUploads.byClass))
  console.log(`  ${name}: ${c.rejected}/${c.sent} → ${c.answered.join(", ") || "not sent"} (expected 422 ${c.reason})`);
console.log(
  `agent: started in ${r.agent.startMs} ms, exit on SIGTERM ${r.agent.exitOnSigterm}, secret in its output: ${r.agent.secretInOutput ? "YES" : "no"}`,
);
writeFileSync(a.out!, `${JSON.stringify(r, null, 2)}\n`);
console.log(`\nwrote ${relative(process.cwd(), a.out!) || a.out}`);
if (!r.passed) {
  console.error(
    `\nsoak FAILED:\n  ${r.problems.join("\n  ")}${r.requests.failureSamples.length ? `\nfailed requests (first ${r.requests.failureSamples.length}):\n  ${r.requests.failureSamples.join("\n  ")}` : ""}`,
  );
  process.exit(1);
}
console.log("soak passed");
