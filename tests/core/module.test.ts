// The policy module itself: size, imports, metadata (section and export), self-test, flat memory
// over a million decisions, and the checks that refuse a bad module or a bad policy source.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { ABI_VERSION, META_SECTION, type PolicyExports } from "../../host/engine/abi.ts";
import { createEngine, sha256Hex, type Engine } from "../../host/engine/engine.ts";
import { PolicyRejectedError } from "../../host/engine/errors.ts";
import { customSections, readMeta } from "../../host/engine/meta.ts";
import { buildPolicy, compileAssembly, type BuiltPolicy } from "../../host/policy/compile.ts";
import { appendCustomSection } from "../../host/policy/section.ts";
import { PolicySourceError } from "../../host/policy/source.ts";
import { ASSEMBLY_DIR } from "../../host/package.ts";
import { METRIC_IDS } from "../../host/engine/vocabulary.ts";
import { ALL_RUNTIMES, buildDefault, defaultSourceText } from "./support/policy.ts";

let built: BuiltPolicy;
let sourceText: string;
let work: string;
beforeAll(async () => {
  [built, sourceText] = await Promise.all([buildDefault(), defaultSourceText()]);
  work = await mkdtemp(join(tmpdir(), "isoplace-core-"));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const abortImport = {
  env: {
    abort: () => {
      throw new Error("abort");
    },
  },
};
async function raw(bytes: Uint8Array): Promise<PolicyExports> {
  const { instance } = await WebAssembly.instantiate(bytes as Uint8Array<ArrayBuffer>, abortImport);
  return instance.exports as unknown as PolicyExports;
}

/** createEngine must refuse the bytes with this reason. */
async function expectRejected(bytes: Uint8Array, reason: string, message?: RegExp): Promise<PolicyRejectedError> {
  const err = await createEngine(bytes).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PolicyRejectedError);
  expect((err as PolicyRejectedError).reason).toBe(reason);
  if (message) expect((err as Error).message).toMatch(message);
  return err as PolicyRejectedError;
}

describe("the default module", () => {
  it("is at most 8 KiB", () => {
    expect(built.wasm.length).toBeLessThanOrEqual(8192);
    expect(built.wasm.length).toBeGreaterThan(1000); // it carries the data, not a stub
  });

  it("imports nothing but env.abort", () => {
    const imports = WebAssembly.Module.imports(new WebAssembly.Module(built.wasm as Uint8Array<ArrayBuffer>));
    expect(imports.map((i) => `${i.module}.${i.name}`).every((n) => n === "env.abort")).toBe(true);
  });

  it("its metadata is readable from the custom section without running it (ABI 2: its only copy)", async () => {
    const fromBytes = readMeta(customSections(built.wasm, META_SECTION));
    const fromModule = readMeta(WebAssembly.Module.customSections(new WebAssembly.Module(built.wasm as Uint8Array<ArrayBuffer>), META_SECTION));
    expect(fromBytes).toEqual(fromModule);
    expect(fromBytes).toMatchObject({
      name: "default",
      version: sourceText.match(/^version: (\S+)$/m)![1],
      sourceSha256: await sha256Hex(new TextEncoder().encode(sourceText)),
      abi: ABI_VERSION,
    });
    expect(fromBytes.compiler).toMatch(/assemblyscript/);
    const x = await raw(built.wasm);
    expect(x.abiVersion()).toBe(ABI_VERSION);
    expect("meta" in x).toBe(false);
  });

  it("passes its own self-test vectors (one per scenario and need, and the source's tests)", async () => {
    const x = await raw(built.wasm);
    expect(x.selfTest()).toBe(0);
    expect(built.vectors.length).toBeGreaterThanOrEqual(4 + 11 + 1 + 5);
    expect(built.vectors.map((v) => v.name)).toContain("the source's own example");
  });

  it("the engine reports the policy it loaded", async () => {
    const engine = await createEngine(built.wasm);
    expect(engine.policy).toMatchObject({ name: "default", abi: ABI_VERSION, sha256: built.meta.sourceSha256, moduleSha256: await sha256Hex(built.wasm) });
  });
});

describe("the figures table", () => {
  type SourceFigure = number | null | { min: number; max: number | null };
  /** What figures() must hold: f32 [level][metric][min, max], NaN where none, Infinity for an open end. */
  const expected = (levels: { figures: Record<string, SourceFigure> }[]) =>
    levels
      .flatMap((l) =>
        METRIC_IDS.flatMap((m) => {
          const f = l.figures[m];
          return f === null ? [NaN, NaN] : typeof f === "number" ? [f, f] : [f.min, f.max ?? Infinity];
        }),
      )
      .map(Math.fround);
  const table = async (wasm: Uint8Array) => {
    const x = await raw(wasm);
    return [...new Float32Array(x.memory.buffer, x.figures(), 5 * METRIC_IDS.length * 2)];
  };

  it("is every level figure of the source, laid out from each distinct value stored once", async () => {
    const want = expected(parse(sourceText).levels);
    expect(await table(built.wasm)).toEqual(want);
    const stored = built.assembly
      .match(/FIGURE_VALUES: usize = memory\.data<f32>\(\[([^\]]*)\]\)/)![1]
      .split(",")
      .map(Number);
    expect(stored.length).toBe(new Set(want).size);
    expect(new Set(stored.map(Math.fround))).toEqual(new Set(want));
  });

  it("and so with a distinct value in every slot, an open end and N/A among them", async () => {
    const source = parse(sourceText);
    let k = 0;
    for (const level of source.levels) {
      for (const m of METRIC_IDS) {
        const min = Number((1 + k++ * 0.025).toFixed(3));
        level.figures[m] = { min, max: Number((min + 0.0125).toFixed(4)), text: `${min}` };
      }
    }
    source.levels[0].figures.coldStart = null;
    source.levels[1].figures.memory.max = null;
    const many = await buildPolicy(stringify(source), "distinct.yaml");
    const want = expected(source.levels);
    expect(new Set(want).size).toBe(2 * 5 * METRIC_IDS.length - 1); // the two NaNs are one value
    expect(await table(many.wasm)).toEqual(want);
  });
});

describe("flat memory", () => {
  /** A deterministic spread of requests, as engine requests and as raw export arguments. */
  function requests(engine: Engine, count: number) {
    const c = engine.catalogue;
    const groupOf = (g: string) => c.needs.flatMap((n, i) => (n.group === g ? [i] : []));
    const perf = groupOf("performance"),
      sec = groupOf("security"),
      cost = groupOf("cost");
    const limits = [{}, { maxColdStartMs: 50 }, { maxMemoryMb: 128 }, { minIsolation: 4 }, { maxCpuOverheadPct: 3, maxMemoryMb: 64 }, { maxColdStartMs: 9 }];
    const weightSets = [undefined, { coldStart: 0.4, memory: 0.3, isolation: 0.3 }, { compatibility: 1, network: 2 }];
    let seed = 12345;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    return Array.from({ length: count }, () => {
      const scenario = next(c.scenarios.length + 1) - 1;
      const p = next(perf.length + 1) - 1,
        s = next(sec.length + 1) - 1,
        k = next(cost.length + 1) - 1;
      const mask = next(1 << ALL_RUNTIMES.length);
      const constraints = limits[next(limits.length)] as Record<string, number>;
      const weights = weightSets[next(weightSets.length)];
      const needs = (p >= 0 ? 1 << perf[p] : 0) | (s >= 0 ? 1 << sec[s] : 0) | (k >= 0 ? 1 << cost[k] : 0);
      const request = {
        workload: {
          ...(scenario >= 0 ? { scenario: c.scenarios[scenario].id } : {}),
          ...(p >= 0 ? { performance: c.needs[perf[p]].id } : {}),
          ...(s >= 0 ? { security: c.needs[sec[s]].id } : {}),
          ...(k >= 0 ? { cost: c.needs[cost[k]].id } : {}),
          constraints,
          ...(weights ? { weights } : {}),
        },
        node: { runtimes: c.runtimes.filter((_, i) => (mask >> i) & 1).map((r) => r.id) },
      };
      const input = new Float64Array(16).fill(NaN);
      ["maxColdStartMs", "maxMemoryMb", "maxCpuOverheadPct", "minIsolation"].forEach((key, i) => {
        if (key in constraints) input[i] = constraints[key];
      });
      c.metrics.forEach((m, i) => {
        input[4 + i] = (weights as Record<string, number> | undefined)?.[m.id] ?? 0;
      });
      const args = [scenario, p >= 0 ? perf[p] : -1, s >= 0 ? sec[s] : -1, needs >>> 0, mask, weights ? 1 : 0] as const;
      return { request, input, args };
    });
  }

  it("1,000,000 real decisions through the module's exports leave linear memory as it was", async () => {
    const engine = await createEngine(built.wasm);
    const set = requests(engine, 1000);
    const expected = set.map(({ request }) => {
      const level = engine.decide(request).level;
      return level ? Number(level[1]) : 0;
    });
    expect(new Set(expected)).toEqual(new Set([0, 1, 2, 3, 4])); // the spread reaches every answer

    const x = await raw(built.wasm);
    const before = x.memory.buffer.byteLength;
    const input = new Float64Array(x.memory.buffer, x.input(), 16);
    let wrong = 0;
    const t0 = performance.now();
    for (let i = 0; i < 1_000_000; i++) {
      const r = set[i % 1000];
      input.set(r.input);
      if (x.decide(...r.args) !== expected[i % 1000]) wrong++;
    }
    const ms = performance.now() - t0;
    expect(wrong).toBe(0);
    expect(x.memory.buffer.byteLength).toBe(before);
    console.log(`1,000,000 decisions through the raw exports in ${Math.round(ms)} ms (~${(ms / 1000).toFixed(2)} µs each, memory ${before} bytes throughout)`);
  });

  it("5,000 engine calls (decide, rank, compare) do not grow it either", async () => {
    const engine = await createEngine(built.wasm);
    const set = requests(engine, 200);
    const before = engine.memoryBytes;
    for (let i = 0; i < 5_000; i++) {
      engine.decide(set[i % 200].request);
      if (i % 10 === 0) engine.rank({ weights: { coldStart: i % 7, memory: 1 } });
      if (i % 10 === 5) engine.compare(`L${i % 5}`, `L${(i >> 1) % 5}`);
    }
    expect(engine.memoryBytes).toBe(before);
  });
});

describe("modules the engine refuses", () => {
  it("one whose self-test fails (a source whose test expects the wrong level)", async () => {
    const marker = "  - name: the source's own example\n";
    const at = sourceText.indexOf(marker);
    expect(at).toBeGreaterThan(0);
    const expectLine = sourceText.indexOf("    expect: L4\n", at);
    const wrong = sourceText.slice(0, expectLine) + "    expect: L2\n" + sourceText.slice(expectLine + "    expect: L4\n".length);
    const file = join(work, "wrong-expectation.yaml");
    await writeFile(file, wrong);
    const bad = await buildPolicy(await readFile(file, "utf8"), file);
    expect((await raw(bad.wasm)).selfTest()).toBeGreaterThan(0);
    await expectRejected(bad.wasm, "self-test", /the source's own example/);
  });

  it("one with another ABI version in its section", async () => {
    const bare = await compileAssembly("index.ts", { "policy.ts": built.assembly });
    const meta = { ...built.meta, abi: ABI_VERSION + 1 };
    await expectRejected(
      appendCustomSection(bare, META_SECTION, new TextEncoder().encode(JSON.stringify(meta))),
      "abi",
      new RegExp(`ABI version is ${ABI_VERSION + 1}`),
    );
  });

  it("one whose abiVersion() export says another version", async () => {
    const index = (await readFile(join(ASSEMBLY_DIR, "index.ts"), "utf8")).replace(/abiVersion\(\): i32 \{ return \d+; \}/, "abiVersion(): i32 { return 7; }");
    expect(index).toContain("return 7;");
    const other = await buildPolicy(sourceText, "default.yaml", { entry: "abi7.ts", files: { "abi7.ts": index } });
    await expectRejected(other.wasm, "abi", /abiVersion\(\) is 7/);
  });

  it("one without metadata, with it twice, or with metadata that disagrees with its catalogue", async () => {
    const bare = await compileAssembly("index.ts", { "policy.ts": built.assembly });
    await expectRejected(bare, "meta", /found 0/);
    const section = new TextEncoder().encode(JSON.stringify(built.meta));
    await expectRejected(appendCustomSection(appendCustomSection(bare, META_SECTION, section), META_SECTION, section), "meta", /found 2/);
    const lying = appendCustomSection(bare, META_SECTION, new TextEncoder().encode(JSON.stringify({ ...built.meta, version: "9.9.9" })));
    await expectRejected(lying, "catalogue", /disagree/);
    await expectRejected(appendCustomSection(bare, META_SECTION, new TextEncoder().encode("{not json")), "meta", /not JSON/);
  });

  it("one that imports anything but env.abort", async () => {
    // a hand-made module: one type () → (), one import env.now
    const bytes = new Uint8Array([
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x02, 0x0b, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x03, 0x6e, 0x6f, 0x77,
      0x00, 0x00,
    ]);
    await expectRejected(bytes, "imports", /env\.now/);
  });

  it("bytes that are not WebAssembly", async () => {
    await expectRejected(new TextEncoder().encode("not a module"), "invalid");
    await expectRejected(built.wasm.slice(0, built.wasm.length - 100), "invalid");
  });
});

describe("policy source errors name the line and the field", () => {
  const build = (text: string) =>
    buildPolicy(text, "broken.yaml").then(
      () => undefined,
      (e: unknown) => e,
    );
  const lineOf = (text: string, needle: string) => text.slice(0, text.indexOf(needle)).split("\n").length;

  it("a figure of the wrong type", async () => {
    const needle = "      isolation: 4\n"; // L2's
    const text = sourceText.replace(needle, "      isolation: four\n");
    const err = await build(text);
    expect(err).toBeInstanceOf(PolicySourceError);
    const e = (err as PolicySourceError).errors[0];
    expect(e).toMatchObject({ path: "levels.2.figures.isolation", line: lineOf(sourceText, needle) });
    expect((err as Error).message).toContain(`line ${e.line}: levels.2.figures.isolation`);
  });

  it("a first choice the scenario marks ❌", async () => {
    const needle = "    first: L4\n    second: L3\n    levels:\n      L1: { fit: ❌, note: start too slow";
    expect(sourceText).toContain(needle);
    const text = sourceText.replace(needle, needle.replace("first: L4", "first: L1"));
    const err = (await build(text)) as PolicySourceError;
    expect(err.errors[0]).toMatchObject({ path: "scenarios.2.first", line: lineOf(sourceText, needle), message: expect.stringMatching(/marked ❌/) });
  });

  it("an unknown field and a YAML syntax error", async () => {
    const unknown = (await build(sourceText.replace("name: default\n", "name: default\ncolour: blue\n"))) as PolicySourceError;
    expect(unknown).toBeInstanceOf(PolicySourceError);
    expect(unknown.errors[0].message).toMatch(/colour/);
    expect(unknown.errors[0].line).not.toBeNull();
    const syntax = (await build(sourceText.replace("versions:\n", "versions: [\n"))) as PolicySourceError;
    expect(syntax).toBeInstanceOf(PolicySourceError);
    expect(syntax.errors[0].line).toBe(lineOf(sourceText, "versions:\n") + 1);
    const twice = (await build(sourceText.replace("name: default\n", "name: default\nname: again\n"))) as PolicySourceError;
    expect(twice.errors[0]).toMatchObject({ line: lineOf(sourceText, "name: default\n") + 1, message: expect.stringMatching(/unique/) });
    expect(twice.message).toContain(`line ${twice.errors[0].line}: `);
  });

  it("a runtime's runs and own figures, checked like a level's (and a test's runtime)", async () => {
    const gvisor = "      coldStart: { min: 81, max: 280, text: 81–280 ms,";
    expect(sourceText).toContain(gvisor);
    const reversed = (await build(sourceText.replace(gvisor, "      coldStart: { min: 281, max: 280, text: 81–280 ms,"))) as PolicySourceError;
    expect(reversed.errors[0]).toMatchObject({ path: "runtimes.5.figures.coldStart", line: lineOf(sourceText, gvisor), message: "max 280 is below min 281" });
    const precise = (await build(sourceText.replace(gvisor, "      coldStart: { min: 81.000001, max: 280, text: 81–280 ms,"))) as PolicySourceError;
    expect(precise.errors[0]).toMatchObject({ path: "runtimes.5.figures.coldStart", message: expect.stringMatching(/7 significant digits/) });
    const noSource = (await build(sourceText.replace(/(coldStart: \{ min: 81, max: 280, text: 81–280 ms), source: "[^"]*" \}/, "$1 }"))) as PolicySourceError;
    expect(noSource.errors[0]).toMatchObject({ path: "runtimes.5.figures.coldStart.source" });
    const runs = (await build(
      sourceText.replace("    runs: [container]\n    runtimeClassName: gvisor", "    runs: [jar]\n    runtimeClassName: gvisor"),
    )) as PolicySourceError;
    expect(runs.errors[0]).toMatchObject({ path: "runtimes.5.runs.0", message: expect.stringMatching(/container.*wasm.*vm/) });
    const test = (await build(sourceText.replace("    runtime: gvisor\n", "    runtime: runc\n"))) as PolicySourceError;
    expect(test.errors[0]).toMatchObject({ path: expect.stringMatching(/^tests\.\d+\.runtime$/), message: expect.stringMatching(/unknown runtime "runc"/) });
  });

  it("a self-test vector with an unknown id", async () => {
    const err = (await build(
      sourceText.replace(
        "request: { workload: { scenario: edge }, node: { runtimes: [containerd] } }",
        "request: { workload: { scenario: moon }, node: { runtimes: [containerd] } }",
      ),
    )) as PolicySourceError;
    expect(err).toBeInstanceOf(PolicySourceError);
    expect(err.errors[0].path).toMatch(/^tests\.1\.request/);
    expect(err.message).toMatch(/moon/);
  });
});
