// The agent's production install, as deploy/k3s/Dockerfile's final stage carries it: the
// lockfile's dependencies without the dev ones (`npm ci --omit=dev`, which is what `npm prune
// --omit=dev` leaves after a build), beside the built package. At most 30 MB of node_modules,
// no compiler, and serve, decide and the agent's features work from it.
import { cp, lstat, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { PACKAGE_ROOT } from "../../host/package.ts";
import { ok, run as runCommand } from "../support/cli.ts";
import { run, startServe, type RunOptions } from "./support/run.ts";

const LIMIT_BYTES = 30_000_000;
let app: string,
  bytes = 0;

/** The bytes of every file under dir (what a copy or an image layer carries). */
async function sizeOf(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await lstat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}

beforeAll(async () => {
  app = await mkdtemp(join(tmpdir(), "isoplace-slim-"));
  for (const p of ["package.json", "package-lock.json", "dist", "policies", "assembly", "asconfig.json"])
    await cp(join(PACKAGE_ROOT, p), join(app, p), { recursive: true });
  // npm's cache holds every package after the repository's own npm ci, so this stays local
  ok(
    await runCommand("npm", ["ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline"], { cwd: app, timeoutMs: 240_000 }),
    "npm ci",
  );
  bytes = await sizeOf(join(app, "node_modules"));
  console.log(`tests/operator/slim: production node_modules ${(bytes / 1e6).toFixed(1)} MB (limit ${LIMIT_BYTES / 1e6} MB)`);
}, 300_000);

afterAll(() => rm(app, { recursive: true, force: true }));

const inApp = (): RunOptions => ({ cwd: app, main: join(app, "dist/host/cli/main.js") });

it("is at most 30 MB of node_modules, without the compiler", async () => {
  expect(bytes).toBeGreaterThan(1_000_000); // it did install
  expect(bytes).toBeLessThanOrEqual(LIMIT_BYTES);
  const names = await readdir(join(app, "node_modules"));
  expect(names).not.toContain("assemblyscript");
  expect(names).not.toContain("binaryen");
  expect(names).toContain("hono");
});

it("decides, inspects and signs from it", async () => {
  const decided = await run(["decide", "--scenario", "edge", "--runtimes", "containerd,wasmedge", "--json"], inApp());
  expect(decided.code, decided.stderr).toBe(0);
  expect(JSON.parse(decided.stdout)).toMatchObject({ level: "L4", runtime: "wasmedge" });

  const inspected = await run(["policy", "inspect", "dist/policies/default.wasm"], inApp());
  expect(inspected.code, inspected.stderr).toBe(0);
  expect(JSON.parse(inspected.stdout).name).toBe("default");

  const keys = join(app, "keys");
  expect((await run(["policy", "keygen", "--out", keys], inApp())).code).toBe(0);
  const signed = await run(
    ["policy", "sign", "dist/policies/default.wasm", "--key", join(keys, "policy.key"), "--out", join(keys, "default.wasm.sig")],
    inApp(),
  );
  expect(signed.code, signed.stderr).toBe(0);
  const verified = await run(
    ["policy", "verify", "dist/policies/default.wasm", "--pub", join(keys, "policy.pub"), "--sig", join(keys, "default.wasm.sig")],
    inApp(),
  );
  expect(verified.code, verified.stderr).toBe(0);
}, 60_000);

it("serves from it: decide, metrics, policy status, OpenAPI, the console, with --detect, a data directory and the admin API", async () => {
  const token = join(app, "token");
  await writeFile(token, "0123456789abcdef0123456789abcdef\n");
  await mkdir(join(app, "host-root"), { recursive: true });
  const agent = await startServe(["--detect", "--host-root", join(app, "host-root"), "--data-dir", join(app, "data"), "--admin-token-file", token], inApp());
  try {
    const decided = await fetch(`${agent.url}/v1/decide`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ workload: { scenario: "edge" }, node: { runtimes: ["wasmedge"] } }),
    });
    expect(decided.status).toBe(200);
    expect(await decided.json()).toMatchObject({ level: "L4", runtime: "wasmedge" });
    for (const path of ["/healthz", "/readyz", "/metrics", "/v1/policy", "/openapi.json", "/"]) {
      const res = await fetch(`${agent.url}${path}`);
      expect(res.status, path).toBe(200);
      await res.arrayBuffer();
    }
    const unauthorised = await fetch(`${agent.url}/v1/policy/rollback`, { method: "POST" });
    expect(unauthorised.status).toBe(401);
  } finally {
    await agent.stop();
  }
}, 60_000);

it("policy build without the compiler says how to get it, exit 2", async () => {
  const r = await run(["policy", "build", "--out", join(app, "out.wasm")], inApp());
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toMatch(/^isoplace: policy build needs the AssemblyScript compiler/);
  expect(r.stderr).toMatch(/npm install assemblyscript@0\.28\.20/);
});

it("policy build works there once the compiler is installed as it says", async () => {
  const how = /npm install (assemblyscript@\S+)/.exec((await run(["policy", "build", "--out", join(app, "out.wasm")], inApp())).stderr);
  expect(how).not.toBeNull();
  ok(
    await runCommand("npm", ["install", "--no-save", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline", how![1]], {
      cwd: app,
      timeoutMs: 240_000,
    }),
    "npm install",
  );
  const r = await run(["policy", "build", "--out", join(app, "out.wasm")], { ...inApp(), timeoutMs: 120_000 });
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/out\.wasm: \d+ bytes, policy default /);
}, 300_000);

it("a missing build says so once, without a doubled prefix", async () => {
  await rm(join(app, "dist/policies/default.wasm"));
  const r = await run(["decide", "--scenario", "edge"], inApp());
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/^isoplace: the default policy module \S+default\.wasm is missing; run `npm run build`\n$/);
});
