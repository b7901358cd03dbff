// `isoplace policy test` as an operator runs it: real processes on real files, sources and
// modules; exit 0 when every case passes, 1 when one fails (naming it), 2 on a bad test file
// (naming the file, the line and the field).
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine } from "../../host/engine/engine.ts";
import { ARTIFACT_IDS } from "../../host/engine/vocabulary.ts";
import { DEFAULT_POLICY_SOURCE, PACKAGE_ROOT } from "../../host/package.ts";
import { CaseFileError, parseCases } from "../../host/policy/cases.ts";
import { runCases, testPolicy } from "../../host/policy/test.ts";
import { build, defaultSource, isoplace, tempDir, variant } from "./support.ts";

const DEFAULT_TESTS = join(PACKAGE_ROOT, "policies", "default.test.yaml");

interface Report {
  cases: { name: string; origin: string; pass: boolean; got: { level: string | null }; explanation: string }[];
  passed: number;
  failed: number;
}

describe("isoplace policy test", () => {
  let dir: string, module: string, engine: Engine, shipped: { name: string }[];
  beforeAll(async () => {
    dir = await tempDir("isoplace-policy-test-");
    const wasm = await build(await defaultSource());
    engine = await createEngine(wasm);
    await mkdir(join(dir, "module"));
    module = join(dir, "module", "default.wasm");
    await writeFile(module, wasm);
    shipped = parse(await readFile(DEFAULT_TESTS, "utf8"));
  });

  it("passes on the default policy source: its vectors and policies/default.test.yaml, one line each", async () => {
    const r = await isoplace("policy", "test", DEFAULT_POLICY_SOURCE, "--json");
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    const vectors = engine.vectors();
    expect(report.cases.map((c) => c.name)).toEqual([...vectors.map((v) => v.name), ...shipped.map((c) => c.name)]);
    expect(report.failed).toBe(0);
    // the shipped file covers every scenario × artifact (and every scenario with no artifact)
    const covered = new Set(
      shipped.map((c) => {
        const w = (c as unknown as { request: { workload?: { scenario?: string; artifact?: string } } }).request.workload ?? {};
        const scenario = engine.catalogue.scenarios.find((s) => s.id === w.scenario || s.zh === w.scenario)?.id;
        return `${scenario}×${w.artifact ?? "any"}`;
      }),
    );
    for (const s of engine.catalogue.scenarios) for (const a of ["any", ...ARTIFACT_IDS]) expect(covered, `${s.id} × ${a}`).toContain(`${s.id}×${a}`);
  }, 120_000);

  it("says what it ran, and which test files it looked for and did not find (a copy of the default policy)", async () => {
    const vectors = engine.vectors().length;
    const shippedRun = await isoplace("policy", "test", DEFAULT_POLICY_SOURCE);
    expect(shippedRun.code, shippedRun.stderr).toBe(0);
    expect(shippedRun.stdout).toContain(
      `\nran ${vectors} from the module's self-test vectors, ${shipped.length} from policies/default.test.yaml\n${vectors + shipped.length} cases:`,
    );
    expect(shippedRun.stdout).not.toContain("not found");

    await mkdir(join(dir, "copy"));
    const copy = join(dir, "copy", "edge-policy.yaml");
    await copyFile(DEFAULT_POLICY_SOURCE, copy);
    const r = await isoplace("policy", "test", copy);
    expect(r.code, r.stderr).toBe(0);
    const missing = [join(dir, "copy", "edge-policy.test.yaml"), join(dir, "copy", "default.test.yaml")];
    expect(r.stdout).toContain(
      `\nran ${vectors} from the module's self-test vectors\nnot found: ${missing.join(", ")} (every *.test.yaml beside the policy is run)\n`,
    );
    // the JSON report says the same (a module copied without its test file)
    await copyFile(module, join(dir, "copy", "edge.wasm"));
    const json = JSON.parse((await isoplace("policy", "test", join(dir, "copy", "edge.wasm"), "--json")).stdout) as { ran: unknown; missing: string[] };
    expect(json.ran).toEqual([{ from: "the module's self-test vectors", cases: vectors }]);
    expect(json.missing).toEqual([join(dir, "copy", "edge.test.yaml"), join(dir, "copy", "default.test.yaml")]);
  }, 120_000);

  it("works on a built module: the vectors inside it and the test files beside it", async () => {
    const alone = await isoplace("policy", "test", module);
    expect(alone.code, alone.stderr).toBe(0);
    const lines = alone.stdout.trim().split("\n");
    expect(lines.filter((l) => l.startsWith("✓"))).toHaveLength(engine.vectors().length);
    expect(lines.at(-1)).toBe(`${engine.vectors().length} cases: ${engine.vectors().length} passed, 0 failed (policy default ${engine.policy.version})`);

    await copyFile(DEFAULT_TESTS, join(dir, "module", "default.test.yaml"));
    const withFile = await isoplace("policy", "test", module, "--json");
    expect(withFile.code, withFile.stderr).toBe(0);
    expect((JSON.parse(withFile.stdout) as Report).cases).toHaveLength(engine.vectors().length + shipped.length);
  });

  it("a source whose own test expects the wrong level fails with exit 1, naming the case and saying why", async () => {
    const src = join(dir, "wrong", "policy.yaml");
    await mkdir(join(dir, "wrong"));
    const text = await variant("2025.11.15-wrong", [
      "    request: { workload: { scenario: edge, performance: fast-cold-start, security: zero-trust, cost: lowest-infrastructure-cost } }\n    expect: L4\n",
      "    request: { workload: { scenario: edge, performance: fast-cold-start, security: zero-trust, cost: lowest-infrastructure-cost } }\n    expect: L1\n",
    ]);
    await writeFile(src, text);
    const r = await isoplace("policy", "test", src);
    expect(r.code).toBe(1);
    const failed = r.stdout.split("\n").filter((l) => l.startsWith("✗"));
    const line = text.split("\n").indexOf("  - name: the source's own example") + 1;
    expect(failed).toEqual([`✗ the source's own example — expected L1, runtime wasmedge, got L4/wasmedge  [${src}:${line}]`]);
    expect(r.stdout).toMatch(/✗ the source's own example .*\n {4}why: L4 \(sandbox\): the recommended level for edge computing/);
    expect(r.stdout).toMatch(/\n\d+ cases: \d+ passed, 1 failed/);
  }, 120_000);

  it("a test file with a wrong expectation fails with exit 1 naming the case, its file and line", async () => {
    const d = join(dir, "wrong-file");
    await mkdir(d);
    await writeFile(join(d, "p.wasm"), await readFile(module));
    await writeFile(
      join(d, "mine.test.yaml"),
      [
        "- name: edge is L4",
        "  request: { workload: { scenario: edge } }",
        "  expect: L4",
        "- name: microservices on gVisor",
        "  request: { workload: { scenario: microservices } }",
        "  expect: { level: L3, runtime: gvisor }",
        "",
      ].join("\n"),
    );
    const r = await isoplace("policy", "test", join(d, "p.wasm"), "--json");
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.cases.filter((c) => !c.pass).map((c) => c.name)).toEqual(["microservices on gVisor"]);
    const text = await isoplace("policy", "test", join(d, "p.wasm"));
    expect(text.stdout).toContain(`✗ microservices on gVisor — expected L3, runtime gvisor, got L3/containerd  [${join(d, "mine.test.yaml")}:4]`);
  });

  it("a malformed test file is exit 2, naming the file, the line and the field", async () => {
    const d = join(dir, "bad");
    await mkdir(d);
    await writeFile(join(d, "p.wasm"), await readFile(module));
    const file = join(d, "bad.test.yaml");
    await writeFile(
      file,
      [
        "- name: fine",
        "  request: { workload: { scenario: edge } }",
        "  expect: L4",
        "- name: a level that does not exist",
        "  request: { workload: { scenario: edge } }",
        "  expect: L7",
        "",
      ].join("\n"),
    );
    const r = await isoplace("policy", "test", join(d, "p.wasm"));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`${file}: invalid test file`);
    expect(r.stderr).toMatch(/line 6: \[1\]\.expect: /);

    await writeFile(file, "- name: unknown scenario\n  request:\n    workload:\n      scenario: edgy\n  expect: L4\n");
    const unknown = await isoplace("policy", "test", join(d, "p.wasm"));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/line 4: \[0\]\.request\.workload\.scenario: unknown scenario "edgy"; allowed: edge/);

    await writeFile(file, "- name: broken\n  request: { workload: { scenario: edge }\n  expect: L4\n");
    const syntax = await isoplace("policy", "test", join(d, "p.wasm"));
    expect(syntax.code).toBe(2);
    expect(syntax.stderr).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: invalid test file\\n {2}line [23]: `));
  });
});

describe("test files, in-process", () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await createEngine(await build(await defaultSource()));
  });

  const problems = (text: string) => {
    try {
      parseCases(text, "t.test.yaml", engine);
    } catch (err) {
      if (err instanceof CaseFileError) return err.problems;
      throw err;
    }
    return [];
  };

  it("names each bad field with its line", () => {
    expect(problems("- { name: a, request: {}, expect: L3 }\n- { name: a, request: {}, expect: L3 }\n")).toEqual([
      { line: 2, path: "[1].name", message: '"a" is also the name of case 1' },
    ]);
    expect(problems("- name: x\n  request: {}\n  expect: { runtime: docker }\n")[0]).toMatchObject({ line: 3, path: "[0].expect.runtime" });
    expect(problems("- name: x\n  request: {}\n  expect: { rule: vibes }\n")[0]).toMatchObject({ line: 3, path: "[0].expect" });
    expect(problems("- name: x\n  request: {}\n")[0]).toMatchObject({ line: 1, path: "[0].expect" });
    expect(problems("name: x\n")[0]).toMatchObject({ path: "" });
    expect(problems("- name: x\n  request: { node: { runtimes: [containerd, docker] } }\n  expect: null\n")[0]).toMatchObject({
      line: 2,
      path: "[0].request.node.runtimes[1]",
    });
  });

  it("an object expectation checks each field it names; null expects nothing feasible", () => {
    const cases = parseCases(
      [
        "- { name: rule, request: { workload: { scenario: edge }, node: { runtimes: [containerd] } }, expect: { level: L3, rule: second-choice, runtimeClassName: null } }",
        "- { name: wrong rule, request: { workload: { scenario: edge } }, expect: { rule: score } }",
        "- { name: none, request: { node: { runtimes: [] } }, expect: null }",
        "- { name: not none, request: {}, expect: null }",
        "",
      ].join("\n"),
      "t.test.yaml",
      engine,
    );
    expect(runCases(engine, cases).cases.map((c) => [c.name, c.pass])).toEqual([
      ["rule", true],
      ["wrong rule", false],
      ["none", true],
      ["not none", false],
    ]);
    // an empty test file adds nothing to the module's own vectors
    expect(testPolicy(engine, [{ file: "t.test.yaml", text: "" }]).cases).toHaveLength(engine.vectors().length);
  });
});
