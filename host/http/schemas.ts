// Zod schemas of the answers: they generate /openapi.json and the contract tests parse every
// answer with them, so the document cannot drift from what the API really sends.
import { z } from "zod";
import { MAX_LISTED_ERRORS } from "../engine/errors.ts";
import { ARTIFACT_IDS, LEVEL_IDS, METRIC_IDS } from "../engine/vocabulary.ts";

const level = z.enum(LEVEL_IDS);
const figure = z
  .object({
    min: z.number().nullable(),
    max: z.number().nullable(),
    unit: z.enum(["ms", "MB", "%", "stars", "scale"]),
    text: z.string(),
  })
  .nullable()
  .meta({ description: "A figure: min = max for a single value, max null for an open upper end; null where the source has none (N/A)." });

const runtimeFigure = z.object({
  min: z.number().nullable(),
  max: z.number().nullable(),
  unit: z.enum(["ms", "MB", "%", "stars", "scale"]),
  text: z.string(),
  source: z.string().optional().meta({ description: "Where the number comes from (the document's name; the policy source has the whole note)" }),
});

export const fieldError = z.object({ path: z.string(), message: z.string(), allowed: z.array(z.string()).optional() });

export const problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z
      .array(fieldError)
      .max(MAX_LISTED_ERRORS)
      .optional()
      .meta({ description: `At most ${MAX_LISTED_ERRORS} errors, each bounded; omittedErrors counts the rest` }),
    omittedErrors: z.number().int().min(1).optional().meta({ description: "How many more errors the request has, not listed" }),
  })
  .meta({ title: "Problem", description: "RFC 9457 problem details" });

const artifact = z.enum(ARTIFACT_IDS).nullable().meta({ description: "The artifact decided for (null: any)" });
const rankingEntry = z.object({
  level,
  feasible: z.boolean(),
  score: z.number().min(0).max(1).nullable(),
  reasons: z.array(z.string()),
  runtime: z.string().nullable().meta({ description: "The runtime the level would run on (null: none on the node runs the artifact there)" }),
  runtimeClassName: z.string().nullable(),
});
const node = z.object({ source: z.enum(["request", "configured", "detected", "planning"]), runtimes: z.array(z.string()) });
const policyRef = z.object({ name: z.string(), version: z.string(), sha256: z.string() });

export const decision = z
  .object({
    level: level.nullable(),
    levelName: z.string().nullable(),
    runtime: z.string().nullable(),
    runtimeClassName: z.string().nullable(),
    artifact,
    stack: z.string().nullable(),
    fallback: z
      .object({ level, levelName: z.string(), runtime: z.string().nullable(), runtimeClassName: z.string().nullable(), stack: z.string().nullable() })
      .nullable(),
    rule: z.enum(["none", "scenario", "performance", "security", "default", "second-choice", "score"]),
    ranking: z.array(rankingEntry).length(4),
    explanation: z.string(),
    node,
    policy: policyRef,
    decisionId: z.string(),
  })
  .meta({ title: "Decision" });

export const batchAnswer = z.object({ results: z.array(z.union([decision, problem])) }).meta({ title: "BatchAnswer" });

export const rankAnswer = z
  .object({
    best: level.nullable(),
    artifact,
    ranking: z.array(rankingEntry).length(4),
    explanation: z.string(),
    node,
    policy: policyRef,
  })
  .meta({ title: "RankAnswer" });

export const comparison = z
  .object({
    a: level,
    b: level,
    metrics: z
      .array(
        z.object({
          metric: z.enum(METRIC_IDS),
          direction: z.enum(["higher", "lower"]),
          a: figure,
          b: figure,
          better: z.union([level, z.literal("tie")]).nullable(),
        }),
      )
      .length(METRIC_IDS.length),
    wins: z.record(z.string(), z.number().int()),
  })
  .meta({ title: "Comparison" });

export const levels = z
  .object({
    metrics: z.array(z.object({ id: z.enum(METRIC_IDS), name: z.string(), zh: z.string(), direction: z.enum(["higher", "lower"]), unit: z.string() })),
    technical: z.array(z.object({ id: z.string(), name: z.string(), zh: z.string() })),
    levels: z.array(
      z.object({
        id: level,
        name: z.string(),
        zh: z.string(),
        what: z.string(),
        examples: z.array(z.string()),
        placeable: z.boolean(),
        figures: z.record(z.string(), figure),
        technical: z.record(z.string(), z.string()),
        runtimes: z
          .array(
            z.object({
              id: z.string(),
              name: z.string(),
              runtimeClassName: z.string().nullable(),
              runs: z.array(z.enum(ARTIFACT_IDS)),
              requires: z.array(z.string()),
              figures: z.record(z.string(), runtimeFigure),
            }),
          )
          .meta({
            description: "The runtimes that provide the level, what they run, and their own figures where they differ from the level's (API.md rule 6)",
          }),
      }),
    ),
  })
  .meta({ title: "Levels" });

const scenarioLevel = z.object({ fit: z.number().int().min(0).max(4), symbol: z.string(), note: z.string(), stack: z.string(), added: z.boolean().optional() });
const choice = z.object({ level, stack: z.string() }).nullable();
export const scenarios = z
  .object({
    scenarios: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        zh: z.string(),
        added: z.boolean().optional(),
        first: choice,
        second: choice,
        levels: z.record(z.string(), scenarioLevel),
      }),
    ),
    needs: z.array(
      z.object({
        id: z.string(),
        group: z.enum(["performance", "security", "cost"]),
        name: z.string(),
        zh: z.string(),
        levels: z.array(level),
        reason: z.string(),
        metrics: z.array(z.string()),
      }),
    ),
    runtimes: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        levels: z.array(level),
        requires: z.array(z.string()),
        runs: z.array(z.enum(ARTIFACT_IDS)),
        runtimeClassName: z.string().nullable(),
      }),
    ),
    versions: z.record(z.string(), z.string()),
    outcomes: z.array(z.object({ name: z.string(), placements: z.record(z.string(), z.string()), results: z.array(z.string()) })),
  })
  .meta({ title: "Scenarios" });

const policyInfo = z.object({
  name: z.string(),
  version: z.string(),
  sha256: z.string(),
  abi: z.number().int(),
  moduleSha256: z.string().optional(),
  activatedAt: z.string(),
  source: z.string(),
  // from the signed statement (absent for the built-in default); a rollback says what it replaced
  keyId: z.string().optional(),
  serial: z.number().int().optional(),
  issuedAt: z.string().optional(),
  expires: z.string().optional(),
  activatedBy: z.literal("rollback").optional(),
  rollback: z.object({ from: z.object({ name: z.string(), version: z.string(), serial: z.number().int().optional(), moduleSha256: z.string() }) }).optional(),
  // a staged statement: how this agent came to adopt it
  adoption: z
    .object({
      bucket: z.number(),
      percent: z.number(),
      opensAt: z.string(),
      guard: z.enum(["none", "passed", "silent"]),
      decisions: z.number().int(),
      changed: z.number().int(),
      message: z.string(),
    })
    .optional(),
});
const transition = z.object({ from: z.string(), to: z.string(), count: z.number().int(), example: z.string() });
const pendingPolicy = z
  .object({
    name: z.string(),
    version: z.string(),
    serial: z.number().int(),
    moduleSha256: z.string(),
    source: z.string(),
    bucket: z.number().meta({ description: "This agent's rollout bucket, 0–100" }),
    percent: z.number().meta({ description: "The plan's step that covers the bucket" }),
    opensAt: z.string(),
    bakeUntil: z.string().optional(),
    since: z.string(),
    guard: z.object({ maxChangedShare: z.number(), minShadowDecisions: z.number().int(), bake: z.number().int() }).optional(),
    shadow: z.object({ decisions: z.number().int(), changed: z.number().int(), unsampled: z.number().int(), transitions: z.array(transition) }),
  })
  .meta({
    title: "PendingPolicy",
    description: "A verified candidate held until its rollout step opens and its guard speaks, decided in the shadow of the live decisions",
  });
export const policyStatus = z
  .object({
    active: policyInfo,
    history: z.array(policyInfo),
    pending: pendingPolicy.nullable().optional(),
    lastCheck: z.string().nullable().optional(),
    lastError: z
      .object({
        at: z.string(),
        reason: z.string(),
        message: z.string(),
        source: z.string().optional(),
        decisions: z.number().int().optional(),
        changed: z.number().int().optional(),
        transitions: z.array(transition).optional(),
      })
      .nullable()
      .optional(),
  })
  .meta({ title: "PolicyStatus" });

export const health = z.object({ status: z.string() });
export const ready = z.object({ status: z.string(), policy: policyRef.optional() });
