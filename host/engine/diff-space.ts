// The request space `policy diff` walks, in ids (so two policies with different tables share
// it): no scenario and every scenario; no need, every single need, every pair of needs from two
// groups and the need sets the policies' own test vectors name; no artifact and every artifact;
// planning mode, every runtime alone and every subset of the contract's runtimes; no constraint
// and each constraint at every figure boundary of either policy (below, at, between and above
// the distinct figure ends). Constraints are crossed with the simple need sets only (none and
// singles): they act on feasibility, which the need sets do not change.
import type { Engine } from "./engine.ts";
import { CONSTRAINT_KEYS, type Constraints } from "./request.ts";
import { NEED_GROUPS, PLACEABLE_LEVELS, type NeedGroup } from "./vocabulary.ts";

/** The contract's runtime vocabulary (API.md): the subsets of these are the node profiles. */
export const CONTRACT_RUNTIMES = ["kvm", "kata", "containerd", "wasmedge", "wasmtime", "gvisor", "firecracker"] as const;

export type NeedSet = Record<NeedGroup, string[]>;
export type ConstraintKey = (typeof CONSTRAINT_KEYS)[number];

/** One value of a dimension: what it puts in a request, and how much it adds to the request's size. */
interface Value<T> {
  value: T;
  size: number;
}

export interface Space {
  scenarios: Value<string | null>[];
  needs: Value<NeedSet>[];
  /** The need sets crossed with constraints. */
  simpleNeeds: Value<NeedSet>[];
  artifacts: Value<string | null>[];
  /** null: planning mode (no node in the request). */
  profiles: Value<string[] | null>[];
  constraints: Value<[ConstraintKey, number]>[];
}

export interface SpaceOptions {
  /** The runtimes whose every subset is a node profile (default: the contract's seven, those either policy knows). */
  profileRuntimes?: string[];
}

const emptyNeeds = (): NeedSet => ({ performance: [], security: [], cost: [] });
const needCount = (n: NeedSet) => n.performance.length + n.security.length + n.cost.length;

/** The artifact ids a policy's requests may name (the engine's vocabulary). */
export const artifactIds = (engine: Engine): string[] => engine.tables.artifact.ids;

function union<T>(...lists: T[][]): T[] {
  return [...new Set(lists.flat())];
}

function needSets(engines: Engine[]): { all: Value<NeedSet>[]; simple: Value<NeedSet>[] } {
  const needs = union(...engines.map((e) => e.catalogue.needs.map((n) => `${n.group}:${n.id}`))).map((k) => {
    const [group, id] = k.split(/:(.*)/s) as [NeedGroup, string];
    return { group, id };
  });
  const simple: NeedSet[] = [emptyNeeds(), ...needs.map((n) => ({ ...emptyNeeds(), [n.group]: [n.id] }))];
  const pairs: NeedSet[] = [];
  needs.forEach((a, i) =>
    needs.slice(i + 1).forEach((b) => {
      if (a.group === b.group) return;
      const set = emptyNeeds();
      set[a.group].push(a.id);
      set[b.group].push(b.id);
      pairs.push(set);
    }),
  );
  // the need sets the policies' own test vectors name (e.g. the source's example, three needs)
  const named: NeedSet[] = engines
    .flatMap((e) => e.vectors())
    .map((v) => {
      const set = emptyNeeds();
      for (const g of NEED_GROUPS) set[g] = (v.request.workload[g] as string[] | undefined) ?? [];
      return set;
    })
    .filter((s) => needCount(s) >= 2);
  const seen = new Set<string>();
  const values = (sets: NeedSet[]) =>
    sets.flatMap((s) => {
      const key = JSON.stringify(s);
      if (seen.has(key)) return [];
      seen.add(key);
      return [{ value: s, size: needCount(s) }];
    });
  const simpleValues = values(simple);
  return { simple: simpleValues, all: [...simpleValues, ...values(pairs), ...values(named)] };
}

function profiles(engines: Engine[], options: SpaceOptions): Value<string[] | null>[] {
  const known = union(...engines.map((e) => e.catalogue.runtimes.map((r) => r.id)));
  const base = (options.profileRuntimes ?? [...CONTRACT_RUNTIMES]).filter((id) => known.includes(id));
  const out: Value<string[] | null>[] = [{ value: null, size: 0 }];
  const seen = new Set<string>();
  const add = (ids: string[]) => {
    const key = ids.join(",");
    if (!seen.has(key)) {
      seen.add(key);
      out.push({ value: ids, size: 1 + ids.length });
    }
  };
  // smallest first: by subset size, so the first of a size is the simplest example
  const subsets: string[][] = [];
  for (let m = 0; m < 1 << base.length; m++) subsets.push(base.filter((_, i) => (m >> i) & 1));
  subsets.sort((a, b) => a.length - b.length);
  subsets.forEach(add);
  for (const id of known) add([id]);
  return out;
}

/** The figure ends a constraint is checked against, per constraint key, over both policies. */
function figureEnds(engines: Engine[]): Record<ConstraintKey, number[]> {
  const ends: Record<ConstraintKey, Set<number>> = { maxColdStartMs: new Set(), maxMemoryMb: new Set(), maxCpuOverheadPct: new Set(), minIsolation: new Set() };
  const metricOf: Record<ConstraintKey, [string, "max" | "min"]> = {
    maxColdStartMs: ["coldStart", "max"],
    maxMemoryMb: ["memory", "max"],
    maxCpuOverheadPct: ["cpu", "max"],
    minIsolation: ["isolation", "min"],
  };
  for (const e of engines) {
    const levels = e.levels().levels.filter((l) => (PLACEABLE_LEVELS as readonly string[]).includes(l.id));
    // a runtime's own figures are constraint boundaries too: a level is checked on the runtime it would run on
    const runtimeFigures = levels
      .flatMap((l) => (l as { runtimes?: { figures: Record<string, { min: number | null; max: number | null }> }[] }).runtimes ?? [])
      .map((r) => r.figures);
    for (const key of CONSTRAINT_KEYS) {
      const [metric, end] = metricOf[key];
      for (const figures of [...levels.map((l) => l.figures as Record<string, { min: number | null; max: number | null } | null>), ...runtimeFigures]) {
        const v = figures[metric]?.[end];
        if (typeof v === "number" && Number.isFinite(v)) ends[key].add(v);
      }
    }
  }
  return Object.fromEntries(CONSTRAINT_KEYS.map((k) => [k, [...ends[k]].sort((a, b) => a - b)])) as Record<ConstraintKey, number[]>;
}

/** Below the lowest end, each end, between neighbouring ends, above the highest: every distinct outcome of a threshold. */
function thresholds(key: ConstraintKey, ends: number[]): number[] {
  const [lo, hi] = key === "minIsolation" ? [1, 5] : [0, Infinity];
  const out: number[] = [];
  ends.forEach((e, i) => {
    const below = i === 0 ? (lo < e ? (lo + e) / 2 : NaN) : (ends[i - 1] + e) / 2;
    if (!Number.isNaN(below)) out.push(below);
    out.push(e);
  });
  const last = ends.at(-1);
  if (last !== undefined && last + 1 <= hi) out.push(last + 1);
  return out.filter((v) => v >= lo && v <= hi);
}

export function buildSpace(engines: Engine[], options: SpaceOptions = {}): Space {
  const needs = needSets(engines);
  const ends = figureEnds(engines);
  return {
    scenarios: [{ value: null, size: 0 }, ...union(...engines.map((e) => e.catalogue.scenarios.map((s) => s.id))).map((id) => ({ value: id, size: 1 }))],
    needs: needs.all,
    simpleNeeds: needs.simple,
    artifacts: [{ value: null, size: 0 }, ...union(...engines.map(artifactIds)).map((id) => ({ value: id, size: 1 }))],
    profiles: profiles(engines, options),
    constraints: CONSTRAINT_KEYS.flatMap((key) => thresholds(key, ends[key]).map((v) => ({ value: [key, v] as [ConstraintKey, number], size: 1 }))),
  };
}

/** How many requests the space holds. */
export function spaceSize(s: Space): number {
  const common = s.scenarios.length * s.artifacts.length * s.profiles.length;
  return common * (s.needs.length + s.simpleNeeds.length * s.constraints.length);
}

/** A request of the space as a POST /v1/decide body. */
export interface SpaceRequest {
  workload: Record<string, unknown>;
  node?: { runtimes: string[] };
}

export function requestOf(
  scenario: string | null,
  needs: NeedSet,
  artifact: string | null,
  profile: string[] | null,
  constraint: [ConstraintKey, number] | null,
): SpaceRequest {
  const workload: Record<string, unknown> = {};
  if (scenario !== null) workload.scenario = scenario;
  if (artifact !== null) workload.artifact = artifact;
  for (const g of NEED_GROUPS) if (needs[g].length) workload[g] = needs[g].length === 1 ? needs[g][0] : needs[g];
  if (constraint) workload.constraints = { [constraint[0]]: constraint[1] } as Constraints;
  return profile === null ? { workload } : { workload, node: { runtimes: profile } };
}
