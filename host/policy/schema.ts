// The policy source format (policies/*.yaml), as a zod schema. `policy build` validates a source
// with it, and policies/policy.schema.json is generated from it (npm run schema).
import { z } from "zod";
import { ARTIFACT_IDS, LEVEL_IDS, METRIC_IDS, NEED_GROUPS, PLACEABLE_LEVELS } from "../engine/vocabulary.ts";

const id = z.string().regex(/^[a-z][a-z0-9-]*$/, "an id is lower-case letters, digits and dashes");
const text = z.string().min(1).max(200);
const level = z.enum(LEVEL_IDS);
const placeable = z.enum(PLACEABLE_LEVELS);
const metric = z.enum(METRIC_IDS);

/** A figure: a single value, null (N/A), or a range; max null is an open upper end. */
export const figureSchema = z.union([z.number().finite(), z.null(), z.strictObject({ min: z.number().finite(), max: z.number().finite().nullable(), text })]);

export const FIT_SYMBOLS = ["❌", "⚠️", "✅", "✅✅", "✅✅✅"] as const;

const levelSchema = z.strictObject({
  id: level,
  name: text,
  zh: text,
  what: text,
  examples: z.array(text),
  figures: z.strictObject(Object.fromEntries(METRIC_IDS.map((m) => [m, figureSchema])) as Record<(typeof METRIC_IDS)[number], typeof figureSchema>),
  technical: z.record(z.string(), text),
});

const needSchema = z.strictObject({
  id,
  group: z.enum(NEED_GROUPS),
  name: text,
  zh: text,
  levels: z.array(placeable).min(1),
  reason: text,
  metrics: z.array(metric).min(1),
});

/**
 * A stack built on a runtime: the answer names the orchestrator, then the runtime the level runs
 * on (this one, or another of the level's where the node or the artifact calls for it) with its
 * version from `versions`, then `extra` as written.
 */
const stackPartsSchema = z
  .strictObject({
    orchestrator: text.optional(),
    runtime: id,
    extra: text.optional(),
  })
  .describe(
    'A stack built on a runtime, e.g. { orchestrator: K3s, runtime: wasmedge } → "K3s + WasmEdge 0.14.1"; an answer on another runtime of the level names that one, with its own version from `versions`.',
  );

const stackSchema = z.union([
  text.describe('A stack that names no runtime of its level, e.g. "KVM + virtio"; the same whatever the runtime.'),
  stackPartsSchema,
]);

const scenarioLevelSchema = z.strictObject({
  fit: z.enum(FIT_SYMBOLS),
  note: text,
  stack: stackSchema,
  added: z.boolean().optional(),
});

const scenarioSchema = z.strictObject({
  id,
  name: text,
  zh: text,
  first: placeable,
  second: placeable.optional(),
  added: z.boolean().optional(),
  levels: z.strictObject({ L1: scenarioLevelSchema, L2: scenarioLevelSchema, L3: scenarioLevelSchema, L4: scenarioLevelSchema }),
});

/**
 * A runtime's own figure for a metric where it differs from its level's (API.md rule 6), with
 * where the number comes from. min = max for a single value; max null for an open upper end.
 */
const runtimeFigureSchema = z.strictObject({
  min: z.number().finite(),
  max: z.number().finite().nullable(),
  text,
  source: z.string().min(1).max(600),
});

const runtimeSchema = z.strictObject({
  id,
  name: text,
  levels: z.array(placeable).min(1),
  /** The artifacts it runs; absent: every kind (a source written before artifacts counted). */
  runs: z.array(z.enum(ARTIFACT_IDS)).min(1).optional(),
  figures: z.partialRecord(metric, runtimeFigureSchema).optional(),
  requires: z.array(id).optional(),
  runtimeClassName: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "a Kubernetes object name")
    .max(63)
    .nullable(),
  detect: z
    .strictObject({
      device: z.string().optional(),
      socket: z.array(z.string()).optional(),
      binary: z.array(z.string()).optional(),
    })
    .optional(),
});

const testSchema = z.strictObject({
  name: text,
  request: z.record(z.string(), z.unknown()),
  expect: z.union([placeable, z.array(placeable).min(1), z.null()]),
  /** The runtime the answer must name (checked by the module's self-test too). */
  runtime: id.optional(),
});

export const policySchema = z.strictObject({
  apiVersion: z.literal("isoplace/v1"),
  name: id,
  version: z.string().regex(/^[0-9A-Za-z.+-]{1,40}$/, "a version is letters, digits, dots, dashes and pluses"),
  source: z.strictObject({ title: text, updated: z.union([z.string(), z.date()]).transform(String) }).optional(),
  versions: z.record(z.string(), z.union([z.string(), z.number()]).transform(String)).optional(),
  defaultLevel: placeable.default("L3"),
  metrics: z
    .array(
      z.strictObject({
        id: metric,
        name: text,
        zh: text,
        direction: z.enum(["higher", "lower"]),
        unit: z.enum(["stars", "ms", "MB", "%", "scale"]),
      }),
    )
    .length(METRIC_IDS.length),
  technical: z.array(z.strictObject({ id: z.string().regex(/^[a-zA-Z]+$/), name: text, zh: text })),
  levels: z.array(levelSchema).length(LEVEL_IDS.length),
  needs: z.array(needSchema).min(1).max(32),
  scenarios: z.array(scenarioSchema).min(1).max(32),
  runtimes: z.array(runtimeSchema).min(1).max(16),
  outcomes: z
    .array(
      z.strictObject({
        name: text,
        placements: z.record(z.string(), text),
        results: z.array(text),
      }),
    )
    .optional(),
  tests: z.array(testSchema).max(64).optional(),
});

export type PolicySource = z.infer<typeof policySchema>;
