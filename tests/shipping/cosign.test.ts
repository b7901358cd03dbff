// Statements both ways with cosign (no transparency log): what `cosign attest-blob` writes with
// cosign's own key — a sigstore bundle by default, a bare DSSE envelope with
// --new-bundle-format=false — an agent trusting cosign.pub verifies and activates; what
// `isoplace policy sign` writes (ECDSA P-256 or Ed25519 keys, or cosign.key itself),
// `cosign verify-blob-attestation` verifies.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { PREDICATE_TYPE } from "../../host/delivery/predicate.ts";
import { spawnChild } from "../support/child.ts";
import { havePeers, needsPeers } from "../support/peers.ts";
import { freePort } from "../oci/support/registry.ts";
import { isoplace, MAIN, ok, peer } from "../oci/support/tools.ts";
import { build, DEFAULT_VERSION, defaultSource, tamper, tempDir, variantSource } from "./support/fixtures.ts";

const PASSWORD = { COSIGN_PASSWORD: "isoplace-test-password" };
/** No transparency log: cosign 3 wants its signing config off for --tlog-upload=false to apply. */
const NO_TLOG_SIGN = ["--use-signing-config=false", "--tlog-upload=false"];

describe.skipIf(!havePeers("cosign"))(needsPeers("statements with cosign, both ways", "cosign"), () => {
  let dir: string, wasm: string;
  beforeAll(async () => {
    dir = await tempDir("isoplace-cosign-");
    wasm = join(dir, "policy.wasm");
    await writeFile(wasm, await defaultSource().then(build));
    ok(await peer("cosign", ["generate-key-pair"], { cwd: dir, env: PASSWORD }), "cosign generate-key-pair");
  });

  /** `cosign attest-blob` over the module with the predicate `policy predicate` prints. */
  async function attest(module: string, out: string[], serial: number): Promise<void> {
    const predicate = `${module}.predicate.json`;
    await writeFile(predicate, ok(await isoplace(["policy", "predicate", module, "--serial", String(serial), "--expires", "30d"]), "policy predicate").stdout);
    ok(
      await peer(
        "cosign",
        ["attest-blob", "--key", join(dir, "cosign.key"), "--type", PREDICATE_TYPE, "--predicate", predicate, ...NO_TLOG_SIGN, ...out, module],
        { cwd: dir, env: PASSWORD },
      ),
      "cosign attest-blob",
    );
  }

  it("cosign attest-blob's bundle: an agent trusting cosign.pub verifies and activates the module", async () => {
    const v2 = join(dir, "v2.wasm");
    await writeFile(v2, await variantSource("2025.11.15-cosign", "K3s + WasmEdge 0.15.0 (cosign)").then(build));
    await attest(v2, ["--bundle", `${v2}.sig`], 7);
    const bundle = JSON.parse(await readFile(`${v2}.sig`, "utf8"));
    expect(bundle).toMatchObject({
      mediaType: expect.stringMatching(/^application\/vnd.dev.sigstore.bundle/),
      dsseEnvelope: { payloadType: "application/vnd.in-toto+json" },
    });
    const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, "base64").toString());
    // cosign 3.1 writes in-toto's v0.1 _type; the subject and predicate are as ours
    expect(statement).toMatchObject({
      _type: "https://in-toto.io/Statement/v0.1",
      predicateType: PREDICATE_TYPE,
      subject: [{ name: "v2.wasm" }],
      predicate: { serial: 7 },
    });

    const port = await freePort();
    const agent = spawnChild(process.execPath, [MAIN, "serve", "--port", String(port), "--policy", v2, "--trusted-key", join(dir, "cosign.pub")], { cwd: dir });
    try {
      await agent.waitForLine(/"msg":"isoplace agent listening"/, "the agent listening", 60_000);
      const status = await (await fetch(`http://127.0.0.1:${port}/v1/policy`)).json();
      expect(status.active).toMatchObject({
        version: "2025.11.15-cosign",
        serial: 7,
        source: expect.stringContaining("v2.wasm"),
        keyId: expect.stringMatching(/^[0-9a-f]{16}$/),
      });
      expect(status.lastError).toBeNull();
    } finally {
      await agent.stop("SIGTERM");
    }
  });

  it("cosign attest-blob's bare envelope (--new-bundle-format=false) verifies too; another module or key does not", async () => {
    await attest(wasm, ["--new-bundle-format=false", "--output-signature", join(dir, "bare.sig")], 8);
    expect(JSON.parse(await readFile(join(dir, "bare.sig"), "utf8"))).toMatchObject({
      payloadType: "application/vnd.in-toto+json",
      signatures: [{ sig: expect.any(String) }],
    });
    const good = await isoplace(["policy", "verify", wasm, "--pub", join(dir, "cosign.pub"), "--sig", join(dir, "bare.sig")]);
    expect(good.code, good.stderr).toBe(0);
    expect(good.stdout).toMatch(new RegExp(`valid statement by key [0-9a-f]{16}: default ${DEFAULT_VERSION}, serial 8`));
    await writeFile(join(dir, "other.wasm"), tamper(new Uint8Array(await readFile(wasm))));
    ok(await isoplace(["policy", "keygen", "--type", "ecdsa-p256", "--out", join(dir, "stranger")]), "keygen");
    const [otherModule, otherKey] = await Promise.all([
      isoplace(["policy", "verify", join(dir, "other.wasm"), "--pub", join(dir, "cosign.pub"), "--sig", join(dir, "bare.sig")]),
      isoplace(["policy", "verify", wasm, "--pub", join(dir, "stranger", "policy.pub"), "--sig", join(dir, "bare.sig")]),
    ]);
    expect(otherModule.code).toBe(1);
    expect(otherModule.stderr).toMatch(/the statement is for module [0-9a-f]{64}, not this one/);
    expect(otherKey.code).toBe(1);
    expect(otherKey.stderr).toMatch(/matches none of the 1 trusted key/);
  });

  /** `cosign verify-blob-attestation` of the envelope `sig` over `module`. */
  const cosignVerify = (pub: string, sig: string, module: string, type = PREDICATE_TYPE) =>
    peer("cosign", ["verify-blob-attestation", "--key", pub, "--type", type, "--signature", sig, "--insecure-ignore-tlog", module], { cwd: dir });

  it.each(["ecdsa-p256", "ed25519"])(
    "what policy sign writes with a %s key, cosign verify-blob-attestation verifies; a tampered module or another type it refuses",
    async (type) => {
      const keys = join(dir, `keys-${type}`);
      ok(await isoplace(["policy", "keygen", "--type", type, "--out", keys]), "policy keygen");
      const sig = join(dir, `${type}.sig`);
      ok(await isoplace(["policy", "sign", wasm, "--key", join(keys, "policy.key"), "--out", sig]), "policy sign");
      const verified = await cosignVerify(join(keys, "policy.pub"), sig, wasm);
      expect(verified.code, verified.stderr).toBe(0);
      expect(verified.stderr).toMatch(/Verified OK/);

      const tampered = join(dir, `tampered-${type}.wasm`);
      await writeFile(tampered, tamper(new Uint8Array(await readFile(wasm))));
      const [wrongModule, wrongType] = await Promise.all([
        cosignVerify(join(keys, "policy.pub"), sig, tampered),
        cosignVerify(join(keys, "policy.pub"), sig, wasm, "https://slsa.dev/provenance/v1"),
      ]);
      expect(wrongModule.code).not.toBe(0);
      expect(wrongType.code).not.toBe(0);
      expect(wrongType.stderr).toMatch(/invalid predicate type/);
    },
  );

  it("policy sign --key cosign.key (COSIGN_PASSWORD) signs with cosign's own key: cosign and isoplace verify it with cosign.pub; a wrong or missing password is exit 2", async () => {
    const sig = join(dir, "with-cosign-key.sig");
    const signed = await isoplace(["policy", "sign", wasm, "--key", join(dir, "cosign.key"), "--out", sig], { env: PASSWORD });
    expect(signed.code, signed.stderr).toBe(0);
    const byCosign = await cosignVerify(join(dir, "cosign.pub"), sig, wasm);
    expect(byCosign.code, byCosign.stderr).toBe(0);
    expect((await isoplace(["policy", "verify", wasm, "--pub", join(dir, "cosign.pub"), "--sig", sig])).code).toBe(0);

    await mkdir(join(dir, "x"), { recursive: true });
    const [wrong, missing] = await Promise.all([
      isoplace(["policy", "sign", wasm, "--key", join(dir, "cosign.key"), "--out", join(dir, "x", "w.sig")], { env: { COSIGN_PASSWORD: "not-it" } }),
      isoplace(["policy", "sign", wasm, "--key", join(dir, "cosign.key"), "--out", join(dir, "x", "m.sig")], {
        env: { COSIGN_PASSWORD: undefined as unknown as string },
      }),
    ]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/cosign.key: wrong COSIGN_PASSWORD/);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cosign's encrypted key: set COSIGN_PASSWORD/);
  });
});
