// The contract's admission table ("Kubernetes admission"), row by row and mode by mode, over a
// real HTTPS port: each answer's patch decoded and applied to its pod with fast-json-patch, the
// patched pod validated against the Kubernetes schema, its runtimeClassName one of the classes
// the webhook was given.
import { createHash } from "node:crypto";
import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reviewAnswerSchema } from "../../host/k8s/review.ts";
import { admit, call, CLASSES, decodePatch, patched, podOf, reviewOf, type ReviewOf, type TestWebhook, startTestWebhook } from "./support/webhook.ts";

let fill: TestWebhook, override: TestWebhook, advise: TestWebhook, deny: TestWebhook;
let policy: string;

beforeAll(async () => {
  [fill, override, advise, deny] = await Promise.all([
    startTestWebhook({ mode: "fill" }),
    startTestWebhook({ mode: "override" }),
    startTestWebhook({ mode: "advise" }),
    startTestWebhook({ denyInfeasible: true }),
  ]);
  const p = fill.webhook.agent.policy.engine.policy;
  policy = `${p.name}@${p.version}`;
});
afterAll(async () => {
  await Promise.all([fill, override, advise, deny].filter(Boolean).map((w) => w.close()));
});

/** The decision id the contract derives from the review's uid: a UUID-shaped SHA-256 digest (version 8). */
function idOf(uid: string): string {
  const b = createHash("sha256").update(`isoplace.io/admission:${uid}`).digest();
  b[6] = (b[6] & 0x0f) | 0x80;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.subarray(0, 16).toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const UID = "705ab4f5-6393-11e8-b7cc-42010a800002";
const serverless = { "isoplace.io/scenario": "serverless", "isoplace.io/security": "zero-trust" };
const outputOps = (level: string, runtime: string, uid = UID) => [
  { op: "add", path: "/metadata/annotations/isoplace.io~1level", value: level },
  { op: "add", path: "/metadata/annotations/isoplace.io~1runtime", value: runtime },
  { op: "add", path: "/metadata/annotations/isoplace.io~1decision-id", value: idOf(uid) },
  { op: "add", path: "/metadata/annotations/isoplace.io~1policy", value: policy },
];

/** Sends the review, checks the envelope, applies the patch; returns the answer and the patched pod. */
async function run(w: TestWebhook, r: ReviewOf, object?: Record<string, any>) {
  const review = reviewOf(r, object);
  const res = await admit(w, review);
  expect(res.status, res.text).toBe(200);
  const answer = reviewAnswerSchema.parse(res.json);
  const response = answer.response;
  expect(response.uid).toBe(review.request.uid);
  for (const warning of response.warnings ?? []) expect(warning.length).toBeLessThanOrEqual(120);
  const pod = patched(review.request.object, response);
  if (pod.spec.runtimeClassName !== review.request.object.spec.runtimeClassName) expect(CLASSES).toContain(pod.spec.runtimeClassName);
  return { response, ops: decodePatch(response), pod };
}

describe("no isoplace.io/ annotation, or not a CREATE of a Pod: allowed, unchanged", () => {
  it.each([
    ["fill", () => fill],
    ["override", () => override],
    ["advise", () => advise],
  ] as const)("a pod without annotations (%s)", async (_, w) => {
    for (const annotations of [undefined, { "app.kubernetes.io/name": "web" }]) {
      const { response } = await run(w(), { annotations, runtimeClassName: undefined });
      expect(response).toEqual({ uid: UID, allowed: true });
    }
  });

  it("a pod that carries only the webhook's output annotations (output, never input)", async () => {
    const { response } = await run(fill, { annotations: { "isoplace.io/level": "L4", "isoplace.io/runtime": "wasmedge" } });
    expect(response).toEqual({ uid: UID, allowed: true });
  });

  it.each(["UPDATE", "DELETE", "CONNECT"])("operation %s, annotated", async (operation) => {
    for (const w of [fill, override]) expect((await run(w, { operation, annotations: serverless })).response).toEqual({ uid: UID, allowed: true });
  });

  it("other kinds and a pod's subresources, annotated", async () => {
    const deployment = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d", annotations: serverless }, spec: {} };
    let res = await admit(override, reviewOf({ kind: { group: "apps", version: "v1", kind: "Deployment" } }, deployment));
    expect(res.json.response).toEqual({ uid: UID, allowed: true });
    const binding = { apiVersion: "v1", kind: "Binding", metadata: { name: "p", annotations: serverless }, target: { kind: "Node", name: "n1" } };
    res = await admit(override, reviewOf({ kind: { group: "", version: "v1", kind: "Binding" }, subResource: "binding" }, binding));
    expect(res.json.response).toEqual({ uid: UID, allowed: true });
  });
});

describe("an annotation with an unknown id or a bad number: denied, naming it and the allowed ids", () => {
  const cases: [string, Record<string, string>, RegExp[]][] = [
    ["unknown scenario", { "isoplace.io/scenario": "batch" }, [/isoplace\.io\/scenario/, /edge/, /microservices/, /serverless/, /ai-inference/]],
    ["unknown need in a list", { "isoplace.io/performance": "fast-cold-start, warp-speed" }, [/isoplace\.io\/performance/, /warp-speed/, /high-network/]],
    ["unknown security need", { "isoplace.io/security": "paranoid" }, [/isoplace\.io\/security/, /zero-trust/]],
    ["unknown cost need", { "isoplace.io/cost": "free" }, [/isoplace\.io\/cost/, /best-tco/]],
    ["empty list item", { "isoplace.io/performance": "fast-cold-start,," }, [/isoplace\.io\/performance/]],
    ["not a number", { "isoplace.io/max-memory-mb": "64Mi" }, [/isoplace\.io\/max-memory-mb/, /64Mi/]],
    ["a negative number", { "isoplace.io/max-cold-start-ms": "-5" }, [/isoplace\.io\/max-cold-start-ms/]],
    ["out of range", { "isoplace.io/min-isolation": "9" }, [/isoplace\.io\/min-isolation/, /1–5/]],
    ["unknown annotation", { "isoplace.io/senario": "edge" }, [/isoplace\.io\/senario/, /isoplace\.io\/scenario/, /isoplace\.io\/min-isolation/]],
  ];
  it.each(cases)("%s", async (_, annotations, patterns) => {
    for (const w of [fill, override, advise]) {
      const { response, ops } = await run(w, { annotations, name: "api" });
      expect(response.allowed).toBe(false);
      expect(response.status?.code).toBe(400);
      expect(ops).toEqual([]);
      for (const p of patterns) expect(response.status?.message).toMatch(p);
      expect(response.status?.message).toContain("apps/api");
    }
  });
});

describe("a decision with a runtime class", () => {
  it("the pod has none: fill and override set /spec/runtimeClassName and the four annotations", async () => {
    for (const w of [fill, override]) {
      const { response, ops, pod } = await run(w, { annotations: serverless });
      expect(response.allowed).toBe(true);
      expect(ops).toEqual([{ op: "add", path: "/spec/runtimeClassName", value: "wasmedge" }, ...outputOps("L4", "wasmedge")]);
      expect(pod.spec.runtimeClassName).toBe("wasmedge");
      expect(pod.metadata.annotations).toMatchObject({ ...serverless, "isoplace.io/level": "L4", "isoplace.io/decision-id": idOf(UID) });
      expect(response.warnings?.[0]).toMatch(/^isoplace: RuntimeClass wasmedge: L4/);
      expect(response.auditAnnotations).toEqual({ "decision-id": idOf(UID), level: "L4", runtime: "wasmedge" });
    }
  });

  it("the pod has none: advise annotates only, and says what it would set", async () => {
    const { ops, pod, response } = await run(advise, { annotations: serverless });
    expect(ops).toEqual(outputOps("L4", "wasmedge"));
    expect(pod.spec.runtimeClassName).toBeUndefined();
    expect(response.warnings?.join("\n")).toMatch(/advise mode: runtimeClassName wasmedge not set/);
  });

  it("the pod names another class: fill leaves it unchanged with a warning", async () => {
    const { response, ops } = await run(fill, { annotations: serverless, runtimeClassName: "kata" });
    expect(response.allowed).toBe(true);
    expect(ops).toEqual([]);
    expect(response.warnings?.join("\n")).toMatch(/names runtimeClassName kata; kept \(fill mode\), the policy chose wasmedge/);
  });

  it("the pod names another class: override replaces it", async () => {
    const { ops, pod, response } = await run(override, { annotations: serverless, runtimeClassName: "kata" });
    expect(ops).toEqual([{ op: "replace", path: "/spec/runtimeClassName", value: "wasmedge" }, ...outputOps("L4", "wasmedge")]);
    expect(pod.spec.runtimeClassName).toBe("wasmedge");
    expect(response.warnings?.join("\n")).toMatch(/kata replaced by wasmedge/);
  });

  it("override from a class the RuntimeClass plugin already gave an overhead: the overhead goes too (the plugin sets the new class's when it runs again)", async () => {
    const object = podOf({ annotations: serverless, runtimeClassName: "kata" });
    object.spec.overhead = { cpu: "250m", memory: "160Mi" };
    const { ops, pod } = await run(override, {}, object);
    expect(ops.slice(0, 2)).toEqual([
      { op: "replace", path: "/spec/runtimeClassName", value: "wasmedge" },
      { op: "remove", path: "/spec/overhead" },
    ]);
    expect(pod.spec.overhead).toBeUndefined();
    // fill keeps the pod's class, and so its overhead
    expect((await run(fill, {}, object)).ops).not.toContainEqual({ op: "remove", path: "/spec/overhead" });
  });

  it("the pod names another class: advise never changes it", async () => {
    const { ops, pod } = await run(advise, { annotations: serverless, runtimeClassName: "kata" });
    expect(ops).toEqual(outputOps("L4", "wasmedge"));
    expect(pod.spec.runtimeClassName).toBe("kata");
  });

  it("the pod already names the chosen class: annotations only, in every mode", async () => {
    for (const w of [fill, override, advise]) {
      const { ops } = await run(w, { annotations: serverless, runtimeClassName: "wasmedge" });
      expect(ops).toEqual(outputOps("L4", "wasmedge"));
    }
  });

  it("only the cluster's classes count: without wasmedge and wasmtime, a zero-trust workload gets gVisor", async () => {
    const w = await startTestWebhook({ runtimeClasses: ["gvisor"] });
    try {
      const { ops } = await run(w, { annotations: serverless });
      expect(ops[0]).toEqual({ op: "add", path: "/spec/runtimeClassName", value: "gvisor" });
    } finally {
      await w.close();
    }
  });
});

describe("a decision whose level has no runtime class (L3 on the default handler)", () => {
  it("/spec/runtimeClassName untouched, the annotations set, in every mode", async () => {
    for (const w of [fill, override, advise]) {
      const { ops } = await run(w, { annotations: { "isoplace.io/scenario": "microservices" } });
      expect(ops).toEqual(outputOps("L3", "containerd"));
      const named = await run(w, { annotations: { "isoplace.io/scenario": "microservices" }, runtimeClassName: "gvisor" });
      expect(named.ops).toEqual(outputOps("L3", "containerd"));
      expect(named.pod.spec.runtimeClassName).toBe("gvisor");
      expect(named.response.warnings?.join("\n")).toMatch(/runtimeClassName gvisor kept/);
    }
  });

  it("with no RuntimeClass at all, every decision is the default handler's", async () => {
    const w = await startTestWebhook({ runtimeClasses: [] });
    try {
      const { ops } = await run(w, { annotations: serverless });
      expect(ops).toEqual(outputOps("L3", "containerd"));
    } finally {
      await w.close();
    }
  });
});

describe("no feasible level", () => {
  const impossible = { "isoplace.io/scenario": "edge", "isoplace.io/max-cold-start-ms": "0" };
  it("allowed, unchanged, with a warning naming why", async () => {
    for (const w of [fill, override, advise]) {
      const { response, ops } = await run(w, { annotations: impossible, name: "api" });
      expect(response.allowed).toBe(true);
      expect(ops).toEqual([]);
      expect(response.warnings?.[0]).toBe("isoplace: no feasible level for apps/api; allowed unchanged");
      // then one warning per level, saying why it was rejected
      expect(response.warnings?.slice(1).map((w) => w.slice(0, 12))).toEqual(["isoplace: L1", "isoplace: L2", "isoplace: L3", "isoplace: L4"]);
      expect(response.warnings?.[4]).toMatch(/cold start .* can exceed maxColdStartMs 0 ms/);
    }
  });

  it("a VM image: never placeable by the webhook (no pod runtime runs one), said so; reasons speak of the cluster, not a node", async () => {
    const { response, ops } = await run(fill, { annotations: { "isoplace.io/artifact": "vm" }, name: "vm" });
    expect(response.allowed).toBe(true);
    expect(ops).toEqual([]);
    expect(response.warnings?.slice(0, 2)).toEqual([
      "isoplace: no feasible level for apps/vm; allowed unchanged",
      "isoplace: isoplace.io/artifact vm: no pod runtime runs it (KVM/QEMU: no RuntimeClass); never placed here",
    ]);
    expect(response.warnings?.join("\n")).toMatch(/in this cluster/);
    expect(response.warnings?.join("\n")).not.toMatch(/node/);
    const denied = await run(deny, { annotations: { "isoplace.io/artifact": "vm" }, name: "vm" });
    expect(denied.response.status?.message).toMatch(/^isoplace: no feasible level for apps\/vm: isoplace\.io\/artifact vm: no pod runtime runs it/);
  });

  it("denied with --deny-infeasible", async () => {
    const { response } = await run(deny, { annotations: impossible, name: "api" });
    expect(response.allowed).toBe(false);
    expect(response.status?.code).toBe(403);
    expect(response.status?.message).toMatch(/no feasible level for apps\/api: 0\/4 levels are available: L1 .*; L4 cold start/);
  });
});

describe("what every admission shares", () => {
  it("the same review twice gives the same answer; another uid another decision id", async () => {
    const a = await admit(override, reviewOf({ annotations: serverless, runtimeClassName: "kata" }));
    const b = await admit(override, reviewOf({ annotations: serverless, runtimeClassName: "kata" }));
    expect(b.text).toBe(a.text);
    const c = await run(override, { uid: "another-uid", annotations: serverless });
    expect(c.ops).toContainEqual({ op: "add", path: "/metadata/annotations/isoplace.io~1decision-id", value: idOf("another-uid") });
  });

  it("a reinvocation (the patched pod, the same uid) is left unchanged", async () => {
    for (const w of [fill, override, advise]) {
      const first = await run(w, { annotations: serverless, runtimeClassName: "kata" });
      const second = await run(w, {}, first.pod);
      expect(second.ops).toEqual([]);
      expect(second.response.allowed).toBe(true);
    }
  });

  it("a reinvocation with its own uid (as the API server sends it) keeps the decision id the pod carries", async () => {
    const first = await run(fill, { uid: "first", annotations: serverless });
    const second = await run(fill, { uid: "second" }, first.pod);
    expect(second.ops).toEqual([]);
    expect(second.response.auditAnnotations?.["decision-id"]).toBe(idOf("first"));
  });

  it("a decision on the pod that is not this one (another level) is replaced, its id with it", async () => {
    const first = await run(fill, { uid: "first", annotations: serverless });
    const changed = { ...first.pod, metadata: { ...first.pod.metadata, annotations: { ...first.pod.metadata.annotations, "isoplace.io/level": "L2" } } };
    const second = await run(fill, { uid: "second" }, changed);
    expect(second.ops).toEqual([
      { op: "add", path: "/metadata/annotations/isoplace.io~1level", value: "L4" },
      { op: "add", path: "/metadata/annotations/isoplace.io~1decision-id", value: idOf("second") },
    ]);
  });

  it("dryRun is answered the same", async () => {
    for (const r of [{ annotations: serverless }, { annotations: { "isoplace.io/scenario": "nope" } }]) {
      const wet = await admit(fill, reviewOf({ ...r, dryRun: false }));
      const dry = await admit(fill, reviewOf({ ...r, dryRun: true }));
      expect(dry.json).toEqual(wet.json);
    }
  });

  it("request.namespace where the pod has none; the pod's own where it has one", async () => {
    const bad = { "isoplace.io/scenario": "nope" };
    expect((await run(fill, { annotations: bad, name: "p", namespace: "team-a" })).response.status?.message).toContain("team-a/p");
    expect((await run(fill, { annotations: bad, name: "p", namespace: "team-a", podNamespace: "team-b" })).response.status?.message).toContain("team-b/p");
    expect((await run(fill, { annotations: bad, namespace: "team-a" })).response.status?.message).toContain("team-a/web-*");
  });

  it("Chinese aliases in annotations are understood; the annotations written use the English ids", async () => {
    const { ops } = await run(fill, { annotations: { "isoplace.io/scenario": "Serverless", "isoplace.io/security": "零信任架构" } });
    expect(ops).toEqual([{ op: "add", path: "/spec/runtimeClassName", value: "wasmedge" }, ...outputOps("L4", "wasmedge")]);
  });

  it("a pod without metadata.annotations but opted in cannot exist; one without spec gets /spec", async () => {
    const pod = podOf({ annotations: serverless });
    delete pod.spec;
    const res = await admit(fill, reviewOf({}, pod));
    expect(decodePatch(res.json.response)[0]).toEqual({ op: "add", path: "/spec", value: { runtimeClassName: "wasmedge" } });
  });
});

describe("a body that is not an AdmissionReview: 400 problem JSON, never a 5xx", () => {
  const port = () => fill.webhook.port;
  it.each([
    ["an empty object", {}, "apiVersion"],
    ["a list", [], ""],
    ["another kind", { apiVersion: "admission.k8s.io/v1", kind: "TokenReview", request: {} }, "kind"],
    ["v1beta1", { ...reviewOf(), apiVersion: "admission.k8s.io/v1beta1" }, "apiVersion"],
    ["no request", { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview" }, "request"],
    ["no uid", { ...reviewOf(), request: { ...reviewOf().request, uid: undefined } }, "request.uid"],
    ["a pod that is not an object", { ...reviewOf(), request: { ...reviewOf().request, object: "pod" } }, "request.object"],
    [
      "annotations that are not strings",
      reviewOf({}, { ...podOf(), metadata: { annotations: { "isoplace.io/scenario": 1 } } }),
      "request.object.metadata.annotations",
    ],
  ])("%s", async (_, body, path) => {
    const res = await call(port(), fill.ca, "POST", "/v1/admission/pods", body);
    expect(res.status).toBe(400);
    expect(res.contentType).toMatch(/application\/problem\+json/);
    expect(res.json.errors.map((e: { path: string }) => e.path)).toContainEqual(expect.stringMatching(new RegExp(`^${path.replace(/\./g, "\\.")}`)));
  });

  it("malformed JSON is a 400, another content type a 415", async () => {
    expect((await call(port(), fill.ca, "POST", "/v1/admission/pods", "{not json")).status).toBe(400);
    expect((await call(port(), fill.ca, "POST", "/v1/admission/pods", "x", "text/plain")).status).toBe(415);
  });
});

describe("the server", () => {
  it("serves /healthz, /readyz, /metrics with admissions by outcome, and documents the route", async () => {
    const { port } = fill.webhook;
    expect((await call(port, fill.ca, "GET", "/healthz")).json).toEqual({ status: "ok" });
    expect((await call(port, fill.ca, "GET", "/readyz")).json.status).toBe("ready");
    const metrics = (await call(port, fill.ca, "GET", "/metrics")).text;
    for (const outcome of ["mutated", "unchanged", "denied", "infeasible"]) {
      expect(Number(metrics.match(new RegExp(`isoplace_admissions_total\\{outcome="${outcome}"\\} (\\d+)`))?.[1])).toBeGreaterThan(0);
    }
    expect(metrics).toMatch(/isoplace_admission_duration_seconds_bucket\{le="0.005",outcome="mutated"\} \d+/);
    const doc = (await call(port, fill.ca, "GET", "/openapi.json")).json;
    expect(doc.paths["/v1/admission/pods"].post.operationId).toBe("admitPod");
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it("says at start that it decides for the cluster (its runtimes), never that it is in planning mode or on a node", async () => {
    const { default: pino } = await import("pino");
    const lines: Record<string, any>[] = [];
    const w = await startTestWebhook({ logger: pino({ level: "info" }, { write: (l: string) => void lines.push(JSON.parse(l)) }) });
    await w.close();
    expect(lines.filter((l) => /planning|node profile/.test(l.msg))).toEqual([]);
    expect(lines.find((l) => l.msg === "admission webhook ready")).toMatchObject({
      scope: "cluster",
      clusterRuntimes: ["kata", "containerd", "wasmedge", "gvisor"],
    });
  });

  it("answers HTTPS only", async () => {
    const res = await fetch(`http://127.0.0.1:${fill.webhook.port}/healthz`).then(
      () => "answered",
      () => "refused",
    );
    expect(res).toBe("refused");
  });
});

describe("isoplace.io/artifact: only runtimes that run the artifact", () => {
  it("a Wasm module for microservices goes to a Wasm runtime's class, not the default handler", async () => {
    const { ops, pod } = await run(fill, { annotations: { "isoplace.io/scenario": "microservices", "isoplace.io/artifact": "wasm" } });
    expect(["wasmedge", "wasmtime"]).toContain(pod.spec.runtimeClassName);
    expect(["wasmedge", "wasmtime"]).toContain(pod.metadata.annotations["isoplace.io/runtime"]);
    expect(ops[0].path).toBe("/spec/runtimeClassName");
  });

  it("a container image that needs a sandbox goes to gVisor, never to a Wasm runtime", async () => {
    const { pod } = await run(fill, { annotations: { ...serverless, "isoplace.io/artifact": "container" } });
    expect(pod.spec.runtimeClassName).toBe("gvisor");
  });

  it("a VM image where no runtime runs one: no feasible level", async () => {
    const { response, ops } = await run(fill, { annotations: { "isoplace.io/artifact": "vm" }, name: "vm" });
    expect(ops).toEqual([]);
    expect(response.warnings?.[0]).toMatch(/no feasible level for apps\/vm/);
  });

  it("an unknown artifact is denied, naming the annotation and the allowed ids", async () => {
    const { response } = await run(fill, { annotations: { "isoplace.io/artifact": "jar" }, name: "p" });
    expect(response.allowed).toBe(false);
    expect(response.status?.message).toMatch(/isoplace\.io\/artifact.*container.*wasm.*vm/);
  });
});

describe("docs/ADMISSION.md's sample review", () => {
  it("gets the answer the document shows (its patch decoded), over the path its curl line names", async () => {
    const { readFileSync } = await import("node:fs");
    const text = readFileSync(new URL("../../docs/ADMISSION.md", import.meta.url), "utf8");
    const section = text.slice(text.indexOf("## Try it on your machine first"), text.indexOf("## How a pod opts in"));
    const [review, shown] = [...section.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]));
    expect(section).toContain(`https://127.0.0.1:8443${"/v1/admission/pods"} `);
    const res = await admit(fill, review);
    expect(res.status).toBe(200);
    expect({ ...res.json.response, patch: decodePatch(res.json.response) }).toEqual(shown);
  });
});

describe("docs/ADMISSION.md's example Deployments", () => {
  it("each pod template is placed as the document says", async () => {
    const { readFileSync } = await import("node:fs");
    const { parseAllDocuments } = await import("yaml");
    const { Deployment } = await import("kubernetes-models/apps/v1");
    const text = readFileSync(new URL("../../docs/ADMISSION.md", import.meta.url), "utf8");
    const yaml = [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]).join("\n---\n");
    const deployments = parseAllDocuments(yaml)
      .map((d) => d.toJS())
      .filter((d) => d?.kind === "Deployment");
    const classes: Record<string, string> = {};
    for (const d of deployments) {
      new Deployment(d).validate();
      const pod = { apiVersion: "v1", kind: "Pod", metadata: { ...d.spec.template.metadata, generateName: `${d.metadata.name}-` }, spec: d.spec.template.spec };
      const { pod: out } = await run(fill, { namespace: d.metadata.namespace }, pod);
      classes[d.metadata.name] = out.spec.runtimeClassName;
    }
    expect(classes).toEqual({ thumbnailer: "gvisor", filter: "wasmedge", "tenant-api": "kata" });
  });
});

describe("a big pod", () => {
  it("a review over the API's 64 KiB (a pod with a large spec) is still answered; over 3 MiB is a 413", async () => {
    const pod = podOf({ annotations: serverless });
    pod.spec.containers[0].env = Array.from({ length: 2000 }, (_, i) => ({ name: `VAR_${i}`, value: "x".repeat(40) }));
    const review = reviewOf({}, pod);
    expect(JSON.stringify(review).length).toBeGreaterThan(64 * 1024);
    const { ops } = await run(fill, {}, pod);
    expect(ops[0]).toEqual({ op: "add", path: "/spec/runtimeClassName", value: "wasmedge" });
    pod.spec.containers[0].env = Array.from({ length: 40_000 }, (_, i) => ({ name: `VAR_${i}`, value: "x".repeat(80) }));
    const res = await admit(fill, reviewOf({}, pod));
    expect(res.status).toBe(413);
    // the rest of the API keeps its 64 KiB
    expect((await call(fill.webhook.port, fill.ca, "POST", "/v1/decide", { workload: { scenario: "edge" }, pad: "x".repeat(70 * 1024) })).status).toBe(413);
  });
});
