// `isoplace policy keygen | sign | verify` as an operator runs them (real processes, real files),
// and the policy source's JSON Schema (generated, up to date, and accepting the default policy).
import { createHash } from "node:crypto";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_POLICY_SOURCE, PACKAGE_ROOT } from "../../host/package.ts";
import { isoplace as cli, run } from "../support/cli.ts";
import { build, DEFAULT_VERSION, defaultSource, tamper, tempDir } from "./support/fixtures.ts";

const isoplace = (...args: string[]) => cli(args);

describe("policy keygen | sign | verify | inspect", () => {
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
    const before = Math.floor(Date.now() / 1000);
    expect((await isoplace("policy", "sign", wasm, "--key", join(dir, "keys", "policy.key"))).code).toBe(0);
    const envelope = JSON.parse(await readFile(`${wasm}.sig`, "utf8"));
    expect(envelope).toMatchObject({
      payloadType: "application/vnd.in-toto+json",
      signatures: [{ keyid: expect.stringMatching(/^[0-9a-f]{64}$/), sig: expect.any(String) }],
    });
    const statement = JSON.parse(Buffer.from(envelope.payload, "base64").toString("utf8"));
    const sha256 = createHash("sha256")
      .update(await readFile(wasm))
      .digest("hex");
    expect(statement).toMatchObject({
      _type: "https://in-toto.io/Statement/v1",
      subject: [{ name: "policy.wasm", digest: { sha256 } }],
      predicateType: "https://isoplace.dev/policy-statement/v1",
      predicate: { name: "default", version: DEFAULT_VERSION },
    });
    expect(statement.predicate.serial).toBeGreaterThanOrEqual(before); // default serial: the signing time in Unix seconds
    expect(statement.predicate.serial).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    expect(statement.predicate.expires).toBeUndefined();

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
    expect(ok.stdout).toMatch(/valid statement by key [0-9a-f]{16}: default /);
    expect(rotated.code).toBe(0);
    expect(otherKey.code).toBe(1);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/INVALID/);
    expect(missing.code).toBe(2);
    expect(noSig.code).toBe(2);
    expect(notAKey.code).toBe(2);
    expect(notAKey.stderr).toMatch(/PUBLIC KEY/);
  });

  it("keygen --type ecdsa-p256 writes a P-256 pair that signs and verifies; an unknown --type is exit 2 naming the types", async () => {
    const r = await isoplace("policy", "keygen", "--type", "ecdsa-p256", "--out", join(dir, "ec"));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ecdsa-p256 key id [0-9a-f]{16}/);
    const pub = await readFile(join(dir, "ec", "policy.pub"), "utf8");
    const { createPublicKey } = await import("node:crypto");
    expect(createPublicKey(pub).asymmetricKeyDetails).toEqual({ namedCurve: "prime256v1" });
    const sig = join(dir, "ec.sig");
    expect((await isoplace("policy", "sign", wasm, "--key", join(dir, "ec", "policy.key"), "--out", sig)).code).toBe(0);
    const ok = await isoplace("policy", "verify", wasm, "--pub", join(dir, "ec", "policy.pub"), "--sig", sig);
    expect(ok.code, ok.stderr).toBe(0);
    const bad = await isoplace("policy", "keygen", "--type", "rsa", "--out", join(dir, "rsa"));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--type must be one of ed25519, ecdsa-p256; got "rsa"/);
  });

  it("predicate prints the statement's predicate for another signer (cosign attest-blob --predicate)", async () => {
    const r = await isoplace("policy", "predicate", wasm, "--serial", "77", "--expires", "2w");
    expect(r.code, r.stderr).toBe(0);
    const p = JSON.parse(r.stdout);
    expect(Object.keys(p)).toEqual(["name", "version", "serial", "issuedAt", "expires"]);
    expect(p).toMatchObject({ name: "default", version: DEFAULT_VERSION, serial: 77 });
    expect((Date.parse(p.expires) - Date.parse(p.issuedAt)) / 86_400_000).toBeCloseTo(14, 5);
    const [serial, notModule] = await Promise.all([
      isoplace("policy", "predicate", wasm, "--serial", "x"),
      isoplace("policy", "predicate", join(PACKAGE_ROOT, "package.json")),
    ]);
    expect(serial.code).toBe(2);
    expect(serial.stderr).toMatch(/--serial must be a positive integer/);
    expect(notModule.code).toBe(2);
    expect(notModule.stderr).toMatch(/is not a policy module/);
  });

  it("verify accepts a statement in the old format for one release, saying so", async () => {
    const { keyFiles: kf } = await import("./support/fixtures.ts");
    const { signBytes, toBase64 } = await import("../../host/delivery/signing.ts");
    const { pae, LEGACY_STATEMENT_TYPE } = await import("../../host/delivery/statement.ts");
    const k = await kf(join(dir, "old-format-keys"));
    const bytes = new Uint8Array(await readFile(wasm));
    const payload = Buffer.from(
      JSON.stringify({
        name: "default",
        version: DEFAULT_VERSION,
        serial: 5,
        moduleSha256: createHash("sha256").update(bytes).digest("hex"),
        issuedAt: new Date().toISOString(),
      }),
    );
    const sig = toBase64(await signBytes(pae(LEGACY_STATEMENT_TYPE, payload), k.signer.key));
    await writeFile(
      join(dir, "old.sig"),
      JSON.stringify({ payloadType: LEGACY_STATEMENT_TYPE, payload: payload.toString("base64"), signatures: [{ keyid: k.signer.fingerprint, sig }] }),
    );
    const r = await isoplace("policy", "verify", wasm, "--pub", k.pub, "--sig", join(dir, "old.sig"));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/valid statement by key [0-9a-f]{16}: default \S+, serial 5/);
    expect(r.stderr).toMatch(/old format .*last to accept: re-sign it/);
    const shown = JSON.parse((await isoplace("policy", "inspect", wasm, "--sig", join(dir, "old.sig"))).stdout);
    expect(shown.statement).toMatchObject({ serial: 5, format: "legacy" });
  });

  it("sign --serial --expires: inspect shows the statement; verify refuses it once expired", async () => {
    const key = join(dir, "keys", "policy.key");
    const r = await isoplace("policy", "sign", wasm, "--key", key, "--serial", "42", "--expires", "30d", "--out", join(dir, "s42.sig"));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/serial 42, expires \d{4}-/);
    const shown = JSON.parse((await isoplace("policy", "inspect", wasm, "--sig", join(dir, "s42.sig"))).stdout);
    expect(shown.statement).toMatchObject({ name: "default", version: DEFAULT_VERSION, serial: 42, moduleSha256: shown.moduleSha256 });
    const days = (Date.parse(shown.statement.expires) - Date.parse(shown.statement.issuedAt)) / 86_400_000;
    expect(days).toBeCloseTo(30, 5);
    // inspect without --sig finds FILE.wasm.sig beside the module
    expect(JSON.parse((await isoplace("policy", "inspect", wasm)).stdout).statement.name).toBe("default");

    // an already expired statement, written by hand with the library (the CLI refuses past dates)
    const { statementFor, keyFiles: kf } = await import("./support/fixtures.ts");
    const { signStatement, envelopeJson } = await import("../../host/delivery/statement.ts");
    const k = await kf(join(dir, "lib-keys"));
    const old = await statementFor(new Uint8Array(await readFile(wasm)), { expires: new Date(Date.now() - 60_000).toISOString() });
    await writeFile(join(dir, "expired.sig"), envelopeJson(await signStatement(old, [k.signer])));
    const expired = await isoplace("policy", "verify", wasm, "--pub", k.pub, "--sig", join(dir, "expired.sig"));
    expect(expired.code).toBe(1);
    expect(expired.stderr).toMatch(/expired/);
  });

  it("bad --serial / --expires are usage errors (exit 2) naming the allowed forms", async () => {
    const key = join(dir, "keys", "policy.key");
    const [serial, expires, past] = await Promise.all([
      isoplace("policy", "sign", wasm, "--key", key, "--serial", "-3", "--out", join(dir, "x.sig")),
      isoplace("policy", "sign", wasm, "--key", key, "--expires", "soon", "--out", join(dir, "x.sig")),
      isoplace("policy", "sign", wasm, "--key", key, "--expires", "2001-01-01", "--out", join(dir, "x.sig")),
    ]);
    expect(serial.code).toBe(2);
    expect(serial.stderr).toMatch(/--serial must be a positive integer/);
    expect(expires.code).toBe(2);
    expect(expires.stderr).toMatch(/30d.*2027-01-31/);
    expect(past.code).toBe(2);
    expect(past.stderr).toMatch(/in the past/);
  });

  it("an old bare signature is refused by verify with how to re-sign", async () => {
    const { signBytes, toBase64 } = await import("../../host/delivery/signing.ts");
    const { keyFiles: kf } = await import("./support/fixtures.ts");
    const k = await kf(join(dir, "legacy-keys"));
    await writeFile(join(dir, "legacy.sig"), `${toBase64(await signBytes(new Uint8Array(await readFile(wasm)), k.signer.key))}\n`);
    const r = await isoplace("policy", "verify", wasm, "--pub", k.pub, "--sig", join(dir, "legacy.sig"));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bare Ed25519 signature.*isoplace policy sign/);
    const shown = JSON.parse((await isoplace("policy", "inspect", wasm, "--sig", join(dir, "legacy.sig"))).stdout);
    expect(shown.statement.error).toMatch(/re-sign/);
  });
});

describe("serve --policy with a scheme no source handles", () => {
  it("exits 2 naming the supported schemes, before loading anything", async () => {
    const r = await isoplace("serve", "--port", "0", "--policy", "ftp://policies.example/policy.wasm");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/"ftp:\/\/" is not supported.*file:\/\/, http:\/\/, https:\/\//);
  });
});

describe("policies/policy.schema.json", () => {
  it("is what npm run schema generates from host/policy/schema.ts", async () => {
    const r = await run(process.execPath, [join(PACKAGE_ROOT, "scripts", "policy-schema.ts"), "--check"]);
    expect(r.stdout).toMatch(/up to date/);
    expect(r.code).toBe(0);
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
