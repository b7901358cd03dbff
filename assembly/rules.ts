// The placement rules of docs/API.md, over the policy tables that `policy build` generates into
// ./policy.ts. Nothing here allocates: every input and output lives in fixed static buffers,
// so a million decisions leave linear memory exactly as it was.
import {
  DEFAULT_LEVEL, DIRECTION, FIGURE_INDEX, FIGURE_VALUES, NEEDS, NEED_COUNT, RFIG_COUNT, RFIG_KEYS, RFIG_VALUES, RUNTIMES, RUNTIME_COUNT, SCENARIOS,
} from "./policy";

// ABI constants, mirrored by host/engine/abi.ts.
export const METRICS = 12;           // isolation, coldStart, memory, cpu, … in API order
const M_ISOLATION = 0;
const M_COLD_START = 1;
const M_MEMORY = 2;
const M_CPU = 3;
const SCENARIO_STRIDE = 6;           // first, second, fit L1..L4

// Reasons a level is infeasible (bits in OUT_REASONS).
const R_SCENARIO = 1;
const R_COLD_START = 2;
const R_MEMORY = 4;
const R_CPU = 8;
const R_ISOLATION = 16;
const R_RUNTIME = 32;
const R_ARTIFACT = 64;   // runtimes on the node provide the level, but none runs the artifact

// Which rule chose the level (OUT_RULE).
const RULE_NONE = 0;
const RULE_SCENARIO = 1;
const RULE_PERFORMANCE = 2;
const RULE_SECURITY = 3;
const RULE_DEFAULT = 4;
const RULE_SECOND_CHOICE = 5;
const RULE_SCORE = 6;

// Input: f64[16] = maxColdStartMs, maxMemoryMb, maxCpuOverheadPct, minIsolation (NaN: none),
// then one weight per metric.
export const IN = memory.data(16 << 3);
// Output: i32[20] = level, runtime, fallback, fallback runtime, rule, order[4],
// reasons[L1..L4], runtime per level[L1..L4], feasible mask, pad.
export const OUT = memory.data(20 << 2);
// f64[5], indexed by level: the weighted score of each feasible level (NaN when infeasible).
export const SCORES = memory.data(5 << 3);
// u8[12]: per metric, 0 tie, 1 a better, 2 b better, 3 no figure on one side.
export const COMPARISON = memory.data(METRICS);

const NORM = memory.data(5 * METRICS << 3);  // normalised 0..1, 1 = best among L1..L4
const BALANCED = memory.data(5 << 3);        // equal-weight score: the tie-breaker
const WEIGHTS = memory.data(METRICS << 3);
const SCALE = memory.data(METRICS << 4);     // per metric: lo, hi of the level midpoints
// f32[5 levels][12][min, max]: the levels' figures, NaN where none. The policy stores each
// distinct value once (most repeat: star ratings) and a byte per slot; normalise() lays them out.
export const FIGURES = memory.data(5 * METRICS << 3);
// f64[16 runtimes][12][min, max]: a runtime's own figures, NaN where it has none (the level's hold).
export const RFIG = memory.data(16 * METRICS << 4);
const RNORM = memory.data(16 * METRICS << 3); // their normalised values, NaN where none

// Figures are f32 in the tables (host/engine/figures.ts: at most 7 significant digits).
@inline function figure(level: i32, metric: i32, upper: i32): f64 {
  return <f64>load<f32>(FIGURES + ((((level * METRICS + metric) << 1) + upper) << 2));
}

/** A range compares by its midpoint; an open upper end by its known (lower) end. */
@inline function mid(lo: f64, hi: f64): f64 { return hi == Infinity ? lo : (lo + hi) * 0.5; }
function midpoint(level: i32, metric: i32): f64 { return mid(figure(level, metric, 0), figure(level, metric, 1)); }

@inline function rfig(runtime: i32, metric: i32, upper: i32): f64 {
  return load<f64>(RFIG + ((((runtime * METRICS + metric) << 1) + upper) << 3));
}

/** A level's figure on a runtime: the runtime's own where it has one (API.md rule 6). */
function effective(level: i32, runtime: i32, metric: i32, upper: i32): f64 {
  return rfig(runtime, metric, 0) == rfig(runtime, metric, 0) ? rfig(runtime, metric, upper) : figure(level, metric, upper);
}

/** A midpoint on the levels' scale of a metric, direction-aware, within 0..1. */
function scaled(v: f64, m: i32): f64 {
  const lo = load<f64>(SCALE + (m << 4)), hi = load<f64>(SCALE + (m << 4) + 8);
  if (!(hi > lo)) return 1;
  return min(max(((DIRECTION >> m) & 1 ? v - lo : hi - v) / (hi - lo), 0), 1);
}

/**
 * A score to nine decimals: a true tie reached by different sums (1/3 + 1/6 against 1/2) can
 * come out a unit apart in the last bit, and must still go to the tie-breaker.
 */
function atPrecision(x: f64): f64 { return nearest(x * 1e9) / 1e9; }

@inline function norm(level: i32, metric: i32): f64 {
  return load<f64>(NORM + ((level * METRICS + metric) << 3));
}

@inline function out(slot: i32, value: i32): void { store<i32>(OUT + (slot << 2), value); }
@inline function outAt(slot: i32): i32 { return load<i32>(OUT + (slot << 2)); }
@inline function score(level: i32): f64 { return load<f64>(SCORES + (level << 3)); }
@inline function input(slot: i32): f64 { return load<f64>(IN + (slot << 3)); }

// Min-max normalisation of the midpoints over L1..L4, once, direction-aware: the source summed
// raw units (memory in MB swamped all else) and treated every metric as lower-is-better.
// A runtime's own figure sits on the same scale (the source's), held within its ends.
function normalise(): void {
  for (let i = 0; i < 5 * METRICS * 2; i++) {   // FIGURES[i] = FIGURE_VALUES[FIGURE_INDEX[i]]
    store<u32>(FIGURES + (i << 2), load<u32>(FIGURE_VALUES + (<usize>load<u8>(FIGURE_INDEX + i) << 2)));
  }
  for (let m = 0; m < METRICS; m++) {
    let lo = Infinity, hi = -Infinity;
    for (let l = 1; l <= 4; l++) {
      const v = midpoint(l, m);
      if (v == v) { lo = min(lo, v); hi = max(hi, v); }
    }
    store<f64>(SCALE + (m << 4), lo);
    store<f64>(SCALE + (m << 4) + 8, hi);
    for (let l = 0; l <= 4; l++) {
      const v = midpoint(l, m);
      store<f64>(NORM + ((l * METRICS + m) << 3), l > 0 && v == v ? scaled(v, m) : 0);
    }
  }
  memory.fill(RFIG, 0xff, 16 * METRICS << 4);   // all ones: NaN
  memory.fill(RNORM, 0xff, 16 * METRICS << 3);
  for (let k = 0; k < RFIG_COUNT; k++) {
    const key = <i32>load<u8>(RFIG_KEYS + k);
    const lo = <f64>load<f32>(RFIG_VALUES + (k << 3)), hi = <f64>load<f32>(RFIG_VALUES + (k << 3) + 4);
    store<f64>(RFIG + (key << 4), lo);
    store<f64>(RFIG + (key << 4) + 8, hi);
    store<f64>(RNORM + (key << 3), scaled(mid(lo, hi), key % METRICS));
  }
}
normalise();
// No constraint until the host writes one (zeroed memory would read as "at most 0").
for (let k = 0; k < 4; k++) store<f64>(IN + (k << 3), NaN);

/** The constraints a level breaks on a runtime, against its worst case (an open end breaks any maximum). */
function broken(level: i32, r: i32): i32 {
  let reasons = 0;
  if (effective(level, r, M_COLD_START, 1) > input(0)) reasons |= R_COLD_START;
  if (effective(level, r, M_MEMORY, 1) > input(1)) reasons |= R_MEMORY;
  if (effective(level, r, M_CPU, 1) > input(2)) reasons |= R_CPU;
  if (effective(level, r, M_ISOLATION, 0) < input(3)) reasons |= R_ISOLATION;
  return reasons;
}

@inline function normOf(level: i32, r: i32, m: i32): f64 {
  const own = load<f64>(RNORM + ((r * METRICS + m) << 3));
  return own == own ? own : norm(level, m);
}

/**
 * Rule 1 and rule 6 for one level: among the node's runtimes that provide it (their `requires`
 * present) and run the artifact, the one it would run on — one that meets the constraints
 * before one that does not, then the best score on its own figures, ties in policy order.
 * Writes its runtime (-1 none), score and balanced score; returns the reasons it is out.
 */
function assess(level: i32, scenario: i32, runtimes: u32, artifacts: u32): i32 {
  let reasons = scenario >= 0 && load<u8>(SCENARIOS + scenario * SCENARIO_STRIDE + 1 + level) == 0 ? R_SCENARIO : 0;
  let best = -1, bestBroken = 0, provided = false;
  let bestScore: f64 = 0;
  for (let r = 0; r < RUNTIME_COUNT; r++) {
    const entry = load<u32>(RUNTIMES + (r << 2));
    const needed = (1 << r) | (entry >>> 16);
    if (!((entry >> level) & 1) || (runtimes & needed) != needed) continue;
    provided = true;
    if (!((entry >> 8) & artifacts)) continue;
    const fails = broken(level, r), s = weightedScore(level, r);
    if (best < 0 || (bestBroken != 0 && (fails == 0 || s > bestScore)) || (fails == 0 && s > bestScore)) {
      best = r; bestBroken = fails; bestScore = s;
    }
  }
  let balanced: f64 = 0;
  if (best < 0) reasons |= provided ? R_ARTIFACT : R_RUNTIME;
  else {
    reasons |= bestBroken;
    for (let m = 0; m < METRICS; m++) balanced += normOf(level, best, m);
  }
  out(12 + level, best);
  store<f64>(SCORES + (level << 3), reasons == 0 ? bestScore : NaN);
  store<f64>(BALANCED + (level << 3), balanced);
  return reasons;
}

/** An input weight relative to the largest, `top` (which may be Infinity). */
@inline function inputWeight(m: i32, top: f64): f64 {
  const w = input(4 + m);
  return w == top ? 1 : w / top;
}

// Weights: each need spreads one unit over its own metrics; explicit weights add one unit in
// their own proportions; with neither, every metric counts the same.
function setWeights(needs: u32, useInputWeights: bool): void {
  let count = 0;
  memory.fill(WEIGHTS, 0, METRICS << 3);
  for (let n = 0; n < NEED_COUNT; n++) {
    if (!((needs >> n) & 1)) continue;
    const metrics = load<u32>(NEEDS + (n << 2)) >>> 8;
    const share = 1.0 / <f64>popcnt(metrics);
    for (let m = 0; m < METRICS; m++) {
      if ((metrics >> m) & 1) store<f64>(WEIGHTS + (m << 3), load<f64>(WEIGHTS + (m << 3)) + share);
    }
    count++;
  }
  if (count > 1) {
    for (let m = 0; m < METRICS; m++) store<f64>(WEIGHTS + (m << 3), load<f64>(WEIGHTS + (m << 3)) / count);
  }
  // Only proportions count: scaled by the largest weight first, huge weights keep a finite sum.
  let top: f64 = 0, sum: f64 = 0;
  if (useInputWeights) for (let m = 0; m < METRICS; m++) top = max(top, input(4 + m));
  if (top > 0) for (let m = 0; m < METRICS; m++) sum += inputWeight(m, top);
  if (sum > 0) {
    for (let m = 0; m < METRICS; m++) store<f64>(WEIGHTS + (m << 3), load<f64>(WEIGHTS + (m << 3)) + inputWeight(m, top) / sum);
  } else if (count == 0) {
    for (let m = 0; m < METRICS; m++) store<f64>(WEIGHTS + (m << 3), 1);
  }
}

function weightedScore(level: i32, r: i32): f64 {
  let s: f64 = 0, w: f64 = 0;
  for (let m = 0; m < METRICS; m++) {
    const wm = load<f64>(WEIGHTS + (m << 3));
    s += wm * normOf(level, r, m);
    w += wm;
  }
  return atPrecision(s / w);
}

@inline function better(a: i32, b: i32): bool {
  const sa = score(a), sb = score(b);
  if (sa != sb) return sa > sb;
  const ba = load<f64>(BALANCED + (a << 3)), bb = load<f64>(BALANCED + (b << 3));
  return ba != bb ? ba > bb : a < b;
}

/** The best-scoring level among the bits of `mask` (bits 1..4), or 0. */
function bestOf(mask: u32): i32 {
  let best = 0;
  for (let l = 1; l <= 4; l++) {
    if ((mask >> l) & 1 && (best == 0 || better(l, best))) best = l;
  }
  return best;
}

/**
 * Scores and feasibility of L1..L4; returns the feasible mask (bits 1..4). flags bits 1–2: the
 * artifact (0 any, 1 container, 2 wasm, 3 vm), matched against each runtime's `runs` bits.
 */
function evaluate(scenario: i32, runtimes: u32, flags: i32): u32 {
  const artifact = (flags >> 1) & 3;
  const artifacts: u32 = artifact ? 1 << (artifact - 1) : 7;
  let feasible: u32 = 0;
  for (let l = 1; l <= 4; l++) {
    const reasons = assess(l, scenario, runtimes, artifacts);
    out(8 + l, reasons);
    if (reasons == 0) feasible |= 1 << l;
  }
  out(17, feasible);
  return feasible;
}

/** order[4]: the answer, the fallback, the other feasible levels by score, then the rest. */
function writeOrder(pick: i32, fallback: i32, feasible: u32): void {
  let slot = 5;
  if (pick) out(slot++, pick);
  if (fallback) out(slot++, fallback);
  let rest = feasible & ~((1 << pick) | (1 << fallback));
  for (let next = bestOf(rest); next; next = bestOf(rest)) {
    out(slot++, next);
    rest &= ~(1 << next);
  }
  for (let l = 1; l <= 4; l++) if (!((feasible >> l) & 1)) out(slot++, l);
}

function finish(pick: i32, fallback: i32, rule: i32, feasible: u32): i32 {
  writeOrder(pick, fallback, feasible);
  out(0, pick);
  out(1, pick ? outAt(12 + pick) : -1);
  out(2, fallback);
  out(3, fallback ? outAt(12 + fallback) : -1);
  out(4, rule);
  return pick;
}

/**
 * Rules 1–6 of docs/API.md. scenario, performance, security: indices (-1 none); needs: a bit per
 * need; runtimes: a bit per runtime on the node; flags bit 0: use the weights in IN, bits 1–2:
 * the artifact (0 any).
 * Returns the level (1..4), or 0 when nothing is feasible.
 */
export function decide(scenario: i32, performance: i32, security: i32, needs: u32, runtimes: u32, flags: i32): i32 {
  setWeights(needs, (flags & 1) != 0);
  const feasible = evaluate(scenario, runtimes, flags);
  const base = SCENARIOS + scenario * SCENARIO_STRIDE;
  const second: i32 = scenario >= 0 ? load<u8>(base + 1) : 0;

  // Rule 2: the source's own order, when what it picks is feasible.
  let pick = 0, rule = RULE_NONE;
  if (scenario >= 0) {
    const first = <i32>load<u8>(base);
    rule = RULE_SCENARIO;
    if ((feasible >> first) & 1) pick = first;
  } else if (performance >= 0) {
    rule = RULE_PERFORMANCE;
    pick = bestOf(load<u32>(NEEDS + (performance << 2)) & feasible);
  } else if (security >= 0) {
    rule = RULE_SECURITY;
    pick = bestOf(load<u32>(NEEDS + (security << 2)) & feasible);
  } else {
    rule = RULE_DEFAULT;
    if ((feasible >> DEFAULT_LEVEL) & 1) pick = DEFAULT_LEVEL;
  }
  // Rule 3: the scenario's second choice, else the best by score.
  if (!pick) {
    if (second && (feasible >> second) & 1) {
      pick = second; rule = RULE_SECOND_CHOICE;
    } else {
      pick = bestOf(feasible); rule = pick ? RULE_SCORE : RULE_NONE;
    }
  }
  const rest = feasible & ~(1 << pick);
  const fallback = second && (rest >> second) & 1 ? second : bestOf(rest);
  return finish(pick, fallback, rule, feasible);
}

/** The best feasible level by the weights in IN alone (POST /v1/rank). */
export function rank(runtimes: u32, flags: i32): i32 {
  setWeights(0, true);
  const feasible = evaluate(-1, runtimes, flags);
  const pick = bestOf(feasible);
  return finish(pick, 0, pick ? RULE_SCORE : RULE_NONE, feasible);
}

/** Per metric of the core matrix, which of levels a and b (0..4) is better; returns a's wins. */
export function compare(a: i32, b: i32): i32 {
  let wins = 0;
  for (let m = 0; m < METRICS; m++) {
    const va = midpoint(a, m), vb = midpoint(b, m);
    let verdict: u8 = 0;
    if (va != va || vb != vb) verdict = 3;
    else if (va != vb) verdict = ((DIRECTION >> m) & 1 ? va > vb : va < vb) ? 1 : 2;
    if (verdict == 1) wins++;
    store<u8>(COMPARISON + m, verdict);
  }
  return wins;
}
