// API.md rule 1(c) and rule 6: what a workload ships as (`artifact`) decides which runtimes count,
// the runtime within a level is chosen by its own figures, and constraints hold against them.
import { beforeAll, describe, expect, it } from "vitest";
import type { Decision, Engine } from "../../host/engine/engine.ts";
import { InvalidRequestError } from "../../host/engine/errors.ts";
import { buildPolicy } from "../../host/policy/compile.ts";
import { createEngine } from "../../host/engine/engine.ts";
import { PolicyRejectedError } from "../../host/engine/errors.ts";
import { ALL_RUNTIMES, PLACEABLE, buildDefault, defaultEngine, defaultSourceText } from "./support/policy.ts";
import { runners } from "./support/model.ts";
import { ARTIFACTS, RUNTIMES, SCENARIOS, type Placeable } from "./support/reference.ts";

let engine: Engine;
beforeAll(async () => {
  engine = await defaultEngine();
});

const decide = (workload: Record<string, unknown> = {}, runtimes?: readonly string[]): Decision =>
  engine.decide({ workload, ...(runtimes ? { node: { runtimes } } : {}) });
const entry = (d: Decision, level: string) => d.ranking.find((r) => r.level === level)!;
const runs = (runtime: string) => RUNTIMES.find((r) => r.id === runtime)!.runs;
const profiles = Array.from({ length: 1 << ALL_RUNTIMES.length }, (_, mask) => ALL_RUNTIMES.filter((_, i) => (mask >> i) & 1));

describe("every node profile (all 2^7 subsets of the default runtimes), every artifact", () => {
  const scenarios = [undefined, ...SCENARIOS.map((s) => s.id)];

  it.each(ARTIFACTS)("%s: never a runtime that cannot run it; a level whenever a runtime on the node can run it where the scenario allows", (artifact) => {
    let placed = 0,
      none = 0;
    for (const runtimes of profiles) {
      for (const scenario of scenarios) {
        const d = decide({ scenario, artifact }, runtimes);
        expect(d.artifact).toBe(artifact);
        for (const r of [d.runtime, d.fallback?.runtime, ...d.ranking.map((e) => e.runtime)]) {
          if (r !== null && r !== undefined) {
            expect(runtimes, `${r} on ${runtimes.join(",")}`).toContain(r);
            expect(runs(r), `${artifact} on ${r} (${runtimes.join(",")}, ${scenario})`).toContain(artifact);
          }
        }
        const sc = SCENARIOS.find((s) => s.id === scenario);
        // a scenario with no levels (an unknown id) allows every level; ?. alone would not say so
        // biome-ignore lint/complexity/useOptionalChain: the guard is the point
        const allowed = PLACEABLE.filter((l) => !sc?.levels || sc.levels[l].fit !== "❌");
        const possible = allowed.filter((l) => runners(l as Placeable, runtimes, artifact).length > 0);
        if (possible.length) {
          expect(d.level, `${artifact} ${scenario} on ${runtimes.join(",")}`).not.toBeNull();
          expect(possible).toContain(d.level);
          placed++;
        } else {
          expect(d.level).toBeNull();
          none++;
        }
      }
    }
    expect(placed).toBeGreaterThan(100); // the space reaches both outcomes
    expect(none).toBeGreaterThan(10);
  });

  it("with no artifact, every runtime counts, as before (the same feasibility as the union of all three)", () => {
    for (const runtimes of profiles) {
      const any = decide({}, runtimes)
        .ranking.filter((r) => r.feasible)
        .map((r) => r.level)
        .sort();
      const union = new Set(
        ARTIFACTS.flatMap((a) =>
          decide({ artifact: a }, runtimes)
            .ranking.filter((r) => r.feasible)
            .map((r) => r.level),
        ),
      );
      expect(any, runtimes.join(",")).toEqual([...union].sort());
    }
  });
});

describe("rule 1(c): the artifact decides which runtimes count", () => {
  it("a container on containerd + WasmEdge is never placed on WasmEdge, and the reason says why", () => {
    const d = decide({ scenario: "serverless", artifact: "container" }, ["containerd", "wasmedge", "wasmtime"]);
    expect(d).toMatchObject({ level: "L3", runtime: "containerd", rule: "second-choice", artifact: "container" });
    expect(entry(d, "L4")).toMatchObject({ feasible: false, runtime: null, runtimeClassName: null });
    expect(entry(d, "L4").reasons).toEqual([
      "no runtime for container images at L4 on this node (WasmEdge and Wasmtime run Wasm modules; gVisor or Firecracker would run it)",
    ]);
    expect(d.explanation).toMatch(/L4 is not available \(no runtime for container images at L4/);
  });

  it("the same container finds its sandbox on gVisor or Firecracker (with KVM)", () => {
    expect(decide({ scenario: "serverless", artifact: "container" }, ["containerd", "wasmedge", "gvisor"])).toMatchObject({
      level: "L4",
      runtime: "gvisor",
      runtimeClassName: "gvisor",
    });
    expect(decide({ scenario: "serverless", artifact: "container" }, ["containerd", "wasmedge", "firecracker", "kvm"])).toMatchObject({
      level: "L4",
      runtime: "firecracker",
      runtimeClassName: "kata-fc",
    });
    const noKvm = decide({ scenario: "serverless", artifact: "container" }, ["containerd", "firecracker"]);
    expect(noKvm).toMatchObject({ level: "L3" });
    expect(entry(noKvm, "L4").reasons.join()).toMatch(/no runtime for container images at L4 on this node \(needs gvisor or firecracker\+kvm/);
  });

  it("a Wasm module never lands on a container or VM runtime; a VM image only on KVM", () => {
    const wasm = decide({ scenario: "microservices", artifact: "wasm" }, ["containerd", "kata", "kvm", "wasmtime"]);
    expect(wasm).toMatchObject({ level: "L4", runtime: "wasmtime", rule: "second-choice" });
    expect(decide({ artifact: "wasm" }, ["containerd", "kvm", "kata", "gvisor"]).level).toBeNull();
    const vm = decide({ security: "multi-tenant", artifact: "vm" }, ["kata", "kvm", "containerd"]);
    expect(vm).toMatchObject({ level: "L1", runtime: "kvm", runtimeClassName: null });
    const vmKata = decide({ security: "multi-tenant", artifact: "vm" }, ["kata", "containerd"]);
    expect(vmKata.level).toBeNull();
    expect(entry(vmKata, "L1").reasons).toEqual(["no runtime for VM images at L1 on this node (Kata Containers runs container images; KVM/QEMU would run it)"]);
  });

  it("aliases name the same artifact; an unknown one is refused naming the allowed ids", () => {
    expect(decide({ artifact: "oci" }).artifact).toBe("container");
    expect(decide({ artifact: "webassembly" }).artifact).toBe("wasm");
    expect(decide({ artifact: "虚拟机镜像" }).artifact).toBe("vm");
    for (const bad of ["docker", "Wasm", "", 3, ["wasm"], null]) {
      let err: unknown;
      try {
        decide({ artifact: bad });
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(bad)).toBeInstanceOf(InvalidRequestError);
      const fe = (err as InvalidRequestError).errors;
      expect(fe).toHaveLength(1);
      expect(fe[0].path).toBe("workload.artifact");
      expect(fe[0].message).toMatch(/container.*wasm.*vm/);
      if (typeof bad === "string") expect(fe[0].allowed).toEqual(["container", "wasm", "vm"]);
    }
  });

  it("rank takes an artifact too", () => {
    const r = engine.rank({ weights: { coldStart: 1 }, artifact: "container", node: { runtimes: ["containerd", "wasmedge", "gvisor"] } });
    expect(r).toMatchObject({ best: "L4", artifact: "container" });
    expect(r.ranking[0]).toMatchObject({ level: "L4", runtime: "gvisor" });
    expect(engine.rank({ weights: { coldStart: 1 }, artifact: "wasm", node: { runtimes: ["containerd", "gvisor"] } }).best).toBeNull();
    expect(() => engine.rank({ weights: { coldStart: 1 }, artifact: "jar" })).toThrow(InvalidRequestError);
  });
});

describe("rule 6: the runtime within a level, and constraints on its own figures", () => {
  it("a maxColdStartMs that WasmEdge meets and gVisor does not: L4 for wasm, not L4 via gVisor for container", () => {
    const wasm = decide({ artifact: "wasm", constraints: { maxColdStartMs: 50 } });
    expect(wasm).toMatchObject({ level: "L4", runtime: "wasmedge" });
    const container = decide({ artifact: "container", constraints: { maxColdStartMs: 50 } }, ["containerd", "gvisor", "wasmedge"]);
    expect(container.level).toBeNull();
    expect(entry(container, "L4")).toMatchObject({ feasible: false, runtime: "gvisor" });
    expect(entry(container, "L4").reasons).toEqual(["cold start 81–280 ms (gVisor) can exceed maxColdStartMs 50 ms"]);
    // Firecracker's ≤ 125 ms meets 200 ms where gVisor's 280 ms does not: it is chosen for that reason
    const fc = decide({ artifact: "container", constraints: { maxColdStartMs: 200 } }, ["gvisor", "firecracker", "kvm"]);
    expect(fc).toMatchObject({ level: "L4", runtime: "firecracker" });
    // with no constraint gVisor scores better on equal weights (< 1 % CPU against Firecracker's < 5 %)
    expect(decide({ artifact: "container", scenario: "edge" }, ["gvisor", "firecracker", "kvm"])).toMatchObject({ level: "L4", runtime: "gvisor" });
    // and a cold-start need prefers Firecracker's faster start
    expect(decide({ artifact: "container", performance: "fast-cold-start" }, ["gvisor", "firecracker", "kvm"])).toMatchObject({
      level: "L4",
      runtime: "firecracker",
    });
  });

  it("ties go to the policy's order: WasmEdge before Wasmtime (the same figures)", () => {
    expect(decide({ scenario: "edge" }, ["wasmtime", "wasmedge"])).toMatchObject({ runtime: "wasmedge" });
    expect(decide({ scenario: "edge", artifact: "wasm", weights: { memory: 1 } }, ["wasmtime", "wasmedge"])).toMatchObject({ runtime: "wasmedge" });
  });

  it("Kata's own cold start (850–950 ms) applies at L1 and L2; KVM keeps the level's", () => {
    const d = decide({ constraints: { maxColdStartMs: 1000 } }, ["kvm", "kata"]);
    expect(
      d.ranking
        .filter((r) => r.feasible)
        .map((r) => [r.level, r.runtime])
        .sort(),
    ).toEqual([
      ["L1", "kata"],
      ["L2", "kata"],
    ]);
    const vm = decide({ artifact: "vm", constraints: { maxColdStartMs: 1000 } }, ["kvm", "kata"]);
    expect(vm.level).toBeNull();
    expect(entry(vm, "L2").reasons).toEqual(["cold start 3–10 s can exceed maxColdStartMs 1000 ms"]);
  });

  it("scores of a level use its runtime's figures, on the levels' scale", () => {
    const r = (runtimes: string[]) => engine.rank({ weights: { coldStart: 1 }, node: { runtimes } }).ranking.find((e) => e.level === "L4")!.score;
    expect(r(["wasmedge"])).toBe(1); // 0–10 ms: the best level's
    expect(r(["gvisor"])).toBeCloseTo((17500 - 180.5) / (17500 - 5), 4); // midpoint 180.5 ms
    expect(r(["firecracker", "kvm"])).toBeCloseTo((17500 - 62.5) / (17500 - 5), 4);
  });
});

describe("no artifact: the answers of before", () => {
  it("the source's example is still L4 on WasmEdge", () => {
    const d = decide({ scenario: "edge", performance: "fast-cold-start", security: "zero-trust", cost: "lowest-infrastructure-cost" });
    expect(d).toMatchObject({ level: "L4", runtime: "wasmedge", runtimeClassName: "wasmedge", artifact: null, stack: "K3s + WasmEdge 0.14.1" });
    expect(d.fallback).toMatchObject({ level: "L3", runtime: "containerd" });
  });

  it("every ranking entry names its runtime", () => {
    const d = decide({ scenario: "microservices" }, ["kvm", "containerd", "wasmedge"]);
    expect(d.ranking.map((r) => [r.level, r.runtime, r.runtimeClassName])).toEqual([
      ["L3", "containerd", null],
      ["L4", "wasmedge", "wasmedge"],
      ["L2", "kvm", null],
      ["L1", "kvm", null],
    ]);
  });
});

describe("the module's own artifact vectors", () => {
  it("carries them, with the runtime each must name", async () => {
    const built = await buildDefault();
    const named = built.vectors.filter((v) => v.artifact >= 0 || v.runtime >= 0).map((v) => v.name);
    expect(named).toContain("a container on containerd + WasmEdge is never placed on WasmEdge");
    expect(named.length).toBeGreaterThanOrEqual(5);
  });

  it("a policy whose test expects a container on WasmEdge is refused by its own self-test", async () => {
    const source = (await defaultSourceText()).replace(
      "  - name: a container on containerd + WasmEdge is never placed on WasmEdge\n    request: { workload: { scenario: edge, artifact: container }, node: { runtimes: [containerd, wasmedge] } }\n    expect: L3\n    runtime: containerd",
      "  - name: a container on containerd + WasmEdge is never placed on WasmEdge\n    request: { workload: { scenario: edge, artifact: container }, node: { runtimes: [containerd, wasmedge] } }\n    expect: [L3, L4]\n    runtime: wasmedge",
    );
    expect(source).toContain("runtime: wasmedge\n");
    const bad = await buildPolicy(source, "bad.yaml");
    const err = await createEngine(bad.wasm).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PolicyRejectedError);
    expect((err as Error).message).toMatch(/self-test vector \d+ \("a container on containerd \+ WasmEdge is never placed on WasmEdge"\)/);
  });
});

describe("GET /v1/levels: runtime figures beside the level's", () => {
  it("L4 lists its runtimes, what they run, and their own figures with sources", () => {
    const l4 = engine.levels().levels.find((l) => l.id === "L4")!;
    expect(l4.figures.coldStart).toMatchObject({ min: 0, max: 10, text: "< 10 ms" }); // the source's, unchanged
    expect(l4.runtimes.map((r) => [r.id, r.runs])).toEqual([
      ["wasmedge", ["wasm"]],
      ["wasmtime", ["wasm"]],
      ["gvisor", ["container"]],
      ["firecracker", ["container"]],
    ]);
    const gv = l4.runtimes.find((r) => r.id === "gvisor")!;
    expect(gv.figures.coldStart).toMatchObject({ min: 81, max: 280, unit: "ms", text: "81–280 ms" });
    expect(gv.figures.coldStart!.source).toMatch(/Apoxy/);
    const fcr = l4.runtimes.find((r) => r.id === "firecracker")!;
    expect(Object.keys(fcr.figures)).toEqual(["coldStart", "memory", "cpu"]);
    expect(fcr.figures.memory).toMatchObject({ min: 0, max: 5, unit: "MB" });
    expect(fcr.figures.cpu!.source).toMatch(/Firecracker SPECIFICATION/);
    const l1 = engine.levels().levels.find((l) => l.id === "L1")!;
    expect(l1.runtimes.find((r) => r.id === "kata")!.figures.coldStart).toMatchObject({ min: 850, max: 950 });
    expect(l1.runtimes.find((r) => r.id === "kvm")!.figures).toEqual({});
  });
});
