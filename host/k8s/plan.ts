// What the admission webhook would do to the pods of a manifest's workloads, decided by the
// webhook's own Admitter (admit.ts): the same annotations, modes, warnings, denials and patch,
// for the pod template of each Pod, Deployment, CronJob… (workloads.ts). Runtime-neutral:
// `isoplace plan` reads the files and prints; this decides.
import type { Engine } from "../engine/engine.ts";
import { Admitter, type AdmissionConfig, type Outcome } from "./admit.ts";
import { OUTPUT, PREFIX } from "./annotations.ts";
import { admissionDecisionId } from "./decision-id.ts";
import { pod as podSchema } from "./review.ts";

export type PlanOutcome = Outcome | "not-opted-in";

export interface Workload {
  kind: string;
  namespace: string;
  name: string;
  /** The object (a Pod, a Deployment …) as read from the manifest. */
  object: Record<string, unknown>;
  /** Where its pod template is in it (workloads.ts); [] for a Pod. */
  template: readonly string[];
}

/** A change to the object: the value to set at a path (keys into it). */
export interface Edit {
  path: string[];
  value: unknown;
}

export interface Planned {
  outcome: PlanOutcome;
  level: string | null;
  runtime: string | null;
  runtimeClassName: { before: string | null; after: string | null };
  warnings: string[];
  /** The denial's message (as the API server would return it), or null when the pod is allowed. */
  denied: string | null;
  decisionId: string | null;
  /** The webhook's patch, as changes to the object (not to the pod): what `-o yaml` writes back. */
  edits: Edit[];
}

/** A field of the object the webhook could not read (it would answer 400, and the API server refuse the object first). */
export interface FieldProblem {
  path: (string | number)[];
  message: string;
}

export class WorkloadError extends Error {
  readonly problems: FieldProblem[];
  constructor(problems: FieldProblem[]) {
    super(problems.map((p) => `${p.path.join(".")}: ${p.message}`).join("; "));
    this.name = "WorkloadError";
    this.problems = problems;
  }
}

const OUTPUTS: readonly string[] = Object.values(OUTPUT);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

const valueAt = (v: unknown, path: (string | number)[]): unknown => path.reduce<unknown>((o, k) => (o as Record<string | number, unknown> | undefined)?.[k], v);

/** A YAML number or boolean where Kubernetes wants a string (an annotation, a class name) is the usual slip. */
function notAString(v: unknown): string {
  const type = v === null ? "null" : Array.isArray(v) ? "a list" : typeof v === "object" ? "a mapping" : `a ${typeof v}`;
  return `must be a string, got ${type}${typeof v === "number" || typeof v === "boolean" ? ": quote the value" : ""}`;
}

/**
 * The fields of a pod template the webhook reads, as the API server decodes them from JSON (and
 * so from YAML): a null object or string is absent, a null annotation the empty string.
 */
function asDecoded(template: Record<string, unknown>): Record<string, unknown> {
  const out = { ...template };
  for (const k of ["metadata", "spec"]) if (out[k] === null) delete out[k];
  const m = out.metadata;
  if (isObject(m)) {
    const metadata: Record<string, unknown> = { ...m };
    for (const k of ["name", "generateName", "namespace", "annotations"]) if (metadata[k] === null) delete metadata[k];
    if (isObject(metadata.annotations)) {
      metadata.annotations = Object.fromEntries(Object.entries(metadata.annotations).map(([k, v]) => [k, v === null ? "" : v]));
    }
    out.metadata = metadata;
  }
  return out;
}

/** RFC 6901 pointer → keys ("/metadata/annotations/isoplace.io~1level" → metadata, annotations, isoplace.io/level). */
const keysOf = (pointer: string): string[] =>
  pointer
    .split("/")
    .slice(1)
    .map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));

export class Planner {
  private readonly admitter: Admitter;
  private readonly engine: Engine;

  constructor(engine: Engine, config: AdmissionConfig) {
    this.engine = engine;
    this.admitter = new Admitter(config);
  }

  /** The webhook's answer for the workload's pods. Throws WorkloadError when its pod template cannot be read. */
  plan(w: Workload): Planned {
    let template: unknown = w.object;
    for (let i = 0; i < w.template.length; i++) {
      template = (template as Record<string, unknown>)[w.template[i]];
      if (!isObject(template)) {
        throw new WorkloadError([
          {
            path: w.template.slice(0, i + 1),
            message: template === undefined ? `is missing: a ${w.kind} needs its pod template (${w.template.join(".")})` : "must be an object",
          },
        ]);
      }
    }
    const parsed = podSchema.safeParse(asDecoded(template as Record<string, unknown>));
    if (!parsed.success) {
      throw new WorkloadError(
        parsed.error.issues.map((i) => {
          const path = i.path.map((k) => (typeof k === "symbol" ? String(k) : k));
          return {
            path: [...w.template, ...path],
            message: i.code === "invalid_type" && i.expected === "string" ? notAString(valueAt(template, path)) : i.message,
          };
        }),
      );
    }
    const pod = parsed.data;
    // a template's pods are named by their controller (NAME-…) in the workload's namespace
    const asPod = w.template.length ? { ...pod, metadata: { ...pod.metadata, name: undefined, namespace: undefined, generateName: `${w.name}-` } } : pod;
    const annotations = pod.metadata?.annotations ?? {};
    const a = this.admitter.admitPod(this.engine, asPod, { uid: "isoplace-plan", namespace: w.namespace, decisionId: this.decisionId(w, annotations) });

    const before = pod.spec?.runtimeClassName || null;
    let after = before;
    const edits: Edit[] = [];
    for (const op of a.ops ?? []) {
      // removing the overhead the RuntimeClass plugin gave a pod is for admission; a template has none of the plugin's
      if (op.op === "remove") continue;
      const keys = keysOf(op.path);
      if (keys.length === 2 && keys[0] === "spec" && keys[1] === "runtimeClassName") after = op.value as string;
      else if (keys.length === 1 && keys[0] === "spec") after = (op.value as { runtimeClassName: string }).runtimeClassName;
      edits.push({ path: [...w.template, ...keys], value: op.value });
    }
    const allowed = a.response.allowed;
    return {
      outcome: allowed && a.outcome === "unchanged" && !a.decision ? "not-opted-in" : a.outcome,
      level: a.decision?.level ?? null,
      runtime: a.decision?.runtime ?? null,
      runtimeClassName: { before, after },
      warnings: a.response.warnings ?? [],
      denied: allowed ? null : (a.response.status?.message ?? "denied"),
      decisionId: a.decision?.id ?? null,
      edits,
    };
  }

  /**
   * The same workload, request and policy give the same id, so planning the output of `-o yaml`
   * again changes nothing; another request, policy or cluster gives another.
   */
  private decisionId(w: Workload, annotations: Record<string, string>): string {
    const input = Object.keys(annotations)
      .filter((k) => k.startsWith(PREFIX) && !OUTPUTS.includes(k))
      .sort()
      .map((k) => `${k}=${annotations[k]}`);
    const p = this.engine.policy;
    const runtimes = this.admitter.runtimesFor(this.engine);
    return admissionDecisionId(["plan", p.name, p.version, p.moduleSha256 ?? p.sha256, w.kind, w.namespace, w.name, runtimes.join(","), ...input].join("\n"));
  }
}
