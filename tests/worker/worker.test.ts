// What is the Worker's own, inside real workerd: the default policy module bundled at build
// time, the same answers as the engine, and none of the Node agent's extra routes.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { version } from "../../package.json";
import worker from "../../host/worker/index.ts";

const call = (path: string, init?: RequestInit) => exports.default.fetch(new Request(`http://isoplace.test${path}`, init));
const post = (path: string, body: unknown) => call(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

describe("the Worker", () => {
  it("decides with the bundled default policy, in planning mode", async () => {
    const res = await post("/v1/decide", { workload: { scenario: "edge" } });
    expect(res.status).toBe(200);
    const d = await res.json<Record<string, any>>();
    expect(d).toMatchObject({ level: "L4", runtime: "wasmedge", stack: "K3s + WasmEdge 0.14.1", fallback: { level: "L3" }, policy: { name: "default" } });
    expect(d.node).toEqual({ source: "planning", runtimes: ["kvm", "kata", "containerd", "wasmedge", "wasmtime", "gvisor", "firecracker"] });
  });

  it("reports the bundled policy as active and ready", async () => {
    const ready = await (await call("/readyz")).json<Record<string, any>>();
    const status = await (await call("/v1/policy")).json<Record<string, any>>();
    expect(ready.status).toBe("ready");
    expect(status.active).toMatchObject({ name: ready.policy.name, version: ready.policy.version, sha256: ready.policy.sha256, source: "built-in" });
    expect(status.history).toEqual([]);
  });

  it("has no /metrics and no policy admin routes", async () => {
    expect((await call("/metrics")).status).toBe(404);
    const put = await call("/v1/policy", {
      method: "PUT",
      headers: { "content-type": "application/wasm", authorization: "Bearer x" },
      body: new Uint8Array([0, 97, 115, 109]),
    });
    expect(put.status).toBe(405);
    expect((await call("/v1/policy/rollback", { method: "POST" })).status).toBe(404);
    const doc = await (await call("/openapi.json")).json<{ paths: Record<string, Record<string, unknown>> }>();
    expect(doc.paths["/v1/decide"]).toHaveProperty("post");
    expect(Object.keys(doc.paths["/v1/policy"])).toEqual(["get"]);
    expect(Object.keys(doc.paths).filter((p) => p === "/metrics" || p.startsWith("/v1/policy/"))).toEqual([]);
  });

  it("documents its API under the package's version (bundled from package.json)", async () => {
    const doc = await (await call("/openapi.json")).json<{ info: { version: string } }>();
    expect(doc.info.version).toBe(version);
  });
});

describe("the Worker's node profile", () => {
  it("comes from ISOPLACE_RUNTIMES when set (configured), for requests without node", async () => {
    const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext;
    const request = () =>
      new Request("http://isoplace.test/v1/decide", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ workload: { scenario: "edge" } }),
      });
    const configured = await (await worker.fetch(request(), { ISOPLACE_RUNTIMES: "containerd, kvm" }, ctx)).json<Record<string, any>>();
    expect(configured.node).toEqual({ source: "configured", runtimes: ["containerd", "kvm"] });
    expect(configured).toMatchObject({ level: "L3", runtime: "containerd", rule: "second-choice" });
    const planning = await (await worker.fetch(request(), { ISOPLACE_RUNTIMES: "" }, ctx)).json<Record<string, any>>();
    expect(planning.node.source).toBe("planning");
    expect(planning.level).toBe("L4");
  });
});
