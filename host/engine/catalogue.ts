// The policy's catalogue: the text half of a policy module, stored in it once as UTF-8 JSON.
// Numbers (figures, fit ratings) live in the module's tables and are joined in by the engine.
import type { ArtifactId, LevelId, MetricId, NeedGroup, PlaceableLevel } from "./vocabulary.ts";

export interface CatalogueMetric {
  id: MetricId;
  name: string;
  zh: string;
  direction: "higher" | "lower";
  unit: Unit;
}
export type Unit = "stars" | "ms" | "MB" | "%" | "scale";

export interface CatalogueLevel {
  id: LevelId;
  name: string;
  zh: string;
  what: string;
  examples: string[];
  /** Per metric, in METRIC_IDS order: the figure's text, or null where the source has none. */
  figures: (string | null)[];
  /** Per technical dimension, in `technical` order. */
  technical: string[];
}

export interface CatalogueNeed {
  id: string;
  group: NeedGroup;
  name: string;
  zh: string;
  levels: PlaceableLevel[];
  reason: string;
  metrics: MetricId[];
}

/**
 * A scenario's stack for a level: text naming no runtime of the level, or [orchestrator ("" for
 * none), the id of the runtime it is built on, text after it] (host/engine/stacks.ts).
 */
export type CatalogueStack = string | [orchestrator: string, runtime: string, extra?: string];
export interface CatalogueScenarioLevel {
  fit: string;
  note: string;
  stack: CatalogueStack;
  added?: boolean;
}
export interface CatalogueScenario {
  id: string;
  name: string;
  zh: string;
  first: PlaceableLevel;
  second?: PlaceableLevel;
  added?: boolean;
  /** L1..L4. */
  levels: CatalogueScenarioLevel[];
}

export interface CatalogueRuntime {
  id: string;
  name: string;
  levels: PlaceableLevel[];
  requires: string[];
  /** The artifacts it runs. */
  runs: ArtifactId[];
  runtimeClassName: string | null;
  /** Its own figures, in the order of the module's runtimeFigures() table (the numbers are there). */
  figures: { metric: MetricId; text: string; source?: string }[];
  detect?: { device?: string; socket?: string[]; binary?: string[] };
}

export interface Catalogue {
  name: string;
  version: string;
  source?: { title: string; updated: string };
  versions: Record<string, string>;
  defaultLevel: PlaceableLevel;
  metrics: CatalogueMetric[];
  technical: { id: string; name: string; zh: string }[];
  levels: CatalogueLevel[];
  needs: CatalogueNeed[];
  scenarios: CatalogueScenario[];
  runtimes: CatalogueRuntime[];
  outcomes: { name: string; placements: Record<string, string>; results: string[] }[];
}

/** The module's metadata, in its `isoplace.meta` custom section. */
export interface PolicyMeta {
  name: string;
  version: string;
  sourceSha256: string;
  abi: number;
  compiler: string;
}

/**
 * The names of a module's self-test vectors, in the module's order: those every policy carries
 * (derived here from the catalogue, as `policy build` derives the vectors), then the source's
 * own tests (`tests` in the catalogue). Only the latter are stored, to keep the module small.
 */
export function vectorNames(c: Catalogue & { tests?: string[] }): string[] {
  return [
    ...c.scenarios.map((s) => `scenario ${s.id} → ${s.first}`),
    ...c.needs.filter((n) => n.group !== "cost").map((n) => `${n.group} need ${n.id} → ${n.levels.join("/")}`),
    `no scenario or need → ${c.defaultLevel}`,
    ...(c.tests ?? []),
  ];
}
