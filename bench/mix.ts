// The bench's mixed set of requests, the same for every section: scenarios, needs (one id or a
// list, now and then a Chinese alias), constraints, node runtimes, some with weights, some with
// no feasible level. Seeded, so every run measures the same requests. Each request comes as
// the object a user sends and as the codes the module takes (from the engine's own validation).
import type { Engine } from "../host/engine/engine.ts";
import { CONSTRAINT_KEYS, type Placement } from "../host/engine/request.ts";
import { METRIC_IDS } from "../host/engine/vocabulary.ts";

/** One request in the module's terms: what the raw `decide` export and the baseline take. */
export interface Codes {
  scenario: number;
  performance: number;
  security: number;
  needs: number;
  runtimes: number;
  constraints: Float64Array; // the 4 constraints, NaN: none
  weights: Float64Array | null; // one per metric, or null
}

export interface RequestMix {
  requests: unknown[]; // POST /v1/decide bodies
  codes: Codes[]; // the same requests, validated and encoded
  summary: Record<string, number>; // how many of each kind, for the report
}

/** mulberry32: a small, well-known seeded PRNG. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Thresholds around the policy's figures, so constraints both pass and fail.
const CONSTRAINT_VALUES: Record<(typeof CONSTRAINT_KEYS)[number], number[]> = {
  maxColdStartMs: [5, 10, 50, 200, 1000, 5000, 60000],
  maxMemoryMb: [3, 5, 32, 64, 128, 1000, 4096],
  maxCpuOverheadPct: [1, 2, 3, 5, 10, 20],
  minIsolation: [1, 2, 3, 4, 5],
};

export function buildMix(engine: Engine, size: number, seed = 20251115): RequestMix {
  const rnd = random(seed);
  const chance = (p: number) => rnd() < p;
  const pickOne = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const pickSome = <T>(xs: readonly T[], max: number): T[] => {
    const pool = [...xs],
      out: T[] = [];
    const n = 1 + Math.floor(rnd() * Math.min(max, pool.length));
    while (out.length < n) out.push(pool.splice(Math.floor(rnd() * pool.length), 1)[0]);
    return out;
  };
  const c = engine.catalogue;
  const id = (e: { id: string; zh?: string }) => (e.zh && chance(0.1) ? e.zh : e.id);
  const group = (g: string) => c.needs.filter((n) => n.group === g);
  const needs = (g: string) => {
    const ids = pickSome(group(g), 3).map(id);
    return ids.length === 1 && chance(0.5) ? ids[0] : ids;
  };

  const summary = { requests: size, scenario: 0, needs: 0, constraints: 0, weights: 0, nodeRuntimes: 0, infeasible: 0 };
  const requests: unknown[] = [];
  const codes: Codes[] = [];
  for (let i = 0; i < size; i++) {
    const workload: Record<string, unknown> = {};
    if (chance(0.6)) workload.scenario = id(pickOne(c.scenarios));
    if (chance(0.4)) workload.performance = needs("performance");
    if (chance(0.35)) workload.security = needs("security");
    if (chance(0.2)) workload.cost = needs("cost");
    if (chance(0.4)) {
      const constraints: Record<string, number> = {};
      for (const key of pickSome(CONSTRAINT_KEYS, 2)) constraints[key] = pickOne(CONSTRAINT_VALUES[key]);
      workload.constraints = constraints;
    }
    if (chance(0.25)) {
      workload.weights = Object.fromEntries(pickSome(METRIC_IDS, 4).map((m) => [m, Math.round(rnd() * 100) / 100]));
    }
    const request: Record<string, unknown> = { workload };
    // No node: planning mode (every runtime); an empty node has no feasible level at all.
    if (chance(0.7))
      request.node = {
        runtimes: chance(0.05)
          ? []
          : pickSome(
              c.runtimes.map((r) => r.id),
              4,
            ),
      };

    const placement = engine.schemas.decide.parse(request) as Placement;
    const code = encode(placement, (1 << c.runtimes.length) - 1);
    requests.push(request);
    codes.push(code);
    summary.scenario += workload.scenario ? 1 : 0;
    summary.needs += workload.performance || workload.security || workload.cost ? 1 : 0;
    summary.constraints += workload.constraints ? 1 : 0;
    summary.weights += workload.weights ? 1 : 0;
    summary.nodeRuntimes += request.node ? 1 : 0;
  }
  return { requests, codes, summary };
}

/** A validated request → the module's codes (as Engine.decideValid encodes it, planning mode). */
function encode(p: Placement, allRuntimes: number): Codes {
  let needs = 0;
  for (const n of [...p.performance, ...p.security, ...p.cost]) needs |= 1 << n;
  return {
    scenario: p.scenario,
    performance: p.performance[0] ?? -1,
    security: p.security[0] ?? -1,
    needs: needs >>> 0,
    runtimes: p.runtimes ? p.runtimes.reduce((mask, r) => mask | (1 << r), 0) : allRuntimes,
    constraints: Float64Array.from(CONSTRAINT_KEYS, (k) => p.constraints[k] ?? NaN),
    weights: p.weights ? Float64Array.from(p.weights) : null,
  };
}
