// An independent model of docs/API.md's rule 1 (feasibility, per runtime and artifact) and rule 2's
// candidates, over the literal REFERENCE tables and runtime figures, to check the engine against.
import { CORE, NEEDS, RUNTIMES, SCENARIOS, upper, type Artifact, type Placeable, type Range } from "./reference.ts";

export interface Constraints {
  maxColdStartMs?: number;
  maxMemoryMb?: number;
  maxCpuOverheadPct?: number;
  minIsolation?: number;
}

const PLACEABLE: Placeable[] = ["L1", "L2", "L3", "L4"];
const idx = (l: Placeable) => Number(l[1]);

/** The node's runtimes that provide `level` (with what they require present). */
export function providers(level: Placeable, runtimes: readonly string[]) {
  return RUNTIMES.filter((r) => r.levels.includes(level) && runtimes.includes(r.id) && r.requires.every((q) => runtimes.includes(q)));
}

/** Those that also run the artifact (any, when none is given). */
export function runners(level: Placeable, runtimes: readonly string[], artifact?: Artifact) {
  return providers(level, runtimes).filter((r) => !artifact || r.runs.includes(artifact));
}

/** The constraints a level breaks on one runtime, against its worst case, with the runtime's own figures. */
export function broken(level: Placeable, runtime: (typeof RUNTIMES)[number], k: Constraints): string[] {
  const i = idx(level),
    out: string[] = [];
  const fig = (m: "coldStart" | "memory" | "cpu"): Range => runtime.figures[m] ?? CORE[m][i];
  if (k.maxColdStartMs !== undefined && upper(fig("coldStart")) > k.maxColdStartMs) out.push("coldStart");
  if (k.maxMemoryMb !== undefined && upper(fig("memory")) > k.maxMemoryMb) out.push("memory");
  if (k.maxCpuOverheadPct !== undefined && upper(fig("cpu")) > k.maxCpuOverheadPct) out.push("cpu");
  if (k.minIsolation !== undefined && CORE.isolation[i]![0] < k.minIsolation) out.push("isolation");
  return out;
}

/**
 * Why the model rejects a level, as short tags: scenario, coldStart, memory, cpu, isolation,
 * runtime, artifact. When every runtime breaks a constraint, `alternatives` holds each one's
 * tags (the engine names those of the one it would run on).
 */
export function rejections(level: Placeable, scenario: string | undefined, k: Constraints, runtimes: readonly string[], artifact?: Artifact): string[] {
  return rejectionSets(level, scenario, k, runtimes, artifact)[0];
}

export function rejectionSets(level: Placeable, scenario: string | undefined, k: Constraints, runtimes: readonly string[], artifact?: Artifact): string[][] {
  const sc = SCENARIOS.find((s) => s.id === scenario);
  const base = sc?.levels && sc.levels[level].fit === "❌" ? ["scenario"] : [];
  if (!providers(level, runtimes).length) return [[...base, "runtime"]];
  const run = runners(level, runtimes, artifact);
  if (!run.length) return [[...base, "artifact"]];
  const sets = run.map((r) => broken(level, r, k));
  if (sets.some((s) => s.length === 0)) return [base];
  return sets.map((s) => [...base, ...s]);
}

export function feasibleLevels(scenario: string | undefined, k: Constraints, runtimes: readonly string[], artifact?: Artifact): Placeable[] {
  return PLACEABLE.filter((l) => rejections(l, scenario, k, runtimes, artifact).length === 0);
}

/** Rule 2: the levels the source's own rule picks (scenario → performance → security → L3). */
export function sourcePick(scenario?: string, performance: string[] = [], security: string[] = []): { rule: string; levels: Placeable[] } {
  if (scenario) return { rule: "scenario", levels: [SCENARIOS.find((s) => s.id === scenario)!.recommended] };
  if (performance.length) return { rule: "performance", levels: NEEDS.find((n) => n.id === performance[0])!.levels };
  if (security.length) return { rule: "security", levels: NEEDS.find((n) => n.id === security[0])!.levels };
  return { rule: "default", levels: ["L3"] };
}

/** The 2025 second choice of a scenario (ai-inference: the policy's, L3; the source has none). */
export function secondChoice(scenario?: string): Placeable | undefined {
  if (!scenario) return undefined;
  return SCENARIOS.find((s) => s.id === scenario)!.second?.level ?? (scenario === "ai-inference" ? "L3" : undefined);
}
