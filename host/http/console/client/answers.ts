// The API's answers as the console reads them: the engine's own types, so a change to an answer's
// shape fails the console's type check too.
import type { Comparison, Decision, Engine } from "../../../engine/engine.ts";

export type Levels = ReturnType<Engine["levels"]>;
export type Level = Levels["levels"][number];
export type Metric = Levels["metrics"][number];
export type Scenarios = ReturnType<Engine["scenarios"]>;
export type { Comparison, Decision };

/** What the console shows of GET /v1/policy. */
export interface PolicyStatus {
  active: { name: string; version: string; source: string };
}
