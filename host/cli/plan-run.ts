// isoplace plan, run: reads the manifests, plans every workload with the webhook's own code
// (host/k8s/plan.ts over admit.ts), prints the plan as a table, JSON or the manifests changed.
import type { Engine } from "../engine/engine.ts";
import { MODES, type Mode } from "../k8s/admit.ts";
import { Planner, WorkloadError, type PlanOutcome, type Planned, type Workload } from "../k8s/plan.ts";
import { groupOf, podTemplatePath } from "../k8s/workloads.ts";
import { ConfigError, type ConfigProblem } from "./config.ts";
import { EXIT } from "./errors.ts";
import { table } from "./format.ts";
import { readStdin } from "./input.ts";
import { writeManifests, type ObjectEdits } from "./manifest-edit.ts";
import { fieldPath, ManifestError, readManifests, readSources, type InputProblem, type ManifestObject, type Manifests } from "./manifests.ts";
import { policyEngine, type PolicyOptions } from "./policy-option.ts";

const OUTPUTS = ["table", "json", "yaml"] as const;
const FAIL_ON = ["deny", "change", "infeasible"] as const;
type FailOn = (typeof FAIL_ON)[number];

export interface PlanFlags extends PolicyOptions {
  filename: string[];
  recursive?: boolean;
  runtimeClasses?: string[];
  mode: string;
  denyInfeasible?: boolean;
  namespace: string;
  output: string;
  failOn: string[];
}

/** One workload planned: where it is and what the webhook would do (the items of -o json). */
export interface PlanItem {
  kind: string;
  namespace: string;
  name: string;
  file: string;
  line: number;
  outcome: PlanOutcome;
  level: string | null;
  runtime: string | null;
  runtimeClassName: { before: string | null; after: string | null };
  warnings: string[];
  denied: string | null;
  decisionId: string | null;
}

export interface PlanSummary {
  workloads: number;
  outcomes: Record<PlanOutcome, number>;
  /** Workloads whose RuntimeClass the webhook would set or replace (before ≠ after). */
  runtimeClassChanges: number;
  /** Workloads the webhook would deny: bad annotations, and with --deny-infeasible those with no feasible level. */
  denials: number;
  /** Objects of other kinds, by kind: read, not planned. */
  skipped: Record<string, number>;
  files: number;
  policy: { name: string; version: string };
  mode: Mode;
  runtimeClasses: string[];
  failOn: FailOn[];
  /** The --fail-on conditions met (exit 1 when any). */
  failed: FailOn[];
}

function checkFlags(o: PlanFlags): { mode: Mode; output: (typeof OUTPUTS)[number]; failOn: FailOn[] } {
  const problems: ConfigProblem[] = [];
  if (!(MODES as readonly string[]).includes(o.mode)) problems.push({ name: "--mode", message: `must be one of ${MODES.join(", ")}, got "${o.mode}"` });
  if (!(OUTPUTS as readonly string[]).includes(o.output))
    problems.push({ name: "--output", message: `must be one of ${OUTPUTS.join(", ")}, got "${o.output}"` });
  for (const c of o.failOn)
    if (!(FAIL_ON as readonly string[]).includes(c))
      problems.push({ name: "--fail-on", message: `must be a comma-separated list of ${FAIL_ON.join(", ")}, got "${c}"` });
  if (o.runtimeClasses && o.runtimeClasses.length === 0)
    problems.push({ name: "--runtime-classes", message: "names no RuntimeClass; give names separated by commas (e.g. gvisor,kata)" });
  if (o.namespace === "") problems.push({ name: "--namespace", message: "must not be empty" });
  if (problems.length) throw new ConfigError(problems);
  return { mode: o.mode as Mode, output: o.output as (typeof OUTPUTS)[number], failOn: [...new Set(o.failOn as FailOn[])] };
}

/** The policy's RuntimeClass names, in catalogue order. */
const policyClasses = (engine: Engine): string[] => [
  ...new Set(engine.catalogue.runtimes.map((r) => r.runtimeClassName).filter((c): c is string => c !== null)),
];

/** A kind as kubectl names a resource of a group: ConfigMap, Deployment.deploy.example.com. */
const kindKey = (apiVersion: string, kind: string) => (groupOf(apiVersion) ? `${kind}.${groupOf(apiVersion)}` : kind);

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

/** The workload an object is, or a problem with its metadata; undefined for kinds that make no pods. */
function workloadOf(read: Manifests, obj: ManifestObject, namespace: string, problems: InputProblem[]): Workload | undefined {
  const v = obj.value;
  const template = podTemplatePath(v.apiVersion as string, v.kind as string);
  if (!template) return undefined;
  const metadata = v.metadata;
  const problem = (path: string[], message: string) => problems.push({ file: obj.source.name, line: read.lineOf(obj, path), field: fieldPath(path), message });
  if (metadata !== undefined && (typeof metadata !== "object" || metadata === null || Array.isArray(metadata))) {
    problem(["metadata"], "must be a mapping");
    return undefined;
  }
  const m = (metadata ?? {}) as Record<string, unknown>;
  // a Pod may leave its name to the API server (generateName); a controller's name names its pods
  const name = str(m.name) ?? (template.length === 0 && str(m.generateName) ? `${m.generateName}*` : undefined);
  if (!name) {
    problem(["metadata", "name"], m.name === undefined ? "is missing" : "must be a non-empty string");
    return undefined;
  }
  if (m.namespace !== undefined && typeof m.namespace !== "string") {
    problem(["metadata", "namespace"], "must be a string");
    return undefined;
  }
  return { kind: v.kind as string, namespace: str(m.namespace) ?? namespace, name, object: v, template };
}

/** Plans the manifests -f names and prints the plan; exit 1 when a --fail-on condition is met. */
export async function runPlan(o: PlanFlags): Promise<void> {
  const flags = checkFlags(o);
  const engine = await policyEngine(o);
  const known = policyClasses(engine);
  const runtimeClasses = o.runtimeClasses ?? known;
  const unknown = runtimeClasses.filter((c) => !known.includes(c));
  if (unknown.length)
    console.error(
      `isoplace: warning: --runtime-classes: ${unknown.join(", ")} ${unknown.length > 1 ? "are not RuntimeClasses" : "is not a RuntimeClass"} of policy ${engine.policy.name} ${engine.policy.version} (ignored, as the webhook ignores them); its classes: ${known.join(", ")}`,
    );

  const sources = await readSources(o.filename, Boolean(o.recursive), readStdin);
  const planner = new Planner(engine, { runtimeClasses, mode: flags.mode, denyInfeasible: Boolean(o.denyInfeasible) });
  // source by source: its events are kept while its objects are planned and written
  const planned: PlannedObject[] = [],
    skipped: Record<string, number> = {},
    problems: InputProblem[] = [],
    written: string[] = [];
  for (const source of sources) {
    const m = readManifests(source, problems);
    if (!m) continue;
    const before = problems.length;
    const here = planAll(m, planner, o.namespace, problems, skipped);
    planned.push(...here);
    if (flags.output === "yaml" && problems.length === before) {
      const text = writeManifests(
        m,
        here.filter(({ p }) => p.edits.length).map(({ obj, p }): ObjectEdits => ({ obj, edits: p.edits })),
        problems,
      );
      if (text !== undefined) written.push(text);
    }
  }
  if (problems.length) {
    const order = new Map(sources.map((src, i) => [src.name, i]));
    throw new ManifestError(problems.sort((a, b) => (order.get(a.file) ?? 0) - (order.get(b.file) ?? 0) || (a.line ?? 0) - (b.line ?? 0)));
  }

  const items: PlanItem[] = planned.map(({ obj, w, p }) => ({
    kind: w.kind,
    namespace: w.namespace,
    name: w.name,
    file: obj.source.name,
    line: obj.line,
    outcome: p.outcome,
    level: p.level,
    runtime: p.runtime,
    runtimeClassName: p.runtimeClassName,
    warnings: p.warnings,
    denied: p.denied,
    decisionId: p.decisionId,
  }));
  const summary = summarise(items, skipped, sources.length, engine, flags.mode, runtimeClasses, flags.failOn);

  if (flags.output === "json") console.log(JSON.stringify({ items, summary }, null, 2));
  else if (flags.output === "yaml") {
    process.stdout.write(stream(written));
    for (const i of items) if (i.denied) console.error(`isoplace: ${i.file}:${i.line}: ${i.kind} ${i.namespace}/${i.name}: ${i.denied}`);
    console.error(`isoplace: ${summaryLine(summary)}`);
  } else console.log(formatPlan(items, summary));

  if (summary.failed.length) {
    console.error(`isoplace: --fail-on ${summary.failed.join(",")}: ${summary.failed.map((c) => failedText(c, summary)).join("; ")}`);
    process.exitCode = EXIT.failed;
  }
}

/** Sources written one after another as one stream: a document marker between them, unless the next starts with one. */
function stream(texts: string[]): string {
  let out = "";
  for (const t of texts.filter((x) => x.trim() !== "")) {
    if (out) out += `${out.endsWith("\n") ? "" : "\n"}${t.startsWith("---") ? "" : t.startsWith("%") ? "...\n" : "---\n"}`;
    out += t;
  }
  return out;
}

interface PlannedObject {
  obj: ManifestObject;
  w: Workload;
  p: Planned;
}

/** Every workload of a source planned; its problems added with their lines, other kinds counted in `skipped`. */
function planAll(m: Manifests, planner: Planner, namespace: string, problems: InputProblem[], skipped: Record<string, number>): PlannedObject[] {
  const planned: PlannedObject[] = [];
  for (const obj of m.objects) {
    const before = problems.length;
    const w = workloadOf(m, obj, namespace, problems);
    if (!w) {
      if (problems.length === before) {
        const key = kindKey(obj.value.apiVersion as string, obj.value.kind as string);
        skipped[key] = (skipped[key] ?? 0) + 1;
      }
      continue;
    }
    try {
      planned.push({ obj, w, p: planner.plan(w) });
    } catch (err) {
      if (!(err instanceof WorkloadError)) throw err;
      for (const f of err.problems) problems.push({ file: obj.source.name, line: m.lineOf(obj, f.path), field: fieldPath(f.path), message: f.message });
    }
  }
  return planned;
}

function summarise(
  items: PlanItem[],
  skipped: Record<string, number>,
  files: number,
  engine: Engine,
  mode: Mode,
  runtimeClasses: string[],
  failOn: FailOn[],
): PlanSummary {
  const outcomes: Record<PlanOutcome, number> = { mutated: 0, unchanged: 0, denied: 0, infeasible: 0, "not-opted-in": 0 };
  let changes = 0,
    denied = 0;
  for (const i of items) {
    outcomes[i.outcome]++;
    if (i.runtimeClassName.before !== i.runtimeClassName.after) changes++;
    if (i.denied) denied++;
  }
  const met: Record<FailOn, boolean> = { deny: denied > 0, change: changes > 0, infeasible: outcomes.infeasible > 0 };
  return {
    workloads: items.length,
    outcomes,
    runtimeClassChanges: changes,
    denials: denied,
    skipped,
    files,
    policy: { name: engine.policy.name, version: engine.policy.version },
    mode,
    runtimeClasses,
    failOn,
    failed: failOn.filter((c) => met[c]),
  };
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function failedText(c: FailOn, s: PlanSummary): string {
  if (c === "change") return `${plural(s.runtimeClassChanges, "workload")} would get another RuntimeClass`;
  if (c === "infeasible") return `${plural(s.outcomes.infeasible, "workload")} with no feasible level`;
  return `${plural(s.denials, "workload")} denied`;
}

function summaryLine(s: PlanSummary): string {
  const o = s.outcomes;
  const skipped = Object.entries(s.skipped).sort(([a], [b]) => (a < b ? -1 : 1));
  const skippedCount = skipped.reduce((n, [, c]) => n + c, 0);
  return (
    `${plural(s.workloads, "workload")} in ${plural(s.files, "file")}: ${o.mutated} mutated (${plural(s.runtimeClassChanges, "RuntimeClass change")}), ${o.unchanged} unchanged, ${o.denied} denied, ${o.infeasible} infeasible, ${o["not-opted-in"]} not opted in` +
    `${skippedCount ? `; ${plural(skippedCount, "other object")} skipped (${skipped.map(([k, c]) => `${k} ${c}`).join(", ")})` : ""}` +
    `; policy ${s.policy.name} ${s.policy.version}, mode ${s.mode}, RuntimeClasses ${s.runtimeClasses.join(", ") || "none"}`
  );
}

const classChange = ({ before, after }: PlanItem["runtimeClassName"]) => (before === after ? (before ?? "–") : `${before ?? "–"} → ${after ?? "–"}`);

function formatPlan(items: PlanItem[], summary: PlanSummary): string {
  const out: string[] = [];
  if (items.length) {
    out.push(
      table([
        ["KIND", "NAMESPACE", "NAME", "LEVEL", "RUNTIME", "RUNTIMECLASS", "OUTCOME", "LOCATION"],
        ...items.map((i) => [i.kind, i.namespace, i.name, i.level ?? "–", i.runtime ?? "–", classChange(i.runtimeClassName), i.outcome, `${i.file}:${i.line}`]),
      ]),
    );
    const notes = items.filter((i) => i.denied || i.warnings.length);
    for (const i of notes) {
      out.push("", `${i.file}:${i.line} ${i.kind} ${i.namespace}/${i.name}:`);
      if (i.denied) out.push(`  denied: ${i.denied}`);
      for (const w of i.warnings) out.push(`  warning: ${w}`);
    }
    out.push("");
  }
  out.push(summaryLine(summary));
  return out.join("\n");
}
