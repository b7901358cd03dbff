// The bound on every call, through the engine: the metered default module answers exactly as the
// shipped one; a module that runs away on some input costs that request a problem 500 within
// the bound, and the next request is served; a module whose self-test runs away is refused.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { buildMix } from "../../bench/mix.ts";
import { rawCore } from "../../bench/wasm-core.ts";
import { ACTIVATION_BUDGET, CALL_BUDGET } from "../../host/engine/budget.ts";
import { createEngine, type Engine } from "../../host/engine/engine.ts";
import { PolicyRejectedError, PolicyTrapError } from "../../host/engine/errors.ts";
import { BUDGET_EXPORT, meter } from "../../host/engine/meter.ts";
import { LEVEL_IDS, METRIC_IDS } from "../../host/engine/vocabulary.ts";
import { createApp } from "../../host/http/app.ts";
import { buildPolicy } from "../../host/policy/compile.ts";
import { DEFAULT_POLICY_SOURCE, PACKAGE_ROOT } from "../../host/package.ts";

const source = () => readFileSync(DEFAULT_POLICY_SOURCE, "utf8");
async function fixture(entry: string): Promise<Uint8Array> {
  const text = readFileSync(join(PACKAGE_ROOT, "tests/fixtures", entry), "utf8");
  return (await buildPolicy(source(), "default.yaml", { entry, files: { [entry]: text } })).wasm;
}

/** The answer without what differs by design between two calls (the decision id). */
const stable = ({ decisionId: _id, ...rest }: { decisionId: string }) => rest;

describe("the metered default module answers as the shipped one", () => {
  let metered: Engine, plain: Engine;
  beforeAll(async () => {
    const bytes = new Uint8Array(readFileSync(join(PACKAGE_ROOT, "dist/policies/default.wasm")));
    metered = await createEngine(bytes); // bytes: metered by the engine
    plain = await createEngine(await WebAssembly.compile(bytes as BufferSource)); // a compiled module: taken as is
    expect(WebAssembly.Module.exports(metered.module).length).toBe(WebAssembly.Module.exports(plain.module).length + 2); // the budget and its arm()
  });

  it("decide: the same answer for each of 4,000 random requests", () => {
    const mix = buildMix(plain, 4000, 1313);
    for (const request of mix.requests) expect(stable(metered.decide(request))).toEqual(stable(plain.decide(request)));
  });

  it("rank for random weights, compare for every pair, levels and scenarios", () => {
    const mix = buildMix(plain, 1000, 77);
    for (const request of mix.requests) {
      const w = (request as { workload: { weights?: Record<string, number>; constraints?: unknown } }).workload;
      const q = { weights: w.weights ?? { [METRIC_IDS[0]]: 1 }, ...(w.constraints ? { constraints: w.constraints } : {}) };
      expect(metered.rank(q)).toEqual(plain.rank(q));
    }
    for (const a of LEVEL_IDS) for (const b of LEVEL_IDS) expect(metered.compare(a, b)).toEqual(plain.compare(a, b));
    expect(metered.levels()).toEqual(plain.levels());
    expect(metered.scenarios()).toEqual(plain.scenarios());
  });
});

describe("a module that runs away on some input", () => {
  let looping: Uint8Array;
  beforeAll(async () => {
    looping = await fixture("looping.ts");
  }, 120_000);

  const loop = { workload: { performance: "low-memory-overhead", security: "supply-chain" } };
  const fan = { workload: { performance: "low-cpu-overhead", security: "supply-chain" } };

  it.each([
    ["an endless loop", loop],
    ["recursion that fans out (2^48 calls, no loop)", fan],
  ])("%s: PolicyTrapError naming the budget, within the bound; the next request is served", async (what, poison) => {
    const engine = await createEngine(looping);
    expect(engine.decide({ workload: { scenario: "edge" } }).level).toBe("L4");
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      expect(() => engine.decide(poison)).toThrow(PolicyTrapError);
      const ms = performance.now() - t0;
      console.log(`meter: ${what} stopped in ${ms.toFixed(2)} ms (call ${i + 1}, instance replaced)`);
      expect(engine.decide({ workload: { scenario: "serverless" } }).level).toBe("L4");
    }
    expect(() => engine.decide(poison)).toThrow(/did not return within its budget of 2,000,000 units/);
  });

  it("a trap that is not the budget keeps its own message", async () => {
    const trapping = await fixture("trapping.ts");
    const engine = await createEngine(trapping);
    const err = (() => {
      try {
        engine.decide(loop);
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(PolicyTrapError);
    expect(err!.message).toMatch(/unreachable/);
    expect(err!.message).not.toMatch(/budget/);
  }, 120_000);

  it("over HTTP: a problem 500 (policy-trap) for that request, 200 for the next", async () => {
    const engine = await createEngine(looping);
    const app = createApp({ engine: () => engine });
    const post = (body: unknown) => app.request("/v1/decide", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const t0 = performance.now();
    const bad = await post(loop);
    const ms = performance.now() - t0;
    expect(bad.status).toBe(500);
    expect(bad.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(await bad.json()).toMatchObject({ type: "urn:isoplace:problem:policy-trap", status: 500 });
    console.log(`meter: the runaway request answered 500 in ${ms.toFixed(2)} ms`);
    const good = await post({ workload: { scenario: "edge" } });
    expect(good.status).toBe(200);
    expect((await good.json()).level).toBe("L4");
  });

  it("handed over compiled, as a Worker gets it: the build's metered module is recognised and bounded; an unmetered one is taken as is", async () => {
    const precompiled = await createEngine(await WebAssembly.compile(meter(looping, { initial: ACTIVATION_BUDGET }) as BufferSource));
    expect(() => precompiled.decide(loop)).toThrow(/did not return within its budget/);
    expect(precompiled.decide({ workload: { scenario: "edge" } }).level).toBe("L4");
    const unmetered = await createEngine(await WebAssembly.compile(looping as BufferSource));
    expect(WebAssembly.Module.exports(unmetered.module).some((e) => e.kind === "global")).toBe(false);
  });
});

describe("a module whose self-test runs away", () => {
  it('is refused at activation with reason "budget", in bounded time', async () => {
    const bytes = await fixture("looping-selftest.ts");
    const t0 = performance.now();
    const err = await createEngine(bytes).catch((e: unknown) => e);
    const ms = performance.now() - t0;
    expect(err).toBeInstanceOf(PolicyRejectedError);
    expect(err).toMatchObject({ reason: "budget", message: expect.stringMatching(/^selfTest did not return within its budget of 12,000,000 units/) });
    console.log(`meter: a runaway self-test refused in ${ms.toFixed(2)} ms (compile and checks included)`);
    expect(ms).toBeLessThan(5000);
  }, 120_000);
});

// Seen in code (issue 22): a module that runs memory.grow replaced its memory's buffer, leaving
// the engine's typed views over the old one detached — wrong answers until the next policy. On
// main at 5930eb5 the first decide after the growth threw a TypeError (a 500 in service). The
// meter pins the maximum.
describe("a module that grows its memory on every decide", () => {
  it("its memory.grow fails once metered, so the engine's views stay valid: every answer is the default module's", async () => {
    const growing = await createEngine(await fixture("growing.ts"));
    const plain = await createEngine(new Uint8Array(readFileSync(join(PACKAGE_ROOT, "dist/policies/default.wasm"))));
    const bytesBefore = growing.memoryBytes;
    for (const request of buildMix(plain, 200, 5).requests) expect(stable(growing.decide(request))).toEqual(stable(plain.decide(request)));
    expect(growing.memoryBytes).toBe(bytesBefore);
  }, 120_000);
});

describe("the budgets, against what the default module needs", () => {
  it("the request budget is ≥ 50× the largest decide of 20,000 random requests, the activation budget ≥ 20× the self-test", async () => {
    const engine = await createEngine(new Uint8Array(readFileSync(join(PACKAGE_ROOT, "dist/policies/default.wasm"))));
    const core = rawCore(engine.module, engine.catalogue.scenarios.length);
    const budget = (core.exports as unknown as Record<string, WebAssembly.Global>)[BUDGET_EXPORT];
    const spend = (fn: () => unknown, limit: number) => {
      budget.value = limit;
      fn();
      return limit - budget.value;
    };
    const selfTest = spend(() => expect(core.exports.selfTest()).toBe(0), ACTIVATION_BUDGET);
    const mix = buildMix(engine, 20_000, 99);
    const decide = Math.max(...mix.codes.map((c) => spend(() => core.decide(c), CALL_BUDGET)));
    console.log(`meter: the default module spends at most ${decide} units per decide, ${selfTest} in its self-test`);
    expect(decide).toBeGreaterThan(0);
    expect(CALL_BUDGET).toBeGreaterThanOrEqual(50 * decide);
    expect(ACTIVATION_BUDGET).toBeGreaterThanOrEqual(20 * selfTest);
  });
});
