// The runtime-neutral engine: what every host (Node, Worker, CLI, library) builds on.
export { createEngine, sha256Hex, Engine } from "./engine.ts";
export type { Decision, RankAnswer, Comparison, EngineOptions, NodeProfile, PolicyInfo, Placed } from "./engine.ts";
export { InvalidRequestError, PolicyRejectedError, PolicyTrapError } from "./errors.ts";
export type { FieldError, RejectReason } from "./errors.ts";
export { readMeta, customSections } from "./meta.ts";
export type {
  Catalogue,
  CatalogueLevel,
  CatalogueMetric,
  CatalogueNeed,
  CatalogueRuntime,
  CatalogueScenario,
  CatalogueScenarioLevel,
  PolicyMeta,
} from "./catalogue.ts";
export type { Figure } from "./figures.ts";
export type { RankingEntry } from "./answer.ts";
export { LEVEL_IDS, PLACEABLE_LEVELS, METRIC_IDS, ARTIFACT_IDS, ARTIFACT_ALIASES } from "./vocabulary.ts";
export type { ArtifactId } from "./vocabulary.ts";
export { ABI_VERSION, META_SECTION } from "./abi.ts";
export { diffPolicies } from "./diff.ts";
export type { PolicyDiff, DiffOptions, Transition, Outcome, Example } from "./diff.ts";
export type { CatalogueChange } from "./diff-catalogue.ts";
export type { SelfTestVector } from "./vectors.ts";
