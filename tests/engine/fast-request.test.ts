// The decide fast path (host/engine/fast-request.ts) must never change an answer: whenever it
// accepts a request, the zod schema accepts it too and produces exactly the same Placement;
// everything else is left to the schema. And it must actually take the common requests.
import { readFile } from "node:fs/promises";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine } from "../../host/engine/engine.ts";
import { FastDecideParser } from "../../host/engine/fast-request.ts";
import { CONSTRAINT_KEYS } from "../../host/engine/request.ts";
import { ARTIFACT_ALIASES, ARTIFACT_IDS, METRIC_IDS } from "../../host/engine/vocabulary.ts";
import { buildPolicy } from "../../host/policy/compile.ts";
import { DEFAULT_POLICY_SOURCE } from "../../host/package.ts";

let engine: Engine;
let fast: FastDecideParser;
beforeAll(async () => {
  engine = await createEngine((await buildPolicy(await readFile(DEFAULT_POLICY_SOURCE, "utf8"))).wasm);
  fast = new FastDecideParser(engine.catalogue, engine.tables);
});

/** Ids of a kind, with their Chinese aliases, plus near misses. */
function ids(entries: { id: string; zh?: string }[]): fc.Arbitrary<string> {
  const known = entries.flatMap((e) => (e.zh ? [e.id, e.zh] : [e.id]));
  return fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...known) }, fc.constantFrom("", "EDGE", "L3", "kvm ", "__proto__", "constructor"), fc.string());
}

/** Values that are sometimes right and often subtly wrong. */
const anyValue = fc.oneof(fc.constant(undefined), fc.constant(null), fc.boolean(), fc.double(), fc.string(), fc.constant([]), fc.constant({}));

function requests(): fc.Arbitrary<unknown> {
  const c = engine.catalogue;
  const group = (g: string) => ids(c.needs.filter((n) => n.group === g));
  const need = (g: string) => fc.oneof({ weight: 4, arbitrary: group(g) }, { weight: 4, arbitrary: fc.array(group(g), { maxLength: 34 }) }, anyValue);
  const number = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(-1, -0, 0, 0.5, 1, 3, 5, 5.5, 50, 1e9) }, fc.double(), anyValue);
  const constraints = fc.oneof(
    { weight: 6, arbitrary: fc.dictionary(fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...CONSTRAINT_KEYS) }, fc.string()), number, { maxKeys: 5 }) },
    anyValue,
  );
  const metric = ids(c.metrics);
  const weights = fc.oneof({ weight: 6, arbitrary: fc.dictionary(metric, number, { maxKeys: 6 }) }, anyValue);
  const workload = fc.record(
    {
      scenario: fc.oneof({ weight: 6, arbitrary: ids(c.scenarios) }, anyValue),
      artifact: fc.oneof(
        { weight: 6, arbitrary: ids(ARTIFACT_IDS.map((id) => ({ id, zh: ARTIFACT_ALIASES[id][0] }))) },
        fc.constantFrom(...Object.values(ARTIFACT_ALIASES).flat()),
        anyValue,
      ),
      performance: need("performance"),
      security: need("security"),
      cost: need("cost"),
      constraints,
      weights,
      extra: anyValue,
    },
    { requiredKeys: [] },
  );
  const node = fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({ runtimes: fc.oneof({ weight: 6, arbitrary: fc.array(ids(c.runtimes), { maxLength: 34 }) }, anyValue) }, { requiredKeys: [] }),
    },
    fc.record({ runtimes: fc.array(ids(c.runtimes)), other: anyValue }),
    anyValue,
  );
  return fc.oneof(
    { weight: 10, arbitrary: fc.record({ workload: fc.oneof({ weight: 6, arbitrary: workload }, anyValue), node }, { requiredKeys: [] }) },
    fc.record({ workload, node, extra: anyValue }),
    anyValue,
    fc.constant(Object.create(null)),
  );
}

describe("decide fast path", () => {
  it("agrees exactly with the schema whenever it answers", () => {
    let answered = 0,
      valid = 0;
    fc.assert(
      fc.property(requests(), (request) => {
        const mine = fast.parse(request);
        const theirs = engine.schemas.decide.safeParse(request);
        if (theirs.success) valid++;
        if (mine === undefined) return;
        answered++;
        expect(theirs.success, JSON.stringify(request)).toBe(true);
        expect(mine).toStrictEqual(theirs.data);
      }),
      { numRuns: 20_000 },
    );
    // The generator must reach both sides: many valid requests, most taken by the fast path.
    expect(valid).toBeGreaterThan(2_000);
    expect(answered / valid).toBeGreaterThan(0.9);
  });

  it("takes the common well-formed requests itself", () => {
    const well = [
      {},
      { workload: { scenario: "edge", performance: "fast-cold-start", security: ["zero-trust", "compliance"], cost: "best-tco" } },
      {
        workload: { scenario: "边缘计算", constraints: { maxColdStartMs: 50, maxMemoryMb: 64, maxCpuOverheadPct: 3, minIsolation: 4 } },
        node: { runtimes: ["containerd", "wasmedge"] },
      },
      { workload: { weights: Object.fromEntries(METRIC_IDS.map((m, i) => [m, i / 10])) }, node: { runtimes: [] } },
      { workload: { scenario: "serverless", artifact: "container" }, node: { runtimes: ["containerd", "gvisor"] } },
      { workload: { artifact: "oci" } },
      { workload: { artifact: "wasm" } },
      { workload: { artifact: "虚拟机镜像" } },
    ];
    for (const request of well) {
      expect(fast.parse(request), JSON.stringify(request)).toStrictEqual(engine.schemas.decide.parse(request));
    }
  });

  it("leaves every invalid request to the schema, whose errors name the field", () => {
    const bad = [
      { workload: { scenario: "moon" } },
      { workload: { performance: ["fast-cold-start", 3] } },
      { workload: { constraints: { maxMemoryMb: -1 } } },
      { workload: { constraints: { minIsolation: 6 } } },
      { workload: { weights: { speed: 1 } } },
      { workload: { weights: { memory: Number.NaN } } },
      { node: {} },
      { node: { runtimes: ["kvm"], extra: 1 } },
      { workload: [] },
      { extra: 1 },
      { workload: { performance: Array.from({ length: 33 }, () => "fast-cold-start") } },
      { workload: { artifact: "docker" } },
      { workload: { artifact: ["wasm"] } },
      { workload: { artifact: "Wasm" } },
    ];
    expect(fast.parse(new Date(0))).toBeUndefined(); // not a plain object: the schema's call
    for (const request of bad) {
      expect(fast.parse(request), JSON.stringify(request)).toBeUndefined();
      expect(() => engine.decide(request)).toThrow(/invalid request/);
    }
  });
});
