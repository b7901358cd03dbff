// The meter (host/engine/meter.ts) on hand-built modules: what it inserts is charged as said,
// stops what never ends, leaves every answer as it was, and refuses what it cannot decode.
import fc from "fast-check";
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
import { atomicModule, buildModule, i32, loopingModule, loopingStartModule, mixedModule, tailCallModule } from "../fixtures/looping-bytes.ts";

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

  it("a start function that never ends: instantiation itself is stopped, on the budget's initial value", () => {
    const module = new WebAssembly.Module(meter(loopingStartModule(), { initial: CALL_BUDGET }) as BufferSource);
    const t0 = performance.now();
    expect(() => new WebAssembly.Instance(module)).toThrow(WebAssembly.RuntimeError);
    console.log(`meter: a runaway start function stopped in ${(performance.now() - t0).toFixed(2)} ms`);
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

describe("the meter on damaged modules", () => {
  it("random byte changes: a MeterError or a module that is valid whenever the original is — never another error", () => {
    const bytes = defaultModule();
    let valid = 0, refused = 0;
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.option(fc.nat(bytes.length)), (edits, cut) => {
      const damaged = bytes.slice(0, cut ?? bytes.length);
      for (const [at, value] of edits) if (at < damaged.length) damaged[at] = value;
      let metered: Uint8Array;
      try {
        metered = meter(damaged, { initial: CALL_BUDGET });
      } catch (err) {
        expect(err).toBeInstanceOf(MeterError);
        refused++;
        return;
      }
      if (WebAssembly.validate(damaged as BufferSource)) {
        valid++;
        expect(WebAssembly.validate(metered as BufferSource)).toBe(true);
      }
    }), { numRuns: Number(process.env.ISOPLACE_FUZZ_RUNS ?? 400) });
    console.log(`meter: damaged modules: ${valid} still valid (and valid metered), ${refused} refused by the meter`);
  });
});

describe("the meter on what AssemblyScript emits", () => {
  it("SIMD, bulk memory, sign extension, saturating truncation and loops, compiled by asc: same answers metered, and bounded", async () => {
    const { compileAssembly } = await import("../../host/policy/compile.ts");
    const source = `
      export function lanes(x: i32): i32 {
        const v = i32x4.splat(x);
        return i32x4.extract_lane(i32x4.add(v, i32x4(1, 2, 3, 4)), 2);
      }
      export function narrow(x: i32): i32 { return <i32><i8>x + <i32><i16>(x >> 3); }
      export function saturate(x: f64): i32 { return <i32>x; }
      export function copy(n: i32): i32 {
        if (memory.size() == 0) memory.grow(1);
        memory.fill(64, <u8>n, 32);
        memory.copy(128, 64, 32);
        return load<u8>(150);
      }
      export function sum(n: i32): i64 {
        let s: i64 = 0;
        for (let i = 0; i < n; i++) s += <i64>i * <i64>i;
        return s;
      }`;
    const wasm = await compileAssembly("features.ts", { "features.ts": source }, ["--enable", "simd"]);
    const plain = new WebAssembly.Instance(new WebAssembly.Module(wasm as BufferSource), { env: { abort: () => {} } }).exports as unknown as Record<string, Fn>;
    const x = instantiate(wasm, { env: { abort: () => {} } });
    const has = (op: number[]) => wasm.some((_, i) => op.every((b, j) => wasm[i + j] === b));
    expect(has([0xfd, 0x11])).toBe(true);  // asc did emit SIMD (i32x4.splat)
    for (const v of [0, 1, -1, 127, 128, 300, -40000, 2 ** 31 - 1]) {
      expect(x.fns.lanes(v)).toBe(plain.lanes(v));
      expect(x.fns.narrow(v)).toBe(plain.narrow(v));
      expect(x.fns.copy(v & 0xff)).toBe(plain.copy(v & 0xff));
      expect(x.fns.saturate(v * 1e6)).toBe(plain.saturate(v * 1e6));
    }
    expect(x.fns.sum(1000) as unknown as bigint).toBe(plain.sum(1000) as unknown as bigint);
    expect(spend(x, CALL_BUDGET, () => x.fns.sum(2 ** 31 - 1))).toBe("exhausted");  // 2^31 passes: stopped
  }, 120_000);
});
