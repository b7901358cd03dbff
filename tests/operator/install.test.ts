// The install story of README.md and docs/INSTALL.md, as a newcomer follows it: `npm pack` in the
// checkout, `npm install -g` of the tarball (into a prefix of its own here), then `isoplace` on
// PATH, run from a directory outside the checkout. Without the compiler, `policy build` says how to
// add it; added as it says, building works there too.
import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { PACKAGE_ROOT, PACKAGE_VERSION } from "../../host/package.ts";
import { ok, run, type Ran } from "../support/cli.ts";
import { cleanEnv } from "./support/run.ts";

let root: string, prefix: string, elsewhere: string;
// npm's cache holds every package after the repository's own npm ci, so the installs stay local
const NPM_FLAGS = ["--prefer-offline", "--no-audit", "--no-fund"];

/** `isoplace …` by name, found on PATH as a shell finds it (its #!/usr/bin/env node: Node 22 first on PATH, as the docs ask), run from `elsewhere`. */
function isoplace(...args: string[]): Promise<Ran> {
  const env = cleanEnv({ PATH: [dirname(process.execPath), join(prefix, "bin"), cleanEnv().PATH].join(delimiter) });
  return run("isoplace", args, { cwd: elsewhere, env, timeoutMs: 120_000 });
}

const npm = async (args: string[], cwd: string, timeoutMs: number) => ok(await run("npm", [...args, ...NPM_FLAGS], { cwd, timeoutMs }), `npm ${args[0]}`);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "isoplace-install-"));
  prefix = join(root, "prefix");
  elsewhere = join(root, "somewhere", "else");
  await mkdir(elsewhere, { recursive: true });
  const packed = await npm(["pack", "--pack-destination", root], PACKAGE_ROOT, 120_000);
  const tarball = join(root, packed.stdout.trim().split("\n").at(-1)!);
  await npm(["install", "-g", "--prefix", prefix, tarball], root, 240_000);
}, 360_000);

afterAll(() => rm(root, { recursive: true, force: true }));

it("puts isoplace on PATH, and it works outside the checkout: version, decide, levels, inspect of the shipped module", async () => {
  const version = await isoplace("--version");
  expect(version.stdout.trim()).toBe(PACKAGE_VERSION);
  const decided = await isoplace("decide", "--scenario", "edge", "--runtimes", "containerd,wasmedge", "--json");
  expect(decided.code, decided.stderr).toBe(0);
  expect(JSON.parse(decided.stdout)).toMatchObject({ level: "L4", runtime: "wasmedge", stack: "K3s + WasmEdge 0.14.1" });
  expect((await isoplace("levels")).code).toBe(0);
  const installed = join(prefix, "lib", "node_modules", "isoplace");
  const inspected = await isoplace("policy", "inspect", join(installed, "dist", "policies", "default.wasm"));
  expect(JSON.parse(inspected.stdout)).toMatchObject({ name: "default" });
  // the agent's install: no compiler, no dev dependencies
  expect(await readdir(join(installed, "node_modules")).catch(() => [])).not.toContain("assemblyscript");
  expect(await readdir(join(prefix, "lib", "node_modules"))).toEqual(["isoplace"]);
}, 120_000);

it("without the compiler, policy build and policy test of a source say how to add it (exit 2)", async () => {
  const built = await isoplace("policy", "build", "--out", "x.wasm");
  expect(built.code).toBe(2);
  expect(built.stderr).toMatch(
    /^isoplace: policy build needs the AssemblyScript compiler, .* npm install assemblyscript@0\.28\.20 \(with -g for a global isoplace\)/,
  );
  const tested = await isoplace("policy", "test");
  expect(tested.code).toBe(2);
  expect(tested.stderr).toMatch(/policy test of a source needs the AssemblyScript compiler, .*; a built module \(\.wasm\) needs no compiler/);
}, 120_000);

it("with the compiler added as the message says, it builds a module and the WASI command from there", async () => {
  await npm(["install", "-g", "--prefix", prefix, "assemblyscript@0.28.20", "@assemblyscript/wasi-shim@0.1.0"], root, 240_000);
  const built = await isoplace("policy", "build", "--out", "policy.wasm");
  expect(built.code, built.stderr).toBe(0);
  expect(built.stdout).toMatch(/^policy\.wasm: \d+ bytes, policy default /);
  const wasi = await isoplace("policy", "build", "--wasi", "--out", "isoplace.wasi.wasm");
  expect(wasi.code, wasi.stderr).toBe(0);
  const tested = await isoplace("policy", "test", "policy.wasm");
  expect(tested.code, tested.stderr).toBe(0);
}, 300_000);
