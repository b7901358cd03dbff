// The meter (host/engine/meter.ts) on hand-built modules: what it inserts is charged as said,
// stops what never ends, leaves every answer as it was, and refuses what it cannot decode.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ACTIVATION_BUDGET, CALL_BUDGET } from "../../host/engine/budget.ts";
import { createEngine } from "../../host/engine/engine.ts";
import { PolicyRejectedError } from "../../host/engine/errors.ts";
import { BUDGET_EXPORT, meter, MeterError } from "../../host/engine/meter.ts";
import { readMeta } from "../../host/engine/meta.ts";
import { META_SECTION } from "../../host/engine/abi.ts";
import { sha256Hex } from "../../host/engine/digest.ts";
import { PACKAGE_ROOT } from "../../host/node/paths.ts";
import { atomicModule, buildModule, i32, loopingModule, mixedModule, tailCallModule } from "../fixtures/looping-bytes.ts";

type Fn = (...args: number[]) => number;
interface Metered { fns: Record<string, Fn>; budget: WebAssembly.Global }

function instantiate(bytes: Uint8Array, imports: WebAssembly.Imports = {}): Metered {
  const m = meter(bytes, { initial: CALL_BUDGET });
  expect(WebAssembly.validate(m as BufferSource)).toBe(true);
  const exports = new WebAssembly.Instance(new WebAssembly.Module(m as BufferSource), imports).exports;
  return { fns: exports as unknown as Record<string, Fn>, budget: exports[BUDGET_EXPORT] as WebAssembly.Global };
}

/** Runs fn on a budget; returns what it spent, or "exhausted" when it was stopped by the meter. */
function spend(x: Metered, budget: number, fn: () => unknown): number | "exhausted" {
  x.budget.value = budget;
  try {
    fn();
    return budget - x.budget.value;
  } catch (err) {
    expect(err).toBeInstanceOf(WebAssembly.RuntimeError);
    expect(x.budget.value).toBeLessThan(0);
    return "exhausted";
  }
}

const defaultModule = () => new Uint8Array(readFileSync(join(PACKAGE_ROOT, "dist/policies/default.wasm")));

describe("the meter's charges", () => {
  it("a loop pays for its body on every pass: the spend grows linearly with the passes, and a budget that cannot pay stops the call", () => {
    const x = instantiate(loopingModule());
    const spent = [1, 2, 3, 100].map((n) => spend(x, CALL_BUDGET, () => expect(x.fns.count(n)).toBe(0)) as number);
    const perPass = spent[1] - spent[0];
    expect(perPass).toBeGreaterThanOrEqual(6);            // the 7 instructions of the loop body
    expect(spent[2] - spent[1]).toBe(perPass);
    expect(spent[3] - spent[0]).toBe(99 * perPass);
    // a budget that cannot pay for the passes stops the call (leaving the budget negative); one that just can, does not
    expect(spend(x, spent[3] - 1, () => x.fns.count(100))).toBe("exhausted");
    expect(spend(x, spent[3], () => x.fns.count(100))).toBe(spent[3]);
  });

  it("a loop that never ends is stopped, and the instance answers again", () => {
    const x = instantiate(loopingModule());
    const t0 = performance.now();
    expect(spend(x, CALL_BUDGET, () => x.fns.spin())).toBe("exhausted");
    const ms = performance.now() - t0;
    console.log(`meter: an endless loop stopped after ${CALL_BUDGET} units in ${ms.toFixed(2)} ms`);
    expect(ms).toBeLessThan(1000);  // the figure is ~1 ms; only a loop that escaped the meter takes seconds
    expect(spend(x, CALL_BUDGET, () => expect(x.fns.count(5)).toBe(0))).toBeGreaterThan(0);
  });

  it("recursion that fans out without a loop (2^40 calls, 40 deep) is stopped: every function entry pays", () => {
    const x = instantiate(loopingModule());
    expect(spend(x, CALL_BUDGET, () => x.fns.fan(4))).toBeLessThan(1000);
    expect(x.fns.fan(4)).toBe(16);
    const t0 = performance.now();
    expect(spend(x, CALL_BUDGET, () => x.fns.fan(40))).toBe("exhausted");
    console.log(`meter: a 2^40-call recursion stopped in ${(performance.now() - t0).toFixed(2)} ms`);
  });

  it("bulk fills pay by length: 64 KiB per pass is stopped after budget × 64 bytes", () => {
    const x = instantiate(loopingModule());
    const t0 = performance.now();
    expect(spend(x, CALL_BUDGET, () => x.fns.fill(65536))).toBe("exhausted");
    console.log(`meter: an endless 64 KiB fill stopped in ${(performance.now() - t0).toFixed(2)} ms`);
  });
});

describe("what the meter leaves as it was", () => {
  it("a module with SIMD, multi-value blocks, sign extension, saturating truncation, bulk copy and an imported global answers the same", () => {
    const imports = { env: { base: new WebAssembly.Global({ value: "i32", mutable: false }, 1000) } };
    const plain = new WebAssembly.Instance(new WebAssembly.Module(mixedModule() as BufferSource), imports).exports as unknown as Record<string, Fn>;
    const x = instantiate(mixedModule(), imports);
    for (const v of [0, 1, -5, 123456, 2 ** 31 - 1]) {
      expect(x.fns.mix(v)).toBe(plain.mix(v));
      expect(x.fns.mix(v)).toBe((v + 2 - 1 + 0x7fffffff + 1000 + 7) | 0);
    }
    // the budget is appended after the imported and the own global: index 2, nothing moved
    expect(spend(x, CALL_BUDGET, () => x.fns.mix(1))).toBeGreaterThan(0);
  });

  it("a module with neither globals nor exports gets both sections, in order", () => {
    const bare = buildModule({ types: [[[], [i32]]], funcs: [{ type: 0, code: [0x41, 42, 0x0b] }] });
    const m = meter(bare, { initial: 5 });
    expect(WebAssembly.validate(m as BufferSource)).toBe(true);
    const exports = new WebAssembly.Instance(new WebAssembly.Module(m as BufferSource)).exports;
    expect((exports[BUDGET_EXPORT] as WebAssembly.Global).value).toBe(5);
  });

  it("the default module: still valid, its metadata section kept, the digest the engine reports is the shipped bytes'", async () => {
    const bytes = defaultModule();
    const m = meter(bytes, { initial: ACTIVATION_BUDGET });
    expect(WebAssembly.validate(m as BufferSource)).toBe(true);
    expect(m.length).toBeGreaterThan(bytes.length);
    const custom = (b: Uint8Array) => readMeta(WebAssembly.Module.customSections(new WebAssembly.Module(b as BufferSource), META_SECTION));
    expect(custom(m)).toEqual(custom(bytes));
    const engine = await createEngine(bytes);
    expect(engine.policy.moduleSha256).toBe(await sha256Hex(bytes));
    expect(WebAssembly.Module.exports(engine.module).map((e) => e.name)).toContain(BUDGET_EXPORT);
  });
});

describe("what the meter refuses", () => {
  it.each([
    ["a tail call (0x12), which loops without a loop", tailCallModule(), /unknown instruction 0x12/],
    ["an atomic instruction (0xfe)", atomicModule(), /unknown instruction 0xfe/],
  ])("%s: a MeterError, and the engine refuses the module with reason \"meter\"", async (_what, bytes, message) => {
    expect(WebAssembly.validate(bytes as BufferSource)).toBe(true);  // valid Wasm: refused only because it cannot be bounded
    expect(() => meter(bytes, { initial: 1 })).toThrow(MeterError);
    expect(() => meter(bytes, { initial: 1 })).toThrow(message);
    await expect(createEngine(bytes)).rejects.toMatchObject({ name: "PolicyRejectedError", reason: "meter", message: expect.stringMatching(message) });
  });

  it("a module that already exports the budget's name", () => {
    const bytes = meter(loopingModule(), { initial: 1 });
    expect(() => meter(bytes, { initial: 1 })).toThrow(/already exports __isoplace_budget/);
  });

  it("bytes that are not Wasm stay a \"compile\" refusal, with the platform's message", async () => {
    for (const bytes of [new Uint8Array([1, 2, 3]), new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 10, 99])]) {
      const err = await createEngine(bytes).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PolicyRejectedError);
      expect((err as PolicyRejectedError).reason).toBe("compile");
      expect((err as Error).message).toMatch(/^not a valid WebAssembly module: /);
    }
  });

  it("a body cut short is a MeterError, never a module half rewritten", () => {
    const bytes = loopingModule();
    for (const cut of [9, 20, bytes.length - 1]) expect(() => meter(bytes.subarray(0, cut), { initial: 1 })).toThrow(MeterError);
  });
});
