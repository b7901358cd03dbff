// One decision, by the policy's rules (../rules.ts), as the engine's answer JSON: the same
// level, runtime, RuntimeClass, stack, fallback, rule, ranking (with scores) and node; where the
// engine writes sentences (reasons, explanation) this writes the rejection codes.
import { IN, OUT, SCORES, decide } from "../rules";
import {
  ARTIFACT_IDS, LEVEL_NAMES, POLICY_NAME, POLICY_SHA256, POLICY_VERSION, RUNTIME_CLASSES, RUNTIME_IDS, STACKS,
} from "./catalogue";
import { Json } from "./json";
import { Placement } from "./request";

const LEVEL_IDS: string[] = ["L0", "L1", "L2", "L3", "L4"];
const RULES: string[] = ["none", "scenario", "performance", "security", "default", "second-choice", "score"];
/** The bits of OUT's reasons, lowest first (assembly/rules.ts R_*). */
const REASONS: string[] = ["scenario", "coldStart", "memory", "cpu", "isolation", "runtime", "artifact"];
const F32_MAX: f64 = 3.4028234663852886e38;

/** Whose runtimes a decision is made for: the request's, the configured ones, or all (planning). */
export class NodeProfile {
  source: string;
  runtimes: string[];
  mask: u32;
  constructor(source: string, runtimes: string[], mask: u32) {
    this.source = source; this.runtimes = runtimes; this.mask = mask;
  }
}

@inline function out(slot: i32): i32 { return load<i32>(OUT + (slot << 2)); }

// The generated table (host/engine/stacks.ts): "" where there is none.
function stack(level: i32, runtime: i32, scenario: i32): Json {
  const s = STACKS[((scenario + 1) * 5 + level) * (RUNTIME_IDS.length + 1) + runtime + 1];
  return s.length ? Json.ofString(s) : Json.nil();
}

function placement(level: i32, runtime: i32, scenario: i32): Json {
  return Json.newObject()
    .set("level", Json.ofString(LEVEL_IDS[level]))
    .set("levelName", Json.ofString(LEVEL_NAMES[level]))
    .set("runtime", runtime < 0 ? Json.nil() : Json.ofString(RUNTIME_IDS[runtime]))
    .set("runtimeClassName", runtime < 0 ? Json.nil() : Json.stringOrNull(RUNTIME_CLASSES[runtime]))
    .set("stack", stack(level, runtime, scenario));
}

function ranking(): Json {
  const list = Json.newArray();
  for (let k = 0; k < 4; k++) {
    const level = out(5 + k), reasons = out(8 + level);
    const codes = Json.newArray();
    for (let b = 0; b < REASONS.length; b++) if ((reasons >> b) & 1) codes.push(Json.ofString(REASONS[b]));
    const score = load<f64>(SCORES + (level << 3));
    const runtime = out(12 + level);
    list.push(Json.newObject()
      .set("level", Json.ofString(LEVEL_IDS[level]))
      .set("feasible", Json.ofBool(reasons == 0))
      .set("score", reasons == 0 ? Json.ofNumber(Math.round(score * 1e4) / 1e4) : Json.nil())
      .set("rejectedBy", codes)
      .set("runtime", runtime < 0 ? Json.nil() : Json.ofString(RUNTIME_IDS[runtime]))
      .set("runtimeClassName", runtime < 0 ? Json.nil() : Json.stringOrNull(RUNTIME_CLASSES[runtime])));
  }
  return list;
}

/** Runs the rules for `p` on `node`; returns the answer, and the level (0: nothing feasible). */
export function decideJson(p: Placement, node: NodeProfile): Json {
  // at the figures' precision, as the engine writes them (host/engine/figures.ts asFigure)
  for (let k = 0; k < 4; k++) {
    const c = p.constraints[k];
    store<f64>(IN + (k << 3), c == c ? min(<f64><f32>c, F32_MAX) : NaN);
  }
  const weights = p.weights;
  if (weights !== null) for (let m = 0; m < weights.length; m++) store<f64>(IN + ((4 + m) << 3), weights[m]);
  let needs: u32 = 0;
  for (let i = 0; i < p.performance.length; i++) needs |= 1 << p.performance[i];
  for (let i = 0; i < p.security.length; i++) needs |= 1 << p.security[i];
  for (let i = 0; i < p.cost.length; i++) needs |= 1 << p.cost[i];
  const level = decide(p.scenario, p.performance.length ? p.performance[0] : -1, p.security.length ? p.security[0] : -1,
    needs, node.mask, (weights !== null ? 1 : 0) | ((p.artifact + 1) << 1));

  const runtime = out(1), fallback = out(2), fallbackRuntime = out(3);
  const answer = level ? placement(level, runtime, p.scenario) : Json.newObject()
    .set("level", Json.nil()).set("levelName", Json.nil()).set("runtime", Json.nil())
    .set("runtimeClassName", Json.nil()).set("stack", Json.nil());
  answer.set("artifact", p.artifact < 0 ? Json.nil() : Json.ofString(ARTIFACT_IDS[p.artifact]));
  const runtimes = Json.newArray();
  for (let i = 0; i < node.runtimes.length; i++) runtimes.push(Json.ofString(node.runtimes[i]));
  return answer
    .set("fallback", fallback ? placement(fallback, fallbackRuntime, p.scenario) : Json.nil())
    .set("rule", Json.ofString(RULES[out(4)]))
    .set("ranking", ranking())
    .set("node", Json.newObject().set("source", Json.ofString(node.source)).set("runtimes", runtimes))
    .set("policy", Json.newObject()
      .set("name", Json.ofString(POLICY_NAME))
      .set("version", Json.ofString(POLICY_VERSION))
      .set("sha256", Json.ofString(POLICY_SHA256)));
}
