// /openapi.json: an OpenAPI 3.1 document generated from the route table, the answer schemas
// and the active policy's own request schemas (so its ids are the policy's). Every schema is a
// named component, referenced from the operations; the examples are the active policy's own
// answers to requests of its own. Loaded on the first GET /openapi.json (with the answer
// schemas), as no decision needs it.
import { z } from "zod";
import type { Engine } from "../engine/engine.ts";
import { InvalidRequestError } from "../engine/errors.ts";
import { invalidRequest } from "./problem.ts";
import * as S from "./schemas.ts";
import type { ResponseSpec, RouteSpec, SchemaName } from "./types.ts";

type JsonSchema = Record<string, unknown>;

/** The answer schemas of schemas.ts, by their component names. */
const ANSWER_NAMES: Partial<Record<SchemaName, string>> = {
  decision: "Decision",
  batchAnswer: "BatchAnswer",
  rankAnswer: "RankAnswer",
  comparison: "Comparison",
  levels: "Levels",
  scenarios: "Scenarios",
  policyStatus: "PolicyStatus",
  health: "Health",
  ready: "Ready",
  problem: "Problem",
  fieldError: "FieldError",
};

const TAGS = [
  { name: "decisions", description: "Placement decisions: decide, batches, rank, compare" },
  { name: "catalogue", description: "The active policy's levels, figures, scenarios, needs and runtimes" },
  { name: "policy", description: "The active policy, its history, and (with an admin token) replacing or rolling it back" },
  { name: "admission", description: "The Kubernetes admission webhook (isoplace webhook)" },
  { name: "operations", description: "Health, readiness, metrics and this document" },
  { name: "console", description: "The web console and its files" },
];

/** A route's tag, by where it sits: every route has one, however a host adds it. */
function tagOf(path: string): string {
  if (/^\/v1\/(decide|rank|compare)/.test(path)) return "decisions";
  if (/^\/v1\/(levels|scenarios)/.test(path)) return "catalogue";
  if (path.startsWith("/v1/policy")) return "policy";
  if (path.startsWith("/v1/admission")) return "admission";
  if (["/healthz", "/readyz", "/metrics", "/openapi.json"].includes(path)) return "operations";
  return "console";
}

const capitalised = (s: string) => s[0].toUpperCase() + s.slice(1);
const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });

/** Named schemas of one direction (request bodies and parameters are read as input, answers as output). */
class Components {
  private readonly registry = z.registry<{ id: string }>();
  private readonly ids = new Map<z.ZodType, string>();
  private readonly io: "input" | "output";
  constructor(io: "input" | "output") {
    this.io = io;
  }

  /** The reference of a schema: registered under `id` the first time it is seen; a plain JSON Schema is inlined. */
  use(schema: z.ZodType | JsonSchema, id: string): JsonSchema {
    if (!(schema instanceof z.ZodType)) return schema;
    let known = this.ids.get(schema);
    if (!known) {
      this.ids.set(schema, (known = id));
      this.registry.add(schema, { id });
    }
    return ref(known);
  }

  schemas(): Record<string, JsonSchema> {
    const { schemas } = z.toJSONSchema(this.registry, { io: this.io, unrepresentable: "any", target: "draft-2020-12", uri: (id) => ref(id).$ref }) as {
      schemas: Record<string, JsonSchema>;
    };
    return Object.fromEntries(Object.entries(schemas).map(([id, { $schema: _s, $id: _i, ...s }]) => [id, s]));
  }
}

/** The active policy's answers to requests of its own, by operationId: what the examples show. */
function examplesOf(engine: Engine): Record<string, { request?: unknown; answer?: unknown; query?: Record<string, string> }> {
  const id = { decisionId: "3f1c2b7e-9d4a-4e61-8a0b-5c7d2e9f1a36" };
  const requests = engine
    .vectors()
    .slice(0, 2)
    .map((v) => v.request);
  const decide = requests[0] ?? {};
  const rank = { weights: { coldStart: 0.4, memory: 0.3, isolation: 0.3 } };
  const [a, b] = engine.catalogue.levels.slice(-2).map((l) => l.id);
  let problem: unknown;
  try {
    engine.decide({ workload: { scenario: "no-such-scenario" } });
  } catch (err) {
    if (err instanceof InvalidRequestError) problem = invalidRequest(err.errors);
  }
  return {
    decide: { request: decide, answer: engine.decide(decide, id) },
    decideBatch: { request: { items: requests }, answer: { results: requests.map((r) => engine.decide(r, id)) } },
    rank: { request: rank, answer: engine.rank(rank) },
    compare: { query: { a, b }, answer: engine.compare(a, b) },
    problem: { answer: problem },
  };
}

export function openApiDocument(routes: RouteSpec[], engine: Engine, version: string): JsonSchema {
  const requests = new Components("input"),
    answers = new Components("output");
  for (const [name, id] of Object.entries(ANSWER_NAMES)) answers.use(S[name as SchemaName], id);
  // the policy's request schemas, named whichever route uses them first
  requests.use(engine.schemas.decide, "DecideRequest");
  requests.use(engine.schemas.rank, "RankRequest");
  requests.use(engine.schemas.level, "LevelId");
  const examples = examplesOf(engine);
  const answerRef = (r: RouteSpec, s: NonNullable<ResponseSpec["schema"]>) =>
    answers.use(typeof s === "string" ? S[s] : s, typeof s === "string" ? (ANSWER_NAMES[s] ?? capitalised(s)) : `${capitalised(r.operationId)}Answer`);

  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const ex = examples[r.operationId];
    const op: Record<string, unknown> = { operationId: r.operationId, summary: r.summary, tags: [tagOf(r.path)] };
    const parameters = [
      ...Object.entries(r.query ?? {}).map(([name, q]) => ({
        name,
        in: "query",
        required: q.required ?? false,
        description: q.description,
        schema: requests.use(q.schema(engine), `${capitalised(r.operationId)}${capitalised(name)}`),
        ...(ex?.query?.[name] ? { example: ex.query[name] } : {}),
      })),
      ...Object.entries(r.headers ?? {}).map(([name, h]) => ({
        name,
        in: "header",
        required: h.required ?? false,
        description: h.description,
        schema: { type: "string" },
      })),
    ];
    if (parameters.length) op.parameters = parameters;
    if (r.body) {
      op.requestBody = {
        required: true,
        content: {
          [r.body.contentType]: {
            schema: requests.use(r.body.schema(engine), `${capitalised(r.operationId)}Request`),
            ...(ex?.request ? { example: ex.request } : {}),
          },
        },
      };
    }
    if (r.security) op.security = [{ bearer: [] }];
    op.responses = Object.fromEntries(
      Object.entries(r.responses).map(([status, res]) => {
        const example = status === "200" ? ex?.answer : status === "400" && res.schema === "problem" ? examples.problem.answer : undefined;
        return [
          status,
          {
            description: res.description,
            ...(res.schema || res.contentType
              ? {
                  content: {
                    [res.contentType ?? "application/json"]: {
                      schema: res.schema ? answerRef(r, res.schema) : {},
                      ...(example ? { example } : {}),
                    },
                  },
                }
              : {}),
          },
        ];
      }),
    );
    (paths[r.path] ??= {})[r.method] = op;
  }
  const used = new Set(Object.values(paths).flatMap((ops) => Object.values(ops).flatMap((op) => (op as { tags: string[] }).tags)));
  return {
    openapi: "3.1.0",
    info: {
      title: "isoplace",
      version,
      description: `Placement decisions for edge fleets: which isolation level and runtime a workload gets. Active policy: ${engine.policy.name} ${engine.policy.version}; the request schemas and examples are its own.`,
      license: { name: "Apache-2.0", identifier: "Apache-2.0" },
    },
    servers: [{ url: "/", description: "the agent that served this document" }],
    tags: TAGS.filter((t) => used.has(t.name)),
    paths,
    components: {
      schemas: { ...requests.schemas(), ...answers.schemas() },
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
    },
  };
}
