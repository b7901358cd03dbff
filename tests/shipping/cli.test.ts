// `isoplace policy keygen | sign | verify` as an operator runs them (real processes, real files),
// and the policy source's JSON Schema (generated, up to date, and accepting the default policy).
import { execFile } from "node:child_process";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { Ajv2020 } from "ajv/dist/2020.js";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_POLICY_SOURCE, PACKAGE_ROOT } from "../../host/node/paths.ts";
import { build, defaultSource, tamper, tempDir } from "./support/fixtures.ts";

const MAIN = join(PACKAGE_ROOT, "host", "cli", "main.ts");

async function isoplace(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [MAIN, ...args], { cwd: PACKAGE_ROOT });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("policy keygen | sign | verify", () => {
  let dir: string, wasm: string;
  beforeAll(async () => {
    dir = await tempDir();
    wasm = join(dir, "policy.wasm");
    await writeFile(wasm, await defaultSource().then(build));
  });

  it("keygen writes a private key readable only by its owner and a public key; it will not overwrite them", async () => {
    const r = await isoplace("policy", "keygen", "--out", join(dir, "keys"));
    expect(r.code).toBe(0);
    expect((await stat(join(dir, "keys", "policy.key"))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(dir, "keys", "policy.key"), "utf8")).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(await readFile(join(dir, "keys", "policy.pub"), "utf8")).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    const again = await isoplace("policy", "keygen", "--out", join(dir, "keys"));
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/exists/);
  });

  it("sign writes FILE.wasm.sig; verify exits 0 for it, 1 for a tampered module or another key, 2 for missing files", async () => {
    await isoplace("policy", "keygen", "--out", join(dir, "other"));
    const pub = join(dir, "keys", "policy.pub");
    expect((await isoplace("policy", "sign", wasm, "--key", join(dir, "keys", "policy.key"))).code).toBe(0);
    expect(await readFile(`${wasm}.sig`, "utf8")).toMatch(/^[A-Za-z0-9+/]{86}==\n$/);

    const tampered = join(dir, "tampered.wasm");
    await writeFile(tampered, tamper(new Uint8Array(await readFile(wasm))));
    // independent runs, in parallel
    const [ok, rotated, otherKey, bad, missing, noSig, notAKey] = await Promise.all([
      isoplace("policy", "verify", wasm, "--pub", pub),
      isoplace("policy", "verify", wasm, "--pub", join(dir, "other", "policy.pub"), "--pub", pub), // rotation: any of several keys
      isoplace("policy", "verify", wasm, "--pub", join(dir, "other", "policy.pub")),
      isoplace("policy", "verify", tampered, "--pub", pub, "--sig", `${wasm}.sig`),
      isoplace("policy", "verify", join(dir, "missing.wasm"), "--pub", pub),
      isoplace("policy", "verify", tampered, "--pub", pub), // no tampered.wasm.sig
      isoplace("policy", "verify", wasm, "--pub", join(dir, "keys", "policy.key")),
    ]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/valid signature by key [0-9a-f]{16}/);
    expect(rotated.code).toBe(0);
    expect(otherKey.code).toBe(1);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/INVALID/);
    expect(missing.code).toBe(2);
    expect(noSig.code).toBe(2);
    expect(notAKey.code).toBe(2);
    expect(notAKey.stderr).toMatch(/PUBLIC KEY/);
  });
});

describe("policies/policy.schema.json", () => {
  it("is what npm run schema generates from host/policy/schema.ts", async () => {
    const r = await promisify(execFile)(process.execPath, [join(PACKAGE_ROOT, "scripts", "policy-schema.ts"), "--check"]).catch((e) => e);
    expect(r.stdout).toMatch(/up to date/);
  });

  it("accepts the default policy and names what is wrong in a broken one", async () => {
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    const validate = ajv.compile(JSON.parse(await readFile(join(PACKAGE_ROOT, "policies", "policy.schema.json"), "utf8")));
    const policy = parse(await readFile(DEFAULT_POLICY_SOURCE, "utf8"));
    expect(validate(policy), JSON.stringify(validate.errors)).toBe(true);

    policy.scenarios[0].first = "L9";
    policy.extra = true;
    expect(validate(policy)).toBe(false);
    const where = validate.errors!.map((e) => e.instancePath || e.params?.additionalProperty);
    expect(where).toContain("/scenarios/0/first");
    expect(where).toContain("extra");
  });
});
