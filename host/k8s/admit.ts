// The admission decision for one AdmissionReview: the contract's table ("Kubernetes admission")
// over the one engine. Runtime-neutral: the Hono route and the tests call it as is.
import type { Decision, Engine } from "../engine/engine.ts";
import { InvalidRequestError, listedErrors, type FieldError } from "../engine/errors.ts";
import { fieldErrors } from "../engine/request-schemas.ts";
import { annotationOf, clip, decideRequestOf, OUTPUT, PREFIX, type Annotations } from "./annotations.ts";
import { admissionDecisionId } from "./decision-id.ts";
import { encodePatch, pointerToken, type PatchOp } from "./patch.ts";
import { pod as podSchema, type AdmissionRequest, type AdmissionResponse, type PodLike } from "./review.ts";

export const MODES = ["fill", "override", "advise"] as const;
export type Mode = (typeof MODES)[number];
export const OUTCOMES = ["mutated", "unchanged", "denied", "infeasible"] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface AdmissionConfig {
  /** The cluster's RuntimeClasses (names as in the policy's runtimeClassName). */
  runtimeClasses: readonly string[];
  /** fill (default): set a class where the pod has none; override: replace the pod's; advise: never change it. */
  mode?: Mode;
  /** No feasible level: deny instead of allowing with a warning. */
  denyInfeasible?: boolean;
}

export interface Admission {
  response: AdmissionResponse;
  outcome: Outcome;
  /** namespace/name of the pod (generateName + "*" when it has no name yet). */
  pod?: string;
  decision?: { id: string; level: string | null; runtime: string | null; runtimeClassName: string | null };
  /** The patch as operations (mutated only; the response carries it encoded). */
  ops?: PatchOp[];
  /** The decide request the decision answered (the shadow evaluation of a pending policy decides it again). */
  input?: unknown;
}

/** Who asks about a pod: the review's uid, the namespace it is created in, and the decision's id (default: derived from the uid). */
export interface PodContext {
  uid: string;
  namespace?: string;
  decisionId?: string;
}

const WARNING_MAX = 120;
const warn = (s: string) => clip(`isoplace: ${s}`, WARNING_MAX);

/** The runtimes a cluster has: containerd (the default handler) and those whose RuntimeClass exists. */
export function clusterRuntimes(engine: Engine, classes: readonly string[]): string[] {
  return engine.catalogue.runtimes
    .filter((r) => r.id === "containerd" || (r.runtimeClassName !== null && classes.includes(r.runtimeClassName)))
    .map((r) => r.id);
}

export class Admitter {
  readonly mode: Mode;
  private readonly runtimes = new WeakMap<Engine, string[]>();

  readonly config: AdmissionConfig;

  constructor(config: AdmissionConfig) {
    this.config = config;
    this.mode = config.mode ?? "fill";
  }

  /** The cluster's runtimes in this engine's policy (a hot-swapped policy may name other classes). */
  runtimesFor(engine: Engine): string[] {
    let r = this.runtimes.get(engine);
    if (!r) this.runtimes.set(engine, (r = clusterRuntimes(engine, this.config.runtimeClasses)));
    return r;
  }

  async admit(engine: Engine, req: AdmissionRequest): Promise<Admission> {
    // CREATE of a Pod only (not its subresources: binding, eviction, …)
    if (req.operation !== "CREATE" || req.kind.kind !== "Pod" || req.kind.group !== "" || req.subResource)
      return { outcome: "unchanged", response: { uid: req.uid, allowed: true } };
    const parsed = podSchema.safeParse(req.object);
    if (!parsed.success) throw new InvalidRequestError(fieldErrors(parsed.error, "request.object"));
    return this.admitPod(engine, parsed.data, { uid: req.uid, namespace: req.namespace });
  }

  /**
   * The answer for one pod, already parsed: the webhook's (above), and `isoplace plan`'s for the
   * pod template of a manifest, which gives its own decision id.
   */
  admitPod(engine: Engine, pod: PodLike, o: PodContext): Admission {
    const uid = o.uid;
    const unchanged = (warnings: string[] = []): Admission => ({
      outcome: "unchanged",
      response: { uid, allowed: true, ...(warnings.length ? { warnings } : {}) },
    });
    const annotations: Annotations = pod.metadata?.annotations ?? {};
    const name = podName(pod, o.namespace);
    const { optsIn, request, errors } = decideRequestOf(annotations);
    if (!optsIn) return { ...unchanged(), pod: name };
    if (errors.length) return deny(uid, name, errors);
    const decisionId = o.decisionId ?? admissionDecisionId(uid);
    const input = { ...request, node: { runtimes: this.runtimesFor(engine) } };
    let decision: Decision;
    try {
      decision = engine.decide(input, { decisionId, scope: "cluster" });
    } catch (err) {
      if (!(err instanceof InvalidRequestError)) throw err;
      return deny(
        uid,
        name,
        err.errors.map((e) => ({ ...e, path: annotationOf(e.path) })),
      );
    }
    const policy = `${decision.policy.name}@${decision.policy.version}`;
    const id = (decision.level !== null && carriedDecisionId(annotations, decision.level, decision.runtime ?? "none", policy)) || decision.decisionId;
    const summary = { id, level: decision.level, runtime: decision.runtime, runtimeClassName: decision.runtimeClassName };
    const audit = { "decision-id": id, level: decision.level ?? "none", runtime: decision.runtime ?? "none" };

    if (decision.level === null) {
      const never = neverPlaced(engine, decision.artifact);
      const response: AdmissionResponse = this.config.denyInfeasible
        ? {
            uid,
            allowed: false,
            status: {
              code: 403,
              reason: "Forbidden",
              message: clip(`isoplace: no feasible level for ${name}: ${never ? `${never}. ` : ""}${decision.explanation}`, MAX_DENIAL_MESSAGE),
            },
            auditAnnotations: audit,
          }
        : {
            uid,
            allowed: true,
            warnings: [
              warn(`no feasible level for ${name}; allowed unchanged`),
              ...(never ? [warn(never)] : []),
              ...decision.ranking.map((r) => warn(`${r.level}: ${r.reasons.join(", ")}`)),
            ],
            auditAnnotations: audit,
          };
      return { outcome: "infeasible", response, pod: name, decision: summary, input };
    }

    const warnings: string[] = [
      warn(`${decision.runtimeClassName ? `RuntimeClass ${decision.runtimeClassName}` : "default handler"}: ${decision.explanation}`),
    ];
    const ops: PatchOp[] = [];
    const wanted = decision.runtimeClassName;
    const has = pod.spec?.runtimeClassName || null;
    if (wanted === null) {
      if (has) warnings.push(warn(`runtimeClassName ${has} kept; the policy chose ${decision.runtime}, the default handler`));
    } else if (has === null) {
      if (this.mode === "advise") warnings.push(warn(`advise mode: runtimeClassName ${wanted} not set`));
      else
        ops.push(pod.spec ? { op: "add", path: "/spec/runtimeClassName", value: wanted } : { op: "add", path: "/spec", value: { runtimeClassName: wanted } });
    } else if (has !== wanted) {
      if (this.mode === "fill") {
        warnings.push(warn(`the pod names runtimeClassName ${has}; kept (fill mode), the policy chose ${wanted}`));
        return { outcome: "unchanged", response: { uid, allowed: true, warnings, auditAnnotations: audit }, pod: name, decision: summary, input };
      }
      if (this.mode === "override") {
        ops.push({ op: "replace", path: "/spec/runtimeClassName", value: wanted });
        // the RuntimeClass plugin ran before webhooks and set the old class's overhead; it runs
        // again after this patch and rejects a pod whose overhead is not the new class's
        if (pod.spec?.overhead !== undefined) ops.push({ op: "remove", path: "/spec/overhead" });
        warnings.push(warn(`runtimeClassName ${has} replaced by ${wanted} (override mode)`));
      } else warnings.push(warn(`advise mode: runtimeClassName ${has} kept, the policy chose ${wanted}`));
    }

    // The four output annotations; those the pod already carries with these values are left be,
    // so a second call after other mutations (reinvocation) changes nothing.
    const out: Record<string, string> = {
      [OUTPUT.level]: decision.level,
      [OUTPUT.runtime]: decision.runtime ?? "none",
      [OUTPUT.decisionId]: id,
      [OUTPUT.policy]: policy,
    };
    for (const [key, value] of Object.entries(out)) {
      if (annotations[key] !== value) ops.push({ op: "add", path: `/metadata/annotations/${pointerToken(key)}`, value });
    }
    if (ops.length === 0)
      return { outcome: "unchanged", response: { uid, allowed: true, warnings, auditAnnotations: audit }, pod: name, decision: summary, input };
    return {
      outcome: "mutated",
      pod: name,
      decision: summary,
      ops,
      input,
      response: { uid, allowed: true, patchType: "JSONPatch", patch: encodePatch(ops), warnings, auditAnnotations: audit },
    };
  }
}

/** The longest denial message (characters): it is answered to the API server and written in the audit line. */
const MAX_DENIAL_MESSAGE = 4096;

/**
 * Why the webhook can never place an artifact, when that is so: no runtime of the policy that
 * runs it is a pod runtime (the default handler, or one with a RuntimeClass) — VM images, in the
 * default policy, run on KVM alone.
 */
function neverPlaced(engine: Engine, artifact: string | null): string | undefined {
  if (artifact === null) return undefined;
  const runners = engine.catalogue.runtimes.filter((r) => (r.runs as string[]).includes(artifact));
  if (runners.some((r) => r.id === "containerd" || r.runtimeClassName !== null)) return undefined;
  return `${PREFIX}artifact ${artifact}: no pod runtime runs it (${runners.map((r) => r.name).join(", ") || "none"}: no RuntimeClass); never placed here`;
}

const DECISION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The decision id the pod carries when its output annotations already say this decision. The
 * API server gives every call its own uid, a reinvocation's too (after the RuntimeClass plugin
 * or another webhook changed the pod): the decision first answered keeps its id.
 */
function carriedDecisionId(a: Annotations, level: string, runtime: string, policy: string): string | undefined {
  const id = a[OUTPUT.decisionId];
  return id !== undefined && DECISION_ID.test(id) && a[OUTPUT.level] === level && a[OUTPUT.runtime] === runtime && a[OUTPUT.policy] === policy ? id : undefined;
}

function deny(uid: string, pod: string, errors: FieldError[]): Admission {
  const { errors: shown, omitted } = listedErrors(errors);
  const listed = shown.map((e) => (e.message.startsWith(e.path) ? e.message : `${e.path}: ${e.message}`)).join("; ");
  const message = clip(`isoplace: invalid annotations on ${pod}: ${listed}${omitted ? `; and ${omitted} more` : ""}`, MAX_DENIAL_MESSAGE);
  return { outcome: "denied", pod, response: { uid, allowed: false, status: { code: 400, reason: "BadRequest", message } } };
}

/** namespace/name, each cut to Kubernetes' own limits (63 and 253): the pod is named in answers and log lines. */
function podName(pod: PodLike, namespace: string | undefined): string {
  const ns = pod.metadata?.namespace || namespace || "default";
  const name = pod.metadata?.name || (pod.metadata?.generateName ? `${pod.metadata.generateName}*` : "(unnamed)");
  return `${clip(ns, 63)}/${clip(name, 253)}`;
}
