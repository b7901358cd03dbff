import { Validator } from "@seriousme/openapi-schema-validator";
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../host/http/app.ts";
import { loadPolicy } from "../../host/index.ts";
import * as S from "../../host/http/schemas.ts";

describe("/openapi.json", () => {
  let doc: any;
  let app: ReturnType<typeof createApp>;
  beforeAll(async () => {
    const engine = await loadPolicy();
    app = createApp({ engine: () => engine, version: "2.5.0-test" });
    doc = await (await app.request("/openapi.json")).json();
  });

  it("is a valid OpenAPI 3.1 document", async () => {
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe("3.1.0");
  });

  it("lists every route the app answers, with the method it answers", async () => {
    for (const route of app.routes.filter((r) => r.method !== "ALL")) {
      expect(doc.paths[route.path]?.[route.method.toLowerCase()], `${route.method} ${route.path}`).toBeDefined();
    }
  });

  /** A schema, its $ref to a component followed. */
  const resolved = (schema: any) => (schema.$ref ? doc.components.schemas[schema.$ref.replace("#/components/schemas/", "")] : schema);

  it("documents request bodies from the active policy's own ids", () => {
    const body = doc.paths["/v1/decide"].post.requestBody.content["application/json"].schema;
    expect(body).toEqual({ $ref: "#/components/schemas/DecideRequest" });
    const workload = resolved(body).properties.workload;
    expect(workload.properties.scenario.enum).toEqual(expect.arrayContaining(["edge", "边缘计算", "ai-inference"]));
    expect(workload.properties.performance.anyOf).toHaveLength(2);
    expect(workload.additionalProperties).toBe(false);
  });

  it("documents error answers as problem+json", () => {
    const answer = doc.paths["/v1/decide"].post.responses["400"].content["application/problem+json"];
    expect(answer.schema).toEqual({ $ref: "#/components/schemas/Problem" });
    expect(resolved(answer.schema).properties.errors).toBeDefined();
    expect(answer.example).toMatchObject({ status: 400, errors: [{ path: "workload.scenario" }] });
  });

  it("names its schemas as components, every $ref resolving to one; the batch reuses the decide request", () => {
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining([
        "DecideRequest",
        "DecideBatchRequest",
        "RankRequest",
        "LevelId",
        "Decision",
        "BatchAnswer",
        "RankAnswer",
        "Comparison",
        "Levels",
        "Scenarios",
        "PolicyStatus",
        "Problem",
        "FieldError",
        "Health",
        "Ready",
      ]),
    );
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(20);
    for (const r of refs) expect(doc.components.schemas[r.replace("#/components/schemas/", "")], r).toBeDefined();
    expect(JSON.stringify(doc.components.schemas.DecideBatchRequest)).toContain('"$ref":"#/components/schemas/DecideRequest"');
    expect(JSON.stringify(doc.components.schemas.BatchAnswer)).toContain('"$ref":"#/components/schemas/Problem"');
  });

  // that the agent gives package.json's: tests/node/json-lane.test.ts
  it("carries the version its host gives, a server, and a tag on every operation, each tag described", () => {
    expect(doc.info.version).toBe("2.5.0-test");
    expect(doc.servers).toEqual([{ url: "/", description: expect.any(String) }]);
    const declared = doc.tags.map((t: any) => t.name);
    for (const t of doc.tags) expect(t.description, t.name).toBeTruthy();
    for (const [path, ops] of Object.entries<any>(doc.paths))
      for (const op of Object.values<any>(ops)) {
        expect(op.tags, path).toHaveLength(1);
        expect(declared, path).toContain(op.tags[0]);
      }
    expect(doc.paths["/v1/decide"].post.tags).toEqual(["decisions"]);
    expect(doc.paths["/v1/levels"].get.tags).toEqual(["catalogue"]);
    expect(doc.paths["/readyz"].get.tags).toEqual(["operations"]);
  });

  it("its examples are the active policy's own answers to valid requests", async () => {
    const engine = await loadPolicy();
    const decide = doc.paths["/v1/decide"].post;
    const request = decide.requestBody.content["application/json"].example;
    const answer = decide.responses["200"].content["application/json"].example;
    const { decisionId: _d, ...expected } = engine.decide(request);
    expect(answer).toMatchObject(JSON.parse(JSON.stringify(expected)));
    expect(() => S.decision.parse(answer)).not.toThrow();
    const rank = doc.paths["/v1/rank"].post;
    expect(rank.responses["200"].content["application/json"].example).toEqual(
      JSON.parse(JSON.stringify(engine.rank(rank.requestBody.content["application/json"].example))),
    );
    const batch = doc.paths["/v1/decide/batch"].post;
    expect(batch.responses["200"].content["application/json"].example.results).toHaveLength(batch.requestBody.content["application/json"].example.items.length);
    const compare = doc.paths["/v1/compare"].get;
    const [a, b] = compare.parameters.map((p: any) => p.example);
    expect(compare.responses["200"].content["application/json"].example).toEqual(JSON.parse(JSON.stringify(engine.compare(a, b))));
  });
});
