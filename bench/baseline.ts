// The baseline: the placement rules of docs/API.md (the same rules as assembly/rules.ts) written as
// plain, idiomatic TypeScript over the same policy data, the way a team without Wasm would
// write them. Tables come straight from the policy source (YAML), not from the module, so the
// agreement check at bench start also checks what `policy build` put into the module.
// Reasonable, not handicapped: normalisation is precomputed, tables are plain arrays.
import { FIT_SYMBOLS, type PolicySource } from "../host/policy/schema.ts";
import { ARTIFACT_IDS, LEVEL_IDS, METRIC_IDS, levelIndex } from "../host/engine/vocabulary.ts";

const LEVELS: readonly number[] = [1, 2, 3, 4];
const NONE: readonly number[] = [];
const METRICS = METRIC_IDS.length;
const COLD_START = METRIC_IDS.indexOf("coldStart");
const MEMORY = METRIC_IDS.indexOf("memory");
const CPU = METRIC_IDS.indexOf("cpu");
const ISOLATION = METRIC_IDS.indexOf("isolation");

/** Reason bits and rule codes, as the module writes them (host/engine/abi.ts). */
export const REASON = { scenario: 1, coldStart: 2, memory: 4, cpu: 8, isolation: 16, runtime: 32, artifact: 64 } as const;
export const RULE = { none: 0, scenario: 1, performance: 2, security: 3, default: 4, secondChoice: 5, score: 6 } as const;

export interface BaselineDecision {
  level: number; // 1..4, 0 when nothing is feasible
  runtime: number; // runtime index, -1 none
  fallback: number;
  fallbackRuntime: number;
  rule: number; // RULE
  order: number[]; // the four levels, best first, infeasible last
  reasons: number[]; // by level (index 0 unused): REASON bits, 0 = feasible
  runtimes: number[]; // by level: the runtime that would provide it, -1 none
  scores: number[]; // by level: weighted score, NaN when infeasible
}

interface Scenario {
  first: number;
  second: number;
  excluded: boolean[];
}
// needs: its own bit and those it requires; runs: a bit per artifact; worst/best/norm: per metric,
// its own figure where it has one (NaN: its level's holds)
interface Runtime {
  provides: boolean[];
  needs: number;
  runs: number;
  worst: number[];
  best: number[];
  norm: number[];
}
interface Need {
  levels: number[];
  metrics: number[];
}

/** A bit per artifact kind a runtime runs. */
function artifactMask(kinds: readonly string[]): number {
  let mask = 0;
  for (const a of kinds) mask |= 1 << (ARTIFACT_IDS as readonly string[]).indexOf(a);
  return mask;
}

/** Per metric: the lower end, the upper end (open: Infinity) and the normalised midpoint; NaN where there is no figure. */
export interface FigureRow {
  best: number[];
  worst: number[];
  norm: number[];
}

/**
 * The figures the rules compare, derived once from the policy source: per level (L0..L4; a level's
 * norm is 0 where it has no figure) and per runtime (NaN where its level's figure holds). A range
 * compares by its midpoint, an open upper end by its known end; normalised min-max over the
 * midpoints of L1..L4, direction-aware, 1 = best; a runtime's own figure on the same scale, held
 * within its ends.
 */
export function figureTables(policy: PolicySource): { levels: FigureRow[]; runtimes: FigureRow[] } {
  const higher = policy.metrics.map((m) => m.direction === "higher");
  const mid = (lo: number, hi: number) => (hi === Infinity ? lo : (lo + hi) * 0.5);
  const levels: FigureRow[] = [];
  for (let l = 0; l <= 4; l++) {
    const figures = METRIC_IDS.map((m) => policy.levels[l].figures[m]);
    levels[l] = {
      best: figures.map((f) => (f === null ? NaN : typeof f === "number" ? f : f.min)),
      worst: figures.map((f) => (f === null ? NaN : typeof f === "number" ? f : (f.max ?? Infinity))),
      norm: new Array<number>(METRICS).fill(0),
    };
  }
  const scale = METRIC_IDS.map((_, m) => {
    const known = LEVELS.map((l) => mid(levels[l].best[m], levels[l].worst[m])).filter((v) => !Number.isNaN(v));
    return [Math.min(...known), Math.max(...known)] as const;
  });
  const scaled = (v: number, m: number) => {
    const [lo, hi] = scale[m];
    return hi > lo ? Math.min(Math.max((higher[m] ? v - lo : hi - v) / (hi - lo), 0), 1) : 1;
  };
  for (let m = 0; m < METRICS; m++) {
    for (const l of LEVELS) {
      const v = mid(levels[l].best[m], levels[l].worst[m]);
      if (!Number.isNaN(v)) levels[l].norm[m] = scaled(v, m);
    }
  }
  const runtimes = policy.runtimes.map((r) => {
    const own = METRIC_IDS.map((m) => r.figures?.[m]);
    const best = own.map((f) => (f ? f.min : NaN)),
      worst = own.map((f) => (f ? (f.max ?? Infinity) : NaN));
    return { best, worst, norm: own.map((f, m) => (f ? scaled(mid(best[m], worst[m]), m) : NaN)) };
  });
  return { levels, runtimes };
}

/**
 * A score in units of 1e-9 (rounding half to even, as Wasm's f64.nearest): a true tie reached by
 * different sums can come out a unit apart in the last bit, and must still go to the tie-breaker.
 */
export function scoreUnits(x: number): number {
  const units = x * 1e9,
    r = Math.round(units);
  return r - units === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** A score to nine decimals. */
const atPrecision = (x: number): number => scoreUnits(x) / 1e9;

export class BaselinePlacer {
  private readonly worst: number[][] = []; // [level][metric]: upper end (open: Infinity)
  private readonly best: number[][] = []; // [level][metric]: lower end
  private readonly norm: number[][] = []; // [level][metric]: 0..1, 1 = best among L1..L4
  private balanced: number[] = []; // [level]: equal-weight score on its runtime, the tie-breaker
  private readonly scenarios: Scenario[];
  private readonly runtimeTable: Runtime[];
  private readonly needs: Need[];
  private readonly defaultLevel: number;

  constructor(policy: PolicySource) {
    const figures = figureTables(policy);
    for (const [l, f] of figures.levels.entries()) {
      this.best[l] = f.best;
      this.worst[l] = f.worst;
      this.norm[l] = f.norm;
    }

    this.scenarios = policy.scenarios.map((s) => ({
      first: levelIndex(s.first),
      second: s.second ? levelIndex(s.second) : 0,
      excluded: [false, ...LEVELS.map((l) => s.levels[LEVEL_IDS[l] as "L1"].fit === FIT_SYMBOLS[0])],
    }));
    const runtimeIndex = new Map(policy.runtimes.map((r, i) => [r.id, i]));
    this.runtimeTable = policy.runtimes.map((r, i) => ({
      provides: LEVEL_IDS.map((id) => (r.levels as string[]).includes(id)),
      needs: (r.requires ?? []).reduce((mask, id) => mask | (1 << runtimeIndex.get(id)!), 1 << i),
      runs: artifactMask(r.runs ?? ARTIFACT_IDS),
      ...figures.runtimes[i],
    }));
    this.needs = policy.needs.map((n) => ({
      levels: n.levels.map(levelIndex),
      metrics: [...new Set(n.metrics.map((m) => METRIC_IDS.indexOf(m)))],
    }));
    this.defaultLevel = levelIndex(policy.defaultLevel);
  }

  /**
   * Rules 1–5 of docs/API.md. scenario, performance, security: indices (-1 none); needs: a bit per
   * need; runtimes: a bit per runtime on the node; constraints: maxColdStartMs, maxMemoryMb,
   * maxCpuOverheadPct, minIsolation (NaN: none); weights: one per metric, or null.
   */
  decide(
    scenario: number,
    performance: number,
    security: number,
    needs: number,
    runtimes: number,
    constraints: ArrayLike<number>,
    weights: ArrayLike<number> | null,
    artifact = -1,
  ): BaselineDecision {
    const w = this.weightsFor(needs, weights);
    const reasons = [0, 0, 0, 0, 0],
      levelRuntimes = [-1, -1, -1, -1, -1],
      scores = [NaN, NaN, NaN, NaN, NaN];
    this.balanced = [0, 0, 0, 0, 0];
    for (const l of LEVELS) {
      const { runtime, broken, score, provided } = this.runtimeFor(l, runtimes, artifact, constraints, w);
      levelRuntimes[l] = runtime;
      reasons[l] =
        (scenario >= 0 && this.scenarios[scenario].excluded[l] ? REASON.scenario : 0) | (runtime < 0 ? (provided ? REASON.artifact : REASON.runtime) : broken);
      if (reasons[l] === 0) scores[l] = score;
      if (runtime >= 0) this.balanced[l] = this.score(l, runtime, null);
    }
    // Rule 2: the source's own pick, when it is feasible.
    const s = scenario >= 0 ? this.scenarios[scenario] : undefined;
    let pick = 0,
      rule: number;
    if (s) {
      rule = RULE.scenario;
      if (reasons[s.first] === 0) pick = s.first;
    } else if (performance >= 0) {
      rule = RULE.performance;
      pick = this.bestOf(this.needs[performance].levels, reasons, scores, NONE);
    } else if (security >= 0) {
      rule = RULE.security;
      pick = this.bestOf(this.needs[security].levels, reasons, scores, NONE);
    } else {
      rule = RULE.default;
      if (reasons[this.defaultLevel] === 0) pick = this.defaultLevel;
    }
    // Rule 3: the scenario's second choice, else the best by score.
    const second = s?.second ?? 0;
    if (!pick) {
      if (second && reasons[second] === 0) {
        pick = second;
        rule = RULE.secondChoice;
      } else {
        pick = this.bestOf(LEVELS, reasons, scores, NONE);
        rule = pick ? RULE.score : RULE.none;
      }
    }
    const fallback = second && second !== pick && reasons[second] === 0 ? second : this.bestOf(LEVELS, reasons, scores, [pick]);

    // The ranking: the answer, the fallback, the other feasible levels by score, then the rest.
    const order: number[] = [];
    if (pick) order.push(pick);
    if (fallback) order.push(fallback);
    for (let next = this.bestOf(LEVELS, reasons, scores, order); next; next = this.bestOf(LEVELS, reasons, scores, order)) order.push(next);
    for (const l of LEVELS) if (reasons[l] !== 0) order.push(l);
    return {
      level: pick,
      runtime: pick ? levelRuntimes[pick] : -1,
      fallback,
      fallbackRuntime: fallback ? levelRuntimes[fallback] : -1,
      rule,
      order,
      reasons,
      runtimes: levelRuntimes,
      scores,
    };
  }

  /** The best feasible level among `candidates`, leaving out `exclude`; 0 when there is none. */
  private bestOf(candidates: readonly number[], reasons: number[], scores: number[], exclude: readonly number[]): number {
    let best = 0;
    for (const l of candidates) {
      if (reasons[l] !== 0 || exclude.includes(l)) continue;
      if (best === 0 || this.better(l, best, scores)) best = l;
    }
    return best;
  }

  /** Higher score first; ties go to the higher equal-weight score, then to the lower level. */
  private better(a: number, b: number, scores: number[]): boolean {
    if (scores[a] !== scores[b]) return scores[a] > scores[b];
    if (this.balanced[a] !== this.balanced[b]) return this.balanced[a] > this.balanced[b];
    return a < b;
  }

  /** Each need spreads one unit over its metrics; explicit weights add one unit; with neither, all count the same. */
  private weightsFor(needs: number, weights: ArrayLike<number> | null): number[] {
    const w = new Array<number>(METRICS).fill(0);
    let count = 0;
    this.needs.forEach((need, n) => {
      if (!(needs & (1 << n))) return;
      const share = 1 / need.metrics.length;
      for (const m of need.metrics) w[m] += share;
      count++;
    });
    if (count > 1) for (let m = 0; m < METRICS; m++) w[m] /= count;
    // Only proportions count: scaled by the largest weight first, huge weights keep a finite sum.
    let top = 0;
    if (weights) for (let m = 0; m < METRICS; m++) top = Math.max(top, weights[m]);
    const relative = (m: number) => (weights![m] === top ? 1 : weights![m] / top);
    let sum = 0;
    if (top > 0) for (let m = 0; m < METRICS; m++) sum += relative(m);
    if (sum > 0) for (let m = 0; m < METRICS; m++) w[m] += relative(m) / sum;
    else if (count === 0) w.fill(1);
    return w;
  }

  /** A level's normalised figure on a runtime: the runtime's own where it has one. */
  private normOn(level: number, runtime: number, m: number): number {
    const own = this.runtimeTable[runtime].norm[m];
    return Number.isNaN(own) ? this.norm[level][m] : own;
  }

  /** The weighted score (w) or, with w null, the equal-weight sum (the tie-breaker). */
  private score(level: number, runtime: number, w: number[] | null): number {
    let s = 0,
      total = 0;
    for (let m = 0; m < METRICS; m++) {
      const wm = w ? w[m] : 1;
      s += wm * this.normOn(level, runtime, m);
      total += wm;
    }
    return w ? atPrecision(s / total) : s;
  }

  /**
   * Rule 6: among the node's runtimes that provide `level` and run the artifact, one that meets
   * the constraints before one that does not, then the best score on its own figures, ties in
   * policy order.
   */
  private runtimeFor(level: number, runtimes: number, artifact: number, c: ArrayLike<number>, w: number[]) {
    let runtime = -1,
      broken = 0,
      score = 0,
      provided = false;
    this.runtimeTable.forEach((r, i) => {
      if (!r.provides[level] || (runtimes & r.needs) !== r.needs) return;
      provided = true;
      if (artifact >= 0 && !(r.runs & (1 << artifact))) return;
      const b = this.brokenOn(level, i, c),
        s = this.score(level, i, w);
      if (runtime < 0 || (broken !== 0 && (b === 0 || s > score)) || (b === 0 && s > score)) {
        runtime = i;
        broken = b;
        score = s;
      }
    });
    return { runtime, broken, score, provided };
  }

  /** Constraints hold against the worst case: the upper end of a range (an open end breaks any maximum). */
  private brokenOn(level: number, runtime: number, c: ArrayLike<number>): number {
    const r = this.runtimeTable[runtime];
    const worst = (m: number) => (Number.isNaN(r.worst[m]) ? this.worst[level][m] : r.worst[m]);
    const best = (m: number) => (Number.isNaN(r.best[m]) ? this.best[level][m] : r.best[m]);
    let reasons = 0;
    if (worst(COLD_START) > c[0]) reasons |= REASON.coldStart;
    if (worst(MEMORY) > c[1]) reasons |= REASON.memory;
    if (worst(CPU) > c[2]) reasons |= REASON.cpu;
    if (best(ISOLATION) < c[3]) reasons |= REASON.isolation;
    return reasons;
  }
}
