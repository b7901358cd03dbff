// A decide request (docs/API.md) checked as the engine checks it (host/engine/request.ts): the
// same fields, ids and Chinese aliases of the policy, the same messages naming each bad field
// and, for an unknown id, the ids allowed. A valid request comes out as indices.
import { ARRAY, Json, NUMBER, OBJECT, STRING } from "./json";
import {
  ARTIFACT_ALIAS_OF, ARTIFACT_ALIASES, ARTIFACT_IDS, METRIC_ALIASES, METRIC_IDS, NEED_ALIASES, NEED_GROUPS, NEED_IDS, RUNTIME_IDS,
  SCENARIO_ALIASES, SCENARIO_IDS,
} from "./catalogue";

const LIST_MAX = 32;
const CONSTRAINT_KEYS: string[] = ["maxColdStartMs", "maxMemoryMb", "maxCpuOverheadPct", "minIsolation"];

export class FieldError {
  path: string;
  message: string;
  allowed: string[] | null;
  constructor(path: string, message: string, allowed: string[] | null = null) {
    this.path = path; this.message = message; this.allowed = allowed;
  }
}

/** A valid request in the module's terms (as host/engine/request.ts's Placement). */
export class Placement {
  scenario: i32 = -1;
  /** Need indices into the policy's needs, in the order given. */
  performance: i32[] = [];
  security: i32[] = [];
  cost: i32[] = [];
  /** maxColdStartMs, maxMemoryMb, maxCpuOverheadPct, minIsolation; NaN: none. */
  constraints: f64[] = [NaN, NaN, NaN, NaN];
  /** One per metric, when the request has weights. */
  weights: f64[] | null = null;
  /** Runtime indices, when the request names the node's runtimes. */
  runtimes: i32[] | null = null;
  /** Index into ARTIFACT_IDS; -1: any artifact. */
  artifact: i32 = -1;
}

/** Ids with their aliases; an id wins over an alias, an earlier alias over a later one. */
class IdTable {
  kind: string;
  ids: string[] = [];
  aliases: string[] = [];
  /** Per entry, its index in the policy's own list. */
  global: i32[] = [];

  constructor(kind: string) { this.kind = kind; }

  add(id: string, alias: string, global: i32): IdTable {
    this.ids.push(id); this.aliases.push(alias); this.global.push(global);
    return this;
  }

  find(s: string): i32 {
    const i = this.ids.indexOf(s);
    if (i >= 0) return this.global[i];
    const a = s.length ? this.aliases.indexOf(s) : -1;
    return a >= 0 ? this.global[a] : -1;
  }

  allowed(): string {
    let s = "";
    for (let i = 0; i < this.ids.length; i++) {
      const alias = this.aliases[i];
      s += (i ? ", " : "") + this.ids[i] + (alias.length && alias != this.ids[i] ? " (" + alias + ")" : "");
    }
    return s;
  }
}

function table(kind: string, ids: string[], aliases: string[]): IdTable {
  const t = new IdTable(kind);
  for (let i = 0; i < ids.length; i++) t.add(ids[i], i < aliases.length ? aliases[i] : "", i);
  return t;
}

function needTable(kind: string, group: i32): IdTable {
  const t = new IdTable(kind);
  for (let i = 0; i < NEED_IDS.length; i++) if (NEED_GROUPS[i] == group) t.add(NEED_IDS[i], NEED_ALIASES[i], i);
  return t;
}

const SCENARIOS = table("scenario", SCENARIO_IDS, SCENARIO_ALIASES);
const PERFORMANCE = needTable("performance need", 0);
const SECURITY = needTable("security need", 1);
const COST = needTable("cost need", 2);
const METRICS = table("metric", METRIC_IDS, METRIC_ALIASES);
const RUNTIMES = table("runtime", RUNTIME_IDS, []);

/** Artifact kinds take several aliases each (the engine's table: host/engine/request.ts). */
function artifactIndex(s: string): i32 {
  const i = ARTIFACT_IDS.indexOf(s);
  if (i >= 0) return i;
  const a = ARTIFACT_ALIASES.indexOf(s);
  return a >= 0 ? ARTIFACT_ALIAS_OF[a] : -1;
}

function artifactsAllowed(): string {
  let s = "";
  for (let i = 0; i < ARTIFACT_IDS.length; i++) {
    let aliases = "";
    for (let a = 0; a < ARTIFACT_ALIASES.length; a++) if (ARTIFACT_ALIAS_OF[a] == i) aliases += (aliases.length ? ", " : "") + ARTIFACT_ALIASES[a];
    s += (i ? ", " : "") + ARTIFACT_IDS[i] + (aliases.length ? " (" + aliases + ")" : "");
  }
  return s;
}

/** Long or hostile strings are cut before they are echoed back. */
export function clip(s: string): string {
  let safe = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    safe += c < 0x20 || c == 0x7f ? "?" : String.fromCharCode(c);
  }
  return safe.length > 64 ? safe.substring(0, 64) + "…" : safe;
}

export function runtimeIndex(id: string): i32 { return RUNTIMES.find(id); }

export class RequestChecker {
  errors: FieldError[] = [];

  private error(path: string, message: string, allowed: string[] | null = null): void {
    this.errors.push(new FieldError(path, message, allowed));
  }

  /** Reports the members of `o` that are not in `known`. */
  private strict(o: Json, path: string, known: string[]): void {
    let unknown = "", count = 0;
    for (let i = 0; i < o.keys.length; i++) {
      if (known.indexOf(o.keys[i]) >= 0) continue;
      unknown += (count++ ? ", " : "") + "\"" + clip(o.keys[i]) + "\"";
    }
    if (count) this.error(path, "unknown field" + (count > 1 ? "s " : " ") + unknown + "; allowed: " + known.join(", "));
  }

  private id(v: Json, path: string, t: IdTable): i32 {
    if (v.kind != STRING) {
      this.error(path, t.kind + " must be a string id; allowed: " + t.ids.join(", "));
      return -1;
    }
    const i = t.find(v.str);
    if (i < 0) this.error(path, "unknown " + t.kind + " \"" + clip(v.str) + "\"; allowed: " + t.allowed(), t.ids);
    return i;
  }

  private ids(v: Json, path: string, t: IdTable, list: string): i32[] {
    const out: i32[] = [];
    let items: Json[];
    if (v.kind == STRING) items = [v];
    else if (v.kind == ARRAY) items = v.items;
    else {
      this.error(path, t.kind + " must be " + list + "; allowed: " + t.ids.join(", "));
      return out;
    }
    if (items.length > LIST_MAX) {
      this.error(path, "Too big: expected array to have <=" + LIST_MAX.toString() + " items");
      return out;
    }
    for (let i = 0; i < items.length; i++) {
      // a single id is checked where it stands; a list's, by index
      const k = this.id(items[i], v.kind == STRING ? path : path + "[" + i.toString() + "]", t);
      if (k >= 0) out.push(k);
    }
    return out;
  }

  private nonNegative(v: Json, path: string, what: string): f64 {
    if (v.kind != NUMBER || !isFinite(v.num)) this.error(path, what + " must be a finite number");
    else if (v.num < 0) this.error(path, what + " must be ≥ 0");
    else return v.num;
    return NaN;
  }

  private constraints(v: Json, path: string, out: f64[]): void {
    if (v.kind != OBJECT) { this.error(path, "constraints must be an object"); return; }
    this.strict(v, path, CONSTRAINT_KEYS);
    for (let k = 0; k < 3; k++) {
      const x = v.get(CONSTRAINT_KEYS[k]);
      if (x !== null) out[k] = this.nonNegative(x, path + "." + CONSTRAINT_KEYS[k], CONSTRAINT_KEYS[k]);
    }
    const iso = v.get("minIsolation");
    if (iso === null) return;
    if (iso.kind != NUMBER) this.error(path + ".minIsolation", "minIsolation must be a number of stars, 1–5");
    else if (!(iso.num >= 1 && iso.num <= 5)) this.error(path + ".minIsolation", "minIsolation is 1–5 stars");
    else out[3] = iso.num;
  }

  private weights(v: Json, path: string): f64[] | null {
    if (v.kind != OBJECT) { this.error(path, "weights must be an object of metric: number"); return null; }
    const out = new Array<f64>(METRIC_IDS.length).fill(0);
    for (let i = 0; i < v.keys.length; i++) {
      const key = v.keys[i], where = path + "." + key;
      const w = this.nonNegative(v.items[i], where, "a weight");
      const m = METRICS.find(key);
      if (m < 0) this.error(where, "unknown metric \"" + clip(key) + "\"; allowed: " + METRICS.allowed(), METRICS.ids);
      else if (w == w) out[m] += w;
    }
    return out;
  }

  private workload(w: Json, p: Placement): void {
    if (w.kind != OBJECT) { this.error("workload", "workload must be an object"); return; }
    this.strict(w, "workload", ["scenario", "artifact", "performance", "security", "cost", "constraints", "weights"]);
    const scenario = w.get("scenario");
    if (scenario !== null) p.scenario = this.id(scenario, "workload.scenario", SCENARIOS);
    const artifact = w.get("artifact");
    if (artifact !== null) {
      if (artifact.kind != STRING) this.error("workload.artifact", "artifact must be a string id; allowed: " + ARTIFACT_IDS.join(", "));
      else {
        p.artifact = artifactIndex(artifact.str);
        if (p.artifact < 0) this.error("workload.artifact", "unknown artifact \"" + clip(artifact.str) + "\"; allowed: " + artifactsAllowed(), ARTIFACT_IDS);
      }
    }
    const needs = ["performance", "security", "cost"];
    const tables = [PERFORMANCE, SECURITY, COST];
    for (let g = 0; g < 3; g++) {
      const v = w.get(needs[g]);
      if (v === null) continue;
      const list = this.ids(v, "workload." + needs[g], tables[g], "an id or a list of ids");
      if (g == 0) p.performance = list; else if (g == 1) p.security = list; else p.cost = list;
    }
    const constraints = w.get("constraints");
    if (constraints !== null) this.constraints(constraints, "workload.constraints", p.constraints);
    const weights = w.get("weights");
    if (weights !== null) p.weights = this.weights(weights, "workload.weights");
  }

  private node(n: Json, p: Placement): void {
    if (n.kind != OBJECT) { this.error("node", "node must be an object with runtimes: [ids]"); return; }
    this.strict(n, "node", ["runtimes"]);
    const r = n.get("runtimes");
    if (r === null || r.kind != ARRAY) {
      this.error("node.runtimes", "runtimes must be a list of runtime ids; allowed: " + RUNTIMES.ids.join(", "));
      return;
    }
    p.runtimes = this.ids(r, "node.runtimes", RUNTIMES, "a list of ids");
  }

  /** The placement, or null with `errors` saying why. */
  check(request: Json): Placement | null {
    const p = new Placement();
    if (request.kind != OBJECT) {
      this.error("", "the request must be a JSON object");
      return null;
    }
    this.strict(request, "", ["workload", "node"]);
    const w = request.get("workload");
    if (w !== null) this.workload(w, p);
    const n = request.get("node");
    if (n !== null) this.node(n, p);
    return this.errors.length ? null : p;
  }
}
