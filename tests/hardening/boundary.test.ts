// The module boundary: random values into every export never let a trap escape the engine,
// and a module that traps at run time costs one request (a problem 500), not the process.
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createEngine } from "../../host/engine/engine.ts";
import { PolicyTrapError } from "../../host/engine/errors.ts";
import { createApp } from "../../host/http/app.ts";
import { readDefaultModule } from "../../host/index.ts";
import { buildPolicy } from "../../host/policy/compile.ts";
import { DEFAULT_POLICY_SOURCE, PACKAGE_ROOT } from "../../host/package.ts";

const RUNS = Number(process.env.ISOPLACE_FUZZ_RUNS ?? 400);

describe("random values into every export", () => {
  it("each call returns or traps as a WebAssembly.RuntimeError, and the instance keeps answering", async () => {
    const bytes = await readDefaultModule();
    // the raw instance: every export the module really has, none of the loader's helpers
    const { instance } = await WebAssembly.instantiate(bytes as BufferSource, {
      env: {
        abort: () => {
          throw new WebAssembly.RuntimeError("abort");
        },
      },
    });
    // a fresh instance has no constraints until the host writes some: edge, every runtime → L4
    expect((instance.exports.decide as (...a: number[]) => number)(0, -1, -1, 0, 127, 0)).toBe(4);
    const fns = Object.entries(instance.exports).filter(([, v]) => typeof v === "function") as [string, (...a: number[]) => number][];
    expect(fns.map(([n]) => n)).toEqual(expect.arrayContaining(["decide", "rank", "compare", "selfTest", "abiVersion"]));
    const value = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(-1, 0, 255, 256, 2 ** 31 - 1, -(2 ** 31), 2 ** 32 - 1, NaN, Infinity));
    let traps = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...fns), fc.array(value, { minLength: 0, maxLength: 8 }), async ([, fn], args) => {
        try {
          const r = (fn as (...a: number[]) => unknown)(...args);
          expect(typeof r === "number" || r === undefined).toBe(true);
        } catch (err) {
          traps++;
          expect(err).toBeInstanceOf(WebAssembly.RuntimeError);
        }
      }),
      { numRuns: RUNS * 5 },
    );
    console.log(`module boundary: ${RUNS * 5} random calls, ${traps} traps (all WebAssembly.RuntimeError)`);
    // and it still decides correctly afterwards (decide(edge, …, every runtime) → L4)
    expect((instance.exports.decide as (...a: number[]) => number)(0, -1, -1, 0, 127, 0)).toBe(4);
  });
});

describe("a module that traps at run time", () => {
  let trapping: Uint8Array;
  beforeAll(async () => {
    // Same rules and data, but decide() traps when both low-memory-overhead and supply-chain
    // are asked for: no self-test vector does that, so the module loads, then traps in service.
    const entry = readFileSync(join(PACKAGE_ROOT, "tests/fixtures/trapping.ts"), "utf8");
    const built = await buildPolicy(readFileSync(DEFAULT_POLICY_SOURCE, "utf8"), "default.yaml", { entry: "trapping.ts", files: { "trapping.ts": entry } });
    trapping = built.wasm;
  });

  const poison = { workload: { performance: "low-memory-overhead", security: "supply-chain" } };

  it("passes its self-test and serves ordinary requests", async () => {
    const engine = await createEngine(trapping);
    expect(engine.decide({ workload: { scenario: "edge" } }).level).toBe("L4");
  });

  it("the engine throws PolicyTrapError for that request, re-creates the instance, and serves the next", async () => {
    const engine = await createEngine(trapping);
    expect(() => engine.decide(poison)).toThrow(PolicyTrapError);
    expect(engine.decide({ workload: { scenario: "serverless" } }).level).toBe("L4");
    expect(() => engine.decide(poison)).toThrow(PolicyTrapError);
    expect(engine.decide({ workload: { scenario: "microservices" } }).level).toBe("L3");
  });

  it("over HTTP: one problem 500 for that request, 200 for the next, no crash", async () => {
    const engine = await createEngine(trapping);
    const app = createApp({ engine: () => engine });
    const post = (body: unknown) => app.request("/v1/decide", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const bad = await post(poison);
    expect(bad.status).toBe(500);
    expect(bad.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(await bad.json()).toMatchObject({ type: "urn:isoplace:problem:policy-trap", status: 500 });
    const good = await post({ workload: { scenario: "edge" } });
    expect(good.status).toBe(200);
    expect((await good.json()).level).toBe("L4");
  });
});
