// `isoplace policy build SOURCE --wasi`: the WASI command of any policy source, as an operator
// builds it (the CLI as a process), answering with that policy (its version, its stacks), and
// carrying the policy's metadata so that `policy sign` writes its statement beside it and
// `policy verify` and `inspect` take it.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { isoplace, tempDir } from "../policy/support.ts";
import { failingSelfTestSource, variantSource } from "../shipping/support/fixtures.ts";
import { runWasi, stopWasiHost } from "./run.ts";

const VERSION = "2025.11.15-wasi-custom";
let dir: string, command: string;

beforeAll(async () => {
  dir = await tempDir("isoplace-wasi-build-");
  await writeFile(join(dir, "edge.yaml"), await variantSource(VERSION, "K3s + WasmEdge 0.15.0 (custom)"));
  command = join(dir, "edge.wasi.wasm");
}, 30_000);
afterAll(stopWasiHost);

it("builds the command from the source, which answers with that policy; sign, verify and inspect take it", async () => {
  const built = await isoplace("policy", "build", join(dir, "edge.yaml"), "--wasi", "--out", command);
  expect(built.code, built.stderr).toBe(0);
  expect(built.stdout).toMatch(
    new RegExp(
      `^${command.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: \\d+ bytes, the WASI command of policy default ${VERSION}, whose \\d+ self-test vectors pass, module sha256 [0-9a-f]{64}\\n`,
    ),
  );
  expect(built.stdout).toContain(`isoplace policy sign ${command} --key KEY`);
  const module = new WebAssembly.Module(await readFile(command));
  expect(WebAssembly.Module.imports(module).every((i) => i.module === "wasi_snapshot_preview1")).toBe(true);
  expect(WebAssembly.Module.exports(module).map((e) => e.name)).toContain("_start");

  const run = await runWasi(["decide", "--scenario", "edge"], "", { ISOPLACE_RUNTIMES: "containerd,wasmedge" }, "node:wasi", command);
  expect(run.code, run.stderr).toBe(0);
  expect(JSON.parse(run.stdout)).toMatchObject({
    level: "L4",
    runtime: "wasmedge",
    stack: "K3s + WasmEdge 0.15.0 (custom)",
    node: { source: "configured", runtimes: ["containerd", "wasmedge"] },
    policy: { name: "default", version: VERSION },
  });

  expect((await isoplace("policy", "keygen", "--out", join(dir, "keys"))).code).toBe(0);
  const signed = await isoplace("policy", "sign", command, "--key", join(dir, "keys", "policy.key"));
  expect(signed.code, signed.stderr).toBe(0);
  expect(signed.stdout).toMatch(new RegExp(`^${command.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.sig: signed statement for default ${VERSION}`));
  const verified = await isoplace("policy", "verify", command, "--pub", join(dir, "keys", "policy.pub"));
  expect(verified.code, verified.stderr).toBe(0);
  const inspected = JSON.parse((await isoplace("policy", "inspect", command)).stdout);
  expect(inspected).toMatchObject({ name: "default", version: VERSION, target: "wasi-command", statement: { name: "default", version: VERSION } });
}, 180_000);

it("refuses a policy whose own self-test vectors fail (no agent would check the command's answers), writing nothing", async () => {
  await writeFile(join(dir, "failing.yaml"), await failingSelfTestSource());
  const r = await isoplace("policy", "build", join(dir, "failing.yaml"), "--wasi", "--out", join(dir, "failing.wasi.wasm"));
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/^isoplace: policy rejected \(self-test\): the module fails its own self-test vector \d+ \("the source's own example"\)/);
  await expect(readFile(join(dir, "failing.wasi.wasm"))).rejects.toThrow(/ENOENT/);
}, 180_000);
