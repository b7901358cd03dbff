// The HTTP contract of docs/API.md as host-agnostic cases: every host (the app in-process, the Node
// agent on a real port, the Worker inside workerd) runs this same list through its own fetch.
import { expect } from "vitest";
import * as S from "../../host/http/schemas.ts";

export type Host = "node" | "worker";

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

export interface ContractCase {
  name: string;
  /** Hosts the case applies to (default: every host). */
  hosts?: Host[];
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array | object;
  check: (a: Answer) => void;
}

const JSON_TYPE = { "content-type": "application/json" };

export function toRequest(c: ContractCase, base = "http://isoplace.test"): Request {
  const body = c.body === undefined ? undefined : typeof c.body === "string" || c.body instanceof Uint8Array ? c.body : JSON.stringify(c.body);
  const headers = { ...(c.body !== undefined && typeof c.body === "object" && !(c.body instanceof Uint8Array) ? JSON_TYPE : {}), ...c.headers };
  return new Request(base + c.path, { method: c.method ?? (c.body === undefined ? "GET" : "POST"), headers, body: body as BodyInit | undefined });
}

export async function answerOf(res: Response): Promise<Answer> {
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** A problem+json answer with this status that names `path` among its errors (when given). */
function problem(status: number, path?: string, allowedIncludes?: string) {
  return (a: Answer) => {
    expect(a.status).toBe(status);
    expect(a.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    const p = S.problem.parse(a.json);
    expect(p.status).toBe(status);
    expect(p.title.length).toBeGreaterThan(0);
    expect(p.detail.length).toBeGreaterThan(0);
    if (path !== undefined) {
      const e = p.errors?.find((x) => x.path === path);
      expect(e, `an error naming ${path} in ${JSON.stringify(p.errors)}`).toBeDefined();
      if (allowedIncludes) {
        expect(e!.allowed).toContain(allowedIncludes);
        expect(e!.message).toContain(allowedIncludes);
      }
    }
  };
}

const decision = (check: (d: ReturnType<typeof S.decision.parse>) => void) => (a: Answer) => {
  expect(a.status, a.text).toBe(200);
  expect(a.headers.get("content-type")).toMatch(/^application\/json/);
  const d = S.decision.parse(a.json);
  expect(d.ranking.map((r) => r.level).sort()).toEqual(["L1", "L2", "L3", "L4"]);
  const firstInfeasible = d.ranking.findIndex((r) => !r.feasible);
  if (firstInfeasible >= 0) expect(d.ranking.slice(firstInfeasible).every((r) => !r.feasible)).toBe(true);
  if (d.level) expect(d.ranking[0]).toMatchObject({ level: d.level, feasible: true });
  check(d);
};

export const cases: ContractCase[] = [
  // ── decisions ────────────────────────────────────────────────────────────
  {
    name: "serverless answers L4 with a Knative + WasmEdge stack",
    path: "/v1/decide",
    body: { workload: { scenario: "serverless" } },
    check: decision((d) => {
      expect(d.level).toBe("L4");
      expect(d.stack).toContain("Knative");
      expect(d.stack).toContain("WasmEdge");
      expect(d.rule).toBe("scenario");
    }),
  },
  {
    name: "the source's own example answers L4, K3s + WasmEdge",
    path: "/v1/decide",
    body: { workload: { scenario: "edge", performance: "fast-cold-start", security: "zero-trust", cost: "lowest-infrastructure-cost" } },
    check: decision((d) => {
      expect(d.level).toBe("L4");
      expect(d.stack).toContain("K3s + WasmEdge");
      expect(d.fallback).toMatchObject({ level: "L3" });
    }),
  },
  {
    name: "Chinese aliases are accepted and answered with English ids",
    path: "/v1/decide",
    body: { workload: { scenario: "边缘计算", performance: "极致启动速度", security: "零信任架构", cost: "最低基础设施成本" } },
    check: decision((d) => {
      expect(d.level).toBe("L4");
      expect(d.stack).toContain("K3s + WasmEdge");
    }),
  },
  {
    name: "the node's runtimes decide feasibility: edge without Wasm falls back to L3",
    path: "/v1/decide",
    body: { workload: { scenario: "edge" }, node: { runtimes: ["containerd"] } },
    check: decision((d) => {
      expect(d.level).toBe("L3");
      expect(d.rule).toBe("second-choice");
      expect(d.node).toEqual({ source: "request", runtimes: ["containerd"] });
      expect(d.ranking.find((r) => r.level === "L4")!.reasons.join(" ")).toMatch(/no runtime/);
    }),
  },
  {
    name: "a node whose L4 runtime is not the stack's says so",
    path: "/v1/decide",
    body: { workload: { scenario: "edge" }, node: { runtimes: ["gvisor", "containerd"] } },
    check: decision((d) => {
      expect(d).toMatchObject({ level: "L4", runtime: "gvisor", runtimeClassName: "gvisor" });
      expect(d.explanation).toContain("uses WasmEdge, which this node lacks; gVisor provides L4 here");
    }),
  },
  {
    name: "artifact: a container on containerd + WasmEdge is never placed on WasmEdge",
    path: "/v1/decide",
    body: { workload: { scenario: "serverless", artifact: "container" }, node: { runtimes: ["containerd", "wasmedge"] } },
    check: decision((d) => {
      expect(d).toMatchObject({ level: "L3", runtime: "containerd", artifact: "container" });
      expect(d.ranking.find((r) => r.level === "L4")).toMatchObject({ feasible: false, runtime: null });
      expect(d.ranking.find((r) => r.level === "L4")!.reasons.join()).toContain(
        "no runtime for container images at L4 on this node (WasmEdge runs Wasm modules; gVisor or Firecracker would run it)",
      );
    }),
  },
  {
    name: "artifact: a 50 ms cold start is met by WasmEdge for wasm, not by gVisor for a container",
    path: "/v1/decide/batch",
    body: {
      items: [
        { workload: { artifact: "wasm", constraints: { maxColdStartMs: 50 } }, node: { runtimes: ["containerd", "wasmedge", "gvisor"] } },
        { workload: { artifact: "container", constraints: { maxColdStartMs: 50 } }, node: { runtimes: ["containerd", "wasmedge", "gvisor"] } },
        { workload: { artifact: "tarball" } },
      ],
    },
    check: (a) => {
      expect(a.status).toBe(200);
      const [wasm, container, bad] = a.json.results;
      expect(S.decision.parse(wasm)).toMatchObject({ level: "L4", runtime: "wasmedge", artifact: "wasm" });
      expect(S.decision.parse(container)).toMatchObject({ level: null, artifact: "container" });
      expect(container.ranking.find((r: { level: string }) => r.level === "L4")).toMatchObject({
        runtime: "gvisor",
        reasons: ["cold start 81–280 ms (gVisor) can exceed maxColdStartMs 50 ms"],
      });
      expect(bad).toMatchObject({ status: 400, errors: [{ path: "items[2].workload.artifact", allowed: ["container", "wasm", "vm"] }] });
    },
  },
  {
    name: "nothing feasible is an answer, not an error: level null and a reason on every entry",
    path: "/v1/decide",
    body: { workload: { constraints: { maxMemoryMb: 0.5 } } },
    check: decision((d) => {
      expect(d.level).toBeNull();
      expect(d.explanation).toMatch(/^0\/4 levels are available/);
      for (const r of d.ranking) {
        expect(r.feasible).toBe(false);
        expect(r.reasons.length).toBeGreaterThan(0);
      }
    }),
  },
  {
    name: "an empty object is a valid request (every field is optional)",
    path: "/v1/decide",
    body: {},
    check: decision((d) => expect(d.level).toBe("L3")),
  },
  {
    name: "a POST with no body at all is an empty request",
    path: "/v1/decide",
    method: "POST",
    check: decision((d) => expect(d.level).toBe("L3")),
  },
  {
    name: "batch: one bad item answers its own problem and does not fail the rest",
    path: "/v1/decide/batch",
    body: { items: [{ workload: { scenario: "serverless" } }, { workload: { scenario: "mainframe" } }, {}] },
    check: (a) => {
      expect(a.status).toBe(200);
      const { results } = S.batchAnswer.parse(a.json);
      expect(results).toHaveLength(3);
      expect(results[0]).toMatchObject({ level: "L4" });
      expect(results[1]).toMatchObject({ status: 400 });
      expect((results[1] as { errors: { path: string }[] }).errors[0].path).toBe("items[1].workload.scenario");
      expect(results[2]).toMatchObject({ level: "L3" });
    },
  },
  {
    name: "batch: more than 1000 items is refused",
    path: "/v1/decide/batch",
    body: { items: Array.from({ length: 1001 }, () => ({})) },
    check: problem(400, "items"),
  },
  {
    name: "rank: the source's weighted example answers L4",
    path: "/v1/rank",
    body: { weights: { coldStart: 0.4, memory: 0.3, isolation: 0.3 } },
    check: (a) => {
      expect(a.status).toBe(200);
      const r = S.rankAnswer.parse(a.json);
      expect(r.best).toBe("L4");
      expect(r.ranking[0].level).toBe("L4");
    },
  },
  {
    name: "rank honours constraints and the node",
    path: "/v1/rank",
    body: { weights: { isolation: 1 }, node: { runtimes: ["kvm", "containerd"] } },
    check: (a) => {
      expect(a.status).toBe(200);
      expect(S.rankAnswer.parse(a.json).best).toBe("L1");
    },
  },
  {
    name: "compare L3 L4: L4 isolates better, direction-aware",
    path: "/v1/compare?a=L3&b=L4",
    check: (a) => {
      expect(a.status).toBe(200);
      const c = S.comparison.parse(a.json);
      expect(c.metrics.find((m) => m.metric === "isolation")!.better).toBe("L4");
      expect(c.metrics.find((m) => m.metric === "coldStart")).toMatchObject({ direction: "lower", better: "L4" });
      expect(c.wins.L3 + c.wins.L4 + c.wins.tie).toBe(12);
    },
  },
  {
    name: "compare L1 L2: L2 starts faster (by midpoint)",
    path: "/v1/compare?a=L1&b=L2",
    check: (a) => expect(S.comparison.parse(a.json).metrics.find((m) => m.metric === "coldStart")!.better).toBe("L2"),
  },
  {
    name: "compare with L0: no figure → better null",
    path: "/v1/compare?a=L0&b=L4",
    check: (a) => {
      const c = S.comparison.parse(a.json);
      expect(c.metrics.find((m) => m.metric === "memory")).toMatchObject({ a: null, better: null });
    },
  },
  // ── catalogue, policy, operations ───────────────────────────────────────
  {
    name: "levels: both matrices, every level, figures with ranges and units",
    path: "/v1/levels",
    check: (a) => {
      expect(a.status).toBe(200);
      const l = S.levels.parse(a.json);
      expect(l.levels.map((x) => x.id)).toEqual(["L0", "L1", "L2", "L3", "L4"]);
      expect(l.levels[1].figures.memory).toEqual({ min: 128, max: null, unit: "MB", text: "128 MB +" });
      expect(l.levels[4].figures.coldStart).toMatchObject({ min: 0, max: 10, unit: "ms" });
      expect(l.levels[0].figures.coldStart).toBeNull();
      expect(l.technical).toHaveLength(6);
    },
  },
  {
    name: "scenarios: suitability, stacks, first and second choices",
    path: "/v1/scenarios",
    check: (a) => {
      const s = S.scenarios.parse(a.json);
      expect(s.scenarios.map((x) => x.id)).toEqual(["edge", "microservices", "serverless", "ai-inference"]);
      const edge = s.scenarios[0];
      expect(edge.first).toEqual({ level: "L4", stack: "K3s + WasmEdge 0.14.1" });
      expect(edge.second).toEqual({ level: "L3", stack: "K3s + containerd 2.0" });
      expect(edge.levels.L1).toMatchObject({ fit: 0, symbol: "❌" });
      for (const sc of s.scenarios) for (const id of ["L1", "L2", "L3", "L4"]) expect(sc.levels[id].stack.length).toBeGreaterThan(0);
    },
  },
  {
    name: "policy: the active policy's metadata",
    path: "/v1/policy",
    check: (a) => {
      const p = S.policyStatus.parse(a.json);
      expect(p.active).toMatchObject({ name: "default", abi: 2 });
      expect(p.active.sha256).toMatch(/^[0-9a-f]{64}$/);
    },
  },
  {
    name: "GET / is the web console (HTML, CSP 'self' only)",
    path: "/",
    check: (a) => {
      expect(a.status).toBe(200);
      expect(a.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(a.headers.get("content-security-policy")).toContain("default-src 'none'");
      expect(a.text).toContain('<script src="console.js" defer></script>');
    },
  },
  {
    name: "GET /console.js is the console's client, bundled from host/http/console/client/*.ts",
    path: "/console.js",
    check: (a) => {
      expect(a.status).toBe(200);
      expect(a.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
      // one classic script, strict, and main.ts's own words in it
      expect(a.text).toMatch(/^"use strict";\(\(\)=>\{/);
      expect(a.text).toContain("Could not load the catalogue from the API: ");
    },
  },
  { name: "healthz", path: "/healthz", check: (a) => expect(a.json).toEqual({ status: "ok" }) },
  {
    name: "readyz: a verified policy is active",
    path: "/readyz",
    check: (a) => {
      expect(a.status).toBe(200);
      expect(S.ready.parse(a.json).policy?.name).toBe("default");
    },
  },
  {
    name: "openapi.json lists every route",
    path: "/openapi.json",
    check: (a) => {
      expect(a.json.openapi).toBe("3.1.0");
      for (const p of [
        "/v1/decide",
        "/v1/decide/batch",
        "/v1/rank",
        "/v1/compare",
        "/v1/levels",
        "/v1/scenarios",
        "/v1/policy",
        "/healthz",
        "/readyz",
        "/openapi.json",
      ]) {
        expect(Object.keys(a.json.paths)).toContain(p);
      }
    },
  },
  {
    name: "metrics: Prometheus text",
    hosts: ["node"],
    path: "/metrics",
    check: (a) => {
      expect(a.status).toBe(200);
      expect(a.headers.get("content-type")).toMatch(/^text\/plain/);
      expect(a.text).toMatch(/^isoplace_policy_info\{name="default",version="[^"]+",sha256="[0-9a-f]{64}"\} 1$/m);
    },
  },
  {
    name: "no admin routes without a token: PUT /v1/policy is not allowed",
    path: "/v1/policy",
    method: "PUT",
    headers: { "content-type": "application/wasm" },
    body: new Uint8Array([0, 97, 115, 109]),
    check: problem(405),
  },
  // ── bad input: each answered with the right status and a problem naming the field ──
  {
    name: "bad: unknown scenario names the allowed ids",
    path: "/v1/decide",
    body: { workload: { scenario: "mainframe" } },
    check: problem(400, "workload.scenario", "edge"),
  },
  {
    name: "bad: unknown performance need in a list",
    path: "/v1/decide",
    body: { workload: { performance: ["fast-cold-start", "warp-speed"] } },
    check: problem(400, "workload.performance[1]", "fast-cold-start"),
  },
  {
    name: "bad: a security id given as a performance need",
    path: "/v1/decide",
    body: { workload: { performance: "zero-trust" } },
    check: problem(400, "workload.performance", "fast-cold-start"),
  },
  { name: "bad: unknown cost need", path: "/v1/decide", body: { workload: { cost: "free" } }, check: problem(400, "workload.cost", "best-tco") },
  { name: "bad: unknown runtime", path: "/v1/decide", body: { node: { runtimes: ["docker"] } }, check: problem(400, "node.runtimes[0]", "containerd") },
  { name: "bad: runtimes not a list", path: "/v1/decide", body: { node: { runtimes: "containerd" } }, check: problem(400, "node.runtimes") },
  {
    name: "bad: negative constraint",
    path: "/v1/decide",
    body: { workload: { constraints: { maxColdStartMs: -5 } } },
    check: problem(400, "workload.constraints.maxColdStartMs"),
  },
  {
    name: "bad: constraint as a string",
    path: "/v1/decide",
    body: { workload: { constraints: { maxMemoryMb: "64" } } },
    check: problem(400, "workload.constraints.maxMemoryMb"),
  },
  {
    name: "bad: minIsolation out of 1–5",
    path: "/v1/decide",
    body: { workload: { constraints: { minIsolation: 9 } } },
    check: problem(400, "workload.constraints.minIsolation"),
  },
  { name: "bad: unknown constraint", path: "/v1/decide", body: { workload: { constraints: { maxPrice: 3 } } }, check: problem(400, "workload.constraints") },
  {
    name: "bad: unknown metric in weights",
    path: "/v1/decide",
    body: { workload: { weights: { speed: 1 } } },
    check: problem(400, "workload.weights.speed", "coldStart"),
  },
  { name: "bad: negative weight", path: "/v1/rank", body: { weights: { memory: -1 } }, check: problem(400, "weights.memory") },
  { name: "bad: rank without weights", path: "/v1/rank", body: {}, check: problem(400, "weights") },
  { name: "bad: unknown top-level field", path: "/v1/decide", body: { workload: {}, extra: true }, check: problem(400, "") },
  { name: "bad: body is a JSON array", path: "/v1/decide", body: "[1,2]", headers: JSON_TYPE, check: problem(400, "") },
  {
    name: "bad: __proto__ key is refused, not merged",
    path: "/v1/decide",
    body: '{"__proto__":{"polluted":1},"workload":{}}',
    headers: JSON_TYPE,
    check: problem(400, ""),
  },
  { name: "bad: malformed JSON", path: "/v1/decide", body: '{"workload": {', headers: JSON_TYPE, check: problem(400, "") },
  {
    name: "bad: wrong content type → 415",
    path: "/v1/decide",
    body: "scenario=edge",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    check: problem(415),
  },
  {
    name: "bad: body over 64 KiB → 413",
    path: "/v1/decide",
    body: JSON.stringify({ workload: { scenario: "x".repeat(70_000) } }),
    headers: JSON_TYPE,
    check: problem(413),
  },
  { name: "bad: compare with an unknown level", path: "/v1/compare?a=L3&b=L9", check: problem(400, "b", "L4") },
  { name: "bad: compare without b", path: "/v1/compare?a=L3", check: problem(400, "b") },
  { name: "bad: unknown route → 404", path: "/v2/decide", check: problem(404) },
  {
    name: "bad: wrong method → 405 with Allow",
    path: "/v1/decide",
    method: "GET",
    check: (a) => {
      problem(405)(a);
      expect(a.headers.get("allow")).toContain("POST");
    },
  },
  { name: "bad: batch items not a list", path: "/v1/decide/batch", body: { items: {} }, check: problem(400, "items") },
];
