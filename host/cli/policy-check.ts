// isoplace policy test | diff: what a policy decides, and what changes if it ships.
import { readdir, readFile } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative } from "node:path";
import type { Command } from "commander";
import { vectorNames } from "../engine/catalogue.ts";
import { createEngine, type Engine } from "../engine/engine.ts";
import { DEFAULT_POLICY_SOURCE } from "../package.ts";
import { loadCompiler } from "./compiler.ts";
import { EXIT, UsageError } from "./errors.ts";

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

async function read(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/**
 * A policy from a file: a module as is, a source built in-process (a dev tool may take the
 * compiler's second or two). selfTest false: load it even when its vectors fail, to report them.
 */
async function loadPolicyFile(path: string, selfTest = true, command = "policy test"): Promise<{ engine: Engine; source?: { file: string; text: string } }> {
  const bytes = await read(path);
  if (WASM_MAGIC.every((b, i) => bytes[i] === b)) return { engine: await createEngine(new Uint8Array(bytes), { selfTest }) };
  const { buildPolicy } = await loadCompiler(`${command} of a source`);
  const text = bytes.toString("utf8");
  const built = await buildPolicy(text, path);
  return { engine: await createEngine(built.wasm, { selfTest }), source: { file: shown(path), text } };
}

/** A path as the report shows it: relative to the working directory when under it. */
function shown(path: string): string {
  const r = relative(process.cwd(), path);
  return r && !r.startsWith("..") && !isAbsolute(r) ? r : path;
}

/**
 * Every `*.test.yaml` in the policy file's directory, by name; and the test files looked for by
 * name and not found: FILE.test.yaml for FILE.yaml or FILE.wasm, and NAME.test.yaml for policy
 * NAME (a copy of default.yaml under another name still says which file it left behind).
 */
async function testFiles(path: string, policyName: string): Promise<{ files: { file: string; text: string }[]; missing: string[] }> {
  const dir = dirname(path);
  const names = (await readdir(dir)).filter((f) => f.endsWith(".test.yaml")).sort();
  const expected = [...new Set([`${basename(path).replace(/\.(ya?ml|json|wasm)$/i, "")}.test.yaml`, `${policyName}.test.yaml`])];
  const files = await Promise.all(names.map(async (f) => ({ file: shown(join(dir, f)), text: (await read(join(dir, f))).toString("utf8") })));
  return { files, missing: expected.filter((f) => !names.includes(f)).map((f) => shown(join(dir, f))) };
}

function positiveInt(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag} expects a whole number ≥ 0, got "${value}"`);
    return n;
  };
}

export function registerPolicyCheck(program: Command): void {
  const policy = program.commands.find((c) => c.name() === "policy") ?? program.command("policy");

  policy
    .command("test")
    .description("run a policy's test cases: the vectors in its module and every *.test.yaml beside it; exit 0 all pass, 1 any fails, 2 a bad file")
    .argument("[policy]", "a policy source (YAML) or module (.wasm)", DEFAULT_POLICY_SOURCE)
    .option("--json", "print the report as JSON")
    .action(async (path: string, o: { json?: boolean }) => {
      // the YAML case reader and the report loaded by this command only (not by every start of the CLI)
      const [{ engine, source }, { formatTestReport, testPolicy }, { CaseFileError }] = await Promise.all([
        loadPolicyFile(path, false),
        import("../policy/test.ts"),
        import("../policy/cases.ts"),
      ]);
      let report;
      const { files, missing } = await testFiles(path, engine.policy.name);
      try {
        report = testPolicy(engine, files, source, missing);
      } catch (err) {
        if (err instanceof CaseFileError) throw new UsageError(err.message);
        throw err;
      }
      console.log(o.json ? JSON.stringify(report, null, 2) : formatTestReport(report));
      if (report.failed) process.exitCode = EXIT.failed;
    });

  policy
    .command("diff")
    .description("every decision that changes between two policies (sources or modules) over the whole request space, grouped by change, with examples")
    .argument("<old>", "the policy running now: a source (YAML) or module (.wasm)")
    .argument("<new>", "the policy about to ship")
    .option("--json", "print the report as JSON")
    .option("--fail-on-change", "exit 1 when any decision or catalogue entry changes (a CI gate)")
    .option("--max-examples <n>", "example requests per transition, smallest first (default 1)", positiveInt("--max-examples"), 1)
    .action(async (oldPath: string, newPath: string, o: { json?: boolean; failOnChange?: boolean; maxExamples: number }) => {
      // loaded even when their own vectors fail: what changes is worth seeing; the warning says an agent would refuse it
      const [{ engine: a }, { engine: b }, { diffPolicies }, { formatDiff }] = await Promise.all([
        loadPolicyFile(oldPath, false, "policy diff"),
        loadPolicyFile(newPath, false, "policy diff"),
        import("../engine/diff.ts"),
        import("./diff-format.ts"),
      ]);
      for (const [path, e] of [
        [oldPath, a],
        [newPath, b],
      ] as const) {
        const failed = e.selfTest();
        if (failed)
          console.error(
            `isoplace: warning: ${path} fails its own self-test vector ${failed} ("${vectorNames(e.catalogue)[failed - 1]}"): agents refuse it (see \`isoplace policy test ${path}\`)`,
          );
      }
      const cpu0 = process.cpuUsage();
      const d = diffPolicies(a, b, { maxExamples: o.maxExamples });
      const cpu = process.cpuUsage(cpu0),
        cpuMs = (cpu.user + cpu.system) / 1000;
      console.log(o.json ? JSON.stringify({ ...d, cpuMs }, null, 2) : formatDiff(d, basename(oldPath), basename(newPath), cpuMs));
      if (o.failOnChange && (d.changed || d.catalogue.length)) process.exitCode = EXIT.failed;
    });
}
