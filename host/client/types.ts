// What the client sends and gets, as types of the schemas the server itself uses: the request
// schemas the engine validates with (zod input types) and the answer schemas that generate
// /openapi.json and that the contract tests parse every answer with. Type-only imports: no zod
// reaches a caller's bundle.
import type { z } from "zod";
import type { RequestSchemas } from "../engine/request-schemas.ts";
import type * as S from "../http/schemas.ts";

/** POST /v1/decide's body (each item of POST /v1/decide/batch). */
export type DecideRequest = z.input<RequestSchemas["decide"]>;
/** POST /v1/rank's body. */
export type RankRequest = z.input<RequestSchemas["rank"]>;
/** A level id of GET /v1/compare (or its Chinese name). */
export type LevelRef = z.input<RequestSchemas["level"]>;

export type Decision = z.output<typeof S.decision>;
export type BatchAnswer = z.output<typeof S.batchAnswer>;
export type RankAnswer = z.output<typeof S.rankAnswer>;
export type Comparison = z.output<typeof S.comparison>;
export type Levels = z.output<typeof S.levels>;
export type Scenarios = z.output<typeof S.scenarios>;
export type PolicyStatus = z.output<typeof S.policyStatus>;
/** An RFC 9457 problem as the API sends it (a batch item's, or a failed request's). */
export type Problem = z.output<typeof S.problem>;
export type FieldError = z.output<typeof S.fieldError>;

/** Where an answer came from: the agent (or Worker) called, or the fallback. */
export type Source = "agent" | "fallback";
export type Answer<T> = T & { source: Source };
