// The API's routes, each described once: the app registers the handler and /openapi.json
// documents it from the same description and the engine's own request schemas. Answer schemas
// are named here (host/http/schemas.ts) and built only when /openapi.json is first asked for.
import type { z } from "zod";
import { InvalidRequestError, MAX_LISTED_ERRORS } from "../engine/errors.ts";
import { loadValidation, validation } from "../engine/validation.ts";
import { consoleRoutes } from "./console/routes.ts";
import { invalidRequest, ProblemError, problemOf } from "./problem.ts";
import type { AppOptions, RouteSpec } from "./types.ts";

export const MAX_BATCH = 1000;
/** The most errors one batch answer lists, over all its items. */
const MAX_BATCH_LISTED_ERRORS = 100;

const json = "application/json";
const problems = {
  400: { description: "Invalid request: errors name each bad field", schema: "problem", contentType: "application/problem+json" },
  413: { description: "Body over 64 KiB", schema: "problem", contentType: "application/problem+json" },
  415: { description: "Body is not JSON", schema: "problem", contentType: "application/problem+json" },
} as const;

// Built on the first batch: no decision needs it.
let envelope: z.ZodType<{ items: unknown[] }> | undefined;
const batchEnvelope = ({ z }: { z: typeof import("zod").z }) =>
  (envelope ??= z.strictObject(
    {
      items: z.array(z.unknown(), { error: "items must be a list of decide requests" }).max(MAX_BATCH, `at most ${MAX_BATCH} items`),
    },
    { error: "the request must be a JSON object with items: [...]" },
  ));

export function coreRoutes(options: AppOptions): RouteSpec[] {
  return [
    {
      method: "post",
      path: "/v1/decide",
      operationId: "decide",
      summary: "Which isolation level and runtime for a workload",
      body: { contentType: json, schema: (e) => e.schemas.decide },
      responses: { 200: { description: "The decision (level null when nothing is feasible)", schema: "decision" }, ...problems },
      json: (body, call) => {
        const decision = call.engine.decide(body);
        call.decision = { id: decision.decisionId, level: decision.level };
        options.onDecision?.(decision, body);
        return decision;
      },
    },
    {
      method: "post",
      path: "/v1/decide/batch",
      operationId: "decideBatch",
      summary: `Up to ${MAX_BATCH} decisions; a bad item answers its own problem`,
      body: {
        contentType: json,
        schema: (e) => {
          const { z } = validation();
          return z.object({ items: z.array(e.schemas.decide).max(MAX_BATCH) });
        },
      },
      responses: { 200: { description: "One decision or problem per item, in order", schema: "batchAnswer" }, ...problems },
      json: async (body, { engine }) => {
        // loaded first: an item may need the request schemas (validation.ts)
        const v = await loadValidation();
        const { items } = v.parseOrThrow(batchEnvelope(v), body);
        // the answer lists at most MAX_BATCH_LISTED_ERRORS errors in all (each item at most
        // MAX_LISTED_ERRORS); the items after that say how many they have (docs/API.md, bounds)
        let listable = MAX_BATCH_LISTED_ERRORS;
        const results = items.map((item: unknown, i: number) => {
          try {
            const d = engine.decide(item);
            options.onDecision?.(d, item);
            return d;
          } catch (err) {
            if (!(err instanceof InvalidRequestError)) throw err;
            const max = Math.min(MAX_LISTED_ERRORS, listable);
            listable -= Math.min(max, err.errors.length);
            const detail =
              max > 0
                ? `Item ${i} is invalid; see errors.`
                : `Item ${i} is invalid (${err.errors.length} error${err.errors.length === 1 ? "" : "s"}); this answer lists errors for the first items only (${MAX_BATCH_LISTED_ERRORS} in all): send the item alone to see them.`;
            return invalidRequest(
              err.errors.map((e) => ({ ...e, path: `items[${i}]${e.path ? `.${e.path}` : ""}` })),
              detail,
              max,
            );
          }
        });
        return { results };
      },
    },
    {
      method: "post",
      path: "/v1/rank",
      operationId: "rank",
      summary: "The best feasible level by a direction-aware, normalised weighted score",
      body: { contentType: json, schema: (e) => e.schemas.rank },
      responses: { 200: { description: "The ranking", schema: "rankAnswer" }, ...problems },
      json: (body, { engine }) => engine.rank(body),
    },
    {
      method: "get",
      path: "/v1/compare",
      operationId: "compare",
      summary: "Two levels, metric by metric over the core matrix, with the better one marked",
      query: {
        a: { description: "a level, L0–L4 (or its Chinese name)", schema: (e) => e.schemas.level, required: true },
        b: { description: "a level, L0–L4 (or its Chinese name)", schema: (e) => e.schemas.level, required: true },
      },
      responses: { 200: { description: "The comparison", schema: "comparison" }, 400: problems[400] },
      handler: (c) => c.json(c.get("engine").compare(c.req.query("a"), c.req.query("b"))),
    },
    {
      method: "get",
      path: "/v1/levels",
      operationId: "levels",
      summary: "Both matrices for every level, figures with ranges and units",
      responses: { 200: { description: "The levels", schema: "levels" } },
      json: (_, { engine }) => engine.levels(),
    },
    {
      method: "get",
      path: "/v1/scenarios",
      operationId: "scenarios",
      summary: "Scenarios with suitability, stacks and first/second choices; needs; runtimes",
      responses: { 200: { description: "The scenarios", schema: "scenarios" } },
      json: (_, { engine }) => engine.scenarios(),
    },
    {
      method: "get",
      path: "/v1/policy",
      operationId: "policy",
      summary: "The active policy and the previous ones kept for rollback",
      responses: { 200: { description: "Policy status", schema: "policyStatus" } },
      json: (_, { engine }) =>
        options.policyStatus?.() ?? {
          active: { ...engine.policy, activatedAt: startedAt(), source: "built-in" },
          history: [],
          lastCheck: null,
          lastError: null,
        },
    },
    {
      method: "get",
      path: "/healthz",
      operationId: "healthz",
      summary: "Alive",
      responses: { 200: { description: "Alive", schema: "health" } },
      json: () => ({ status: "ok" }),
    },
    {
      method: "get",
      path: "/readyz",
      operationId: "readyz",
      summary: "Ready: a verified policy is active",
      responses: {
        200: { description: "Ready", schema: "ready" },
        503: { description: "No verified policy yet", schema: "problem", contentType: "application/problem+json" },
      },
      json: (_, { engine }) => {
        if (options.ready && !options.ready())
          throw new ProblemError(problemOf(503, "not-ready", "Not ready", options.notReadyDetail?.() ?? "No verified policy is active yet."));
        const { name, version, sha256 } = engine.policy;
        return { status: "ready", policy: { name, version, sha256 } };
      },
    },
    ...consoleRoutes(),
  ];
}

// Taken at the first request: Workers freeze the clock while a script's top level runs.
let started: string | undefined;
const startedAt = () => (started ??= new Date().toISOString());
