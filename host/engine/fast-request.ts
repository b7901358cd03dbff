// A fast path in front of the zod request schemas, for the common case: a well-formed decide
// request made of plain JSON values. It answers only when the schemas would accept the request
// and produce the same Placement; on anything else (an error, an unusual value) it returns
// undefined and the schemas decide, so they stay the one authority on what is valid and on
// every error message. It exists because validating through zod costs more than the decision
// itself (bench section "engine" measures both paths).
import { CONSTRAINT_KEYS, LIST_MAX, NO_WEIGHTS, type Constraints, type IdTable, type Placement, type RequestTables } from "./request.ts";
import type { Catalogue } from "./catalogue.ts";

type Plain = Record<string, unknown>;

const WORKLOAD_KEYS = new Set(["scenario", "artifact", "performance", "security", "cost", "constraints", "weights"]);

const isPlain = (v: unknown): v is Plain => {
  if (typeof v !== "object" || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

const isList = (v: unknown): v is unknown[] => Array.isArray(v) && Object.getPrototypeOf(v) === Array.prototype && v.length <= LIST_MAX;

export class FastDecideParser {
  private readonly scenario: Map<string, number>;
  private readonly needs: { performance: Map<string, number>; security: Map<string, number>; cost: Map<string, number> };
  private readonly metric: Map<string, number>;
  private readonly runtime: Map<string, number>;
  private readonly artifact: Map<string, number>;

  constructor(catalogue: Catalogue, tables: RequestTables) {
    // Need ids (and aliases) straight to the global need index, as the schemas map them.
    const global = (group: "performance" | "security" | "cost", table: IdTable) => {
      const rows = catalogue.needs.flatMap((n, i) => (n.group === group ? [i] : []));
      return new Map([...table.index].map(([id, local]) => [id, rows[local]]));
    };
    this.scenario = tables.scenario.index;
    this.needs = { performance: global("performance", tables.performance), security: global("security", tables.security), cost: global("cost", tables.cost) };
    this.metric = tables.metric.index;
    this.runtime = tables.runtime.index;
    this.artifact = tables.artifact.index;
  }

  /** The Placement the decide schema would produce, or undefined: ask the schema. */
  parse(request: unknown): Placement | undefined {
    if (!isPlain(request)) return undefined;
    let workload: Plain = {},
      node: unknown;
    for (const key of Object.keys(request)) {
      const value = request[key];
      if (key === "workload") {
        if (value === undefined) continue;
        if (!isPlain(value)) return undefined;
        workload = value;
      } else if (key === "node") node = value;
      else return undefined;
    }
    const p: Placement = { scenario: -1, performance: [], security: [], cost: [], constraints: {}, weights: undefined, runtimes: undefined, artifact: -1 };
    for (const key of Object.keys(workload)) {
      const value = workload[key];
      if (!WORKLOAD_KEYS.has(key)) return undefined; // unknown, even when undefined
      if (value === undefined) continue;
      switch (key) {
        case "scenario": {
          const i = typeof value === "string" ? this.scenario.get(value) : undefined;
          if (i === undefined) return undefined;
          p.scenario = i;
          break;
        }
        case "artifact": {
          const i = typeof value === "string" ? this.artifact.get(value) : undefined;
          if (i === undefined) return undefined;
          p.artifact = i;
          break;
        }
        case "performance":
        case "security":
        case "cost": {
          const ids = this.ids(value, this.needs[key], true);
          if (!ids) return undefined;
          p[key] = ids;
          break;
        }
        case "constraints": {
          const c = constraints(value);
          if (!c) return undefined;
          p.constraints = c;
          break;
        }
        case "weights": {
          const w = this.weights(value);
          if (!w) return undefined;
          p.weights = w;
          break;
        }
        default:
          return undefined;
      }
    }
    if (node !== undefined) {
      if (!isPlain(node)) return undefined;
      for (const key of Object.keys(node)) if (key !== "runtimes") return undefined;
      const runtimes = this.ids(node.runtimes, this.runtime, false);
      if (!runtimes) return undefined;
      p.runtimes = runtimes;
    }
    return p;
  }

  /** A list of known ids (or, for needs, one id) → their indices. */
  private ids(value: unknown, table: Map<string, number>, oneMayStandAlone: boolean): number[] | undefined {
    if (oneMayStandAlone && typeof value === "string") {
      const i = table.get(value);
      return i === undefined ? undefined : [i];
    }
    if (!isList(value)) return undefined;
    const out = new Array<number>(value.length);
    for (let k = 0; k < value.length; k++) {
      const id = value[k];
      const i = typeof id === "string" ? table.get(id) : undefined;
      if (i === undefined) return undefined;
      out[k] = i;
    }
    return out;
  }

  private weights(value: unknown): number[] | undefined {
    if (!isPlain(value)) return undefined;
    const out = NO_WEIGHTS.slice();
    for (const key of Object.keys(value)) {
      const w = value[key],
        i = this.metric.get(key);
      if (i === undefined || !nonNegative(w)) return undefined;
      out[i] += w;
    }
    return out;
  }
}

const nonNegative = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v) && v >= 0;

function constraints(value: unknown): Constraints | undefined {
  if (!isPlain(value)) return undefined;
  const out: Record<string, number | undefined> = {};
  for (const key of Object.keys(value)) {
    const v = value[key];
    if (!(CONSTRAINT_KEYS as readonly string[]).includes(key)) return undefined;
    if (v !== undefined && !(key === "minIsolation" ? typeof v === "number" && v >= 1 && v <= 5 : nonNegative(v))) return undefined;
    out[key] = v as number | undefined;
  }
  return out as Constraints;
}
