import { Validator } from "@seriousme/openapi-schema-validator";
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../host/http/app.ts";
import { loadPolicy } from "../../host/index.ts";

describe("/openapi.json", () => {
  let doc: any;
  let app: ReturnType<typeof createApp>;
  beforeAll(async () => {
    const engine = await loadPolicy();
    app = createApp({ engine: () => engine });
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

  it("documents request bodies from the active policy's own ids", () => {
    const workload = doc.paths["/v1/decide"].post.requestBody.content["application/json"].schema.properties.workload;
    expect(workload.properties.scenario.enum).toEqual(expect.arrayContaining(["edge", "边缘计算", "ai-inference"]));
    expect(workload.properties.performance.anyOf).toHaveLength(2);
    expect(workload.additionalProperties).toBe(false);
  });

  it("documents error answers as problem+json", () => {
    expect(doc.paths["/v1/decide"].post.responses["400"].content["application/problem+json"].schema.properties.errors).toBeDefined();
  });
});
