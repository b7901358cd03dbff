// Equivalence before any timing: the Rego rules and isoplace must decide alike. Requests are
// sampled (seeded, uniformly, without repeats) from the request space `policy diff` walks
// (host/engine/diff-space.ts: every scenario, need set, artifact, node profile and constraint
// boundary); each is decided by engine.decide and by OPA, and the level, runtime, rule, fallback
// and the ranking's order, feasibility, runtimes and scores (to the four decimals isoplace
// answers with) must be the same.
import { round } from "../../../host/engine/answer.ts";
import type { Decision, Engine } from "../../../host/engine/engine.ts";
import { buildSpace, requestOf, spaceSize, type SpaceRequest } from "../../../host/engine/diff-space.ts";
import { random } from "../../mix.ts";
import type { OpaDecision } from "./opa.ts";

/** `count` distinct requests of the diff space, seeded: the same ones on every run. */
export function sampleSpace(engine: Engine, count: number, seed = 25): { requests: SpaceRequest[]; spaceSize: number } {
  const s = buildSpace([engine]);
  const size = spaceSize(s);
  const common = s.scenarios.length * s.artifacts.length * s.profiles.length;
  const withoutConstraint = common * s.needs.length;
  const rnd = random(seed);
  const picked = new Set<number>();
  while (picked.size < Math.min(count, size)) picked.add(Math.floor(rnd() * size));
  const requests = [...picked].map((i) => {
    // the index in mixed radix: scenario, artifact, profile, then the need set (and constraint)
    const scenario = s.scenarios[i % s.scenarios.length].value;
    let rest = Math.floor(i / s.scenarios.length);
    const artifact = s.artifacts[rest % s.artifacts.length].value;
    rest = Math.floor(rest / s.artifacts.length);
    const profile = s.profiles[rest % s.profiles.length].value;
    rest = Math.floor(rest / s.profiles.length);
    if (i < withoutConstraint) return requestOf(scenario, s.needs[rest].value, artifact, profile, null);
    rest -= s.needs.length;
    const needs = s.simpleNeeds[rest % s.simpleNeeds.length].value;
    const constraint = s.constraints[Math.floor(rest / s.simpleNeeds.length)].value;
    return requestOf(scenario, needs, artifact, profile, constraint);
  });
  return { requests, spaceSize: size };
}

/** Where OPA's decision differs from isoplace's answer (empty: the same decision). */
export function differences(isoplace: Decision, opa: OpaDecision | undefined): string[] {
  if (!opa) return ["OPA gave no decision"];
  const out: string[] = [];
  const same = (field: string, a: unknown, b: unknown) => {
    if (a !== b) out.push(`${field}: isoplace ${JSON.stringify(a)}, OPA ${JSON.stringify(b)}`);
  };
  same("level", isoplace.level, opa.level);
  same("runtime", isoplace.runtime, opa.runtime);
  same("rule", isoplace.rule, opa.rule);
  same("fallback", isoplace.fallback?.level ?? null, opa.fallback?.level ?? null);
  same("fallback runtime", isoplace.fallback?.runtime ?? null, opa.fallback?.runtime ?? null);
  const ranking = (r: OpaDecision["ranking"]) =>
    r.map((e) => `${e.level}${e.feasible ? "" : "✗"}:${e.runtime}@${e.score === null ? null : round(e.score)}`).join(" ");
  same("ranking", ranking(isoplace.ranking), ranking(opa.ranking));
  return out;
}

export interface Mismatch {
  request: unknown;
  differences: string[];
}
export interface Equivalence {
  checked: number;
  mismatches: Mismatch[];
  byRule: Record<string, number>;
  infeasible: number;
}

/** Every request through both; the mismatches, with what differs. */
export function checkEquivalence(engine: Engine, requests: readonly unknown[], opa: (request: unknown) => OpaDecision | undefined): Equivalence {
  const result: Equivalence = { checked: 0, mismatches: [], byRule: {}, infeasible: 0 };
  for (const request of requests) {
    const answer = engine.decide(request);
    const diff = differences(answer, opa(request));
    if (diff.length) result.mismatches.push({ request, differences: diff });
    result.checked++;
    result.byRule[answer.rule] = (result.byRule[answer.rule] ?? 0) + 1;
    if (!answer.level) result.infeasible++;
  }
  return result;
}

/** A mismatch for a message: the request and what differs. */
export const describeMismatch = (m: Mismatch): string => `${JSON.stringify(m.request)}: ${m.differences.join("; ")}`;
