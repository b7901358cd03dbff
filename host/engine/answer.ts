// Turns the module's numeric output into the answer JSON of docs/API.md, with reasons and an
// explanation a person can read.
import { OUT, REASON, RULES, type Rule, type Views } from "./abi.ts";
import type { Catalogue } from "./catalogue.ts";
import type { Decision } from "./engine.ts";
import type { Constraints } from "./request.ts";
import { stackShape, stackTable } from "./stacks.ts";
import { ARTIFACT_IDS, ARTIFACT_WORDS, LEVEL_IDS, METRIC_IDS, type PLACEABLE_LEVELS, type LevelId } from "./vocabulary.ts";

/** What one call of decide/rank left in the output buffer. */
export interface Readout {
  level: number;
  runtime: number;
  fallback: number;
  fallbackRuntime: number;
  rule: Rule;
  order: number[];
  reasons: number[];
  levelRuntime: number[];
  scores: number[];
}

export function readOut(v: Views): Readout {
  const o = v.output;
  const reasons = [0, 0, 0, 0, 0],
    levelRuntime = [-1, -1, -1, -1, -1],
    scores = [NaN, NaN, NaN, NaN, NaN];
  for (let l = 1; l <= 4; l++) {
    reasons[l] = o[OUT.reasons + l - 1];
    levelRuntime[l] = o[OUT.levelRuntime + l - 1];
    scores[l] = v.scores[l];
  }
  return {
    level: o[OUT.level],
    runtime: o[OUT.runtime],
    fallback: o[OUT.fallback],
    fallbackRuntime: o[OUT.fallbackRuntime],
    rule: RULES[o[OUT.rule]] ?? "none",
    order: [o[OUT.order], o[OUT.order + 1], o[OUT.order + 2], o[OUT.order + 3]],
    reasons,
    levelRuntime,
    scores,
  };
}

export interface RankingEntry {
  level: LevelId;
  feasible: boolean;
  score: number | null;
  reasons: string[];
  /** The runtime the level would run on (null: none on the node runs the artifact there). */
  runtime: string | null;
  runtimeClassName: string | null;
}

export interface NodeInfo {
  source: "request" | "configured" | "detected" | "planning";
  runtimes: string[];
}

/** Where an answer says the runtimes are: on a node (the agent's, or the request's), or in a cluster (the admission webhook's). */
export type Scope = "node" | "cluster";
const WHERE = {
  node: { here: "on this node", has: "the node has", lacks: "which this node lacks", on: "on the node" },
  cluster: { here: "in this cluster", has: "the cluster has", lacks: "which this cluster lacks", on: "in the cluster" },
} as const;

export interface Situation {
  scenario: number; // -1 none
  /** Default: node. */
  scope?: Scope;
  performance: number[];
  security: number[];
  constraints: Constraints;
  node: NodeInfo;
  artifact: number; // ARTIFACT_IDS index, -1 any
  /** Each level's rejections, worded once per decision (the ranking and the explanation share them). */
  rejected?: string[][];
  nodeRuntimes?: string; // the node's runtimes, listed once
}

/** Scores as answers show them: 4 decimals. */
export const round = (x: number) => Math.round(x * 1e4) / 1e4;

export class Explainer {
  readonly catalogue: Catalogue;
  private readonly providers: string[]; // per level: "kvm or kata", …
  private readonly unsuitable: string[][]; // per scenario, per level: "not suitable for …"
  private readonly fitNotes: string[][]; // per scenario, per level: its fit, in words
  private readonly stackRuntime: number[][]; // per scenario, per level: the runtime its stack names, or -1
  private readonly stacks: (string | null)[][][]; // stackTable: [scenario + 1][level][runtime + 1]

  constructor(catalogue: Catalogue) {
    this.catalogue = catalogue;
    this.providers = LEVEL_IDS.map((id) => {
      const names = catalogue.runtimes.filter((r) => r.levels.includes(id as (typeof PLACEABLE_LEVELS)[number])).map((r) => [r.id, ...r.requires].join("+"));
      return names.length > 1 ? `${names.slice(0, -1).join(", ")} or ${names.at(-1)}` : (names[0] ?? "none");
    });
    this.unsuitable = catalogue.scenarios.map((sc) => ["", ...sc.levels.map((row) => `not suitable for ${sc.name} (${row.note})`)]);
    this.fitNotes = catalogue.scenarios.map((sc) => [
      "",
      ...sc.levels.map((row) => (row.fit === "⚠️" ? `usable for ${sc.name} with drawbacks: ${row.note}` : `${row.fit} for ${sc.name}: ${row.note}`)),
    ]);
    // The runtime a scenario's stack is built on (e.g. WasmEdge in "K3s + WasmEdge 0.14.1"), if any.
    this.stackRuntime = catalogue.scenarios.map((_, s) => [-1, 1, 2, 3, 4].map((l) => (l < 0 ? -1 : stackShape(catalogue, s, l).runtime)));
    this.stacks = stackTable(catalogue);
  }

  /** When the node's runtime is not the one the recommended stack names, say so. */
  private stackNote(r: Readout, s: Situation): string {
    if (s.scenario < 0) return "";
    const named = this.stackRuntime[s.scenario][r.level];
    if (named < 0 || named === r.runtime) return "";
    const c = this.catalogue,
      rt = c.runtimes[named];
    const why =
      s.artifact >= 0 && !rt.runs.includes(ARTIFACT_IDS[s.artifact])
        ? `which does not run ${ARTIFACT_WORDS[ARTIFACT_IDS[s.artifact]]}`
        : s.node.runtimes.includes(rt.id)
          ? "which scores lower here"
          : WHERE[s.scope ?? "node"].lacks;
    return ` The recommended stack uses ${rt.name}, ${why}; ${c.runtimes[r.runtime].name} provides ${LEVEL_IDS[r.level]} here.`;
  }

  levelName(level: number): string {
    return this.catalogue.levels[level].name;
  }

  /** Why a level is out, in words; `runtime`: the one it would run on (its own figures apply). */
  rejections(level: number, bits: number, s: Situation, runtime = -1): string[] {
    const rejected = (s.rejected ??= []);
    return (rejected[level] ??= this.wordRejections(level, bits, s, runtime));
  }

  /** A level's figure text for a metric on a runtime: the runtime's own (named) where it has one. */
  private figureText(level: number, runtime: number, metric: number): string | null {
    const rt = runtime >= 0 ? this.catalogue.runtimes[runtime] : undefined;
    const own = rt?.figures.find((f) => f.metric === METRIC_IDS[metric]);
    return own ? `${own.text} (${rt!.name})` : this.catalogue.levels[level].figures[metric];
  }

  private wordRejections(level: number, bits: number, s: Situation, runtime: number): string[] {
    const out: string[] = [];
    const fig = (m: number) => this.figureText(level, runtime, m);
    if (bits & REASON.scenario) out.push(this.unsuitable[s.scenario][level]);
    const k = s.constraints;
    if (bits & REASON.coldStart) out.push(`cold start ${fig(1)} can exceed maxColdStartMs ${k.maxColdStartMs} ms`);
    if (bits & REASON.memory) {
      const memory = fig(2);
      out.push(
        memory?.includes("+")
          ? `memory ${memory} has no upper bound, so it can exceed maxMemoryMb ${k.maxMemoryMb} MB`
          : `memory ${memory} can exceed maxMemoryMb ${k.maxMemoryMb} MB`,
      );
    }
    if (bits & REASON.cpu) out.push(`CPU overhead ${fig(3)} can exceed maxCpuOverheadPct ${k.maxCpuOverheadPct} %`);
    if (bits & REASON.isolation) out.push(`isolation ${fig(0)} is below minIsolation ${k.minIsolation}`);
    if (bits & REASON.runtime) {
      const what = s.artifact >= 0 ? `no runtime for ${ARTIFACT_WORDS[ARTIFACT_IDS[s.artifact]]} at ${LEVEL_IDS[level]}` : "no runtime for it";
      const needs = s.artifact >= 0 ? this.runners(level, s.artifact, "needs ") : `needs ${this.providers[level]}`;
      const w = WHERE[s.scope ?? "node"];
      out.push(
        s.node.runtimes.length
          ? `${what} ${w.here} (${needs}; ${w.has} ${(s.nodeRuntimes ??= s.node.runtimes.join(", "))})`
          : `${what} ${w.here} (${needs}; ${w.has} none)`,
      );
    }
    if (bits & REASON.artifact) out.push(this.wrongArtifact(level, s));
    return out;
  }

  /** "gvisor or firecracker+kvm" for the runtimes of the policy that run the artifact at the level. */
  private runners(level: number, artifact: number, prefix: string): string {
    const ids = this.catalogue.runtimes
      .filter((r) => (r.levels as string[]).includes(LEVEL_IDS[level]) && r.runs.includes(ARTIFACT_IDS[artifact]))
      .map((r) => [r.id, ...r.requires].join("+"));
    return ids.length ? `${prefix}${orList(ids)}` : `no runtime of this policy runs ${ARTIFACT_WORDS[ARTIFACT_IDS[artifact]]} at ${LEVEL_IDS[level]}`;
  }

  /** "no runtime for container images at L4 on this node (WasmEdge and Wasmtime run Wasm modules; gVisor or Firecracker would run it)". */
  private wrongArtifact(level: number, s: Situation): string {
    const c = this.catalogue,
      id = LEVEL_IDS[level];
    const present = new Set(s.node.runtimes);
    const here = c.runtimes.filter((r) => (r.levels as string[]).includes(id) && present.has(r.id) && r.requires.every((q) => present.has(q)));
    const groups = new Map<string, string[]>();
    for (const r of here) {
      const runs = r.runs.map((a) => ARTIFACT_WORDS[a]).join(" and ");
      groups.set(runs, [...(groups.get(runs) ?? []), r.name]);
    }
    const have = [...groups].map(([runs, names]) => `${andList(names)} ${names.length > 1 ? "run" : "runs"} ${runs}`).join("; ");
    const would = c.runtimes.filter((r) => (r.levels as string[]).includes(id) && r.runs.includes(ARTIFACT_IDS[s.artifact])).map((r) => r.name);
    const words = ARTIFACT_WORDS[ARTIFACT_IDS[s.artifact]];
    const tail = would.length ? `${orList(would)} would run it` : `no runtime of this policy runs ${words} at ${id}`;
    return `no runtime for ${words} at ${id} ${WHERE[s.scope ?? "node"].here} (${have}; ${tail})`;
  }

  /** Caveats of a feasible level: its fit for the scenario. */
  notes(level: number, s: Situation): string[] {
    return s.scenario < 0 ? [] : [this.fitNotes[s.scenario][level]];
  }

  ranking(r: Readout, s: Situation): RankingEntry[] {
    return r.order.map((l) => {
      const feasible = r.reasons[l] === 0;
      const rt = r.levelRuntime[l] >= 0 ? this.catalogue.runtimes[r.levelRuntime[l]] : undefined;
      return {
        level: LEVEL_IDS[l],
        feasible,
        score: feasible ? round(r.scores[l]) : null,
        reasons: feasible ? this.notes(l, s) : this.rejections(l, r.reasons[l], s, r.levelRuntime[l]),
        runtime: rt?.id ?? null,
        runtimeClassName: rt?.runtimeClassName ?? null,
      };
    });
  }

  /** The stack an answer names (host/engine/stacks.ts): the scenario's, with the runtime the level runs on. */
  stack(level: number, runtime: number, scenario: number): string | null {
    return this.stacks[scenario + 1][level][runtime + 1];
  }

  /** The whole answer of POST /v1/decide, from the module's readout. */
  decision(r: Readout, s: Situation, policy: Decision["policy"], id: string): Decision {
    const runtime = r.level ? this.catalogue.runtimes[r.runtime] : undefined;
    const fbRuntime = r.fallback ? this.catalogue.runtimes[r.fallbackRuntime] : undefined;
    return {
      level: r.level ? LEVEL_IDS[r.level] : null,
      levelName: r.level ? this.levelName(r.level) : null,
      runtime: runtime?.id ?? null,
      runtimeClassName: runtime?.runtimeClassName ?? null,
      artifact: s.artifact >= 0 ? ARTIFACT_IDS[s.artifact] : null,
      stack: this.stack(r.level, r.runtime, s.scenario),
      fallback: r.fallback
        ? {
            level: LEVEL_IDS[r.fallback],
            levelName: this.levelName(r.fallback),
            runtime: fbRuntime?.id ?? null,
            runtimeClassName: fbRuntime?.runtimeClassName ?? null,
            stack: this.stack(r.fallback, r.fallbackRuntime, s.scenario),
          }
        : null,
      rule: r.rule,
      ranking: this.ranking(r, s),
      explanation: this.explanation(r, s),
      node: s.node,
      policy,
      decisionId: id,
    };
  }

  explanation(r: Readout, s: Situation): string {
    if (!r.level) {
      const why = [1, 2, 3, 4].map((l) => `${LEVEL_IDS[l]} ${this.rejections(l, r.reasons[l], s, r.levelRuntime[l]).join(", ")}`);
      return `0/4 levels are available: ${why.join("; ")}.`;
    }
    return this.why(r, s) + this.stackNote(r, s);
  }

  private why(r: Readout, s: Situation): string {
    const c = this.catalogue;
    const head = `${LEVEL_IDS[r.level]} (${this.levelName(r.level)})`;
    const rt = c.runtimes[r.runtime];
    const runs = s.artifact >= 0 ? ` and runs ${ARTIFACT_WORDS[ARTIFACT_IDS[s.artifact]]}` : "";
    const runtime =
      s.node.source === "planning"
        ? `${rt.name} assumed (planning mode: no node profile, every runtime counted)${runs ? `; it runs ${ARTIFACT_WORDS[ARTIFACT_IDS[s.artifact]]}` : ""}`
        : `${rt.name} is ${s.node.source === "request" ? WHERE[s.scope ?? "node"].on : "installed"}${runs}`;
    const sc = s.scenario >= 0 ? c.scenarios[s.scenario] : undefined;
    const need = (i: number) => c.needs[i];
    switch (r.rule) {
      case "scenario":
        return `${head}: the recommended level for ${sc!.name}; ${runtime}.`;
      case "performance":
      case "security": {
        const n = need((r.rule === "performance" ? s.performance : s.security)[0]);
        return `${head}: the level for ${n.name} (${n.reason}); ${runtime}.`;
      }
      case "default":
        return `${head}: the default level when no scenario or need decides; ${runtime}.`;
      case "second-choice":
        return `${head}: the second choice for ${sc!.name}, since ${this.unavailable(r, s)}; ${runtime}.`;
      default: {
        const score = round(r.scores[r.level]);
        const since = this.ruleCandidates(s).length ? `, since ${this.unavailable(r, s)}` : "";
        return `${head}: the best feasible level by score (${score})${since}; ${runtime}.`;
      }
    }
  }

  /** The levels the source's rule would have picked (rule 2). */
  private ruleCandidates(s: Situation): number[] {
    const c = this.catalogue;
    const ids =
      s.scenario >= 0
        ? [c.scenarios[s.scenario].first]
        : s.performance.length
          ? c.needs[s.performance[0]].levels
          : s.security.length
            ? c.needs[s.security[0]].levels
            : [c.defaultLevel];
    return ids.map((id) => LEVEL_IDS.indexOf(id));
  }

  private unavailable(r: Readout, s: Situation): string {
    return this.ruleCandidates(s)
      .map((l) => `${LEVEL_IDS[l]} is not available (${this.rejections(l, r.reasons[l], s, r.levelRuntime[l]).join(", ")})`)
      .join(" and ");
  }
}

const orList = (xs: string[]) => (xs.length > 1 ? `${xs.slice(0, -1).join(", ")} or ${xs.at(-1)}` : (xs[0] ?? ""));
const andList = (xs: string[]) => (xs.length > 1 ? `${xs.slice(0, -1).join(", ")} and ${xs.at(-1)}` : (xs[0] ?? ""));
