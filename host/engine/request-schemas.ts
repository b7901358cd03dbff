// Request validation: zod schemas built from the active policy's catalogue, so the ids (and
// their Chinese aliases) a request may use are exactly the policy's, and every bad field is
// reported with what is allowed. Loaded when first needed (validation.ts), not with the engine.
import { z } from "zod";
import type { Catalogue } from "./catalogue.ts";
import { InvalidRequestError, type FieldError } from "./errors.ts";
import {
  CONSTRAINT_KEYS,
  LIST_MAX,
  NO_WEIGHTS,
  clip,
  idTable,
  requestTables,
  type IdTable,
  type Placement,
  type RankRequest,
  type RequestTables,
} from "./request.ts";
import { LEVEL_IDS, PLACEABLE_LEVELS, type NeedGroup } from "./vocabulary.ts";

export { z };

/** One id of `kind` from `table`; an unknown id fails naming the allowed ones. */
function idOf(kind: string, table: IdTable) {
  return z
    .string({ error: `${kind} must be a string id; allowed: ${table.ids.join(", ")}` })
    .transform((s, ctx) => {
      const i = table.index.get(s);
      if (i === undefined) {
        ctx.addIssue({ code: "custom", message: `unknown ${kind} "${clip(s)}"; allowed: ${table.allowed.join(", ")}`, params: { allowed: table.ids } });
        return z.NEVER;
      }
      return i;
    })
    .meta({ enum: [...table.index.keys()], description: `a ${kind} id (or its Chinese name)` });
}

/** A need may be one id or a list of ids. */
function needsOf(kind: string, table: IdTable) {
  const one = idOf(kind, table);
  return z
    .union([one.transform((i) => [i]), z.array(one).max(LIST_MAX)], {
      error: `${kind} must be an id or a list of ids; allowed: ${table.ids.join(", ")}`,
    })
    .meta({ description: `one ${kind} id or a list (the first counts most)` });
}

const nonNegative = (what: string) =>
  z
    .number({ error: `${what} must be a finite number` })
    .finite(`${what} must be a finite number`)
    .nonnegative(`${what} must be ≥ 0`);

const constraintsSchema = z.strictObject(
  {
    maxColdStartMs: nonNegative("maxColdStartMs").optional(),
    maxMemoryMb: nonNegative("maxMemoryMb").optional(),
    maxCpuOverheadPct: nonNegative("maxCpuOverheadPct").optional(),
    minIsolation: z
      .number({ error: "minIsolation must be a number of stars, 1–5" })
      .min(1, "minIsolation is 1–5 stars")
      .max(5, "minIsolation is 1–5 stars")
      .optional(),
  },
  { error: "constraints must be an object" },
);

export function requestSchemas(catalogue: Catalogue, tables: RequestTables = requestTables(catalogue)) {
  const needIndex = (g: NeedGroup) => {
    const rows = catalogue.needs.map((n, i) => ({ n, i })).filter((r) => r.n.group === g);
    return (local: number) => rows[local].i;
  };
  const toGlobal = { performance: needIndex("performance"), security: needIndex("security"), cost: needIndex("cost") };

  // Every own key is checked, "__proto__" included (a record schema would skip it), and every
  // bad key and value is reported at once.
  const weights = z
    .custom<Record<string, unknown>>((v) => typeof v === "object" && v !== null && [Object.prototype, null].includes(Object.getPrototypeOf(v)), {
      error: "weights must be an object of metric: number",
    })
    .transform((record, ctx) => {
      const out = NO_WEIGHTS.slice();
      for (const key of Object.keys(record)) {
        const value = record[key],
          i = tables.metric.index.get(key);
        if (i === undefined) {
          ctx.addIssue({
            code: "custom",
            path: [key],
            message: `unknown metric "${clip(key)}"; allowed: ${tables.metric.allowed.join(", ")}`,
            params: { allowed: tables.metric.ids },
          });
        } else if (typeof value !== "number" || !Number.isFinite(value)) {
          ctx.addIssue({ code: "custom", path: [key], message: "a weight must be a finite number" });
        } else if (value < 0) {
          ctx.addIssue({ code: "custom", path: [key], message: "a weight must be ≥ 0" });
        } else out[i] += value;
      }
      return out;
    })
    .meta({
      type: "object",
      additionalProperties: { type: "number", minimum: 0 },
      propertyNames: { enum: [...tables.metric.index.keys()] },
      description: "metric: weight ≥ 0",
    });

  const node = z.strictObject(
    {
      runtimes: z.array(idOf("runtime", tables.runtime)).max(LIST_MAX),
    },
    { error: "node must be an object with runtimes: [ids]" },
  );

  const artifact = idOf("artifact", tables.artifact).meta({
    enum: [...tables.artifact.index.keys()],
    description: "what the workload ships as: container (an OCI image), wasm (a WebAssembly module), vm (a VM disk image); absent: any",
  });

  const workload = z.strictObject(
    {
      scenario: idOf("scenario", tables.scenario).optional(),
      performance: needsOf("performance need", tables.performance).optional(),
      security: needsOf("security need", tables.security).optional(),
      cost: needsOf("cost need", tables.cost).optional(),
      constraints: constraintsSchema.optional(),
      weights: weights.optional(),
      artifact: artifact.optional(),
    },
    { error: "workload must be an object" },
  );

  const decide = z.strictObject({ workload: workload.optional(), node: node.optional() }, { error: "the request must be a JSON object" }).transform(
    ({ workload: w = {}, node: n }): Placement => ({
      scenario: w.scenario ?? -1,
      performance: (w.performance ?? []).map(toGlobal.performance),
      security: (w.security ?? []).map(toGlobal.security),
      cost: (w.cost ?? []).map(toGlobal.cost),
      constraints: w.constraints ?? {},
      weights: w.weights,
      runtimes: n?.runtimes,
      artifact: w.artifact ?? -1,
    }),
  );

  const rank = z
    .strictObject(
      {
        weights,
        constraints: constraintsSchema.optional(),
        node: node.optional(),
        artifact: artifact.optional(),
      },
      { error: "the request must be a JSON object with weights" },
    )
    .transform((r): RankRequest => ({ weights: r.weights, constraints: r.constraints ?? {}, runtimes: r.node?.runtimes, artifact: r.artifact ?? -1 }));

  const level = (placeableOnly: boolean) => {
    const ids = placeableOnly ? PLACEABLE_LEVELS : LEVEL_IDS;
    const table = idTable(catalogue.levels.filter((l) => (ids as readonly string[]).includes(l.id)));
    return idOf("level", table).transform((i) => LEVEL_IDS.indexOf(table.ids[i] as (typeof LEVEL_IDS)[number]));
  };

  return { decide, rank, level: level(false), tables };
}

export type RequestSchemas = ReturnType<typeof requestSchemas>;

/** Parses with a schema, or throws InvalidRequestError listing every bad field. */
export function parseOrThrow<T>(schema: z.ZodType<T>, input: unknown, prefix = ""): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new InvalidRequestError(fieldErrors(result.error, prefix));
}

/** The fields each object of a request may have, by the key it sits under ("" = the top). */
const KNOWN_FIELDS: Record<string, readonly string[]> = {
  "": ["workload", "node"],
  workload: ["scenario", "artifact", "performance", "security", "cost", "constraints", "weights"],
  constraints: CONSTRAINT_KEYS,
  node: ["runtimes"],
};

export function fieldErrors(error: z.ZodError, prefix = ""): FieldError[] {
  const seen = new Set<string>();
  const out: FieldError[] = [];
  for (const issue of flatten(error.issues)) {
    const path = joinPath(prefix, issue.path);
    let message = issue.message;
    if (issue.code === "unrecognized_keys") {
      const known = KNOWN_FIELDS[String(issue.path.at(-1) ?? "")];
      message = `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${clip(k)}"`).join(", ")}${known ? `; allowed: ${known.join(", ")}` : ""}`;
    }
    const key = `${path}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const allowed = (issue as { params?: { allowed?: string[] } }).params?.allowed;
    out.push(allowed ? { path, message, allowed } : { path, message });
  }
  return out;
}

// A union reports "invalid union" with each branch's issues inside. Show the issues of the
// branch whose type matched (a string for one id, a list for several), else the union's own.
function flatten(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  const out: z.core.$ZodIssue[] = [];
  for (const issue of issues) {
    if (issue.code === "invalid_union") {
      const matched = issue.errors.find((branch) => !branch.some((i) => i.code === "invalid_type" && i.path.length === 0));
      if (matched) {
        out.push(...flatten(matched.map((i) => ({ ...i, path: [...issue.path, ...i.path] }))));
        continue;
      }
    }
    out.push(issue);
  }
  return out;
}

function joinPath(prefix: string, path: readonly PropertyKey[]): string {
  let s = prefix;
  for (const p of path) s += typeof p === "number" ? `[${p}]` : s ? `.${String(p)}` : String(p);
  return s;
}
