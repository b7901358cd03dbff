// docs/API.md "Decision rules" 1–5, rank, and the shape of every ranking, against the default policy.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { Decision, Engine } from "../../host/engine/engine.ts";
import { ALL_RUNTIMES, LEVEL_FIGURES_NODE, PLACEABLE, defaultEngine } from "./support/policy.ts";
import { feasibleLevels, rejectionSets, runners, secondChoice, sourcePick, type Constraints } from "./support/model.ts";
import { ARTIFACTS, NEEDS, PROVIDERS, SCENARIOS, type Artifact, type Placeable } from "./support/reference.ts";

let engine: Engine;
beforeAll(async () => {
  engine = await defaultEngine();
});

const decide = (workload: Record<string, unknown> = {}, runtimes?: string[]): Decision =>
  engine.decide({ workload, ...(runtimes ? { node: { runtimes } } : {}) });
const feasibleOf = (d: Decision) =>
  d.ranking
    .filter((r) => r.feasible)
    .map((r) => r.level)
    .sort();
const entry = (d: Decision, level: string) => d.ranking.find((r) => r.level === level)!;

/** The invariants every decision keeps, whatever the request. */
function expectWellFormed(d: Decision): void {
  expect(d.ranking.map((r) => r.level).sort()).toEqual([...PLACEABLE]);
  const firstInfeasible = d.ranking.findIndex((r) => !r.feasible);
  if (firstInfeasible >= 0) expect(d.ranking.slice(firstInfeasible).every((r) => !r.feasible)).toBe(true);
  for (const r of d.ranking) {
    if (r.feasible) expect(r.score).toBeTypeOf("number");
    else {
      expect(r.score).toBeNull();
      expect(r.reasons.length).toBeGreaterThan(0);
      for (const reason of r.reasons) expect(reason).toMatch(/[a-z]{3,} [a-z]{2,}/);
    }
  }
  if (d.level) {
    expect(d.ranking[0]).toMatchObject({ level: d.level, feasible: true });
    if (d.fallback) {
      expect(d.fallback.level).not.toBe(d.level);
      expect(d.ranking[1]).toMatchObject({ level: d.fallback.level, feasible: true });
    } else expect(d.ranking.filter((r) => r.feasible)).toHaveLength(1);
  } else {
    expect(d).toMatchObject({ levelName: null, runtime: null, runtimeClassName: null, stack: null, fallback: null });
    expect(d.explanation.startsWith("0/4 levels are available")).toBe(true);
  }
}

describe("rule 1: infeasibility", () => {
  it("a level the scenario marks ❌ is infeasible, with the reason in words", () => {
    const edge = decide({ scenario: "edge" });
    expect(entry(edge, "L1")).toMatchObject({ feasible: false, score: null });
    expect(entry(edge, "L1").reasons.join()).toMatch(/not suitable for edge/);
    expect(entry(edge, "L2").feasible).toBe(true); // ⚠️ is usable
    const serverless = decide({ scenario: "serverless" });
    expect(feasibleOf(serverless)).toEqual(["L3", "L4"]);
    expect(feasibleOf(decide({ scenario: "microservices" }))).toEqual(["L1", "L2", "L3", "L4"]);
  });

  it("maxColdStartMs is checked against the upper end of the range, not its midpoint or lower end", () => {
    // On runtimes that run at their level's figures (kata's own 850–950 ms is tested below).
    const at = (maxColdStartMs: number) => decide({ constraints: { maxColdStartMs } }, LEVEL_FIGURES_NODE);
    expect(feasibleOf(at(10))).toEqual(["L4"]); // < 10 ms
    expect(feasibleOf(at(9.99))).toEqual([]);
    expect(feasibleOf(at(5000))).toEqual(["L3", "L4"]); // 1–5 s
    expect(feasibleOf(at(4999))).toEqual(["L4"]); // midpoint 3 s would pass
    expect(feasibleOf(at(29_999))).toEqual(["L2", "L3", "L4"]);
    expect(feasibleOf(at(30_000))).toEqual(["L1", "L2", "L3", "L4"]);
    expect(entry(at(4999), "L3").reasons.join()).toMatch(/cold start 1–5 s can exceed maxColdStartMs 4999/);
    // planning mode: Kata starts a VM in 850–950 ms (its own figure), so L1 and L2 meet 1 s
    expect(feasibleOf(decide({ constraints: { maxColdStartMs: 1000 } }))).toEqual(["L1", "L2", "L4"]);
    expect(decide({ constraints: { maxColdStartMs: 1000 } }).ranking.find((r) => r.level === "L1")!.runtime).toBe("kata");
  });

  it('an open upper end ("128 MB +") breaks any maxMemoryMb', () => {
    for (const max of [128, 129, 1024, 1e9, Number.MAX_VALUE]) {
      const d = decide({ constraints: { maxMemoryMb: max } });
      expect(entry(d, "L1").feasible).toBe(false);
      expect(entry(d, "L1").reasons.join()).toMatch(/no upper bound/);
      expect(entry(d, "L2").feasible).toBe(true); // 64–128 MB
    }
    expect(feasibleOf(decide({ constraints: { maxMemoryMb: 127 } }))).toEqual(["L3", "L4"]);
    expect(feasibleOf(decide({ constraints: { maxMemoryMb: 49 } }))).toEqual(["L4"]);
    expect(feasibleOf(decide({ constraints: { maxMemoryMb: 5 } }))).toEqual(["L4"]);
    expect(feasibleOf(decide({ constraints: { maxMemoryMb: 4 } }))).toEqual([]);
    // no memory constraint: L1 is fine
    expect(entry(decide({}), "L1").feasible).toBe(true);
  });

  it("maxCpuOverheadPct against the upper end", () => {
    expect(feasibleOf(decide({ constraints: { maxCpuOverheadPct: 10 } }))).toEqual(["L1", "L2", "L3", "L4"]);
    expect(feasibleOf(decide({ constraints: { maxCpuOverheadPct: 9 } }))).toEqual(["L2", "L3", "L4"]);
    expect(feasibleOf(decide({ constraints: { maxCpuOverheadPct: 3 } }))).toEqual(["L3", "L4"]);
    expect(feasibleOf(decide({ constraints: { maxCpuOverheadPct: 1 } }))).toEqual(["L4"]);
    expect(feasibleOf(decide({ constraints: { maxCpuOverheadPct: 0.5 } }))).toEqual([]);
  });

  it("minIsolation against the stars", () => {
    expect(feasibleOf(decide({ constraints: { minIsolation: 3 } }))).toEqual(["L1", "L2", "L3", "L4"]);
    expect(feasibleOf(decide({ constraints: { minIsolation: 4 } }))).toEqual(["L1", "L2", "L4"]);
    expect(feasibleOf(decide({ constraints: { minIsolation: 4.5 } }))).toEqual(["L1", "L4"]);
    expect(feasibleOf(decide({ constraints: { minIsolation: 5 } }))).toEqual(["L1", "L4"]);
    expect(entry(decide({ constraints: { minIsolation: 5 } }), "L3").reasons.join()).toMatch(/isolation .*below minIsolation 5/);
  });

  it("every broken constraint is named, not only the first", () => {
    const d = decide({ scenario: "edge", constraints: { maxColdStartMs: 5, maxMemoryMb: 3, maxCpuOverheadPct: 0.5, minIsolation: 5 } });
    expect(d.level).toBeNull();
    const l1 = entry(d, "L1").reasons.join(" | ");
    for (const word of [/edge/, /maxColdStartMs 5/, /maxMemoryMb 3/, /maxCpuOverheadPct 0.5/]) expect(l1).toMatch(word);
    expect(entry(d, "L3").reasons).toHaveLength(4); // cold start, memory, CPU, isolation
  });

  describe("node runtimes → feasibility", () => {
    const cases: [string[], Placeable[]][] = [
      [[], []],
      [["kvm"], ["L1", "L2"]],
      [["kata"], ["L1", "L2"]],
      [["containerd"], ["L3"]],
      [["wasmedge"], ["L4"]],
      [["wasmtime"], ["L4"]],
      [["gvisor"], ["L4"]],
      [["firecracker"], []], // firecracker alone does not give L4
      [
        ["firecracker", "kata"],
        ["L1", "L2"],
      ], // nor with kata: it needs /dev/kvm
      [
        ["firecracker", "kvm"],
        ["L1", "L2", "L4"],
      ],
      [
        ["containerd", "wasmedge"],
        ["L3", "L4"],
      ],
      [[...ALL_RUNTIMES], ["L1", "L2", "L3", "L4"]],
    ];
    it.each(cases)("runtimes %j → feasible %j", (runtimes, expected) => {
      const d = decide({}, runtimes);
      expect(feasibleOf(d)).toEqual(expected);
      for (const r of d.ranking.filter((x) => !x.feasible)) expect(r.reasons.join()).toMatch(/no runtime for it on this node/);
    });

    it("all 128 subsets of runtimes agree with docs/API.md's providers", () => {
      for (let mask = 0; mask < 1 << ALL_RUNTIMES.length; mask++) {
        const runtimes = ALL_RUNTIMES.filter((_, i) => (mask >> i) & 1);
        expect(feasibleOf(decide({}, runtimes)), runtimes.join(",")).toEqual(feasibleLevels(undefined, {}, runtimes));
      }
    });

    it("the answer names a runtime that is on the node and provides the level", () => {
      const fc4 = decide({ scenario: "edge" }, ["firecracker", "kvm"]);
      expect(fc4).toMatchObject({ level: "L4", runtime: "firecracker", runtimeClassName: "kata-fc" });
      expect(decide({ scenario: "edge" }, ["gvisor", "containerd"])).toMatchObject({ level: "L4", runtime: "gvisor", runtimeClassName: "gvisor" });
      expect(decide({ scenario: "edge" }, ["wasmtime"])).toMatchObject({ level: "L4", runtime: "wasmtime", runtimeClassName: "wasmtime" });
      expect(decide({ security: "multi-tenant" }, ["kata"])).toMatchObject({ level: "L1", runtime: "kata", runtimeClassName: "kata" });
      expect(decide({ security: "multi-tenant" }, ["kvm"])).toMatchObject({ level: "L1", runtime: "kvm", runtimeClassName: null });
      expect(decide({}, ["containerd"])).toMatchObject({ level: "L3", runtime: "containerd", runtimeClassName: null });
    });

    it("a request without node is planning mode: every runtime counted, and said so", () => {
      const d = decide({ scenario: "edge" });
      expect(d.node).toEqual({ source: "planning", runtimes: [...ALL_RUNTIMES] });
      expect(d.explanation).toMatch(/planning mode/);
      expect(decide({}, ["containerd"]).node).toEqual({ source: "request", runtimes: ["containerd"] });
    });
  });
});

describe("rule 2: the source's order when its pick is feasible", () => {
  it("the scenario's recommended level comes first, before any need", () => {
    expect(decide({ scenario: "edge", performance: "high-network", security: "multi-tenant" })).toMatchObject({ level: "L4", rule: "scenario" });
    expect(decide({ scenario: "microservices", performance: "fast-cold-start" })).toMatchObject({ level: "L3", rule: "scenario" });
    expect(decide({ scenario: "serverless", security: "compliance" })).toMatchObject({ level: "L4", rule: "scenario" });
    expect(decide({ scenario: "ai-inference", performance: "high-storage" })).toMatchObject({ level: "L4", rule: "scenario" });
  });

  it("then the first performance need, before the security need", () => {
    expect(decide({ performance: "high-network", security: "multi-tenant" })).toMatchObject({ level: "L2", rule: "performance" });
    expect(decide({ performance: ["high-storage", "fast-cold-start"], security: "zero-trust" })).toMatchObject({ level: "L3", rule: "performance" });
    expect(decide({ performance: ["fast-cold-start", "high-storage"] })).toMatchObject({ level: "L4", rule: "performance" });
  });

  it("then the first security need", () => {
    expect(decide({ security: ["compliance", "zero-trust"] })).toMatchObject({ level: "L1", rule: "security" });
    expect(decide({ security: ["zero-trust", "compliance"] })).toMatchObject({ level: "L4", rule: "security" });
    expect(decide({ security: "multi-tenant", cost: "best-tco" })).toMatchObject({ level: "L1", rule: "security" });
  });

  it("then L3; cost needs never pick a level", () => {
    expect(decide({})).toMatchObject({ level: "L3", rule: "default" });
    expect(decide({ cost: ["lowest-infrastructure-cost", "best-tco"] })).toMatchObject({ level: "L3", rule: "default" });
    expect(decide({}, ["containerd", "wasmedge", "kvm"])).toMatchObject({ level: "L3", rule: "default" });
  });

  it("each performance and security need alone picks its own level when feasible", () => {
    for (const need of NEEDS.filter((n) => n.group !== "cost")) {
      const d = decide({ [need.group]: need.id });
      expect(need.levels, need.id).toContain(d.level);
      expect(d.rule).toBe(need.group);
    }
  });

  it("the source's own example: edge, fast cold start, zero trust, lowest infrastructure cost → L4, K3s + WasmEdge", () => {
    const d = decide({ scenario: "edge", performance: "fast-cold-start", security: "zero-trust", cost: "lowest-infrastructure-cost" });
    expect(d).toMatchObject({ level: "L4", levelName: "sandbox", runtime: "wasmedge", runtimeClassName: "wasmedge", rule: "scenario" });
    expect(d.stack).toContain("K3s + WasmEdge");
    expect(d.fallback).toMatchObject({ level: "L3", stack: "K3s + containerd 2.0" });
    expect(d.explanation).toMatch(/^L4 \(sandbox\): the recommended level for edge/);
  });
});

describe("rule 3: the best feasible level otherwise", () => {
  it("the scenario's 2025 second choice where it is feasible", () => {
    expect(decide({ scenario: "edge" }, ["containerd"])).toMatchObject({ level: "L3", rule: "second-choice", stack: "K3s + containerd 2.0" });
    expect(decide({ scenario: "serverless" }, ["containerd", "kvm"])).toMatchObject({ level: "L3", rule: "second-choice", stack: "Knative + containerd 2.0" });
    expect(decide({ scenario: "microservices" }, ["wasmedge", "kvm"])).toMatchObject({ level: "L4", rule: "second-choice", stack: "K8s + WasmEdge 0.14.1" });
    const d = decide({ scenario: "edge", constraints: { maxCpuOverheadPct: 0.9 } }, ["containerd", "wasmedge"]);
    expect(d.level).toBeNull(); // L4 "< 1 %" can exceed 0.9 %; L3 "1–3 %" too
    const e = decide({ scenario: "edge" }, ["containerd"]);
    expect(e.explanation).toMatch(/second choice for edge computing, since L4 is not available \(no runtime/);
  });

  it("else the best by score, honouring the needs' own metrics", () => {
    // L1 is out (no runtime); by isolation L4 (5) beats L3 (3).
    expect(decide({ security: "multi-tenant" }, ["containerd", "wasmedge"])).toMatchObject({ level: "L4", rule: "score" });
    // L4 is out; by cold start L3 (1–5 s) beats L2 (3–10 s) and L1 (5–30 s).
    const cold = decide({ performance: "fast-cold-start" }, ["kvm", "containerd"]);
    expect(cold).toMatchObject({ level: "L3", rule: "score", fallback: { level: "L2" } });
    expect(cold.ranking.map((r) => r.level)).toEqual(["L3", "L2", "L1", "L4"]);
    // L1 is out by memory; compliance's metrics (compliance, isolation) prefer L2 to L3, though
    // L3 scores better on all metrics at once.
    const comp = decide({ security: "compliance", constraints: { maxMemoryMb: 128 } }, ["kvm", "containerd"]);
    expect(comp).toMatchObject({ level: "L2", rule: "score" });
    expect(decide({ constraints: { maxMemoryMb: 128 } }, ["kvm", "containerd"]).level).toBe("L3");
  });

  it("else the best by score honouring weights", () => {
    const base = { performance: "high-network" }; // L2 is out: no kvm/kata
    expect(decide(base, ["containerd", "wasmedge"])).toMatchObject({ level: "L4", rule: "score" }); // network 5 vs 4
    expect(decide({ ...base, weights: { compatibility: 1 } }, ["containerd", "wasmedge"])).toMatchObject({ level: "L3", rule: "score" });
  });

  it("a true tie of scores goes to the higher equal-weight score, whatever the last bit of the sums", () => {
    // The three needs' metrics and compatibility weigh half each: L1 and L4 both score exactly 0.5,
    // by different sums (L1 by compatibility alone, L4 by the needs' metrics), which differ in the
    // last bit; scores are compared at nine decimals, so this is a tie, and it goes to the higher
    // equal-weight score: L4's, far higher. The Rego policy (docs/OPA.md) must break it the same way.
    const d = decide({ performance: ["high-utilization", "low-memory-overhead", "low-cpu-overhead"], weights: { compatibility: 0.16 } }, [
      "kvm",
      "gvisor",
      "wasmedge",
      "firecracker",
    ]);
    expect(d.ranking.slice(0, 2).map((r) => [r.level, r.score])).toEqual([
      ["L4", 0.5],
      ["L1", 0.5],
    ]);
    expect(d).toMatchObject({ level: "L4", rule: "score", fallback: { level: "L1" } });
    // a security need and three cost needs: L1 and L2 tie at 0.25, L2 is the higher by equal weights
    const cost = decide({ scenario: "microservices", security: "multi-tenant", cost: ["best-tco", "lowest-infrastructure-cost", "lowest-operations-cost"] }, [
      "kata",
    ]);
    expect(cost).toMatchObject({ level: "L2", rule: "score", fallback: { level: "L1" } });
  });

  it("when the second choice is out too, the score decides", () => {
    const d = decide({ scenario: "ai-inference" }, ["kvm"]);
    expect(d.rule).toBe("score");
    expect(["L1", "L2"]).toContain(d.level);
    expect(d.ranking[0].score!).toBeGreaterThanOrEqual(d.ranking[1].score!);
  });
});

describe("rule 4: no feasible level is an answer, not an error", () => {
  const cases: [string, Record<string, unknown>, string[] | undefined, RegExp][] = [
    ["no runtimes", {}, [], /no runtime for it on this node \(needs kvm or kata; the node has none\)/],
    ["serverless on a KVM-only node", { scenario: "serverless" }, ["kvm"], /not suitable for serverless/],
    ["a cold-start budget nobody meets", { constraints: { maxColdStartMs: 1 } }, undefined, /can exceed maxColdStartMs 1 ms/],
    ["firecracker without kvm", { scenario: "edge" }, ["firecracker"], /firecracker\+kvm/],
  ];
  it.each(cases)("%s", (_, workload, runtimes, reason) => {
    const d = decide(workload, runtimes);
    expectWellFormed(d);
    expect(d.level).toBeNull();
    expect(d.ranking.every((r) => !r.feasible && r.score === null && r.reasons.length >= 1)).toBe(true);
    expect(d.explanation).toMatch(/^0\/4 levels are available: L1 .+; L2 .+; L3 .+; L4 .+\.$/);
    expect(d.ranking.flatMap((r) => r.reasons).join("\n")).toMatch(reason);
  });
});

describe("rule 5: weights order the fallback and ranking, never override rule 2", () => {
  it("weights that favour another level do not move the scenario's pick", () => {
    for (const weights of [{ compatibility: 1 }, { operability: 1, compatibility: 1 }, { isolation: 0.0001, memory: 5 }]) {
      expect(decide({ scenario: "edge", weights })).toMatchObject({ level: "L4", rule: "scenario" });
      expect(decide({ scenario: "microservices", weights: { coldStart: 1, memory: 1 } })).toMatchObject({ level: "L3", rule: "scenario" });
    }
  });

  it("nor a need's pick, but they do reorder the fallback and the rest of the ranking", () => {
    const plain = decide({ performance: "fast-cold-start" }, LEVEL_FIGURES_NODE);
    const weighted = decide({ performance: "fast-cold-start", weights: { isolation: 1 } }, LEVEL_FIGURES_NODE);
    expect(plain.level).toBe("L4");
    expect(weighted.level).toBe("L4");
    expect(plain.fallback!.level).toBe("L3"); // cold start alone: L3 next
    expect(weighted.fallback!.level).toBe("L2"); // with isolation weighed in: L2 next
    expect(plain.ranking.map((r) => r.level)).toEqual(["L4", "L3", "L2", "L1"]);
    expect(weighted.ranking.map((r) => r.level)).toEqual(["L4", "L2", "L1", "L3"]);
  });

  it("after the answer and fallback, feasible levels come best score first", () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom("isolation", "coldStart", "memory", "cpu", "density", "network", "compatibility", "operability"),
          fc.double({ min: 0, max: 100, noNaN: true }),
        ),
        (weights) => {
          const d = decide({ weights });
          expectWellFormed(d);
          const rest = d.ranking
            .slice(2)
            .filter((r) => r.feasible)
            .map((r) => r.score!);
          expect(rest).toEqual([...rest].sort((a, b) => b - a));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("rank (POST /v1/rank)", () => {
  it("the source's weighted example answers L4", () => {
    const r = engine.rank({ weights: { coldStart: 0.4, memory: 0.3, isolation: 0.3 } });
    expect(r.best).toBe("L4");
    expect(r.ranking[0]).toMatchObject({ level: "L4", feasible: true, score: 1 });
  });

  it("ranks every level once, best score first, infeasible last, honouring constraints and node", () => {
    const r = engine.rank({ weights: { coldStart: 1 }, constraints: { maxMemoryMb: 128 }, node: { runtimes: ["kvm", "containerd"] } });
    expect(r.best).toBe("L3");
    expect(r.ranking.map((x) => [x.level, x.feasible])).toEqual([
      ["L3", true],
      ["L2", true],
      ["L1", false],
      ["L4", false],
    ]);
    const none = engine.rank({ weights: { coldStart: 1 }, constraints: { maxColdStartMs: 9 } });
    expect(none.best).toBeNull();
    expect(none.explanation).toMatch(/^0\/4 levels are available/);
    expect(none.ranking.every((x) => x.reasons.length > 0)).toBe(true);
  });
});

describe("every decision against the independent model", () => {
  const constraintSets: Constraints[] = [
    {},
    { maxColdStartMs: 50 },
    { maxMemoryMb: 128 },
    { maxMemoryMb: 64 },
    { maxCpuOverheadPct: 5 },
    { minIsolation: 4 },
    { minIsolation: 5, maxMemoryMb: 1000 },
    { maxColdStartMs: 5000, maxCpuOverheadPct: 3 },
  ];
  const perf = NEEDS.filter((n) => n.group === "performance").map((n) => n.id);
  const sec = NEEDS.filter((n) => n.group === "security").map((n) => n.id);

  it("feasibility (rule 1), the source's pick (rule 2), the second choice (rule 3), null (rule 4)", () => {
    fc.assert(
      fc.property(
        fc.option(fc.constantFrom(...SCENARIOS.map((s) => s.id)), { nil: undefined }),
        fc.subarray(perf, { maxLength: 2 }),
        fc.subarray(sec, { maxLength: 2 }),
        fc.constantFrom(...constraintSets),
        fc.subarray([...ALL_RUNTIMES]),
        fc.option(fc.constantFrom(...ARTIFACTS), { nil: undefined }),
        (scenario, performance, security, constraints, runtimes, artifact: Artifact | undefined) => {
          const d = decide({ scenario, performance, security, constraints, artifact }, runtimes);
          expectWellFormed(d);
          expect(d.artifact).toBe(artifact ?? null);
          const feasible = feasibleLevels(scenario, constraints, runtimes, artifact);
          expect(feasibleOf(d)).toEqual(feasible);
          for (const r of d.ranking.filter((x) => !x.feasible)) {
            const sets = rejectionSets(r.level as Placeable, scenario, constraints, runtimes, artifact);
            expect(sets.map((t) => t.length)).toContain(r.reasons.length);
          }
          for (const r of d.ranking) {
            // the runtime each level would run on is on the node, provides it and runs the artifact
            const can = runners(r.level as Placeable, runtimes, artifact).map((x) => x.id);
            if (r.runtime === null) expect(can).toEqual([]);
            else expect(can).toContain(r.runtime);
          }
          const pick = sourcePick(scenario, performance, security);
          const second = secondChoice(scenario);
          if (pick.levels.some((l) => feasible.includes(l))) {
            expect(d.rule).toBe(pick.rule);
            expect(pick.levels).toContain(d.level);
          } else if (second && feasible.includes(second)) {
            expect(d).toMatchObject({ level: second, rule: "second-choice" });
          } else if (feasible.length) {
            expect(d.rule).toBe("score");
            const scores = d.ranking.filter((r) => r.feasible).map((r) => r.score!);
            expect(d.ranking[0].score).toBe(Math.max(...scores));
          } else {
            expect(d.level).toBeNull();
          }
          if (d.level) {
            expect(PROVIDERS[d.level as Placeable].some((g) => g[0] === d.runtime && g.every((r) => (runtimes as string[]).includes(r)))).toBe(true);
            expect(d.runtime).toBe(d.ranking[0].runtime);
          }
        },
      ),
      { numRuns: 800 },
    );
  });
});
