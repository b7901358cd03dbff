// npm run bench [-- --quick] [-- --only core,engine --out FILE]
// Builds the shared context (the default policy module, an engine, the TypeScript baselines, the
// request mix), checks that the Wasm module, the baselines and the engine agree on every request
// of the mix (else aborts), runs the sections, prints one table, writes every figure of this one
// run to bench/results.json (never merged with an earlier run) and regenerates the generated
// figures from it: the README's headline, docs/PERFORMANCE.md, docs/SECURITY.md (scripts/figures.mjs). --quick: tiny counts for CI; it checks that every
// figure is produced (exit 1 otherwise), never its value, and writes no file unless --out is
// given. --only runs some sections; their figures go only to an --out file.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { cpus, loadavg, platform, release, totalmem } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createEngine } from "../host/engine/engine.ts";
import { parsePolicySource } from "../host/policy/source.ts";
import { checkAgreement } from "./agreement.ts";
import { BaselinePlacer } from "./baseline.ts";
import { BaselineEngine, checkFullAgreement } from "./baseline-answer.ts";
import { buildMix } from "./mix.ts";
import { missingFigures, writeResults } from "./results.ts";
import type { BenchContext, Section, SectionResult } from "./section.ts";
import { rawCore } from "./wasm-core.ts";
import { printTable } from "./table.ts";

/**
 * Every section, in the order they run. Each is imported only when it runs, so what one loads
 * (the policy compiler, a load generator) cannot weigh on the heap, and the figures, of another.
 */
const SECTIONS: Record<string, () => Promise<Section>> = {
  module: async () => (await import("./sections/module.ts")).moduleSection,
  core: async () => (await import("./sections/core.ts")).coreSection,
  engine: async () => (await import("./sections/engine.ts")).engineSection,
  memory: async () => (await import("./sections/memory.ts")).memorySection,
  http: async () => (await import("./sections/http.ts")).httpSection,
  shadow: async () => (await import("./sections/shadow.ts")).shadowSection,
  fleet: async () => (await import("./sections/fleet.ts")).fleetSection,
  meter: async () => (await import("./sections/meter.ts")).meterSection,
  admission: async () => (await import("./sections/admission.ts")).admissionSection,
  client: async () => (await import("./sections/client.ts")).clientSection,
  plan: async () => (await import("./sections/plan.ts")).planSection,
  opa: async () => (await import("./sections/opa.ts")).opaSection,
  apiserver: async () => (await import("./sections/apiserver.ts")).apiserverSection,
  bounds: async () => (await import("./sections/bounds.ts")).boundsSection,
};

const MIX_SIZE = 4096;
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const log = (message: string) => process.stderr.write(`bench: ${message}\n`);

const { values: args } = parseArgs({
  options: { quick: { type: "boolean", default: false }, only: { type: "string" }, out: { type: "string" } },
});
const only = args.only
  ?.split(",")
  .map((s) => s.trim())
  .filter(Boolean);
const unknown = only?.filter((name) => !(name in SECTIONS)) ?? [];
if (unknown.length) {
  console.error(`bench: unknown section ${unknown.join(", ")}; sections: ${Object.keys(SECTIONS).join(", ")}`);
  process.exit(2);
}
const sections = Object.keys(SECTIONS).filter((name) => !only || only.includes(name));
const defaultOut = join(root, "bench", "results.json");
if (only && !args.quick && !args.out) log("--only: figures are printed, not written (bench/results.json holds one whole run); add --out FILE to keep them");
const out = args.out ?? (args.quick || only ? undefined : defaultOut);

function newest(path: string): number {
  const st = statSync(path);
  return st.isDirectory() ? Math.max(st.mtimeMs, ...readdirSync(path).map((f) => newest(join(path, f)))) : st.mtimeMs;
}

async function context(): Promise<BenchContext> {
  const modulePath = join(root, "dist", "policies", "default.wasm");
  if (!existsSync(modulePath)) {
    log("dist/policies/default.wasm is missing: npm run build");
    execFileSync(process.execPath, [join(root, "scripts", "build.mjs")], { stdio: "inherit" });
  } else if (Math.max(newest(join(root, "assembly")), newest(join(root, "policies"))) > statSync(modulePath).mtimeMs) {
    log("warning: assembly/ or policies/ changed since dist/policies/default.wasm was built; run npm run build to measure them");
  }
  const moduleBytes = new Uint8Array(readFileSync(modulePath));
  const module = await WebAssembly.compile(moduleBytes);
  const engine = await createEngine(module);
  const baseline = new BaselinePlacer(parsePolicySource(readFileSync(join(root, "policies", "default.yaml"), "utf8"), "policies/default.yaml"));
  const mix = buildMix(engine, MIX_SIZE);
  const agreement = checkAgreement(mix, rawCore(module, engine.catalogue.scenarios.length), baseline, engine);
  mix.summary.infeasible = agreement.infeasible;
  const baselineEngine = new BaselineEngine(engine, baseline);
  checkFullAgreement(mix.requests, engine, baselineEngine);
  log(
    `Wasm module, TypeScript baseline and engine agree on all ${agreement.requests} requests of the mix ` +
      `(${Object.entries(agreement.byRule)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")}); engine.decide and the full-answer baseline give the same answers`,
  );
  return { quick: args.quick, root, modulePath, moduleBytes, module, engine, baseline, baselineEngine, mix, log };
}

function machine() {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model ?? "unknown",
    cores: cpu.length,
    memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${platform()} ${release()}`,
    node: process.version,
    v8: process.versions.v8,
  };
}

const started = new Date();
const load = { start: loadavg().map((x) => Math.round(x * 100) / 100) };
const ctx = await context();
const ran: { name: string; title: string; result: SectionResult }[] = [];
for (const name of sections) {
  const section = await SECTIONS[name]();
  const t0 = performance.now();
  const result = await section.run(ctx);
  log(`${section.name}: done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  ran.push({ name: section.name, title: section.title, result });
}
const seconds = Math.round((Date.now() - started.getTime()) / 100) / 10;

console.log(
  `\nisoplace bench${args.quick ? " (--quick: tiny counts, figures not meaningful)" : ""}: ${machine().cpu}, ${machine().cores} cores, Node ${process.version}, load ${load.start.join(" ")}, ${seconds} s`,
);
console.log(
  `request mix: ${Object.entries(ctx.mix.summary)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ")}\n`,
);
console.log(printTable(ran.map((r) => ({ title: r.title, rows: r.result.rows }))));

const missing = ran.flatMap((r) => missingFigures(r.result).map((m) => `${r.name}: ${m}`));
if (out) {
  writeResults(out, ran, {
    generatedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    quick: args.quick,
    durationSeconds: seconds,
    machine: { ...machine(), loadAverage: { ...load, end: loadavg().map((x) => Math.round(x * 100) / 100) } },
    mix: ctx.mix.summary,
  });
  console.log(`\nwrote ${relative(process.cwd(), out) || out}`);
  if (out === defaultOut) execFileSync(process.execPath, [join(root, "scripts", "figures.mjs")], { stdio: "inherit" });
}
if (missing.length) {
  console.error(`\nbench: figures not produced: ${missing.join("; ")}`);
  process.exit(1);
}
