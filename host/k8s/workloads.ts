// The kinds that make pods, and where each keeps its pod template: what `isoplace plan` reads from
// a manifest. Runtime-neutral.

/** group/kind (the core group empty) → the path of the pod template in the object ([] for a Pod itself). */
const TEMPLATES: ReadonlyMap<string, readonly string[]> = new Map([
  ["/Pod", []],
  ["/ReplicationController", ["spec", "template"]],
  ["apps/Deployment", ["spec", "template"]],
  ["apps/ReplicaSet", ["spec", "template"]],
  ["apps/StatefulSet", ["spec", "template"]],
  ["apps/DaemonSet", ["spec", "template"]],
  ["batch/Job", ["spec", "template"]],
  ["batch/CronJob", ["spec", "jobTemplate", "spec", "template"]],
]);

export const WORKLOAD_KINDS = [...TEMPLATES.keys()].map((k) => k.slice(k.indexOf("/") + 1));

/** The group of an apiVersion: "apps/v1" → "apps", "v1" → "" (the core group). */
export const groupOf = (apiVersion: string): string => (apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "");

/** Where the object's pod template is, or undefined for a kind that makes no pods (a ConfigMap, a custom resource…). */
export function podTemplatePath(apiVersion: string, kind: string): readonly string[] | undefined {
  return TEMPLATES.get(`${groupOf(apiVersion)}/${kind}`);
}

/** A List (`kind: List`, or a typed list such as PodList): its items are objects of their own. */
export const isList = (kind: string): boolean => kind === "List" || kind.endsWith("List");
