// The fixed vocabulary of the ABI: levels and metrics have fixed positions in the module's
// tables. Scenarios, needs and runtimes are policy data (see catalogue.ts).
export const LEVEL_IDS = ["L0", "L1", "L2", "L3", "L4"] as const;
export const PLACEABLE_LEVELS = ["L1", "L2", "L3", "L4"] as const;
export const METRIC_IDS = [
  "isolation",
  "coldStart",
  "memory",
  "cpu",
  "utilization",
  "density",
  "network",
  "storage",
  "compatibility",
  "portability",
  "compliance",
  "operability",
] as const;
export const NEED_GROUPS = ["performance", "security", "cost"] as const;

export type LevelId = (typeof LEVEL_IDS)[number];
export type PlaceableLevel = (typeof PLACEABLE_LEVELS)[number];
export type MetricId = (typeof METRIC_IDS)[number];
export type NeedGroup = (typeof NEED_GROUPS)[number];

/** Index of a level id in the module's tables (L0 = 0 … L4 = 4). */
export const levelIndex = (id: string): number => LEVEL_IDS.indexOf(id as LevelId);

/**
 * What a workload ships as (API.md `artifact`): a fixed vocabulary, since the module keeps one
 * bit per kind (a runtime's `runs`). Aliases: other names people use for the same thing.
 */
export const ARTIFACT_IDS = ["container", "wasm", "vm"] as const;
export type ArtifactId = (typeof ARTIFACT_IDS)[number];
export const ARTIFACT_ALIASES: Record<ArtifactId, readonly string[]> = {
  container: ["oci", "image", "容器镜像"],
  wasm: ["webassembly", "component", "WebAssembly模块"],
  vm: ["vm-image", "disk-image", "虚拟机镜像"],
};
/** How reasons name each kind: "no runtime for container images at L4 …". */
export const ARTIFACT_WORDS: Record<ArtifactId, string> = { container: "container images", wasm: "Wasm modules", vm: "VM images" };
