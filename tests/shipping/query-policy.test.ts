// decide | rank | compare | levels | scenarios | plan --policy FILE.wasm|oci://…: a question to a
// candidate module from the terminal (as `opa eval -d` asks a bundle), through one loader
// (host/cli/policy-option.ts). Real processes and files; a real registry for oci://. With
// --trusted-key the module passes an agent's checks or the command stops (exit 2, the reason
// named); a local file without one is answered unverified, said on stderr, and still metered.
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PACKAGE_ROOT } from "../../host/package.ts";
import { buildPolicy } from "../../host/policy/compile.ts";
import { agentEntry } from "../hardening/support/agent-process.ts";
import { runChild, type Ran } from "../support/child.ts";
import { publish } from "../oci/support/publish.ts";
import { haveRegistry, TestRegistry } from "../oci/support/registry.ts";
import { build, keyFiles, sign, tamper, tempDir, variantSource, type KeyFiles } from "./support/fixtures.ts";

const MAIN = agentEntry();
const VERSION = "2025.11.15-77",
  STACK = "K3s + WasmEdge 0.14.1 (candidate)";
const isoplace = (...args: string[]): Promise<Ran> =>
  runChild(process.execPath, [MAIN, ...args], { cwd: PACKAGE_ROOT, env: { ...process.env, ISOPLACE_RUNTIMES: "" }, timeoutMs: 60_000 });

let dir: string, candidate: string, keys: KeyFiles, other: KeyFiles, looping: string;

/** The default policy as another version: another stack for edge on L4, and L3's cold start 1–4 s instead of 1–5 s. */
async function candidateSource(): Promise<string> {
  const text = await variantSource(VERSION, STACK);
  const l3 = "coldStart: { min: 1000, max: 5000, text: 1–5 s }";
  if (!text.includes(l3)) throw new Error("the default policy's L3 cold start changed: update this test");
  return text.replace(l3, "coldStart: { min: 1000, max: 4000, text: 1–4 s }");
}

beforeAll(async () => {
  dir = await tempDir("isoplace-query-policy-");
  keys = await keyFiles(join(dir, "keys"));
  other = await keyFiles(join(dir, "other"));
  const bytes = await build(await candidateSource());
  candidate = join(dir, "candidate.wasm");
  await writeFile(candidate, bytes);
  await writeFile(`${candidate}.sig`, await sign(bytes, keys));
  await writeFile(join(dir, "tampered.wasm"), tamper(bytes));
  await writeFile(join(dir, "tampered.wasm.sig"), await sign(bytes, keys));
  await writeFile(join(dir, "unsigned.wasm"), bytes);
  // a module whose decide never returns for one input (tests/fixtures/looping.ts)
  const entry = "looping.ts";
  const loop = await buildPolicy(await variantSource("2025.11.15-78", STACK), "default.yaml", {
    entry,
    files: { [entry]: readFileSync(join(PACKAGE_ROOT, "tests/fixtures", entry), "utf8") },
  });
  looping = join(dir, "looping.wasm");
  await writeFile(looping, loop.wasm);
}, 180_000);

const json = (r: Ran) => {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};

describe.concurrent("--policy FILE.wasm", () => {
  it("without --trusted-key: answered by that module, and stderr says it is not verified", async ({ expect }) => {
    const r = await isoplace("decide", "--scenario", "edge", "--json", "--policy", candidate);
    expect(json(r)).toMatchObject({ level: "L4", stack: STACK, policy: { name: "default", version: VERSION } });
    expect(r.stderr).toBe(
      `isoplace: warning: --policy ${candidate} is not verified (no --trusted-key): default ${VERSION}, run under the meter; its answers are only as trustworthy as whoever built it\n`,
    );
  });

  it("with --trusted-key: checked as an agent checks it, said so, then answered by it", async ({ expect }) => {
    const r = await isoplace("decide", "--scenario", "edge", "--json", "--policy", candidate, "--trusted-key", keys.pub);
    expect(json(r)).toMatchObject({ stack: STACK, policy: { version: VERSION } });
    expect(r.stderr).toMatch(new RegExp(`^isoplace: --policy ${candidate}: valid statement by key [0-9a-f]+: default ${VERSION}, serial \\d+\\n$`));
  });

  it("rank, compare, levels and scenarios ask it too", async ({ expect }) => {
    const [rank, compare, levels, scenarios, builtIn] = await Promise.all([
      isoplace("rank", "--weight", "coldStart=1", "--json", "--policy", candidate, "--trusted-key", keys.pub),
      isoplace("compare", "L3", "L4", "--json", "--policy", candidate, "--trusted-key", keys.pub),
      isoplace("levels", "--json", "--policy", candidate),
      isoplace("scenarios", "--policy", candidate),
      isoplace("compare", "L3", "L4", "--json"),
    ]);
    expect(json(rank).policy.version).toBe(VERSION);
    const coldStart = (c: any, side: "a" | "b") => c.metrics.find((m: any) => m.metric === "coldStart")[side].text;
    expect(coldStart(json(compare), "a")).toBe("1–4 s");
    expect(coldStart(json(builtIn), "a")).toBe("1–5 s");
    expect(json(levels).levels.find((l: any) => l.id === "L3").figures.coldStart.text).toBe("1–4 s");
    expect(JSON.stringify(json(scenarios))).toContain(STACK);
  });

  it("plan asks it", async ({ expect }) => {
    const r = await isoplace("plan", "-f", "tests/k8s/fixtures/plan/tree/pods.yaml", "-o", "json", "--policy", candidate, "--trusted-key", keys.pub);
    expect(json(r).summary.policy).toEqual({ name: "default", version: VERSION });
    expect(json(r).items[0].warnings[0]).toMatch(/^isoplace: RuntimeClass wasmedge: L4/);
  });

  it("a module another key signed, altered bytes, no signature: exit 2 naming the flag and the reason, nothing answered", async ({ expect }) => {
    const [wrongKey, tampered, unsigned] = await Promise.all([
      isoplace("decide", "--scenario", "edge", "--policy", candidate, "--trusted-key", other.pub),
      isoplace("decide", "--scenario", "edge", "--policy", join(dir, "tampered.wasm"), "--trusted-key", keys.pub),
      isoplace("levels", "--policy", join(dir, "unsigned.wasm"), "--trusted-key", keys.pub),
    ]);
    for (const r of [wrongKey, tampered, unsigned]) {
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
    }
    expect(wrongKey.stderr).toMatch(new RegExp(`^isoplace: --policy ${candidate}: refused \\(signature\\): `));
    expect(tampered.stderr).toMatch(/: refused \(digest\): the statement is for module [0-9a-f]{64}, not for these bytes/);
    expect(unsigned.stderr).toMatch(/unsigned\.wasm: refused \(signature\): /);
  });

  it("unverified is still metered: a decide that never returns is stopped at its budget (exit 1), and the process ends", async ({ expect }) => {
    // needs 5 (low-memory-overhead) and 10 (supply-chain) together loop forever in this module
    const r = await isoplace("decide", "--performance", "low-memory-overhead", "--security", "supply-chain", "--policy", looping);
    expect(r.stderr).toMatch(/is not verified/);
    expect(r.stderr).toMatch(/did not return within its budget of 2,000,000 units/);
    expect(r.code).toBe(1);
  });

  it("mistakes in the flags: exit 2, each named", async ({ expect }) => {
    const [missing, keyless, badKey, url] = await Promise.all([
      isoplace("decide", "--scenario", "edge", "--policy", join(dir, "nope.wasm")),
      isoplace("levels", "--trusted-key", keys.pub),
      isoplace("levels", "--policy", candidate, "--trusted-key", join(dir, "nope.pub")),
      isoplace("levels", "--policy", "https://example.com/p.wasm"),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`isoplace: --policy: the policy ${join(dir, "nope.wasm")} does not exist\n`);
    expect(keyless.code).toBe(2);
    expect(keyless.stderr).toMatch(/--trusted-key is given without --policy/);
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).toMatch(/--trusted-key: cannot read the trusted key .*nope\.pub: ENOENT/);
    expect(url.code).toBe(2);
    expect(url.stderr).toMatch(/neither a file nor an oci:\/\/ reference/);
  });
});

describe.skipIf(!haveRegistry())("--policy oci://… against a real registry", () => {
  let registry: TestRegistry, ref: string;
  beforeAll(async () => {
    registry = await TestRegistry.start();
    ref = `oci://${registry.host}/isoplace/policy:candidate`;
    const bytes = new Uint8Array(readFileSync(candidate));
    await publish(ref, bytes, await sign(bytes, keys));
  }, 60_000);
  afterAll(async () => {
    await registry?.destroy();
  });

  it("with --trusted-key: pulled, every digest and the statement checked, answered by it", async () => {
    const r = await isoplace("decide", "--scenario", "edge", "--json", "--policy", ref, "--trusted-key", keys.pub);
    expect(json(r)).toMatchObject({ stack: STACK, policy: { version: VERSION } });
    expect(r.stderr).toMatch(/valid statement by key [0-9a-f]+: default 2025\.11\.15-77/);
  });

  it("without a key: refused before anything is fetched, naming --trusted-key; signed by another key: refused (signature); no such tag: the registry's answer", async () => {
    const [keyless, wrongKey, missing] = await Promise.all([
      isoplace("decide", "--scenario", "edge", "--policy", ref),
      isoplace("decide", "--scenario", "edge", "--policy", ref, "--trusted-key", other.pub),
      isoplace("decide", "--scenario", "edge", "--policy", `oci://${registry.host}/isoplace/policy:nope`, "--trusted-key", keys.pub),
    ]);
    expect(keyless.code).toBe(2);
    expect(keyless.stderr).toMatch(/a module from a registry is run only when verified: add --trusted-key <file>/);
    expect(wrongKey.code).toBe(2);
    expect(wrongKey.stderr).toMatch(/refused \(signature\)/);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--policy oci:\/\/.*:nope: .*no such manifest/);
  });
});
