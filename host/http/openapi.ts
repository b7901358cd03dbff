// /openapi.json: an OpenAPI 3.1 document generated from the route table, the answer schemas
// and the active policy's own request schemas (so its ids are the policy's). Loaded on the first
// GET /openapi.json (with the answer schemas), as no decision needs it.
import { z } from "zod";
import type { Engine } from "../engine/engine.ts";
import * as S from "./schemas.ts";
import type { ResponseSpec, RouteSpec } from "./types.ts";

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType | JsonSchema, io: "input" | "output"): JsonSchema {
  if (!(schema instanceof z.ZodType)) return schema;
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
    io, unrepresentable: "any", target: "draft-2020-12",
  }) as JsonSchema;
  return rest;
}

const answerSchema = (s: NonNullable<ResponseSpec["schema"]>): z.ZodType => (typeof s === "string" ? S[s] : s);

export function openApiDocument(routes: RouteSpec[], engine: Engine, version: string): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const op: Record<string, unknown> = { operationId: r.operationId, summary: r.summary };
    const parameters = [
      ...Object.entries(r.query ?? {}).map(([name, q]) => ({ name, in: "query", required: q.required ?? false, description: q.description, schema: jsonSchema(q.schema(engine), "input") })),
      ...Object.entries(r.headers ?? {}).map(([name, h]) => ({ name, in: "header", required: h.required ?? false, description: h.description, schema: { type: "string" } })),
    ];
    if (parameters.length) op.parameters = parameters;
    if (r.body) op.requestBody = { required: true, content: { [r.body.contentType]: { schema: jsonSchema(r.body.schema(engine), "input") } } };
    if (r.security) op.security = [{ bearer: [] }];
    op.responses = Object.fromEntries(Object.entries(r.responses).map(([status, res]) => [status, {
      description: res.description,
      ...(res.schema || res.contentType ? { content: { [res.contentType ?? "application/json"]: { schema: res.schema ? jsonSchema(answerSchema(res.schema), "output") : {} } } } : {}),
    }]));
    (paths[r.path] ??= {})[r.method] = op;
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "isoplace",
      version,
      description: `Placement decisions for edge fleets. Active policy: ${engine.policy.name} ${engine.policy.version}.`,
    },
    paths,
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
  };
}
