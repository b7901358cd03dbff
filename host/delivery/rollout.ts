// A staged rollout, as the signer orders it inside the signed statement (so nobody without the key
// can speed it up or loosen it): a plan of steps — from `after` seconds past its start, agents
// whose bucket is below `percent` may adopt — and a guard: each agent decides its live requests
// with the candidate too (shadow.ts), and adopts only if at most `maxChangedShare` of at least
// `minShadowDecisions` decisions changed, after a `bake` of watching once its step opened.
// An agent's bucket is a stable hash of its node name and the policy's name onto [0, 100).
// Everything here is pure and runtime-neutral; the manager holds the candidate (manager.ts).
import { parseSignedTime } from "./signed-time.ts";

export interface RolloutStep {
  /** Agents whose bucket is below this (0 < percent ≤ 100) may adopt once the step opens. */
  percent: number;
  /** Seconds after the plan's start when the step opens. */
  after: number;
}

export interface Rollout {
  /** When the plan starts (ISO 8601); default: the statement's issuedAt. */
  start?: string;
  /** Percents strictly increasing, the last 100; `after` never decreasing. */
  steps: RolloutStep[];
}

export interface Guard {
  /** The largest share (0–1) of shadow decisions the candidate may change. */
  maxChangedShare: number;
  /** Fewer shadow decisions than this and the guard cannot speak (the agent adopts when its step opens and the bake has passed). */
  minShadowDecisions: number;
  /** Seconds the agent keeps deciding with the candidate in the shadow after its step opens (or it first saw it, if later). */
  bake: number;
}

/** The statement's fields this module reads (in the statement's payload beside name, serial, …). */
export interface Staged {
  issuedAt: string;
  rollout?: Rollout;
  guard?: Guard;
}

const MAX_STEPS = 20;
const MAX_AFTER_S = 366 * 86_400;
const MAX_BAKE_S = 30 * 86_400;
const MAX_MIN_DECISIONS = 1_000_000_000;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const unknownKey = (o: Record<string, unknown>, allowed: readonly string[]) => Object.keys(o).find((k) => !allowed.includes(k));

/** Why a statement's rollout or guard is malformed; null when they are absent or well-formed. */
export function rolloutProblem(st: { rollout?: unknown; guard?: unknown }): string | null {
  if (st.rollout !== undefined) {
    const r = st.rollout;
    if (!isObject(r)) return "rollout must be an object { steps, start? }";
    const extra = unknownKey(r, ["steps", "start"]);
    if (extra) return `rollout has an unknown field "${extra.slice(0, 40)}"`;
    if (r.start !== undefined && (typeof r.start !== "string" || parseSignedTime(r.start) === null))
      return "rollout.start must be an RFC 3339 time with Z or an offset (2026-01-31T12:00:00Z)";
    const problem = stepsProblem(r.steps);
    if (problem) return `rollout.steps: ${problem}`;
  }
  if (st.guard !== undefined) {
    const g = st.guard;
    if (!isObject(g)) return "guard must be an object { maxChangedShare, minShadowDecisions, bake }";
    const extra = unknownKey(g, ["maxChangedShare", "minShadowDecisions", "bake"]);
    if (extra) return `guard has an unknown field "${extra.slice(0, 40)}"`;
    if (typeof g.maxChangedShare !== "number" || !(g.maxChangedShare >= 0 && g.maxChangedShare <= 1))
      return "guard.maxChangedShare must be a number from 0 to 1";
    if (!Number.isSafeInteger(g.minShadowDecisions) || (g.minShadowDecisions as number) < 0 || (g.minShadowDecisions as number) > MAX_MIN_DECISIONS)
      return `guard.minShadowDecisions must be an integer from 0 to ${MAX_MIN_DECISIONS}`;
    if (!Number.isSafeInteger(g.bake) || (g.bake as number) < 0 || (g.bake as number) > MAX_BAKE_S)
      return `guard.bake must be a whole number of seconds from 0 to ${MAX_BAKE_S} (30 days)`;
  }
  return null;
}

function stepsProblem(steps: unknown): string | null {
  if (!Array.isArray(steps) || steps.length === 0) return "must be a non-empty list of { percent, after }";
  if (steps.length > MAX_STEPS) return `at most ${MAX_STEPS} steps, got ${steps.length}`;
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i];
    if (!isObject(s)) return `step ${i + 1} must be an object { percent, after }`;
    const extra = unknownKey(s, ["percent", "after"]);
    if (extra) return `step ${i + 1} has an unknown field "${extra.slice(0, 40)}"`;
    if (typeof s.percent !== "number" || !(s.percent > 0 && s.percent <= 100))
      return `step ${i + 1}: percent must be more than 0 and at most 100, got ${String(s.percent).slice(0, 20)}`;
    if (!Number.isSafeInteger(s.after) || (s.after as number) < 0 || (s.after as number) > MAX_AFTER_S)
      return `step ${i + 1}: after must be a whole number of seconds from 0 to ${MAX_AFTER_S} (366 days), got ${String(s.after).slice(0, 20)}`;
    const prev = steps[i - 1] as RolloutStep | undefined;
    if (prev && s.percent <= prev.percent) return `percents must increase: step ${i + 1} (${s.percent}%) is not above step ${i} (${prev.percent}%)`;
    if (prev && (s.after as number) < prev.after)
      return `a step cannot open before the one before it: step ${i + 1} at ${formatDuration(s.after as number)}, step ${i} at ${formatDuration(prev.after)}`;
  }
  const last = steps[steps.length - 1] as RolloutStep;
  if (last.percent !== 100)
    return `the last step must be 100% (every agent adopts in the end), got ${last.percent}%; to stop a rollout, publish a higher serial (policy halt)`;
  return null;
}

// ---- the flags of `policy sign` -------------------------------------------------------------

/** A mistake in a flag's value: the CLI shows it with exit 2; `flag` names the flag. */
export class StagingFlagError extends Error {
  readonly flag: string;
  constructor(flag: string, message: string) {
    super(`${flag}: ${message}`);
    this.name = "StagingFlagError";
    this.flag = flag;
  }
}

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 7 * 86_400 };

/** "0s", "30m", "2h", "1d", "2w" (or a bare 0) as seconds; undefined when it is none of those. */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  if (t === "0") return 0;
  const m = /^(\d{1,9})([smhdw])$/.exec(t);
  return m ? Number(m[1]) * DURATION_UNITS[m[2]] : undefined;
}

/** Seconds in the largest unit that divides them: 1800 → "30m", 90 → "90s". */
export function formatDuration(seconds: number): string {
  if (seconds === 0) return "0s";
  for (const u of ["w", "d", "h", "m"]) if (seconds % DURATION_UNITS[u] === 0) return `${seconds / DURATION_UNITS[u]}${u}`;
  return `${seconds}s`;
}

const DURATION_FORMS = "a whole number with s, m, h, d or w (0s, 30m, 2h, 1d)";

/** `--rollout 1%@0s,10%@30m,50%@2h,100%@6h`: the plan's steps, checked as an agent checks them. */
export function parseRolloutFlag(text: string, flag = "--rollout"): RolloutStep[] {
  const parts = text.split(",").map((s) => s.trim());
  if (parts.some((p) => p === ""))
    throw new StagingFlagError(flag, `expects steps PERCENT%@DURATION separated by commas (e.g. 1%@0s,10%@30m,100%@6h), got "${text.slice(0, 100)}"`);
  const steps = parts.map((part) => {
    const m = /^(\d+(?:\.\d+)?)%@(.+)$/.exec(part);
    if (!m) throw new StagingFlagError(flag, `each step is PERCENT%@DURATION (e.g. 10%@30m), got "${part.slice(0, 40)}"`);
    const percent = Number(m[1]);
    const after = parseDuration(m[2]);
    if (after === undefined) throw new StagingFlagError(flag, `the duration of step "${part.slice(0, 40)}" must be ${DURATION_FORMS}`);
    return { percent, after };
  });
  const problem = stepsProblem(steps);
  if (problem) throw new StagingFlagError(flag, problem);
  return steps;
}

const GUARD_KEYS = ["max-changed", "min-decisions", "bake"] as const;

/** `--guard max-changed=5%,min-decisions=200,bake=10m`: every key is required. */
export function parseGuardFlag(text: string, flag = "--guard"): Guard {
  const given = new Map<string, string>();
  for (const part of text.split(",").map((s) => s.trim())) {
    const at = part.indexOf("=");
    const key = at > 0 ? part.slice(0, at).trim() : "";
    if (!(GUARD_KEYS as readonly string[]).includes(key))
      throw new StagingFlagError(
        flag,
        `expects ${GUARD_KEYS.map((k) => `${k}=…`).join(",")} (e.g. max-changed=5%,min-decisions=200,bake=10m), got "${part.slice(0, 40)}"`,
      );
    if (given.has(key)) throw new StagingFlagError(flag, `${key} is given twice`);
    given.set(key, part.slice(at + 1).trim());
  }
  const missing = GUARD_KEYS.filter((k) => !given.has(k));
  if (missing.length) throw new StagingFlagError(flag, `needs ${missing.join(", ")} too (all of max-changed=PERCENT%, min-decisions=N, bake=DURATION)`);
  const share = /^(\d+(?:\.\d+)?)%$/.exec(given.get("max-changed")!);
  if (!share || Number(share[1]) > 100)
    throw new StagingFlagError(flag, `max-changed must be a percent from 0% to 100% (e.g. 5%), got "${given.get("max-changed")!.slice(0, 20)}"`);
  const min = given.get("min-decisions")!;
  if (!/^\d{1,10}$/.test(min) || Number(min) > MAX_MIN_DECISIONS)
    throw new StagingFlagError(flag, `min-decisions must be a whole number from 0 to ${MAX_MIN_DECISIONS}, got "${min.slice(0, 20)}"`);
  const bake = parseDuration(given.get("bake")!);
  if (bake === undefined || bake > MAX_BAKE_S)
    throw new StagingFlagError(flag, `bake must be ${DURATION_FORMS}, at most 30d, got "${given.get("bake")!.slice(0, 20)}"`);
  return { maxChangedShare: Math.round(Number(share[1]) * 1e4) / 1e6, minShadowDecisions: Number(min), bake };
}

// ---- where an agent stands ------------------------------------------------------------------

const utf8 = new TextEncoder();

/**
 * The agent's bucket for a policy: the first 48 bits of SHA-256(policy name, NUL, node name) onto
 * [0, 100). Stable for a node and a policy, independent across policies (the canaries of one
 * policy are not always those of another).
 */
export async function rolloutBucket(nodeName: string, policyName: string): Promise<number> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", utf8.encode(`${policyName}\0${nodeName}`)));
  let x = 0;
  for (let i = 0; i < 6; i++) x = x * 256 + d[i];
  return (x / 2 ** 48) * 100;
}

/** Whether a statement asks for staging at all (no rollout and no guard: adopt at once, as always). */
export const isStaged = (st: Staged): boolean => st.rollout !== undefined || st.guard !== undefined;

/** When an agent in `bucket` may adopt: its step and when it opens (ms since the epoch). */
export function stepFor(st: Staged, bucket: number): { step: RolloutStep; index: number; opensAt: number } {
  const steps = st.rollout?.steps ?? [{ percent: 100, after: 0 }];
  const index = steps.findIndex((s) => bucket < s.percent);
  const step = steps[index === -1 ? steps.length - 1 : index];
  const start = parseSignedTime(st.rollout?.start ?? st.issuedAt)!;
  return { step, index: index === -1 ? steps.length - 1 : index, opensAt: start + step.after * 1000 };
}

/**
 * The agent's clock as a plan is judged by it. A statement was signed before it could be
 * delivered, so the real time is at least its issuedAt: a clock reading earlier than that is
 * behind and is taken up to it. A clock that is behind still opens later steps late (never
 * early); one that is ahead opens them early by at most its own skew.
 */
export const planClock = (st: Staged, now: number): number => Math.max(now, parseSignedTime(st.issuedAt)!);

/** What the shadow has seen: decisions decided with the candidate, how many changed, and live decisions it had no budget to decide. */
export interface ShadowTally {
  decisions: number;
  changed: number;
  unsampled?: number;
}

/** How soon a guard short of decisions, on an agent with traffic it could not all decide, looks again (ms). */
const GUARD_RECHECK_MS = 1000;

export type Verdict =
  | { kind: "wait"; until: number }
  | { kind: "adopt"; guard: "none" | "passed" | "silent"; message: string }
  | { kind: "refuse"; message: string };

const pct = (x: number) => `${Math.round(x * 10_000) / 100}%`;

/**
 * What an agent does with a pending candidate now: wait (until when), adopt, or refuse it. Its
 * step must have opened; with a guard, the bake must have passed since the step opened (or since
 * the agent first held it, if later), and then: at least minShadowDecisions seen → adopt when the
 * changed share is ≤ maxChangedShare, else refuse; fewer → if the share it did see changed is
 * above the maximum, refuse; if live decisions went unsampled (traffic it had no budget to decide:
 * a busy agent, not a quiet one), wait for more; else the guard cannot speak — too little traffic
 * — and the agent adopts.
 */
export function judge(st: Staged, bucket: number, heldSince: number, tally: ShadowTally, now: number): Verdict {
  const clock = planClock(st, now);
  const { opensAt } = stepFor(st, bucket);
  if (clock < opensAt) return { kind: "wait", until: opensAt };
  const g = st.guard;
  if (!g) return { kind: "adopt", guard: "none", message: "its step opened; the statement has no guard" };
  const bakeUntil = Math.max(opensAt, heldSince) + g.bake * 1000;
  if (clock < bakeUntil) return { kind: "wait", until: bakeUntil };
  const { decisions, changed } = tally;
  const limit = `at most ${pct(g.maxChangedShare)} of at least ${g.minShadowDecisions} shadow decisions may change`;
  if (decisions >= g.minShadowDecisions && decisions > 0) {
    const share = changed / decisions;
    return share <= g.maxChangedShare
      ? { kind: "adopt", guard: "passed", message: `the guard passed: ${changed} of ${decisions} shadow decisions changed (${pct(share)}); ${limit}` }
      : { kind: "refuse", message: `the guard refused it: ${changed} of ${decisions} shadow decisions changed (${pct(share)}); ${limit}` };
  }
  // too few to vouch for the candidate, but enough to refuse one seen changing more than the maximum
  if (decisions > 0 && changed / decisions > g.maxChangedShare) {
    return {
      kind: "refuse",
      message: `the guard refused it: ${changed} of only ${decisions} shadow decisions changed (${pct(changed / decisions)}), fewer decisions than it needs to vouch for it but more changes than it allows; ${limit}`,
    };
  }
  // traffic it had no budget to decide: a busy agent, whose guard will speak once it has decided enough
  if ((tally.unsampled ?? 0) > 0) return { kind: "wait", until: clock + GUARD_RECHECK_MS };
  return {
    kind: "adopt",
    guard: "silent",
    message: `the guard could not speak: ${decisions} shadow decision${decisions === 1 ? "" : "s"} seen (${changed} changed) of the ${g.minShadowDecisions} it needs; adopted when its step opened and the bake passed`,
  };
}

/** Each step of a plan with when it opens, for `policy inspect` and GET /v1/policy. */
export function planTimes(st: Staged): { percent: number; after: string; opensAt: string }[] {
  const start = parseSignedTime(st.rollout?.start ?? st.issuedAt)!;
  return (st.rollout?.steps ?? [{ percent: 100, after: 0 }]).map((s) => ({
    percent: s.percent,
    after: formatDuration(s.after),
    opensAt: new Date(start + s.after * 1000).toISOString(),
  }));
}
