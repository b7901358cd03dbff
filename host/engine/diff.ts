// diffPolicies: what changes if policy B replaces policy A. Every request of the space (see
// diff-space.ts) is decided under both, at the module's level (Engine.placement: level, runtime,
// RuntimeClass, stack), and the changed decisions are grouped by transition, each with its
// smallest example requests — which engine.decide reproduces. Runtime-neutral: the CLI prints it,
// the console can show it.
import { diffCatalogues, type CatalogueChange } from "./diff-catalogue.ts";
import { artifactIds, buildSpace, requestOf, spaceSize, type NeedSet, type Space, type SpaceOptions, type SpaceRequest } from "./diff-space.ts";
import type { Engine, Placed } from "./engine.ts";
import type { Constraints, Placement } from "./request.ts";
import { NEED_GROUPS } from "./vocabulary.ts";

/** A decision under one policy; null: the request names an id the policy does not know. */
export type Outcome = Placed | null;

export interface DiffOptions extends SpaceOptions {
  /** Examples kept per transition, smallest requests first (default 1). */
  maxExamples?: number;
  /** Called with every changed request (e.g. to list them all). */
  onChange?: (request: SpaceRequest, a: Outcome, b: Outcome) => void;
}

export interface Example {
  request: SpaceRequest;
  a: Outcome;
  b: Outcome;
}

export interface Transition {
  /** `L4/wasmedge → L3/containerd`; when level and runtime stay, the fields that changed. */
  label: string;
  from: string;
  to: string;
  count: number;
  fields: Field[];
  examples: Example[];
}

const FIELDS = ["level", "runtime", "runtimeClassName", "stack"] as const;
type Field = (typeof FIELDS)[number];

export interface PolicyDiff {
  a: { name: string; version: string; sha256: string };
  b: { name: string; version: string; sha256: string };
  space: {
    requests: number;
    scenarios: number;
    needSets: number;
    simpleNeedSets: number;
    artifacts: number;
    profiles: number;
    constraintValues: number;
    description: string;
  };
  changed: number;
  counts: Record<Field, number> & { becameInfeasible: number; becameFeasible: number; invalid: number };
  transitions: Transition[];
  catalogue: CatalogueChange[];
  elapsedMs: number;
  decisionsPerSecond: number;
}

/** Per engine: each value of a dimension in the engine's own indices; undefined where it does not know an id. */
interface Mapped {
  scenarios: (number | undefined)[];
  needs: (Pick<Placement, "performance" | "security" | "cost"> | undefined)[];
  simpleNeeds: (Pick<Placement, "performance" | "security" | "cost"> | undefined)[];
  artifacts: (number | undefined)[];
  profiles: ({ runtimes: number[] | undefined } | undefined)[];
}

function mapFor(e: Engine, s: Space): Mapped {
  const t = e.tables,
    needs = e.catalogue.needs,
    arts = artifactIds(e);
  const needIndex = (group: string, id: string) => needs.findIndex((n) => n.group === group && n.id === id);
  const mapNeeds = (set: NeedSet) => {
    const out = { performance: [] as number[], security: [] as number[], cost: [] as number[] };
    for (const g of NEED_GROUPS)
      for (const id of set[g]) {
        const i = needIndex(g, id);
        if (i < 0) return undefined;
        out[g].push(i);
      }
    return out;
  };
  return {
    scenarios: s.scenarios.map(({ value }) => (value === null ? -1 : t.scenario.ids.indexOf(value) >= 0 ? t.scenario.ids.indexOf(value) : undefined)),
    needs: s.needs.map(({ value }) => mapNeeds(value)),
    simpleNeeds: s.simpleNeeds.map(({ value }) => mapNeeds(value)),
    artifacts: s.artifacts.map(({ value }) => (value === null ? -1 : arts.includes(value) ? arts.indexOf(value) : undefined)),
    profiles: s.profiles.map(({ value }) => {
      if (value === null) return { runtimes: undefined };
      const ids = value.map((id) => t.runtime.ids.indexOf(id));
      return ids.includes(-1) ? undefined : { runtimes: ids };
    }),
  };
}

const label = (o: Outcome) => (o === null ? "invalid" : o.level === null ? "none" : `${o.level}/${o.runtime}`);
const show = (v: string | null) => (v === null ? "none" : JSON.stringify(v));

function same(a: Outcome, b: Outcome): boolean {
  if (a === null || b === null) return a === b;
  return a.level === b.level && a.runtime === b.runtime && a.runtimeClassName === b.runtimeClassName && a.stack === b.stack;
}

const ref = (e: Engine) => ({ name: e.policy.name, version: e.policy.version, sha256: e.policy.sha256 });

export function diffPolicies(a: Engine, b: Engine, options: DiffOptions = {}): PolicyDiff {
  const t0 = performance.now();
  const maxExamples = Math.max(0, options.maxExamples ?? 1);
  const space = buildSpace([a, b], options);
  const ma = mapFor(a, space),
    mb = mapFor(b, space);
  const groups = new Map<string, Transition & { sizes: number[] }>();
  const counts = { level: 0, runtime: 0, runtimeClassName: 0, stack: 0, becameInfeasible: 0, becameFeasible: 0, invalid: 0 };
  let changed = 0,
    decisions = 0;

  // One request object per engine, rewritten for each request, and each distinct outcome made
  // once (by placement code and scenario): millions of decisions allocate next to nothing.
  const side = (e: Engine, m: Mapped) => ({
    e,
    m,
    p: { scenario: -1, performance: [], security: [], cost: [], constraints: {}, runtimes: undefined, artifact: -1 } as Placement,
    outcomes: new Map<number, Placed>(),
  });
  const decide = (x: ReturnType<typeof side>, needs: Mapped["needs"], si: number, ni: number, ai: number, pi: number, constraints: Constraints): Outcome => {
    const { m, p } = x;
    const scenario = m.scenarios[si],
      set = needs[ni],
      artifact = m.artifacts[ai],
      profile = m.profiles[pi];
    if (scenario === undefined || set === undefined || artifact === undefined || profile === undefined) return null;
    decisions++;
    p.scenario = scenario;
    p.performance = set.performance;
    p.security = set.security;
    p.cost = set.cost;
    p.constraints = constraints;
    p.runtimes = profile.runtimes;
    p.artifact = artifact;
    const key = x.e.placementCode(p) * 64 + scenario + 1;
    let o = x.outcomes.get(key);
    if (!o) x.outcomes.set(key, (o = x.e.placedOf(key >> 6, scenario)));
    return o;
  };
  const sa = side(a, ma),
    sb = side(b, mb);

  const slices = [
    { needs: space.needs, mapped: [ma.needs, mb.needs], constraints: [null] },
    { needs: space.simpleNeeds, mapped: [ma.simpleNeeds, mb.simpleNeeds], constraints: space.constraints },
  ] as const;
  for (const slice of slices) {
    for (const c of slice.constraints) {
      const constraints: Constraints = c ? { [c.value[0]]: c.value[1] } : {};
      for (let si = 0; si < space.scenarios.length; si++) {
        for (let ni = 0; ni < slice.needs.length; ni++) {
          for (let ai = 0; ai < space.artifacts.length; ai++) {
            for (let pi = 0; pi < space.profiles.length; pi++) {
              const oa = decide(sa, slice.mapped[0], si, ni, ai, pi, constraints);
              const ob = decide(sb, slice.mapped[1], si, ni, ai, pi, constraints);
              if (same(oa, ob)) continue;
              changed++;
              const fields = oa && ob ? FIELDS.filter((f) => oa[f] !== ob[f]) : [];
              for (const f of fields) counts[f]++;
              if (!oa || !ob) counts.invalid++;
              else if (oa.level && !ob.level) counts.becameInfeasible++;
              else if (!oa.level && ob.level) counts.becameFeasible++;
              const from = label(oa),
                to = label(ob);
              const key = from !== to ? `${from} → ${to}` : `${from}: ${fields.map((f) => `${f} ${show(oa![f])} → ${show(ob![f])}`).join(", ")}`;
              let g = groups.get(key);
              if (!g) groups.set(key, (g = { label: key, from, to, count: 0, fields, examples: [], sizes: [] }));
              g.count++;
              const size = (c ? 1 : 0) + space.scenarios[si].size + slice.needs[ni].size + space.artifacts[ai].size + space.profiles[pi].size;
              const request = () =>
                requestOf(space.scenarios[si].value, slice.needs[ni].value, space.artifacts[ai].value, space.profiles[pi].value, c ? c.value : null);
              if (g.examples.length < maxExamples || size < g.sizes[g.sizes.length - 1]) {
                // keep the smallest, in enumeration order among equals
                let at = g.sizes.findIndex((s) => s > size);
                if (at < 0) at = g.sizes.length;
                g.sizes.splice(at, 0, size);
                g.examples.splice(at, 0, { request: request(), a: oa, b: ob });
                g.sizes.length = g.examples.length = Math.min(g.examples.length, maxExamples);
              }
              options.onChange?.(request(), oa, ob);
            }
          }
        }
      }
    }
  }
  const elapsedMs = performance.now() - t0;
  const requests = spaceSize(space);
  return {
    a: ref(a),
    b: ref(b),
    space: {
      requests,
      scenarios: space.scenarios.length,
      needSets: space.needs.length,
      simpleNeedSets: space.simpleNeeds.length,
      artifacts: space.artifacts.length,
      profiles: space.profiles.length,
      constraintValues: space.constraints.length,
      description:
        `${space.scenarios.length} scenarios × ${space.artifacts.length} artifacts × ${space.profiles.length} node profiles × ` +
        `(${space.needs.length} need sets + ${space.simpleNeeds.length} need sets × ${space.constraints.length} constraint thresholds), each "none" included`,
    },
    changed,
    counts,
    transitions: [...groups.values()].map(({ sizes: _sizes, ...t }) => t).sort((x, y) => y.count - x.count || x.label.localeCompare(y.label)),
    catalogue: diffCatalogues(a, b),
    elapsedMs,
    decisionsPerSecond: decisions / (elapsedMs / 1000),
  };
}
