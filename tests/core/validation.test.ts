// Every kind of invalid input to decide / rank / compare: an InvalidRequestError whose errors
// name each bad field (and, for an unknown id, the allowed ids) — never a crash, never a pass.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "../../host/engine/engine.ts";
import { InvalidRequestError, type FieldError } from "../../host/engine/errors.ts";
import { ALL_RUNTIMES, defaultEngine } from "./support/policy.ts";
import { METRICS, NEEDS, SCENARIOS } from "./support/reference.ts";

let engine: Engine;
beforeAll(async () => {
  engine = await defaultEngine();
});

/** The errors a call throws; fails the test when it does not throw InvalidRequestError. */
function errorsOf(call: () => unknown): FieldError[] {
  try {
    call();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidRequestError);
    const errors = (err as InvalidRequestError).errors;
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) {
      expect(Object.keys(e).every((k) => ["path", "message", "allowed"].includes(k))).toBe(true);
      expect(e.path).toBeTypeOf("string");
      expect(e.message).toMatch(/\S/);
      expect((err as Error).message).toContain(e.message);
    }
    return errors;
  }
  throw new Error("expected an InvalidRequestError, but the call succeeded");
}

const decideErrors = (request: unknown) => errorsOf(() => engine.decide(request));
const ids = (group: string) => NEEDS.filter((n) => n.group === group).map((n) => n.id);

describe("decide: the request's shape", () => {
  it.each([[[]], ["edge"], [42], [true]])("a request that is not an object (%j)", (request) => {
    expect(decideErrors(request)).toEqual([{ path: "", message: expect.stringMatching(/JSON object/) }]);
  });

  it("no request at all is the empty request (every field is optional)", () => {
    expect(engine.decide(undefined).level).toBe("L3");
    expect(engine.decide({}).level).toBe("L3");
    expect(engine.decide({ workload: {} }).level).toBe("L3");
  });

  const unknownFields: [string, unknown, string, RegExp][] = [
    ["top level", { workload: {}, priority: 1 }, "", /unknown field "priority"; allowed: workload, node/],
    [
      "workload",
      { workload: { scenario: "edge", gpu: true } },
      "workload",
      /unknown field "gpu"; allowed: scenario, artifact, performance, security, cost, constraints, weights/,
    ],
    [
      "constraints",
      { workload: { constraints: { maxDiskMb: 1 } } },
      "workload.constraints",
      /unknown field "maxDiskMb"; allowed: maxColdStartMs, maxMemoryMb, maxCpuOverheadPct, minIsolation/,
    ],
    ["node", { node: { runtimes: [], arch: "arm64" } }, "node", /unknown field "arch"; allowed: runtimes/],
    ["__proto__ at the top", JSON.parse('{"__proto__": {"level": "L1"}}'), "", /unknown field "__proto__"/],
  ];
  it.each(unknownFields)("an unknown field in %s is named", (_, request, path, message) => {
    expect(decideErrors(request)).toEqual([{ path, message: expect.stringMatching(message) }]);
  });

  it("several unknown fields at once are all named", () => {
    const [e] = decideErrors({ workload: { a: 1, b: 2 } });
    expect(e.message).toMatch(/unknown fields "a", "b"/);
  });
});

describe("decide: unknown ids name the allowed ids", () => {
  const cases: [string, Record<string, unknown>, string, string[]][] = [
    ["scenario", { workload: { scenario: "datacenter" } }, "workload.scenario", SCENARIOS.map((s) => s.id)],
    ["performance need", { workload: { performance: "low-latency" } }, "workload.performance", ids("performance")],
    ["security need", { workload: { security: ["zero-trust", "airgap"] } }, "workload.security[1]", ids("security")],
    ["cost need", { workload: { cost: ["best-tco", "cheapest"] } }, "workload.cost[1]", ids("cost")],
    ["a security need given as performance", { workload: { performance: "zero-trust" } }, "workload.performance", ids("performance")],
    ["runtime", { node: { runtimes: ["containerd", "docker"] } }, "node.runtimes[1]", [...ALL_RUNTIMES]],
    ["metric", { workload: { weights: { latency: 1 } } }, "workload.weights.latency", METRICS],
    ["a case variant", { workload: { scenario: "Edge" } }, "workload.scenario", SCENARIOS.map((s) => s.id)],
    ["an alias with a space", { workload: { scenario: " 边缘计算" } }, "workload.scenario", SCENARIOS.map((s) => s.id)],
  ];
  it.each(cases)("%s", (_, request, path, allowed) => {
    const errors = decideErrors(request);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ path, allowed });
    for (const id of allowed) expect(errors[0].message).toContain(id);
  });

  it("the message quotes the bad value and the Chinese aliases", () => {
    const [e] = decideErrors({ workload: { scenario: "datacenter" } });
    expect(e.message).toBe('unknown scenario "datacenter"; allowed: edge (边缘计算), microservices (微服务), serverless (Serverless), ai-inference (AI推理)');
  });

  it("every bad field of one request is listed", () => {
    const errors = decideErrors({
      workload: { scenario: "moon", performance: ["fast-cold-start", "x"], constraints: { maxMemoryMb: -1 }, weights: { speed: 1 } },
      node: { runtimes: ["docker"] },
    });
    expect(errors.map((e) => e.path).sort()).toEqual([
      "node.runtimes[0]",
      "workload.constraints.maxMemoryMb",
      "workload.performance[1]",
      "workload.scenario",
      "workload.weights.speed",
    ]);
  });
});

describe("decide: wrong types", () => {
  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    ["workload as a string", { workload: "edge" }, "workload", /workload must be an object/],
    ["workload as an array", { workload: [] }, "workload", /workload must be an object/],
    ["scenario as a number", { workload: { scenario: 1 } }, "workload.scenario", /scenario must be a string id; allowed: edge/],
    ["scenario null", { workload: { scenario: null } }, "workload.scenario", /scenario must be a string id/],
    ["scenario as a list", { workload: { scenario: ["edge"] } }, "workload.scenario", /scenario must be a string id/],
    [
      "performance as an object",
      { workload: { performance: { id: "fast-cold-start" } } },
      "workload.performance",
      /id or a list of ids; allowed: fast-cold-start/,
    ],
    ["security as a number", { workload: { security: 7 } }, "workload.security", /id or a list of ids/],
    ["a need list holding a number", { workload: { cost: ["best-tco", 3] } }, "workload.cost[1]", /cost need must be a string id/],
    ["a nested need list", { workload: { performance: [["fast-cold-start"]] } }, "workload.performance[0]", /string id/],
    ["constraints as a list", { workload: { constraints: [50] } }, "workload.constraints", /constraints must be an object/],
    ["a constraint as a string", { workload: { constraints: { maxColdStartMs: "50" } } }, "workload.constraints.maxColdStartMs", /finite number/],
    ["a constraint as a boolean", { workload: { constraints: { maxMemoryMb: true } } }, "workload.constraints.maxMemoryMb", /finite number/],
    ["a constraint null", { workload: { constraints: { maxCpuOverheadPct: null } } }, "workload.constraints.maxCpuOverheadPct", /finite number/],
    ["minIsolation as a string", { workload: { constraints: { minIsolation: "5" } } }, "workload.constraints.minIsolation", /1–5/],
    ["weights as a list", { workload: { weights: [0.4, 0.6] } }, "workload.weights", /weights must be an object of metric: number/],
    ["a weight as a string", { workload: { weights: { coldStart: "0.4" } } }, "workload.weights.coldStart", /finite number/],
    ["node as a string", { node: "edge-1" }, "node", /node must be an object/],
    ["runtimes as a string", { node: { runtimes: "kvm" } }, "node.runtimes", /./],
    ["runtimes missing", { node: {} }, "node.runtimes", /./],
    ["a runtime as an object", { node: { runtimes: [{ id: "kvm" }] } }, "node.runtimes[0]", /runtime must be a string id/],
  ];
  it.each(cases)("%s", (_, request, path, message) => {
    const errors = decideErrors(request);
    expect(errors).toHaveLength(1);
    expect(errors[0].path).toBe(path);
    expect(errors[0].message).toMatch(message);
  });
});

describe("decide: numbers out of range", () => {
  const constraint = (key: string, value: number) => ({ workload: { constraints: { [key]: value } } });
  it.each([
    ["maxColdStartMs", -1, /≥ 0/],
    ["maxMemoryMb", -0.001, /≥ 0/],
    ["maxCpuOverheadPct", -100, /≥ 0/],
    ["maxColdStartMs", Infinity, /finite/],
    ["maxMemoryMb", -Infinity, /finite/],
    ["maxCpuOverheadPct", NaN, /finite/],
    ["minIsolation", 0, /1–5/],
    ["minIsolation", 5.5, /1–5/],
    ["minIsolation", -3, /1–5/],
    ["minIsolation", NaN, /1–5|number/],
  ])("%s = %d", (key, value, message) => {
    const errors = decideErrors(constraint(key, value));
    expect(errors).toEqual([{ path: `workload.constraints.${key}`, message: expect.stringMatching(message) }]);
  });

  it.each([[-1], [NaN], [Infinity], [-Infinity]])("a weight of %d", (value) => {
    expect(decideErrors({ workload: { weights: { memory: value } } })).toEqual([
      { path: "workload.weights.memory", message: expect.stringMatching(/weight must be/) },
    ]);
  });

  it("zero is a valid bound and a valid weight", () => {
    expect(engine.decide({ workload: { constraints: { maxCpuOverheadPct: 0 } } }).level).toBeNull();
    expect(engine.decide({ workload: { weights: { memory: 0 } } }).level).toBe("L3");
  });
});

describe("decide: deep and odd values", () => {
  it("a deeply nested value is refused by name, without a stack overflow", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    expect(decideErrors({ workload: deep })[0]).toMatchObject({ path: "workload", message: expect.stringMatching(/unknown field "a"/) });
    let list: unknown = "edge";
    for (let i = 0; i < 100_000; i++) list = [list];
    expect(decideErrors({ workload: { scenario: list } })[0].path).toBe("workload.scenario");
  });

  it("a circular request is refused, not followed", () => {
    const loop: Record<string, unknown> = {};
    loop.workload = loop;
    expect(decideErrors(loop)[0]).toMatchObject({ path: "workload", message: expect.stringMatching(/unknown field "workload"/) });
  });

  it("long and hostile strings are cut and cleaned before they are echoed", () => {
    const [e] = decideErrors({ workload: { scenario: "x".repeat(100_000) } });
    expect(e.message.length).toBeLessThan(400);
    const [c] = decideErrors({ workload: { scenario: "a\u0000b\nc\u001b[31m" } });
    expect(c.message).not.toMatch(/[\u0000-\u001f]/);
  });

  it("too long lists are refused, naming the limit", () => {
    const many = Array(33).fill("fast-cold-start");
    const [e] = decideErrors({ workload: { performance: many } });
    expect(e).toMatchObject({ path: "workload.performance", message: expect.stringMatching(/32/) });
    expect(decideErrors({ node: { runtimes: Array(1000).fill("kvm") } })[0].path).toBe("node.runtimes");
  });

  it("repeated ids are fine", () => {
    expect(engine.decide({ workload: { performance: ["fast-cold-start", "fast-cold-start"] }, node: { runtimes: ["kvm", "kvm"] } }).node.runtimes).toEqual([
      "kvm",
    ]);
  });

  it('a "constructor" or "toString" weight is an unknown metric', () => {
    for (const key of ["constructor", "toString", "hasOwnProperty"]) {
      expect(decideErrors({ workload: { weights: { [key]: 1 } } })).toEqual([expect.objectContaining({ path: `workload.weights.${key}`, allowed: METRICS })]);
    }
  });

  // zod's z.record skips a "__proto__" key without an issue; the weights schema checks every own key.
  it('a "__proto__" weight (from JSON.parse) is named as an unknown metric', () => {
    const proto = decideErrors(JSON.parse('{"workload":{"weights":{"coldStart":1,"__proto__":1}}}'));
    expect(proto).toEqual([expect.objectContaining({ path: "workload.weights.__proto__", allowed: METRICS })]);
  });

  it("non-JSON values (BigInt, Date, Map, functions, symbols) are refused by name", () => {
    expect(decideErrors({ workload: { constraints: { maxMemoryMb: 64n } } })[0].path).toBe("workload.constraints.maxMemoryMb");
    expect(decideErrors({ workload: { constraints: { maxColdStartMs: new Date() } } })[0].path).toBe("workload.constraints.maxColdStartMs");
    expect(decideErrors({ workload: { weights: new Map([["memory", 1]]) } })[0].path).toBe("workload.weights");
    expect(decideErrors({ workload: { scenario: () => "edge" } })[0].path).toBe("workload.scenario");
    expect(decideErrors({ workload: { scenario: Symbol("edge") } })[0].path).toBe("workload.scenario");
  });

  it("any JSON value at all: a decision or an InvalidRequestError, nothing else", () => {
    const scenario = fc.constantFrom(...SCENARIOS.map((s) => s.id), "edge ", "", "L4");
    const workload = fc.record(
      {
        scenario: fc.oneof(scenario, fc.jsonValue({ maxDepth: 2 })),
        performance: fc.oneof(fc.constantFrom(...ids("performance")), fc.array(fc.string(), { maxLength: 3 }), fc.jsonValue({ maxDepth: 2 })),
        constraints: fc.dictionary(
          fc.constantFrom("maxColdStartMs", "maxMemoryMb", "maxCpuOverheadPct", "minIsolation", "x"),
          fc.oneof(fc.double(), fc.jsonValue({ maxDepth: 1 })),
        ),
        weights: fc.dictionary(fc.oneof(fc.constantFrom(...METRICS), fc.string()), fc.oneof(fc.double(), fc.jsonValue({ maxDepth: 1 }))),
      },
      { requiredKeys: [] },
    );
    const request = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }),
      fc.record(
        {
          workload: workload,
          node: fc.record({ runtimes: fc.array(fc.oneof(fc.constantFrom(...ALL_RUNTIMES), fc.jsonValue({ maxDepth: 1 })), { maxLength: 4 }) }),
        },
        { requiredKeys: [] },
      ),
    );
    fc.assert(
      fc.property(request, (r) => {
        try {
          const d = engine.decide(r);
          expect(d.ranking).toHaveLength(4);
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidRequestError);
          for (const e of (err as InvalidRequestError).errors) expect(e.path === "" || /^(workload|node)/.test(e.path)).toBe(true);
        }
      }),
      { numRuns: 600 },
    );
  });
});

describe("rank", () => {
  it("needs weights", () => {
    expect(errorsOf(() => engine.rank({}))).toEqual([{ path: "weights", message: expect.stringMatching(/weights must be an object/) }]);
    expect(errorsOf(() => engine.rank(undefined))).toEqual([{ path: "", message: expect.stringMatching(/JSON object with weights/) }]);
    expect(errorsOf(() => engine.rank([]))[0].path).toBe("");
  });

  it("takes no workload fields", () => {
    expect(errorsOf(() => engine.rank({ weights: { memory: 1 }, scenario: "edge" }))[0]).toMatchObject({
      path: "",
      message: expect.stringMatching(/unknown field "scenario"/),
    });
  });

  it("names unknown metrics, bad weights, constraints and runtimes", () => {
    const errors = errorsOf(() => engine.rank({ weights: { speed: 1, memory: -2 }, constraints: { minIsolation: 9 }, node: { runtimes: ["lxc"] } }));
    // every bad key and value at once
    expect(errors.map((e) => e.path).sort()).toEqual(["constraints.minIsolation", "node.runtimes[0]", "weights.memory", "weights.speed"]);
    expect(errors.find((e) => e.path === "node.runtimes[0]")!.allowed).toEqual([...ALL_RUNTIMES]);
    const metric = errorsOf(() => engine.rank({ weights: { speed: 1, memory: 2 } }));
    expect(metric).toEqual([expect.objectContaining({ path: "weights.speed", allowed: METRICS })]);
  });

  it("huge but finite weights still rank by their proportions", () => {
    const r = engine.rank({ weights: { coldStart: Number.MAX_VALUE, memory: Number.MAX_VALUE } });
    expect(r.best).toBe("L4");
    expect(r.ranking.every((e) => Number.isFinite(e.score))).toBe(true);
    expect(r.ranking.map((e) => e.score)).toEqual(engine.rank({ weights: { coldStart: 1, memory: 1 } }).ranking.map((e) => e.score));
    const d = engine.decide({ workload: { weights: { coldStart: 1e308, 冷启动时间: 1e308 } }, node: { runtimes: ["kvm", "wasmedge"] } });
    expect(d.ranking.filter((e) => e.feasible).every((e) => Number.isFinite(e.score))).toBe(true);
    expect(d.fallback!.level).toBe("L2");
  });
});

describe("compare", () => {
  it("names an unknown level with the allowed ids", () => {
    expect(errorsOf(() => engine.compare("L5", "L4"))).toEqual([
      { path: "a", message: expect.stringMatching(/unknown level "L5"/), allowed: ["L0", "L1", "L2", "L3", "L4"] },
    ]);
    expect(errorsOf(() => engine.compare("L3", "l4"))[0]).toMatchObject({ path: "b", allowed: ["L0", "L1", "L2", "L3", "L4"] });
  });

  it("names both sides when both are bad, whatever their type", () => {
    expect(errorsOf(() => engine.compare(3, null)).map((e) => e.path)).toEqual(["a", "b"]);
    expect(errorsOf(() => engine.compare(undefined, { id: "L3" })).map((e) => e.path)).toEqual(["a", "b"]);
    expect(errorsOf(() => engine.compare(["L3"], "L4"))[0].message).toMatch(/level must be a string id/);
  });

  it("L0 compares (it has figures for some rows); a level with itself ties", () => {
    expect(engine.compare("L0", "L1").a).toBe("L0");
    expect(engine.compare("L4", "L4").wins).toEqual({ L4: 0, tie: 12 });
  });
});
