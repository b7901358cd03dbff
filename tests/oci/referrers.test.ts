// Several signatures on one policy manifest, on the registry that serves the referrers API
// (go-containerregistry's, a peer): the agent and `policy pull --pub` verify every one and take a
// valid statement, whatever the unverified annotations say and whatever junk lies beside it — a
// second key's signature during a key rotation, another tool's artifact, a malformed envelope, a
// statement for other bytes. A list in pages is followed up to its cap, and a registry that refuses
// the referrers endpoint with 400/403/405 (not 404) gets the .sig tag. No registry reachable here
// pages its referrers or answers 405, so those two are played by a proxy in front of the real one
// (support/front.ts); everything else is the registry's own answer.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startAgent, type Agent } from "../../host/node/agent.ts";
import type { OciSource } from "../../host/delivery/source-oci.ts";
import { MAX_REFERRERS, parseReference, Repository } from "../../host/oci/index.ts";
import { MAX_REFERRER_PAGES } from "../../host/oci/policy.ts";
import { build, defaultSource, keyFiles, policyStatus, sign, silent, tempDir, variantSource, type KeyFiles } from "../shipping/support/fixtures.ts";
import { needsPeers } from "../support/peers.ts";
import { RegistryFront } from "./support/front.ts";
import { attach, publish } from "./support/publish.ts";
import { haveImpl, REGISTRIES, startRegistry, type TestRegistry } from "./support/registry.ts";
import { isoplace } from "./support/tools.ts";

const GGCR = REGISTRIES.find((r) => r.referrersApi)!;
const V2 = "2025.11.15-ref2",
  V3 = "2025.11.15-ref3";
const SIGNATURE = "application/vnd.isoplace.policy.signature.v1+json";

describe.skipIf(!haveImpl(GGCR))(needsPeers(`several signatures on one policy, on ${GGCR.title}`, GGCR.peer!), () => {
  let registry: TestRegistry, dir: string, keys: KeyFiles, other: KeyFiles, v1: Uint8Array, v2: Uint8Array, v3: Uint8Array;
  const agents: Agent[] = [];
  const fronts: RegistryFront[] = [];
  let n = 0;
  /** A fresh repository's tag on the registry (or on a front of it). */
  const tagOn = (host: string, name = `p${++n}`) => `oci://${host}/referrers/${name}:live`;

  beforeAll(async () => {
    dir = await tempDir("isoplace-referrers-");
    [registry, v1, v2, v3, keys, other] = await Promise.all([
      startRegistry(GGCR),
      defaultSource().then(build),
      variantSource(V2, "K3s + WasmEdge 0.15.0 (ref v2)").then(build),
      variantSource(V3, "K3s + WasmEdge 0.15.0 (ref v3)").then(build),
      keyFiles(join(dir, "keys")),
      keyFiles(join(dir, "other")),
    ]);
  });
  afterEach(async () => {
    await Promise.all(agents.splice(0).map((a) => a.close()));
    await Promise.all(fronts.splice(0).map((f) => f.close()));
  });
  afterAll(async () => {
    await registry?.destroy();
  });

  async function agent(policy: string): Promise<Agent & { source: OciSource }> {
    const a = await startAgent({
      port: 0,
      logger: silent,
      builtIn: async () => v1,
      trustedKeys: keys.trusted,
      sourceOptions: { oci: {} },
      policy,
      dataDir: join(dir, `data-${++n}`),
      poll: { intervalMs: 300, jitter: 0.2, firstDelayMs: 0, maxBackoffMs: 300 },
    });
    agents.push(a);
    return a as Agent & { source: OciSource };
  }

  /** The active policy after the agent's first poll has been handled. */
  async function firstPoll(a: Agent & { source: OciSource }) {
    await a.source.checks.more(1);
    await a.manager.idle();
    return policyStatus(a.url);
  }

  const listed = async (ref: string, digest: string) => {
    const r = await new Repository(parseReference(ref)).referrers(digest, SIGNATURE, { maxBytes: 1 << 20, maxPages: 1 });
    return r!.referrers.map((d) => d.digest);
  };

  it("two signatures, the newer by a key the agent does not trust (a key rotation): the agent activates the older, valid one", async () => {
    const ref = tagOn(registry.host);
    const digest = await publish(ref, v2, await sign(v2, keys, { serial: 10 }), "2026-01-01T00:00:00.000Z");
    await attach(ref, digest, await sign(v2, other, { serial: 11 }), { created: "2030-01-01T00:00:00Z" });
    expect(await listed(ref, digest)).toHaveLength(2);
    const status = await firstPoll(await agent(ref));
    expect(status.active).toMatchObject({ version: V2, keyId: keys.trusted[0].id, serial: 10 });
  });

  it("junk beside a valid signature hides nothing: another tool's artifact, a malformed envelope, a higher serial for other bytes", async () => {
    const ref = tagOn(registry.host);
    const good = await sign(v2, keys, { serial: 20 });
    const digest = await publish(ref, v2, good, "2026-01-01T00:00:00.000Z");
    const later = { created: "2030-01-01T00:00:00Z" };
    await attach(ref, digest, JSON.stringify({ spdxVersion: "SPDX-2.3" }), { ...later, foreign: true });
    await attach(ref, digest, "{ not an envelope", later);
    await attach(ref, digest, await sign(v3, keys, { serial: 99 }), later); // v3's statement on v2's manifest
    expect(await listed(ref, digest)).toHaveLength(4);
    const status = await firstPoll(await agent(ref));
    expect(status.active).toMatchObject({ version: V2, serial: 20 });

    const out = join(dir, "junk.wasm");
    const pull = await isoplace(["policy", "pull", ref, "--out", out, "--pub", keys.pub]);
    expect(pull.code, pull.stderr).toBe(0);
    expect(pull.stderr).toMatch(/passed over: .* is not an isoplace signature \(artifactType application\/vnd\.example\.sbom\.v1\+json\)/);
    expect(pull.stderr).toMatch(/valid statement by key [0-9a-f]+: default 2025\.11\.15-ref2, serial 20/);
    expect(JSON.parse(await readFile(`${out}.sig`, "utf8"))).toEqual(JSON.parse(good)); // the valid one, whichever came first
  });

  it("of two valid statements for the module (a renewal beside the one it renews), the higher serial is taken, whatever the annotations say", async () => {
    const ref = tagOn(registry.host);
    const digest = await publish(ref, v2, await sign(v2, keys, { serial: 30 }), "2026-01-01T00:00:00.000Z");
    await attach(ref, digest, await sign(v2, keys, { serial: 25 }), { created: "2030-01-01T00:00:00Z" });
    const status = await firstPoll(await agent(ref));
    expect(status.active).toMatchObject({ version: V2, serial: 30 });
  });

  it("none valid: the refusal is the nearest miss and names the others; a valid signature attached later is found on a later poll", async () => {
    const ref = tagOn(registry.host);
    const digest = await publish(ref, v2, await sign(v2, other, { serial: 40 }));
    await attach(ref, digest, await sign(v2, keys, { serial: 41, expires: new Date(Date.now() - 60_000).toISOString() }));
    const a = await agent(ref);
    const status = await firstPoll(a);
    expect(status.active.version).not.toBe(V2);
    expect(status.lastError).toMatchObject({
      reason: "expired",
      message: expect.stringMatching(/expired at .*\(none of the 2 signed statements found passes: (signature, expired|expired, signature)\)/),
    });

    await attach(ref, digest, await sign(v2, keys, { serial: 42 }));
    for (let polls = 0; (await policyStatus(a.url)).active.version !== V2; polls++) {
      expect(polls, "activated within three polls of the attach").toBeLessThan(3);
      await a.source.checks.more(1);
      await a.manager.idle();
    }
    expect((await policyStatus(a.url)).active).toMatchObject({ version: V2, serial: 42, keyId: keys.trusted[0].id });
  });

  it('a referrers list in pages (Link: rel="next") is followed: the valid signature on the last page is found', async () => {
    const name = `paged${++n}`;
    const ref = tagOn(registry.host, name);
    const digest = await publish(ref, v2, await sign(v2, keys, { serial: 50 }));
    const [valid] = await listed(ref, digest);
    await attach(ref, digest, await sign(v2, other, { serial: 51 }));
    await attach(ref, digest, await sign(v2, other, { serial: 52 }));
    const front = await RegistryFront.start(registry.host, { kind: "pages", perPage: 1, last: valid });
    fronts.push(front);
    const pull = await isoplace(["policy", "pull", tagOn(front.host, name), "--out", join(dir, "paged.wasm"), "--pub", keys.pub]);
    expect(pull.code, pull.stderr).toBe(0);
    expect(pull.stderr).toMatch(/valid statement by key [0-9a-f]+: default 2025\.11\.15-ref2, serial 50/);
    expect(front.referrersAsked).toEqual([
      `/v2/referrers/${name}/referrers/${digest}?artifactType=${encodeURIComponent(SIGNATURE)}`,
      `/v2/referrers/${name}/referrers/${digest}?page=2`,
      `/v2/referrers/${name}/referrers/${digest}?page=3`,
    ]);
  });

  it(`a list that never ends is read for ${MAX_REFERRER_PAGES} pages, and at most ${MAX_REFERRERS} of its signatures`, async () => {
    const name = `endless${++n}`;
    const ref = tagOn(registry.host, name);
    const digest = await publish(ref, v2, await sign(v2, keys, { serial: 60 }));
    const front = await RegistryFront.start(registry.host, { kind: "pages", perPage: 100, endless: true });
    fronts.push(front);
    const pull = await isoplace(["policy", "pull", tagOn(front.host, name), "--out", join(dir, "endless.wasm"), "--pub", keys.pub]);
    expect(pull.code, pull.stderr).toBe(0);
    expect(pull.stderr).toMatch(new RegExp(`passed over: .*the referrers API's list goes on past ${MAX_REFERRER_PAGES} pages`));
    expect(front.referrersAsked).toHaveLength(MAX_REFERRER_PAGES);

    // more signatures than the cap: the first MAX_REFERRERS listed are read, and the pull says so
    for (let i = 0; i < MAX_REFERRERS; i++) await attach(ref, digest, await sign(v2, other, { serial: 61 + i }));
    const capped = await isoplace(["policy", "pull", ref, "--out", join(dir, "capped.wasm")]);
    expect(capped.code, capped.stderr).toBe(0);
    expect(capped.stderr).toContain(`lists ${MAX_REFERRERS + 1} signatures; only the first ${MAX_REFERRERS} were read`);
    expect(capped.stderr).toMatch(new RegExp(`the first of ${MAX_REFERRERS} found, unverified \\(--pub KEY keeps the one a trusted key signed\\)`));
  });

  it.each([405, 400, 403])(
    "a registry that answers %i (not 404) on the referrers endpoint: push writes the .sig tag and moves the tag; pull finds it there",
    async (status) => {
      const name = `refused${status}`;
      const front = await RegistryFront.start(registry.host, { kind: "status", status });
      fronts.push(front);
      const wasm = join(dir, `${name}.wasm`);
      await writeFile(wasm, v3);
      await writeFile(`${wasm}.sig`, `${await sign(v3, keys, { serial: 70 })}\n`);
      const push = await isoplace(["policy", "push", wasm, tagOn(front.host, name)]);
      expect(push.code, push.stderr).toBe(0);
      expect(push.stderr).toMatch(/signature \(tagged sha256-<hex>\.sig\)/);
      expect(front.referrersAsked.length).toBeGreaterThan(0);
      const pull = await isoplace(["policy", "pull", tagOn(front.host, name), "--out", join(dir, `${name}-pulled.wasm`), "--pub", keys.pub]);
      expect(pull.code, pull.stderr).toBe(0);
      expect(pull.stderr).toMatch(/serial 70/);
      expect(pull.stderr).toMatch(/signature \(tagged sha256-<hex>\.sig\)/);
    },
  );
});
