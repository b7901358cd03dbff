// `artifact` over HTTP (the app in-process, as every host serves it): decide, batch, rank, the
// 400 naming the allowed ids, /v1/levels with runtime figures, and /openapi.json from the same schemas.
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../host/http/app.ts";
import * as S from "../../host/http/schemas.ts";
import { defaultEngine } from "./support/policy.ts";

let app: ReturnType<typeof createApp>;
beforeAll(async () => {
  const engine = await defaultEngine();
  app = createApp({ engine: () => engine });
});

const post = async (path: string, body: unknown) => {
  const res = await app.request(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: res.status, type: res.headers.get("content-type"), json: (await res.json()) as any };
};

describe("artifact over HTTP", () => {
  it("POST /v1/decide echoes the artifact and names each level's runtime", async () => {
    const a = await post("/v1/decide", {
      workload: { scenario: "serverless", artifact: "container" },
      node: { runtimes: ["containerd", "wasmedge", "gvisor"] },
    });
    expect(a.status).toBe(200);
    const d = S.decision.parse(a.json);
    expect(d).toMatchObject({ level: "L4", runtime: "gvisor", runtimeClassName: "gvisor", artifact: "container" });
    expect(d.ranking.map((r) => [r.level, r.runtime])).toEqual([
      ["L4", "gvisor"],
      ["L3", "containerd"],
      ["L1", null],
      ["L2", null],
    ]);
  });

  it("an unknown artifact is a 400 problem naming the field and the allowed ids", async () => {
    const a = await post("/v1/decide", { workload: { artifact: "jar" } });
    expect(a.status).toBe(400);
    expect(a.type).toMatch(/^application\/problem\+json/);
    expect(a.json.errors).toEqual([
      {
        path: "workload.artifact",
        message: expect.stringMatching(/unknown artifact "jar"; allowed: container .*, wasm .*, vm /),
        allowed: ["container", "wasm", "vm"],
      },
    ]);
  });

  it("batch: one bad artifact fails its item only", async () => {
    const a = await post("/v1/decide/batch", {
      items: [{ workload: { artifact: "wasm" }, node: { runtimes: ["containerd"] } }, { workload: { artifact: "exe" } }, { workload: { artifact: "vm" } }],
    });
    expect(a.status).toBe(200);
    expect(a.json.results[0]).toMatchObject({ level: null, artifact: "wasm" });
    expect(a.json.results[1]).toMatchObject({ status: 400, errors: [{ path: "items[1].workload.artifact" }] });
    // a VM image: not the default L3 (containerd runs containers), so the best of L1/L2 on KVM
    expect(a.json.results[2]).toMatchObject({ artifact: "vm", runtime: "kvm", rule: "score" });
    expect(["L1", "L2"]).toContain(a.json.results[2].level);
  });

  it("POST /v1/rank takes an artifact", async () => {
    const a = await post("/v1/rank", { weights: { coldStart: 1 }, artifact: "container", node: { runtimes: ["containerd", "gvisor", "wasmedge"] } });
    expect(a.status).toBe(200);
    const r = S.rankAnswer.parse(a.json);
    expect(r).toMatchObject({ best: "L4", artifact: "container" });
    expect(r.ranking[0].runtime).toBe("gvisor");
    expect((await post("/v1/rank", { weights: { coldStart: 1 }, artifact: 1 })).status).toBe(400);
  });

  it("GET /v1/levels shows runtime figures beside the level's", async () => {
    const levels = S.levels.parse(await (await app.request("/v1/levels")).json());
    const l4 = levels.levels.find((l) => l.id === "L4")!;
    expect(l4.figures.coldStart).toMatchObject({ text: "< 10 ms" });
    expect(l4.runtimes.find((r) => r.id === "gvisor")!.figures.coldStart).toMatchObject({
      min: 81,
      max: 280,
      unit: "ms",
      source: expect.stringMatching(/Apoxy/),
    });
  });

  it("/openapi.json documents artifact in decide and rank, and the answers' new fields", async () => {
    const doc = (await (await app.request("/openapi.json")).json()) as any;
    const text = JSON.stringify(doc);
    const component = (op: any) => doc.components.schemas[op.requestBody.content["application/json"].schema.$ref.split("/").at(-1)];
    const workload = component(doc.paths["/v1/decide"].post).properties.workload;
    expect(workload.properties.artifact.enum).toEqual(expect.arrayContaining(["container", "wasm", "vm", "oci"]));
    expect(component(doc.paths["/v1/rank"].post).properties.artifact).toBeDefined();
    expect(text).toMatch(/The runtime the level would run on/);
    expect(text).toMatch(/their own figures where they differ/);
  });
});
