// Stacks from parts: a version bump in `versions` touches only the stacks built on that runtime,
// and policy diff reports it as a catalogue change; the build refuses stack text that names a
// runtime of its level or a version `versions` does not give; a module built before stacks had
// parts (stack text naming the runtime) still answers as it did.
import { deflateRawSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import type { Catalogue } from "../../host/engine/catalogue.ts";
import { diffPolicies } from "../../host/engine/diff.ts";
import { createEngine, type Engine } from "../../host/engine/engine.ts";
import { recommendedStack, stackTable } from "../../host/engine/stacks.ts";
import { generate } from "../../host/policy/generate.ts";
import { parsePolicySource, PolicySourceError } from "../../host/policy/source.ts";
import { build, defaultSource, variant } from "./support.ts";

const WASMEDGE_0_15: [string, string] = ["  wasmedge: 0.14.1\n", "  wasmedge: 0.15.0\n"];
const SERVERLESS_L4 = "stack: { orchestrator: Knative, runtime: wasmedge } }";

function refusal(text: string): { path: string; line: number | null; message: string }[] {
  try {
    parsePolicySource(text, "p.yaml");
  } catch (err) {
    if (err instanceof PolicySourceError) return err.errors;
    throw err;
  }
  throw new Error("the source was accepted");
}

describe("a version bump touches only its own runtime's stacks", () => {
  let base: Engine, bumped: Engine;
  beforeAll(async () => {
    [base, bumped] = await Promise.all([
      defaultSource()
        .then(build)
        .then((w) => createEngine(w)),
      variant("2025.11.15-wasmedge-0.15", WASMEDGE_0_15)
        .then(build)
        .then((w) => createEngine(w)),
    ]);
  }, 180_000);

  it("every changed decision stays on WasmEdge, its stack names 0.15.0 instead of 0.14.1, and the diff says why", () => {
    const d = diffPolicies(base, bumped);
    expect(d.changed).toBeGreaterThan(0);
    expect(d.counts).toMatchObject({ level: 0, runtime: 0, runtimeClassName: 0, stack: d.changed, becameFeasible: 0, becameInfeasible: 0, invalid: 0 });
    for (const t of d.transitions) {
      expect(t.from, t.label).toMatch(/\/wasmedge$/);
      expect(t.to).toBe(t.from);
      const [e] = t.examples;
      expect(e.a!.stack).toContain("WasmEdge 0.14.1");
      expect(e.b!.stack).toBe(e.a!.stack!.replace("WasmEdge 0.14.1", "WasmEdge 0.15.0"));
    }
    // gVisor, Firecracker and Wasmtime answers name no WasmEdge version, before or after
    expect(bumped.decide({ workload: { scenario: "serverless", artifact: "container" }, node: { runtimes: ["gvisor"] } }).stack).toBe("Knative + gVisor");
    expect(bumped.decide({ workload: { scenario: "edge" }, node: { runtimes: ["wasmtime"] } }).stack).toBe("K3s + Wasmtime");
    expect(bumped.decide({ workload: { scenario: "edge" }, node: { runtimes: ["wasmedge"] } }).stack).toBe("K3s + WasmEdge 0.15.0");
    // a catalogue change, named: the version, and the scenario stacks it shows in
    expect(d.catalogue).toContainEqual({ what: "versions.wasmedge", a: "0.14.1", b: "0.15.0" });
    expect(d.catalogue).toContainEqual({ what: "scenarios.edge.L4.stack", a: "K3s + WasmEdge 0.14.1", b: "K3s + WasmEdge 0.15.0" });
    expect(d.catalogue.filter((c) => !c.what.startsWith("versions.")).every((c) => c.what.endsWith(".L4.stack"))).toBe(true);
  }, 180_000);
});

describe("policy build refuses stack texts and versions that disagree", () => {
  it("stack text naming a runtime of its level, with another version: refused, with the parts to write instead", async () => {
    const text = (await defaultSource()).replace(SERVERLESS_L4, "stack: Knative + WasmEdge 0.15.0 }");
    const [e, ...more] = refusal(text);
    expect(more).toEqual([]);
    expect(e.path).toBe("scenarios.2.levels.L4.stack");
    expect(e.line).toBeGreaterThan(0);
    expect(e.message).toBe(
      '"Knative + WasmEdge 0.15.0" names WasmEdge, a runtime of L4: write the stack as { orchestrator: Knative, runtime: wasmedge } and versions.wasmedge: 0.15.0, so its version comes from versions.wasmedge and an answer on another L4 runtime names that one',
    );
  });

  it("stack text naming a runtime of its level without a version: refused too (an answer on gVisor would name WasmEdge)", async () => {
    const text = (await defaultSource()).replace(SERVERLESS_L4, "stack: Knative + WasmEdge }");
    expect(refusal(text).map((e) => e.message)).toEqual([
      expect.stringMatching(/^"Knative \+ WasmEdge" names WasmEdge, a runtime of L4: write the stack as \{ orchestrator: Knative, runtime: wasmedge \}, so/),
    ]);
  });

  it("a runtime of another level named with a version versions does not give it", async () => {
    const text = (await defaultSource()).replace("stack: KVM + virtio }", "stack: KVM + virtio + containerd 1.7 }");
    expect(refusal(text)).toMatchObject([
      {
        path: "scenarios.0.levels.L2.stack",
        message: '"KVM + virtio + containerd 1.7" names containerd 1.7, but versions.containerd is 2.0: stack texts and versions must agree',
      },
    ]);
    // the same text with the policy's own version is fine
    const agreeing = (await defaultSource()).replace("stack: KVM + virtio }", "stack: KVM + virtio + containerd 2.0 }");
    expect(() => parsePolicySource(agreeing)).not.toThrow();
  });

  it("parts built on a runtime that does not provide the level, or naming a runtime in their own text", async () => {
    const source = await defaultSource();
    expect(refusal(source.replace(SERVERLESS_L4, "stack: { orchestrator: Knative, runtime: containerd } }"))).toMatchObject([
      { path: "scenarios.2.levels.L4.stack", message: 'runtime "containerd" does not provide L4; allowed: wasmedge, wasmtime, gvisor, firecracker' },
    ]);
    expect(refusal(source.replace(SERVERLESS_L4, "stack: { orchestrator: Knative + gVisor, runtime: wasmedge } }"))[0].message).toMatch(
      /^"Knative \+ gVisor" names gVisor, a runtime of L4: write the stack as \{ orchestrator: Knative, runtime: gvisor \}/,
    );
  });
});

describe("stacks of a module built before they had parts", () => {
  const catalogue = async (text: string) => generate(parsePolicySource(text), "0".repeat(64), "test", (b) => deflateRawSync(b)).catalogue;
  /** The catalogue as an older build wrote it: every stack as its text. */
  const asText = (c: Catalogue): Catalogue => ({
    ...c,
    scenarios: c.scenarios.map((s, si) => ({ ...s, levels: s.levels.map((row, li) => ({ ...row, stack: recommendedStack(c, si, li + 1) })) })),
  });

  it("answer as they did: the same stack for every scenario, level and runtime", async () => {
    const c = await catalogue(await defaultSource());
    expect(c.scenarios[0].levels[3].stack).toEqual(["K3s", "wasmedge"]);
    const legacy = asText(c);
    expect(legacy.scenarios[0].levels[3].stack).toBe("K3s + WasmEdge 0.14.1");
    expect(stackTable(legacy)).toEqual(stackTable(c));
  });

  it("a version in the text that versions does not give stays with its runtime", async () => {
    const legacy = asText(await catalogue(await defaultSource()));
    legacy.scenarios[2].levels[3].stack = "Knative + WasmEdge 0.15.0";
    const serverless = stackTable(legacy)[3][4];
    const on = (id: string) => serverless[legacy.runtimes.findIndex((r) => r.id === id) + 1];
    expect(on("wasmedge")).toBe("Knative + WasmEdge 0.15.0");
    expect(on("gvisor")).toBe("Knative + gVisor");
    expect(on("firecracker")).toBe("Knative + Firecracker");
  });
});
