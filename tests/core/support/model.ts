// An independent model of docs/API.md's rule 1 (feasibility) and rule 2's candidates, over the
// literal REFERENCE tables, to check the engine's answers against.
import { CORE, NEEDS, PROVIDERS, SCENARIOS, upper, type Placeable } from "./reference.ts";

export interface Constraints { maxColdStartMs?: number; maxMemoryMb?: number; maxCpuOverheadPct?: number; minIsolation?: number }

const PLACEABLE: Placeable[] = ["L1", "L2", "L3", "L4"];
const idx = (l: Placeable) => Number(l[1]);

/** Why the model rejects a level, as short tags: scenario, coldStart, memory, cpu, isolation, runtime. */
export function rejections(level: Placeable, scenario: string | undefined, k: Constraints, runtimes: readonly string[]): string[] {
  const out: string[] = [];
  const sc = SCENARIOS.find((s) => s.id === scenario);
  if (sc?.levels && sc.levels[level].fit === "❌") out.push("scenario");
  const i = idx(level);
  if (k.maxColdStartMs !== undefined && upper(CORE.coldStart[i]) > k.maxColdStartMs) out.push("coldStart");
  if (k.maxMemoryMb !== undefined && upper(CORE.memory[i]) > k.maxMemoryMb) out.push("memory");
  if (k.maxCpuOverheadPct !== undefined && upper(CORE.cpu[i]) > k.maxCpuOverheadPct) out.push("cpu");
  if (k.minIsolation !== undefined && CORE.isolation[i]![0] < k.minIsolation) out.push("isolation");
  if (!PROVIDERS[level].some((group) => group.every((r) => runtimes.includes(r)))) out.push("runtime");
  return out;
}

export function feasibleLevels(scenario: string | undefined, k: Constraints, runtimes: readonly string[]): Placeable[] {
  return PLACEABLE.filter((l) => rejections(l, scenario, k, runtimes).length === 0);
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
