// The soak's traffic: valid requests of every kind (decide, batch, rank, compare) drawn at random
// from the policy's catalogue, and the check of each answer. Every request is valid, so every
// answer must be a 200 whose content is whole and names a policy the agent was given.
import type { Catalogue } from "../../host/engine/catalogue.ts";

export type Route = "decide" | "batch" | "rank" | "compare";

export interface SoakRequest {
  route: Route;
  method: "GET" | "POST";
  path: string;
  body?: string;
  /** Checks the parsed 200 body; returns what is wrong, or null. */
  check: (body: any) => string | null;
}

const LEVELS = ["L1", "L2", "L3", "L4"];
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)];
const some = <T>(xs: readonly T[], max: number): T[] => [...xs].sort(() => Math.random() - 0.5).slice(0, Math.floor(Math.random() * (max + 1)));

/** `stackOf`: for each policy version the agent may serve, the stack it names for edge on L4 (planning mode). */
export function requestMaker(c: Catalogue, stackOf: Record<string, string>) {
  const group = (g: string) => c.needs.filter((n) => n.group === g).map((n) => n.id);
  const needs = { performance: group("performance"), security: group("security"), cost: group("cost") };
  const runtimes = c.runtimes.map((r) => r.id),
    metrics = c.metrics.map((m) => m.id),
    scenarios = c.scenarios.map((s) => s.id);

  const constraints = () =>
    Math.random() < 0.5
      ? undefined
      : {
          ...(Math.random() < 0.5 ? { maxColdStartMs: Math.round(Math.random() * 5000) } : {}),
          ...(Math.random() < 0.5 ? { maxMemoryMb: Math.round(Math.random() * 256) } : {}),
          ...(Math.random() < 0.3 ? { minIsolation: 1 + Math.floor(Math.random() * 5) } : {}),
        };
  const node = () => (Math.random() < 0.5 ? undefined : { runtimes: some(runtimes, runtimes.length) });
  const weights = () => Object.fromEntries(some(metrics, 3).map((m) => [m, Math.round(Math.random() * 10) / 10]));
  const workload = () => {
    const cs = constraints();
    return {
      scenario: pick(scenarios),
      performance: some(needs.performance, 2),
      security: some(needs.security, 2),
      cost: some(needs.cost, 1),
      ...(Math.random() < 0.3 ? { weights: weights() } : {}),
      ...(cs ? { constraints: cs } : {}),
    };
  };

  const versionProblem = (d: any) => (d?.policy?.version in stackOf ? null : `unknown policy version ${d?.policy?.version}`);
  const decisionProblem = (d: any): string | null => {
    if (
      !Array.isArray(d?.ranking) ||
      d.ranking
        .map((r: any) => r.level)
        .sort()
        .join() !== LEVELS.join()
    )
      return "the ranking does not list L1–L4 once each";
    if (d.level !== null && !d.ranking.find((r: any) => r.level === d.level)?.feasible) return `level ${d.level} is not feasible in its own ranking`;
    return versionProblem(d);
  };
  /** Edge in planning mode: L4 with the stack of the policy version the answer names, i.e. one module answered it whole. */
  const edgeProblem = (d: any): string | null =>
    decisionProblem(d) ?? (d.stack === stackOf[d.policy.version] ? null : `policy ${d.policy.version} answered stack "${d.stack}"`);

  const decide = (): SoakRequest => {
    if (Math.random() < 0.25) return { route: "decide", method: "POST", path: "/v1/decide", body: '{"workload":{"scenario":"edge"}}', check: edgeProblem };
    const n = node();
    const req = { workload: workload(), ...(n ? { node: n } : {}) };
    return { route: "decide", method: "POST", path: "/v1/decide", body: JSON.stringify(req), check: decisionProblem };
  };
  const batch = (): SoakRequest => {
    const items = Array.from({ length: 2 + Math.floor(Math.random() * 19) }, (_, i) =>
      i === 0 ? { workload: { scenario: "edge" } } : { workload: workload() },
    );
    return {
      route: "batch",
      method: "POST",
      path: "/v1/decide/batch",
      body: JSON.stringify({ items }),
      check: (b) => {
        if (b?.results?.length !== items.length) return `${b?.results?.length} results for ${items.length} items`;
        const wrong = b.results.map((d: any, i: number) => (i === 0 ? edgeProblem : decisionProblem)(d)).find(Boolean);
        if (wrong) return wrong;
        return new Set(b.results.map((d: any) => d.policy.version)).size === 1 ? null : "a batch mixed two policies";
      },
    };
  };
  const rank = (): SoakRequest => {
    const cs = constraints(),
      n = node();
    return {
      route: "rank",
      method: "POST",
      path: "/v1/rank",
      body: JSON.stringify({ weights: weights(), ...(cs ? { constraints: cs } : {}), ...(n ? { node: n } : {}) }),
      check: (r) => (r?.ranking?.length === 4 ? versionProblem(r) : "the ranking does not have four levels"),
    };
  };
  const compare = (): SoakRequest => {
    const [a, b] = some(LEVELS, 4).concat(LEVELS).slice(0, 2);
    const pair = a === b ? ["L1", "L4"] : [a, b];
    return {
      route: "compare",
      method: "GET",
      path: `/v1/compare?a=${pair[0]}&b=${pair[1]}`,
      check: (r) => (Array.isArray(r?.metrics) && r.metrics.length > 0 ? null : "no metrics compared"),
    };
  };

  // the mix: half single decisions, then batches, rankings and comparisons
  return (): SoakRequest => {
    const x = Math.random();
    return x < 0.5 ? decide() : x < 0.7 ? batch() : x < 0.85 ? rank() : compare();
  };
}
