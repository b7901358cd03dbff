// The engine: loads and verifies a policy module, then answers decide / rank / compare and the
// catalogue from it. Imports nothing from Node or HTTP, so every host (Node agent, Worker, CLI,
// library) uses it as is.
import { instantiateSync } from "@assemblyscript/loader";
import { ABI_VERSION, ALLOWED_IMPORTS, META_SECTION, OUT, REQUIRED_EXPORTS, RULES, flags, views, type PolicyExports, type Views } from "./abi.ts";
import { sha256Hex } from "./digest.ts";
import { Explainer, readOut, round, type NodeInfo, type RankingEntry, type Scope, type Situation } from "./answer.ts";
import { vectorNames, type Catalogue } from "./catalogue.ts";
import { decisionId } from "./decision-id.ts";
import { InvalidRequestError, PolicyRejectedError, PolicyTrapError } from "./errors.ts";
import { inflateRaw } from "./inflate.ts";
import { FastDecideParser } from "./fast-request.ts";
import { asFigure, figureOf, runtimeFigureOf, type Figure } from "./figures.ts";
import { recommendedStack } from "./stacks.ts";
import { requestTables, type Constraints, type Placement, type RequestTables } from "./request.ts";
import type { RequestSchemas } from "./request-schemas.ts";
import { loadValidation, validation, validationDeferred } from "./validation.ts";
import { ARTIFACT_IDS, LEVEL_IDS, METRIC_IDS, PLACEABLE_LEVELS, type ArtifactId, type LevelId, type MetricId } from "./vocabulary.ts";
import { readMeta } from "./meta.ts";
import { readVectors, type SelfTestVector } from "./vectors.ts";
import { ACTIVATION_BUDGET, armOf, budgetOf, CALL_BUDGET, compileMetered, exhausted, exhaustedError } from "./budget.ts";

export interface NodeProfile {
  source: "configured" | "detected";
  runtimes: string[];
}
export interface EngineOptions {
  /** The node's runtimes when a request names none; absent: planning mode (every runtime). */
  node?: NodeProfile;
  /** false: load a module even when its self-test vectors fail (`policy test` reports each case). */
  selfTest?: boolean;
}

/**
 * Per call: a caller that derives its own decision id (admission: from the review's uid), and
 * where the request's runtimes are (the webhook's are a cluster's: its answers say so).
 */
export interface DecideOptions {
  decisionId?: string;
  scope?: Scope;
}
/** What placedOf() returns: a decision's placement alone, without ranking or explanation. */
export interface Placed {
  level: LevelId | null;
  runtime: string | null;
  runtimeClassName: string | null;
  stack: string | null;
  rule: string;
}

export interface PolicyInfo {
  name: string;
  version: string;
  sha256: string;
  abi: number;
  moduleSha256?: string;
  compiler: string;
}

export interface Decision {
  level: LevelId | null;
  levelName: string | null;
  runtime: string | null;
  runtimeClassName: string | null;
  /** The artifact decided for (null: any). */
  artifact: ArtifactId | null;
  stack: string | null;
  fallback: { level: LevelId; levelName: string; runtime: string | null; runtimeClassName: string | null; stack: string | null } | null;
  rule: string;
  ranking: RankingEntry[];
  explanation: string;
  node: NodeInfo;
  policy: { name: string; version: string; sha256: string };
  decisionId: string;
}

export interface RankAnswer {
  best: LevelId | null;
  artifact: ArtifactId | null;
  ranking: RankingEntry[];
  explanation: string;
  node: NodeInfo;
  policy: Decision["policy"];
}

export interface Comparison {
  a: LevelId;
  b: LevelId;
  metrics: { metric: MetricId; direction: "higher" | "lower"; a: Figure | null; b: Figure | null; better: LevelId | "tie" | null }[];
  wins: Record<string, number>;
}

const imports = {
  env: {
    abort: () => {
      throw new Error("policy module aborted");
    },
  },
};
const utf8 = new TextDecoder();

export class Engine {
  readonly policy: PolicyInfo;
  /** The policy as every answer names it (one frozen object, not one per answer). */
  private readonly policyRef: Decision["policy"];
  readonly catalogue: Catalogue;
  readonly module: WebAssembly.Module;
  readonly tables: RequestTables;
  private zodSchemas?: RequestSchemas;
  private x!: PolicyExports;
  private v!: Views;
  private decideFn!: PolicyExports["decide"];
  private budget: WebAssembly.Global | undefined;
  private arm: ((units: number) => void) | undefined;
  private readonly explain: Explainer;
  private readonly fastDecide: FastDecideParser;
  private readonly node: NodeInfo;
  private readonly allRuntimes: number;

  /** Use loadPolicy()/createEngine(); the constructor takes an already verified instance. */
  constructor(module: WebAssembly.Module, exports: PolicyExports, catalogue: Catalogue, policy: PolicyInfo, options: EngineOptions, from?: Engine) {
    this.module = module;
    this.catalogue = catalogue;
    this.policy = policy;
    this.policyRef = Object.freeze({ name: policy.name, version: policy.version, sha256: policy.sha256 });
    this.attach(exports);
    // Another engine of the same policy (withNode) lends what depends on the policy alone.
    this.tables = from?.tables ?? requestTables(catalogue);
    this.fastDecide = from?.fastDecide ?? new FastDecideParser(catalogue, this.tables);
    this.explain = from?.explain ?? new Explainer(catalogue);
    this.zodSchemas = from?.zodSchemas;
    this.allRuntimes = (1 << catalogue.runtimes.length) - 1;
    this.node = options.node
      ? { source: options.node.source, runtimes: options.node.runtimes.filter((r) => this.tables.runtime.index.has(r)) }
      : { source: "planning", runtimes: catalogue.runtimes.map((r) => r.id) };
  }

  /** The request schemas (zod): full validation with field errors, and OpenAPI. Built on first use. */
  get schemas(): RequestSchemas {
    return (this.zodSchemas ??= validation().requestSchemas(this.catalogue, this.tables));
  }

  private attach(exports: PolicyExports): void {
    this.x = exports;
    this.v = views(exports, this.catalogue.scenarios.length);
    this.decideFn = exports.decide;
    this.budget = budgetOf(exports);
    this.arm = armOf(exports);
  }

  /** Runs a call into the module; a trap costs that call only: the instance is re-created. */
  private guard<T>(call: () => T, units = CALL_BUDGET): T {
    try {
      this.arm?.(units);
      return call();
    } catch (err) {
      if (!(err instanceof WebAssembly.RuntimeError) && !(err instanceof RangeError) && !String(err).includes("aborted")) throw err;
      const cause = exhausted(this.budget) ? exhaustedError("the call") : err;
      this.attach(new WebAssembly.Instance(this.module, imports).exports as unknown as PolicyExports);
      throw new PolicyTrapError(cause);
    }
  }

  /** The node profile a request runs against. */
  private nodeFor(runtimes: number[] | undefined): { mask: number; info: NodeInfo } {
    if (runtimes) {
      let mask = 0;
      const ids: string[] = [];
      for (const r of runtimes) {
        mask |= 1 << r;
        const id = this.catalogue.runtimes[r].id;
        if (!ids.includes(id)) ids.push(id);
      }
      return { mask, info: { source: "request", runtimes: ids } };
    }
    return this.profile;
  }

  /** The agent's own node profile, in the module's terms: computed once per engine. */
  private get profile(): { mask: number; info: NodeInfo } {
    if (!this.profileCache) {
      let mask = this.node.source === "planning" ? this.allRuntimes : 0;
      if (this.node.source !== "planning") for (const id of this.node.runtimes) mask |= 1 << this.tables.runtime.index.get(id)!;
      this.profileCache = { mask, info: this.node };
    }
    return this.profileCache;
  }
  private profileCache: { mask: number; info: NodeInfo } | undefined;

  private writeInput(constraints: Constraints, weights: number[] | undefined): void {
    const input = this.v.input;
    input[0] = asFigure(constraints.maxColdStartMs); // in CONSTRAINT_KEYS order
    input[1] = asFigure(constraints.maxMemoryMb);
    input[2] = asFigure(constraints.maxCpuOverheadPct);
    input[3] = asFigure(constraints.minIsolation);
    if (weights) for (let m = 0; m < weights.length; m++) input[4 + m] = weights[m]; // faster than set() from an array
  }

  /** One placement decision (POST /v1/decide). Throws InvalidRequestError on a bad request. */
  decide(request: unknown, options?: DecideOptions): Decision {
    const body = request ?? {};
    return this.decideValid(this.fastDecide.parse(body) ?? validation().parseOrThrow(this.schemas.decide, body), options);
  }

  decideValid(p: Placement, options?: DecideOptions): Decision {
    const node = this.nodeFor(p.runtimes);
    const r = this.guard(() => {
      this.callDecide(p, node.mask);
      return readOut(this.v);
    });
    const s: Situation = {
      scenario: p.scenario,
      performance: p.performance,
      security: p.security,
      constraints: p.constraints,
      node: node.info,
      artifact: p.artifact,
    };
    // set only when given (the webhook's cluster): one more field on every situation costs the
    // agent's decisions their fastest object shape
    if (options?.scope) s.scope = options.scope;
    return this.explain.decision(r, s, this.policyRef, options?.decisionId ?? decisionId());
  }

  private callDecide(p: Placement, mask: number): number {
    let needs = 0;
    for (const n of p.performance) needs |= 1 << n;
    for (const n of p.security) needs |= 1 << n;
    for (const n of p.cost) needs |= 1 << n;
    this.writeInput(p.constraints, p.weights);
    return this.decideFn(p.scenario, p.performance[0] ?? -1, p.security[0] ?? -1, needs >>> 0, mask, flags(p.weights !== undefined, p.artifact));
  }

  /**
   * The placement of a request as decide() reads it (validated the same way) as one number
   * (placementCode's), without ranking, explanation or id: what a pending policy answers in the
   * shadow of the active one. placedOf() reads it; levelOf() and runtimeOf() read its parts.
   */
  placeCode(request: unknown): number {
    const body = request ?? {};
    return this.placementCode(this.fastDecide.parse(body) ?? validation().parseOrThrow(this.schemas.decide, body));
  }

  /** A placementCode's level id (null: nothing feasible). */
  levelOf(code: number): LevelId | null {
    return code & 7 ? LEVEL_IDS[code & 7] : null;
  }

  /** A placementCode's runtime id (null: nothing feasible). */
  runtimeOf(code: number): string | null {
    return code & 7 ? this.catalogue.runtimes[((code >> 3) & 31) - 1].id : null;
  }

  /**
   * The placement as one number, allocating nothing (policy diff calls it millions of times):
   * level | (runtime + 1) << 3 | rule << 8. placedOf() reads it.
   */
  placementCode(p: Placement): number {
    let mask = 0;
    if (p.runtimes) for (const r of p.runtimes) mask |= 1 << r;
    else mask = this.profile.mask;
    const level = this.guard(() => this.callDecide(p, mask));
    const out = this.v.output;
    return level | ((level ? out[OUT.runtime] + 1 : 0) << 3) | (out[OUT.rule] << 8);
  }

  /** A placementCode as the answer names it, for a request with `scenario` (the stack depends on it). */
  placedOf(code: number, scenario: number): Placed {
    const level = code & 7,
      r = ((code >> 3) & 31) - 1,
      rule = RULES[code >> 8] ?? "none";
    if (!level) return { level: null, runtime: null, runtimeClassName: null, stack: null, rule };
    const runtime = this.catalogue.runtimes[r];
    return { level: LEVEL_IDS[level], runtime: runtime.id, runtimeClassName: runtime.runtimeClassName, stack: this.explain.stack(level, r, scenario), rule };
  }

  /** The self-test vectors built into the module, as requests (empty for a module that does not expose them). */
  vectors(): SelfTestVector[] {
    return this.guard(() => readVectors(this.x, this.catalogue, this.tables));
  }

  /** Runs the module's own self-test: 0 when every vector passes, else the 1-based index of the first that fails. */
  selfTest(): number {
    return this.guard(() => this.x.selfTest(), ACTIVATION_BUDGET);
  }

  /** The best feasible level by weights alone (POST /v1/rank). */
  rank(request: unknown): RankAnswer {
    const q = validation().parseOrThrow(this.schemas.rank, request);
    const node = this.nodeFor(q.runtimes);
    const r = this.guard(() => {
      this.writeInput(q.constraints, q.weights);
      this.x.rank(node.mask, flags(true, q.artifact));
      return readOut(this.v);
    });
    const s: Situation = { scenario: -1, performance: [], security: [], constraints: q.constraints, node: node.info, artifact: q.artifact };
    const best = r.level ? LEVEL_IDS[r.level] : null;
    return {
      best,
      artifact: q.artifact >= 0 ? ARTIFACT_IDS[q.artifact] : null,
      ranking: this.explain.ranking(r, s),
      explanation: best
        ? `${best} (${this.explain.levelName(r.level)}) scores best (${round(r.scores[r.level])}) by the weights given.`
        : this.explain.explanation(r, s),
      node: s.node,
      policy: this.policyRef,
    };
  }

  /** Metric by metric over the core matrix (GET /v1/compare). Levels may be ids or aliases. */
  compare(a: unknown, b: unknown): Comparison {
    const ra = this.schemas.level.safeParse(a),
      rb = this.schemas.level.safeParse(b);
    if (!ra.success || !rb.success) {
      throw new InvalidRequestError([
        ...(ra.success ? [] : validation().fieldErrors(ra.error, "a")),
        ...(rb.success ? [] : validation().fieldErrors(rb.error, "b")),
      ]);
    }
    const la = ra.data,
      lb = rb.data;
    this.guard(() => this.x.compare(la, lb));
    const ida = LEVEL_IDS[la],
      idb = LEVEL_IDS[lb];
    const wins: Record<string, number> = { [ida]: 0, [idb]: 0, tie: 0 };
    const metrics = METRIC_IDS.map((metric, m) => {
      const verdict = this.v.comparison[m];
      const better = verdict === 1 ? ida : verdict === 2 ? idb : verdict === 0 ? ("tie" as const) : null;
      if (better) wins[better] = (wins[better] ?? 0) + 1;
      return {
        metric,
        direction: this.catalogue.metrics[m].direction,
        a: figureOf(this.v.figures, this.catalogue, la, m),
        b: figureOf(this.v.figures, this.catalogue, lb, m),
        better,
      };
    });
    return { a: ida, b: idb, metrics, wins };
  }

  /**
   * Both matrices, every level (GET /v1/levels); beside each level's figures, the runtimes that
   * provide it, what they run, and their own figures (with sources) where they differ.
   */
  levels() {
    const c = this.catalogue;
    return {
      metrics: c.metrics,
      technical: c.technical,
      levels: c.levels.map((l, i) => ({
        id: l.id,
        name: l.name,
        zh: l.zh,
        what: l.what,
        examples: l.examples,
        placeable: (PLACEABLE_LEVELS as readonly string[]).includes(l.id),
        figures: Object.fromEntries(METRIC_IDS.map((m, j) => [m, figureOf(this.v.figures, c, i, j)])),
        technical: Object.fromEntries(c.technical.map((t, j) => [t.id, l.technical[j]])),
        runtimes: c.runtimes.flatMap((rt, r) =>
          (rt.levels as string[]).includes(l.id)
            ? [
                {
                  id: rt.id,
                  name: rt.name,
                  runtimeClassName: rt.runtimeClassName,
                  runs: rt.runs,
                  requires: rt.requires,
                  figures: Object.fromEntries(
                    METRIC_IDS.flatMap((m, j) => {
                      const f = runtimeFigureOf(this.v.runtimeFigures, c, r, j);
                      return f ? [[m, f]] : [];
                    }),
                  ),
                },
              ]
            : [],
        ),
      })),
    };
  }

  /** Scenarios with suitability, stacks and first/second choices; needs; runtimes (GET /v1/scenarios). */
  scenarios() {
    const c = this.catalogue,
      table = this.v.scenarios;
    const choice = (i: number, level: string | undefined) => (level ? { level, stack: recommendedStack(c, i, LEVEL_IDS.indexOf(level as LevelId)) } : null);
    return {
      scenarios: c.scenarios.map((s, i) => ({
        id: s.id,
        name: s.name,
        zh: s.zh,
        ...(s.added ? { added: true } : {}),
        first: choice(i, s.first),
        second: choice(i, s.second),
        levels: Object.fromEntries(
          PLACEABLE_LEVELS.map((id, j) => {
            const row = s.levels[j];
            return [
              id,
              { fit: table[i * 6 + 2 + j], symbol: row.fit, note: row.note, stack: recommendedStack(c, i, j + 1), ...(row.added ? { added: true } : {}) },
            ];
          }),
        ),
      })),
      needs: c.needs,
      runtimes: c.runtimes.map(({ detect: _detect, figures: _figures, ...r }) => r),
      versions: c.versions,
      outcomes: c.outcomes,
    };
  }

  /** The same policy and instance, answering for another node profile. */
  withNode(node: NodeProfile | undefined): Engine {
    return new Engine(this.module, this.x, this.catalogue, this.policy, { node }, this);
  }

  /** The module's memory size in bytes (for the flat-memory checks). */
  get memoryBytes(): number {
    return this.x.memory.buffer.byteLength;
  }
}

/**
 * Compiles (when given bytes), verifies and instantiates a policy module: imports, metadata
 * and ABI, then its own self-test vectors. Throws PolicyRejectedError naming the check failed.
 */
export async function createEngine(source: BufferSource | WebAssembly.Module, options: EngineOptions = {}): Promise<Engine> {
  // the request schemas, unless the host loads them itself later (validation.ts)
  const schemas = validationDeferred() ? undefined : loadValidation();
  let module: WebAssembly.Module;
  let moduleSha256: string | undefined;
  if (source instanceof WebAssembly.Module) module = source;
  else {
    const bytes = source instanceof ArrayBuffer ? new Uint8Array(source) : new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
    const digest = sha256Hex(bytes); // hashes while the module compiles
    try {
      module = await compileMetered(bytes); // the bound on every call (budget.ts); digests stay the shipped bytes'
    } catch (err) {
      digest.catch(() => {});
      throw err;
    }
    moduleSha256 = await digest;
  }
  const engine = await verify(module, moduleSha256, options);
  await schemas;
  return engine;
}

export { sha256Hex };

async function verify(module: WebAssembly.Module, moduleSha256: string | undefined, options: EngineOptions): Promise<Engine> {
  for (const imp of WebAssembly.Module.imports(module)) {
    const name = `${imp.module}.${imp.name}`;
    if (!ALLOWED_IMPORTS.has(name)) throw new PolicyRejectedError("imports", `a policy module may import nothing but env.abort; this one imports ${name}`);
  }
  const meta = readMeta(WebAssembly.Module.customSections(module, META_SECTION));
  if (meta.abi !== ABI_VERSION) throw new PolicyRejectedError("abi", `the module's ABI version is ${meta.abi}; this engine speaks ${ABI_VERSION}`);
  const exportNames = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
  const missing = REQUIRED_EXPORTS.filter((name) => !exportNames.has(name));
  if (missing.length) throw new PolicyRejectedError("abi", `the module lacks the exports ${missing.join(", ")}`);

  let exports: PolicyExports;
  try {
    // AssemblyScript's loader instantiates; its synchronous form, as the module is compiled
    // already (the async one looks for a fetch Response first, and in Node touching that global
    // loads fetch: ~100 ms). Its imports object gets the loader's extras, unused by a policy
    // module, hence a copy. The engine keeps the instance's own exports: the loader's wrappers
    // add an argument spread to every call, and its memory readers are for runtime-managed
    // objects, while the ABI hands out fixed buffers read through typed views.
    exports = instantiateSync(module, { env: { ...imports.env } }).instance.exports as unknown as PolicyExports;
  } catch (err) {
    throw new PolicyRejectedError("compile", `the module failed to instantiate: ${(err as Error).message}`);
  }
  const budget = budgetOf(exports);
  const call = <T>(what: string, fn: () => T): T => {
    if (budget) budget.value = ACTIVATION_BUDGET;
    try {
      return fn();
    } catch (err) {
      if (exhausted(budget))
        throw new PolicyRejectedError("budget", `${exhaustedError(what, ACTIVATION_BUDGET).message}: a call into this module could hang the agent`);
      throw new PolicyRejectedError("self-test", `the module trapped in ${what}: ${(err as Error).message}`);
    }
  };
  if (call("abiVersion", () => exports.abiVersion()) !== ABI_VERSION)
    throw new PolicyRejectedError("abi", `the module's abiVersion() is ${exports.abiVersion()}; this engine speaks ${ABI_VERSION}`);

  let catalogue: Catalogue;
  try {
    const deflated = call("catalogue", () => new Uint8Array(exports.memory.buffer, exports.catalogue(), exports.catalogueLength()));
    catalogue = JSON.parse(utf8.decode(inflateRaw(deflated)));
  } catch (err) {
    throw err instanceof PolicyRejectedError
      ? err
      : new PolicyRejectedError("catalogue", `the module's catalogue is not valid JSON: ${(err as Error).message}`);
  }
  if (catalogue.name !== meta.name || catalogue.version !== meta.version)
    throw new PolicyRejectedError("catalogue", "the catalogue's name/version disagree with the module's metadata");

  const failed = options.selfTest === false ? 0 : call("selfTest", () => exports.selfTest());
  if (failed !== 0) {
    const name = vectorNames(catalogue)[failed - 1];
    throw new PolicyRejectedError("self-test", `the module fails its own self-test vector ${failed}${name ? ` ("${name}")` : ""}`);
  }
  const policy: PolicyInfo = {
    name: meta.name,
    version: meta.version,
    sha256: meta.sourceSha256,
    abi: meta.abi,
    compiler: meta.compiler,
    ...(moduleSha256 ? { moduleSha256 } : {}),
  };
  return new Engine(module, exports, catalogue, policy, options);
}
