// `isoplace policy push | pull` as an operator runs them (real processes, real files) against a
// real registry (Debian's docker-registry, started here): the round trip with digests checked,
// blobs not uploaded twice, a tampered blob or manifest refused, Basic auth from config.json.
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CAPS, parseManifest, parseReference, Repository, signatureTag } from "../../host/oci/index.ts";
import { build, defaultSource, tamper, tempDir } from "../shipping/support/fixtures.ts";
import { freePort, haveRegistry, TestRegistry } from "./support/registry.ts";
import { isoplace as run } from "./support/tools.ts";

/** `isoplace ARGS` with these environment variables (DOCKER_CONFIG). */
const isoplace = (env: Record<string, string>, ...args: string[]) => run(args, { env });

describe.skipIf(!haveRegistry())("policy push | pull against a real registry", () => {
  let registry: TestRegistry, dir: string, wasm: string, env: Record<string, string>;
  const manifestOf = async (pinned: string) => (await new Repository(parseReference(pinned)).getManifest(pinned.split("@")[1], CAPS.manifest))!.bytes;
  beforeAll(async () => {
    dir = await tempDir("isoplace-oci-");
    env = { DOCKER_CONFIG: join(dir, "docker") }; // no config.json there: anonymous
    registry = await TestRegistry.start();
    wasm = join(dir, "policy.wasm");
    await writeFile(wasm, await defaultSource().then(build));
    const keys = await isoplace(env, "policy", "keygen", "--out", join(dir, "keys"));
    expect(keys.code).toBe(0);
    await isoplace(env, "policy", "keygen", "--out", join(dir, "other"));
    expect((await isoplace(env, "policy", "sign", wasm, "--key", join(dir, "keys", "policy.key"))).code).toBe(0);
  });
  afterAll(async () => {
    await registry?.destroy();
  });

  it("push prints the pinned reference; pull by tag and by digest gives the same bytes and signature; a second push uploads no blob again", async () => {
    const ref = `oci://${registry.host}/isoplace/policy:v1`;
    const push = await isoplace(env, "policy", "push", wasm, ref);
    expect(push.stderr).toMatch(/4 blob\(s\) uploaded, 0 already there/);
    expect(push.code).toBe(0);
    const pinnedRef = push.stdout.trim();
    expect(pinnedRef).toMatch(new RegExp(`^oci://${registry.host}/isoplace/policy@sha256:[a-f0-9]{64}$`));

    const again = await isoplace(env, "policy", "push", wasm, ref);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/0 blob\(s\) uploaded, 4 already there/);
    expect(again.stdout.trim()).toBe(pinnedRef);

    const [byTag, byDigest] = await Promise.all([
      isoplace(env, "policy", "pull", ref, "--out", join(dir, "tag.wasm"), "--pub", join(dir, "keys", "policy.pub")),
      isoplace(env, "policy", "pull", pinnedRef, "--out", join(dir, "digest.wasm")),
    ]);
    expect(byTag.code).toBe(0);
    expect(byTag.stderr).toMatch(/valid statement by key [0-9a-f]+: default \S+, serial \d+/);
    expect(byTag.stdout.trim()).toBe(pinnedRef);
    expect(byDigest.code).toBe(0);
    const original = await readFile(wasm);
    expect(await readFile(join(dir, "tag.wasm"))).toEqual(original);
    expect(await readFile(join(dir, "digest.wasm"))).toEqual(original);
    expect((await readFile(join(dir, "tag.wasm.sig"), "utf8")).trim()).toBe((await readFile(`${wasm}.sig`, "utf8")).trim());

    // the stored artifact is the CNCF Wasm layout, and its signature is found by the .sig tag
    const repo = new Repository(parseReference(pinnedRef));
    const manifest = parseManifest((await repo.getManifest(pinnedRef.split("@")[1], CAPS.manifest))!.bytes, "m");
    expect(manifest.config.mediaType).toBe("application/vnd.wasm.config.v0+json");
    expect(manifest.layers.map((l) => l.mediaType)).toEqual(["application/wasm"]);
    expect(Object.keys(manifest.annotations!).sort()).toEqual([
      "io.isoplace.policy.name",
      "org.opencontainers.image.created",
      "org.opencontainers.image.title",
      "org.opencontainers.image.version",
    ]);
    const sig = parseManifest((await repo.getManifest(signatureTag(pinnedRef.split("@")[1]), CAPS.manifest))!.bytes, "s");
    expect(sig.artifactType).toBe("application/vnd.isoplace.policy.signature.v1+json");
    expect(sig.subject?.digest).toBe(pinnedRef.split("@")[1]);
  });

  it("push refuses to move a tag to a lower serial (or the same serial on other bytes) unless --force, reading only the tag's statements", async () => {
    const ref = `oci://${registry.host}/isoplace/serials:stable`;
    const key = join(dir, "keys", "policy.key");
    const signed = async (name: string, bytes: Uint8Array, serial: number) => {
      const file = join(dir, `${name}.wasm`);
      await writeFile(file, bytes);
      expect((await isoplace(env, "policy", "sign", file, "--key", key, "--serial", String(serial))).code).toBe(0);
      return file;
    };
    const bytes = new Uint8Array(await readFile(wasm));
    const [s100, s50, other100] = await Promise.all([signed("s100", bytes, 100), signed("s50", bytes, 50), signed("other100", tamper(bytes), 100)]);
    const first = await isoplace(env, "policy", "push", s100, ref);
    expect(first.code).toBe(0);
    const moduleBlob = parseManifest(await manifestOf(first.stdout.trim()), "m").layers[0].digest;

    const from = registry.mark();
    const lower = await isoplace(env, "policy", "push", s50, ref);
    expect(lower.code).toBe(2);
    expect(lower.stderr).toContain(
      `isoplace: ${ref} carries default 2025.11.15-1 with serial 100 (unverified: with --pub KEY only statements a trusted key signed count); every agent that has activated it would refuse this statement (serial-lower: serial 50 of default is lower than 100`,
    );
    expect(lower.stderr).toContain("or --force to move the tag anyway");
    // the check read the tag's manifest and its signature, never the module (nor the config)
    const read = registry.responses(from).filter((r) => r.method === "GET" && r.uri.includes("/blobs/"));
    expect(read.length).toBe(1); // the signature's envelope
    expect(read.some((r) => r.uri.endsWith(moduleBlob))).toBe(false);

    const reused = await isoplace(env, "policy", "push", other100, ref);
    expect(reused.code).toBe(2);
    expect(reused.stderr).toMatch(/serial-reused: serial 100 of default was already activated for module [0-9a-f]{64}/);
    // with --pub, only statements that key signed count: the same key refuses, another key's does not see one
    const trusted = await isoplace(env, "policy", "push", s50, ref, "--pub", join(dir, "keys", "policy.pub"));
    expect(trusted.code).toBe(2);
    expect(trusted.stderr).toContain("with serial 100 (signed by a key given with --pub)");
    // nothing moved
    expect((await isoplace(env, "policy", "pull", ref, "--out", join(dir, "still.wasm"))).code).toBe(0);
    expect(await readFile(join(dir, "still.wasm.sig"), "utf8")).toBe(await readFile(`${s100}.sig`, "utf8"));

    // the same statement again is fine; --force moves the tag down
    expect((await isoplace(env, "policy", "push", s100, ref)).code).toBe(0);
    const forced = await isoplace(env, "policy", "push", s50, ref, "--force");
    expect(forced.code, forced.stderr).toBe(0);
    expect((await isoplace(env, "policy", "pull", ref, "--out", join(dir, "forced.wasm"))).code).toBe(0);
    expect(await readFile(join(dir, "forced.wasm.sig"), "utf8")).toBe(await readFile(`${s50}.sig`, "utf8"));

    // statements no key given with --pub signed do not count
    const elsewhere = `oci://${registry.host}/isoplace/serials:other-key`;
    expect((await isoplace(env, "policy", "push", s100, elsewhere)).code).toBe(0);
    const untrusted = await isoplace(env, "policy", "push", s50, elsewhere, "--pub", join(dir, "other", "policy.pub"));
    expect(untrusted.code, untrusted.stderr).toBe(0);
  });

  it("push over a tag that holds another tool's artifact warns that it was not checked for a downgrade, and pushes", async () => {
    const ref = `oci://${registry.host}/isoplace/foreign:v1`;
    const r = parseReference(ref),
      repo = new Repository(r);
    // an image manifest of another kind (what `oras push` of a plain file writes)
    const config = new TextEncoder().encode("{}"),
      layer = new TextEncoder().encode("not a policy");
    const d = async (mediaType: string, b: Uint8Array) => ({ mediaType, digest: `sha256:${createHash("sha256").update(b).digest("hex")}`, size: b.length });
    const [c, l] = await Promise.all([d("application/vnd.oci.empty.v1+json", config), d("text/plain", layer)]);
    await repo.putBlob(config, c);
    await repo.putBlob(layer, l);
    const manifest = new TextEncoder().encode(
      JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", config: c, layers: [l] }),
    );
    await repo.putManifest(r.tag!, manifest, "application/vnd.oci.image.manifest.v1+json", `sha256:${createHash("sha256").update(manifest).digest("hex")}`);
    const push = await isoplace(env, "policy", "push", wasm, ref);
    expect(push.code, push.stderr).toBe(0);
    expect(push.stderr).toMatch(new RegExp(`isoplace: ${ref}: not checked for a downgrade \\(.*is not a Wasm artifact.*\\); pushing anyway`));
  });

  it("pull --pub with a key that did not sign it exits 1 and writes nothing", async () => {
    const ref = `oci://${registry.host}/isoplace/policy:v1`;
    await isoplace(env, "policy", "push", wasm, ref);
    const r = await isoplace(env, "policy", "pull", ref, "--out", join(dir, "untrusted.wasm"), "--pub", join(dir, "other", "policy.pub"));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/INVALID/);
    await expect(readFile(join(dir, "untrusted.wasm"))).rejects.toThrow(/ENOENT/);
  });

  it("bad references (push, pull, serve) and an unreachable registry are exit 2 with a message naming the problem", async () => {
    await writeFile(join(dir, "legacy.wasm"), await readFile(wasm));
    await writeFile(join(dir, "legacy.wasm.sig"), `${Buffer.alloc(64, 7).toString("base64")}\n`); // a bare signature, the old format
    await writeFile(join(dir, "mixed.wasm"), tamper(new Uint8Array(await readFile(wasm)))); // another module…
    await writeFile(join(dir, "mixed.wasm.sig"), await readFile(`${wasm}.sig`)); // …with policy.wasm's statement
    const [legacy, mixed] = await Promise.all([
      isoplace(env, "policy", "push", join(dir, "legacy.wasm"), `oci://${registry.host}/isoplace/legacy:v1`),
      isoplace(env, "policy", "push", join(dir, "mixed.wasm"), `oci://${registry.host}/isoplace/mixed:v1`),
    ]);
    expect(legacy.code).toBe(2);
    expect(legacy.stderr).toMatch(/bare Ed25519 signature .* re-sign it with `isoplace policy sign/);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(/is the statement of module [a-f0-9]{64}, not of .*mixed.wasm/);

    const [noTag, badRepo, noSig, down, serveBad] = await Promise.all([
      isoplace(env, "policy", "pull", `oci://${registry.host}/isoplace/policy`, "--out", join(dir, "x.wasm")),
      isoplace(env, "policy", "pull", `oci://${registry.host}/Isoplace/Policy:v1`, "--out", join(dir, "x.wasm")),
      isoplace(env, "policy", "push", join(dir, "keys", "policy.pub"), `oci://${registry.host}/isoplace/policy:v1`),
      isoplace(env, "policy", "pull", `oci://127.0.0.1:${await freePort()}/isoplace/policy:v1`, "--out", join(dir, "x.wasm")),
      isoplace(env, "serve", "--port", "0", "--policy", `oci://${registry.host}/isoplace/policy@sha256:abc`),
    ]);
    expect(noTag.code).toBe(2);
    expect(noTag.stderr).toMatch(/no :TAG or @sha256/);
    expect(badRepo.code).toBe(2);
    expect(badRepo.stderr).toMatch(/not a valid repository name/);
    expect(noSig.code).toBe(2);
    expect(noSig.stderr).toMatch(/not an isoplace policy module/);
    expect(down.code).toBe(2);
    expect(down.stderr).toMatch(/ECONNREFUSED/);
    expect(serveBad.code).toBe(2);
    expect(serveBad.stderr).toMatch(/"sha256:abc" is not a sha256 digest/);
  });
  // last: the tampered blobs are shared by every repository of this registry
  it("a manifest that does not match its digest and a tampered blob are refused (exit 2, naming the digest)", async () => {
    // a copy under another name: another manifest (its title), the same blobs
    const other = join(dir, "other.wasm");
    await writeFile(other, await readFile(wasm));
    await writeFile(`${other}.sig`, await readFile(`${wasm}.sig`));
    const tagged = `oci://${registry.host}/isoplace/tamper:m`;
    const pushedOther = (await isoplace(env, "policy", "push", other, tagged)).stdout.trim();
    expect((await isoplace(env, "policy", "pull", tagged, "--out", join(dir, "t1.wasm"))).code).toBe(0);
    await registry.tamper(pushedOther.split("@")[1], 20); // a letter of "mediaType": still JSON
    const [byTag, byDigest] = await Promise.all([
      isoplace(env, "policy", "pull", tagged, "--out", join(dir, "t2.wasm")),
      isoplace(env, "policy", "pull", pushedOther, "--out", join(dir, "t3.wasm")),
    ]);
    for (const r of [byTag, byDigest]) {
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/the manifest's digest is sha256:[a-f0-9]{64}, not sha256:/);
    }

    const pushed = (await isoplace(env, "policy", "push", wasm, `oci://${registry.host}/isoplace/tamper:blob`)).stdout.trim();
    const repo = new Repository(parseReference(pushed));
    const manifest = parseManifest((await repo.getManifest(pushed.split("@")[1], CAPS.manifest))!.bytes, "m");
    await registry.tamper(manifest.layers[0].digest);
    const blob = await isoplace(env, "policy", "pull", `oci://${registry.host}/isoplace/tamper:blob`, "--out", join(dir, "t4.wasm"));
    expect(blob.code).toBe(2);
    expect(blob.stderr).toMatch(/module: its content's digest is sha256:[a-f0-9]{64}, not sha256:/);
  });
});

describe.skipIf(!haveRegistry())("Basic auth with Docker's config.json", () => {
  let registry: TestRegistry, dir: string, wasm: string;
  const user = "fleet",
    password = "s3cret-pass";
  const config = async (name: string, auths: object) => {
    const d = join(dir, name);
    await mkdir(d, { recursive: true });
    await writeFile(join(d, "config.json"), JSON.stringify({ auths }));
    return { DOCKER_CONFIG: d };
  };
  beforeAll(async () => {
    dir = await tempDir("isoplace-oci-auth-");
    registry = await TestRegistry.start({ htpasswd: { user, password } });
    wasm = join(dir, "policy.wasm");
    await writeFile(wasm, await defaultSource().then(build));
    await isoplace({}, "policy", "keygen", "--out", join(dir, "keys"));
    await isoplace({}, "policy", "sign", wasm, "--key", join(dir, "keys", "policy.key"));
  });
  afterAll(async () => {
    await registry?.destroy();
  });

  it("push and pull with the base64 auth of config.json (as docker login writes it), and with username/password", async () => {
    const good = await config("good", { [registry.host]: { auth: Buffer.from(`${user}:${password}`).toString("base64") } });
    const push = await isoplace(good, "policy", "push", wasm, `oci://${registry.host}/private/policy:v1`);
    expect(push.stderr).toBe(push.code === 0 ? push.stderr : "");
    expect(push.code).toBe(0);
    const plain = await config("plain", { [`http://${registry.host}/v2/`]: { username: user, password } });
    const pull = await isoplace(plain, "policy", "pull", `oci://${registry.host}/private/policy:v1`, "--out", join(dir, "pulled.wasm"));
    expect(pull.code).toBe(0);
    expect(await readFile(join(dir, "pulled.wasm"))).toEqual(await readFile(wasm));
  });

  it("a wrong password and missing credentials are clear errors (exit 2)", async () => {
    const wrong = await config("wrong", { [registry.host]: { auth: Buffer.from(`${user}:not-it`).toString("base64") } });
    const none = await config("none", { "other.example:5000": { auth: Buffer.from("a:b").toString("base64") } });
    const [w, n] = await Promise.all([
      isoplace(wrong, "policy", "pull", `oci://${registry.host}/private/policy:v1`, "--out", join(dir, "x.wasm")),
      isoplace(none, "policy", "pull", `oci://${registry.host}/private/policy:v1`, "--out", join(dir, "x.wasm")),
    ]);
    expect(w.code).toBe(2);
    expect(w.stderr).toMatch(new RegExp(`${registry.host} refused the user name and password for "${user}" from .*config.json \\(wrong password\\?\\)`));
    expect(n.code).toBe(2);
    expect(n.stderr).toMatch(new RegExp(`${registry.host} requires credentials and .*config.json has none for "${registry.host}"`));
  });
});
