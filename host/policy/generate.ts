// A validated policy source → the pieces of a module: the catalogue (text, once, as UTF-8
// JSON), the numeric tables, the self-test vectors and the metadata, as the AssemblyScript
// file `assembly/policy.ts` that the rules import.
import { ABI_VERSION } from "../engine/abi.ts";
import type { Catalogue, CatalogueStack, PolicyMeta } from "../engine/catalogue.ts";
import { InvalidRequestError } from "../engine/errors.ts";
import { requestSchemas } from "../engine/request-schemas.ts";
import { asFigure } from "../engine/figures.ts";
import { ARTIFACT_IDS, LEVEL_IDS, METRIC_IDS, PLACEABLE_LEVELS, levelIndex, type MetricId } from "../engine/vocabulary.ts";
import { FIT_SYMBOLS, type PolicySource } from "./schema.ts";
import { PolicySourceError } from "./source.ts";

export interface Generated {
  catalogue: Catalogue;
  meta: PolicyMeta;
  vectors: Vector[];
  assembly: string;
}

/** A self-test vector: a request in module terms, and the levels it may answer (0 = none). */
interface Vector {
  name: string;
  scenario: number;
  performance: number;
  security: number;
  needs: number;
  runtimes: number;
  constraints: [number, number, number, number] | null;
  expect: number[];
  /** -1 any artifact; the runtime the answer must name, -1 any. */
  artifact: number;
  runtime: number;
}

type Figure = PolicySource["levels"][number]["figures"][MetricId];

const STARS = (n: number) => `${"★".repeat(Math.round(n))} (${n})`;

function figureText(f: Figure, unit: string): string | null {
  if (f === null) return null;
  if (typeof f === "object") return f.text;
  return unit === "stars" ? STARS(f) : `${f}${unit === "scale" ? "" : ` ${unit}`}`;
}

function figureRange(f: Figure): [number, number] {
  if (f === null) return [NaN, NaN];
  if (typeof f === "number") return [f, f];
  return [f.min, f.max ?? Infinity];
}

export function buildCatalogue(p: PolicySource): Catalogue {
  return {
    name: p.name,
    version: p.version,
    ...(p.source ? { source: p.source } : {}),
    versions: p.versions ?? {},
    defaultLevel: p.defaultLevel,
    metrics: p.metrics,
    technical: p.technical,
    levels: p.levels.map((l) => ({
      id: l.id,
      name: l.name,
      zh: l.zh,
      what: l.what,
      examples: l.examples,
      figures: METRIC_IDS.map((m, i) => figureText(l.figures[m], p.metrics[i].unit)),
      technical: p.technical.map((t) => l.technical[t.id]),
    })),
    needs: p.needs,
    scenarios: p.scenarios.map((s) => ({
      id: s.id,
      name: s.name,
      zh: s.zh,
      first: s.first,
      ...(s.second ? { second: s.second } : {}),
      ...(s.added ? { added: true } : {}),
      levels: PLACEABLE_LEVELS.map((id) => ({ ...s.levels[id], stack: catalogueStack(s.levels[id].stack) })),
    })),
    runtimes: p.runtimes.map(({ figures, ...r }) => ({
      ...r,
      requires: r.requires ?? [],
      runs: r.runs ?? [...ARTIFACT_IDS],
      // Text and source only: the numbers are in the module's table (runtimeFigures()), in this order.
      // The source note's title (up to its first colon) only: the whole note is in the policy
      // source and docs/POLICY.md, too long for the 8 KiB module.
      figures: runtimeFigures(figures).map(([m, f]) => ({ metric: m, text: f.text, source: f.source.split(":")[0].trim() })),
    })),
    outcomes: p.outcomes ?? [],
  };
}

/** A source stack as the catalogue keeps it (host/engine/catalogue.ts, CatalogueStack): text, or parts in an array. */
function catalogueStack(stack: PolicySource["scenarios"][number]["levels"]["L1"]["stack"]): CatalogueStack {
  if (typeof stack === "string") return stack;
  return stack.extra ? [stack.orchestrator ?? "", stack.runtime, stack.extra] : [stack.orchestrator ?? "", stack.runtime];
}

type RuntimeFigure = NonNullable<PolicySource["runtimes"][number]["figures"]>[MetricId] & object;

/** A runtime's own figures, in metric order (the order of the module's table). */
function runtimeFigures(figures: PolicySource["runtimes"][number]["figures"]): [MetricId, RuntimeFigure][] {
  return METRIC_IDS.flatMap((m) => (figures?.[m] ? [[m, figures[m]!] as [MetricId, RuntimeFigure]] : []));
}

/** The vectors every policy carries: each scenario, each performance and security need, the default; then the source's own tests. */
function vectors(p: PolicySource, catalogue: Catalogue): Vector[] {
  const all = (1 << p.runtimes.length) - 1;
  const base = { scenario: -1, performance: -1, security: -1, needs: 0, runtimes: all, constraints: null, artifact: -1, runtime: -1 };
  const out: Vector[] = [];
  p.scenarios.forEach((s, i) => out.push({ ...base, name: `scenario ${s.id} → ${s.first}`, scenario: i, expect: [levelIndex(s.first)] }));
  p.needs.forEach((n, i) => {
    if (n.group === "cost") return;
    out.push({ ...base, name: `${n.group} need ${n.id} → ${n.levels.join("/")}`, [n.group]: i, needs: 1 << i, expect: n.levels.map(levelIndex) });
  });
  out.push({ ...base, name: `no scenario or need → ${p.defaultLevel}`, expect: [levelIndex(p.defaultLevel)] });

  const schemas = requestSchemas(catalogue);
  (p.tests ?? []).forEach((t, k) => {
    const parsed = schemas.decide.safeParse(t.request);
    const where = ["tests", k, "request"];
    if (!parsed.success) {
      const e = new InvalidRequestError(parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })));
      throw new PolicySourceError("policy", [{ line: null, path: where.join("."), message: e.message }]);
    }
    const q = parsed.data;
    if (q.weights)
      throw new PolicySourceError("policy", [{ line: null, path: [...where, "workload", "weights"].join("."), message: "self-test vectors take no weights" }]);
    let needs = 0;
    for (const n of [...q.performance, ...q.security, ...q.cost]) needs |= 1 << n;
    const k4 = q.constraints;
    const has = Object.keys(k4).length > 0;
    const runtime = t.runtime === undefined ? -1 : p.runtimes.findIndex((r) => r.id === t.runtime);
    out.push({
      name: t.name,
      artifact: q.artifact,
      runtime,
      scenario: q.scenario,
      performance: q.performance[0] ?? -1,
      security: q.security[0] ?? -1,
      needs,
      runtimes: q.runtimes ? q.runtimes.reduce((m, r) => m | (1 << r), 0) : all,
      constraints: has ? [k4.maxColdStartMs ?? NaN, k4.maxMemoryMb ?? NaN, k4.maxCpuOverheadPct ?? NaN, k4.minIsolation ?? NaN] : null,
      expect: t.expect === null ? [0] : (Array.isArray(t.expect) ? t.expect : [t.expect]).map(levelIndex),
    });
  });
  return out;
}

const f64 = (x: number) => (Number.isNaN(x) ? "NaN" : x === Infinity ? "Infinity" : String(x));
const data = (type: string, values: (number | string)[]) => `memory.data<${type}>([${values.join(",")}])`;

/** The AssemblyScript of the policy tables (what `assembly/policy.ts` holds for this policy). */
function assembly(p: PolicySource, catalogueBytes: Uint8Array, meta: PolicyMeta, vs: Vector[]): string {
  const runtimeIndex = new Map(p.runtimes.map((r, i) => [r.id, i]));
  const figures = LEVEL_IDS.flatMap((_, l) => METRIC_IDS.flatMap((m) => figureRange(p.levels[l].figures[m])));
  // Each distinct figure once, and a byte per [level][metric][min, max] naming it (120 slots, so
  // a byte always suffices): most figures repeat. The module lays out the full table as it starts.
  const figureValues = [...new Set(figures.map(f64))];
  const scenarios = p.scenarios.flatMap((s) => [
    levelIndex(s.first),
    s.second ? levelIndex(s.second) : 0,
    ...PLACEABLE_LEVELS.map((id) => FIT_SYMBOLS.indexOf(s.levels[id].fit)),
  ]);
  const needs = p.needs.map((n) => {
    let word = 0;
    for (const l of n.levels) word |= 1 << levelIndex(l);
    for (const m of n.metrics) word |= 1 << (8 + METRIC_IDS.indexOf(m));
    return word >>> 0;
  });
  const runtimes = p.runtimes.map((r) => {
    let word = 0;
    for (const l of r.levels) word |= 1 << levelIndex(l);
    for (const a of r.runs ?? ARTIFACT_IDS) word |= 1 << (8 + ARTIFACT_IDS.indexOf(a));
    for (const req of r.requires ?? []) word |= 1 << (16 + runtimeIndex.get(req)!);
    return word >>> 0;
  });
  const sets: number[] = [];
  const vectorBytes = vs.flatMap((v) => {
    let set = 255;
    if (v.constraints) {
      set = sets.length / 4;
      sets.push(...v.constraints);
    }
    let expect = 0;
    for (const l of v.expect) expect |= 1 << l;
    const n = v.needs >>> 0;
    return [
      v.scenario & 0xff,
      v.performance & 0xff,
      v.security & 0xff,
      expect,
      v.runtimes & 0xff,
      (v.runtimes >> 8) & 0xff,
      set,
      v.artifact + 1,
      n & 0xff,
      (n >>> 8) & 0xff,
      (n >>> 16) & 0xff,
      (n >>> 24) & 0xff,
      v.runtime + 1,
    ];
  });
  // Runtime figures, sparse: a key (runtime × 12 + metric) each, then [min, max] each.
  const rfKeys: number[] = [],
    rfValues: number[] = [];
  p.runtimes.forEach((r, ri) => {
    for (const [m, f] of runtimeFigures(r.figures)) {
      rfKeys.push(ri * METRIC_IDS.length + METRIC_IDS.indexOf(m));
      rfValues.push(f.min, f.max ?? Infinity);
    }
  });
  let direction = 0;
  p.metrics.forEach((m, i) => {
    if (m.direction === "higher") direction |= 1 << i;
  });
  return [
    `// Generated by \`isoplace policy build\` from policy ${meta.name} ${meta.version} (source sha256 ${meta.sourceSha256}). Do not edit.`,
    `export const NEED_COUNT: i32 = ${p.needs.length};`,
    `export const RUNTIME_COUNT: i32 = ${p.runtimes.length};`,
    `export const VECTOR_COUNT: i32 = ${vs.length};`,
    `export const DEFAULT_LEVEL: i32 = ${levelIndex(p.defaultLevel)};`,
    `export const DIRECTION: u32 = ${direction};`,
    `export const FIGURE_VALUES: usize = ${data("f32", figureValues)};`,
    `export const FIGURE_INDEX: usize = ${data(
      "u8",
      figures.map((f) => figureValues.indexOf(f64(f))),
    )};`,
    `export const SCENARIOS: usize = ${data("u8", scenarios)};`,
    `export const NEEDS: usize = ${data("u32", needs)};`,
    `export const RUNTIMES: usize = ${data("u32", runtimes)};`,
    `export const RFIG_COUNT: i32 = ${rfKeys.length};`,
    `export const RFIG_KEYS: usize = ${data("u8", rfKeys.length ? rfKeys : [0])};`,
    `export const RFIG_VALUES: usize = ${data("f32", rfValues.length ? rfValues.map(f64) : ["0"])};`,
    `export const VECTORS: usize = ${data("u8", vectorBytes)};`,
    `export const CONSTRAINT_SETS: usize = ${data("f64", sets.length ? sets.map((x) => f64(asFigure(Number.isNaN(x) ? undefined : x))) : ["0"])};`,
    `export const CATALOGUE: usize = ${data("u8", [...catalogueBytes])};`,
    `export const CATALOGUE_LENGTH: i32 = ${catalogueBytes.length};`,
    "",
  ].join("\n");
}

/**
 * The catalogue is stored deflated (raw DEFLATE, RFC 1951): still the policy's text once, as
 * UTF-8, at a third of the size. Hosts inflate it with fflate (host/engine/inflate.ts; the Node bundle maps it to node:zlib).
 */
export function generate(p: PolicySource, sourceSha256: string, compiler: string, deflateRaw: (bytes: Uint8Array) => Uint8Array): Generated {
  const meta: PolicyMeta = { name: p.name, version: p.version, sourceSha256, abi: ABI_VERSION, compiler };
  const base = buildCatalogue(p);
  const vs = vectors(p, base);
  // Only the source's own test names: vectorNames() derives the others from the catalogue.
  const catalogue = { ...base, tests: (p.tests ?? []).map((t) => t.name) } as Catalogue;
  return { catalogue, meta, vectors: vs, assembly: assembly(p, deflateRaw(new TextEncoder().encode(JSON.stringify(catalogue))), meta, vs) };
}
