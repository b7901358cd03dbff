// What a request is in the module's terms (a valid request comes out as indices into its tables),
// and the policy's id tables it is read with. The zod schemas that validate a request with every
// field's error are in request-schemas.ts, loaded when first needed (validation.ts).
import type { Catalogue } from "./catalogue.ts";
import { ARTIFACT_ALIASES, ARTIFACT_IDS, METRIC_IDS, type NeedGroup } from "./vocabulary.ts";

export interface Constraints {
  maxColdStartMs?: number;
  maxMemoryMb?: number;
  maxCpuOverheadPct?: number;
  minIsolation?: number;
}

/** A validated request, in the module's terms. */
export interface Placement {
  scenario: number; // index, -1 none
  performance: number[]; // need indices, in the order given
  security: number[];
  cost: number[];
  constraints: Constraints;
  weights?: number[]; // one per metric, METRIC_IDS order (not a Float64Array: a small one is costly to make)
  runtimes?: number[]; // runtime indices; undefined: the agent's node profile
  artifact: number; // index into ARTIFACT_IDS, -1: any artifact
}

export interface RankRequest {
  constraints: Constraints;
  weights: number[];
  runtimes?: number[];
  artifact: number;
}

/** Ids with their Chinese aliases → index. */
export interface IdTable {
  ids: string[];
  index: Map<string, number>;
  allowed: string[];
}

export function idTable(entries: { id: string; zh?: string }[]): IdTable {
  const index = new Map<string, number>();
  entries.forEach((e, i) => {
    index.set(e.id, i);
    if (e.zh && !index.has(e.zh)) index.set(e.zh, i);
  });
  return { ids: entries.map((e) => e.id), index, allowed: entries.map((e) => (e.zh && e.zh !== e.id ? `${e.id} (${e.zh})` : e.id)) };
}

/** The artifact kinds: ids, then their aliases (the first alias shown beside the id). */
function artifactTable(): IdTable {
  const index = new Map<string, number>();
  ARTIFACT_IDS.forEach((id, i) => index.set(id, i));
  ARTIFACT_IDS.forEach((id, i) => {
    for (const a of ARTIFACT_ALIASES[id]) if (!index.has(a)) index.set(a, i);
  });
  return { ids: [...ARTIFACT_IDS], index, allowed: ARTIFACT_IDS.map((id) => `${id} (${ARTIFACT_ALIASES[id].join(", ")})`) };
}

export const LIST_MAX = 32;

/** One zero per metric: each request's weights start as a copy (cheaper than building one). */
export const NO_WEIGHTS: readonly number[] = METRIC_IDS.map(() => 0);

export const CONSTRAINT_KEYS = ["maxColdStartMs", "maxMemoryMb", "maxCpuOverheadPct", "minIsolation"] as const;

/** The policy's ids (and aliases) by kind: cheap, built with every engine. */
export function requestTables(catalogue: Catalogue) {
  const group = (g: NeedGroup) => idTable(catalogue.needs.map((n, i) => ({ ...n, i })).filter((n) => n.group === g));
  return {
    scenario: idTable(catalogue.scenarios),
    performance: group("performance"),
    security: group("security"),
    cost: group("cost"),
    metric: idTable(catalogue.metrics),
    runtime: idTable(catalogue.runtimes),
    level: idTable(catalogue.levels),
    artifact: artifactTable(),
  };
}

export type RequestTables = ReturnType<typeof requestTables>;

/** Long or hostile strings are cut before they are echoed back. */
export function clip(s: string, max = 64): string {
  const safe = s.replace(/[\u0000-\u001f\u007f]/g, "?");
  return safe.length > max ? `${safe.slice(0, max)}…` : safe;
}
