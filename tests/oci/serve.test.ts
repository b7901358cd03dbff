// The agent with --policy oci://… against a real registry (Debian's docker-registry, started
// here): a tag polled with HEAD + If-None-Match picks up a new push within one poll interval;
// every bad delivery is refused with its reason while the agent keeps serving; a pinned digest
// is fetched once; a restart with the registry down serves the persisted policy.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { promisify } from "node:util";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startAgent, type Agent, type AgentOptions } from "../../host/node/agent.ts";
import type { OciSource } from "../../host/delivery/source-oci.ts";
import { parseManifest } from "../../host/oci/index.ts";
import {
  build,
  defaultSource,
  edgeDecision,
  keyFiles,
  policyStatus,
  sign,
  silent,
  tempDir,
  variantSource,
  type KeyFiles,
} from "../shipping/support/fixtures.ts";
import { manifestBytes, publish, publishUnsigned, retag } from "./support/publish.ts";
import { freePort, haveRegistry, TestRegistry } from "./support/registry.ts";
import { PACKAGE_ROOT } from "../../host/package.ts";

const MAIN = join(PACKAGE_ROOT, "host", "cli", "main.ts");

const V2 = "2025.11.15-oci2",
  V2_STACK = "K3s + WasmEdge 0.15.0 (oci v2)";
const V3 = "2025.11.15-oci3",
  V3_STACK = "K3s + WasmEdge 0.15.0 (oci v3)";
const V4 = "2025.11.15-oci4",
  V4_STACK = "K3s + WasmEdge 0.15.0 (oci v4)";
const INTERVAL_MS = 400,
  JITTER = 0.2;

describe.skipIf(!haveRegistry())("serve --policy oci://… against a real registry", () => {
  let registry: TestRegistry, root: string, keys: KeyFiles, other: KeyFiles;
  let v1: Uint8Array, v2: Uint8Array, v3: Uint8Array, v4: Uint8Array;
  const agents: Agent[] = [];

  beforeAll(async () => {
    root = await tempDir("isoplace-oci-serve-");
    [registry, v1, v2, v3, v4, keys, other] = await Promise.all([
      TestRegistry.start(),
      defaultSource().then(build),
      variantSource(V2, V2_STACK).then(build),
      variantSource(V3, V3_STACK).then(build),
      variantSource(V4, V4_STACK).then(build),
      keyFiles(join(root, "keys")),
      keyFiles(join(root, "other")),
    ]);
  });
  afterEach(async () => {
    await Promise.all(agents.splice(0).map((a) => a.close()));
  });
  afterAll(async () => {
    await registry?.destroy();
    await rm(root, { recursive: true, force: true });
  });

  async function agent(o: Partial<AgentOptions>): Promise<Agent & { source: OciSource }> {
    const a = await startAgent({
      port: 0,
      logger: silent,
      builtIn: async () => v1,
      trustedKeys: keys.trusted,
      sourceOptions: { oci: {} },
      poll: { intervalMs: INTERVAL_MS, jitter: JITTER, firstDelayMs: 0, maxBackoffMs: INTERVAL_MS },
      ...o,
    });
    agents.push(a);
    return a as Agent & { source: OciSource };
  }

  /** Waits on the source's poll events until `done` holds; at most `polls` polls. */
  async function afterPolls(a: Agent & { source: OciSource }, polls: number, done: () => Promise<boolean>): Promise<number> {
    for (let n = 1; n <= polls; n++) {
      await a.source.checks.more(1);
      await a.manager.idle();
      if (await done()) return n;
    }
    throw new Error(`not done after ${polls} polls`);
  }

  it("picks up a newly pushed policy within one poll interval, with one download per version and 304s otherwise", async () => {
    const ref = `oci://${registry.host}/isoplace/edge:live`;
    await publish(ref, v2, await sign(v2, keys));
    const a = await agent({ policy: ref, dataDir: join(root, "data-pickup") });
    await afterPolls(a, 3, async () => (await policyStatus(a.url)).active.version === V2);
    expect((await policyStatus(a.url)).active.source).toBe(`oci:${registry.host}/isoplace/edge:live`);
    expect((await edgeDecision(a.url)).stack).toBe(V2_STACK);

    // nothing new: the polls are HEADs answered 304
    const before = { ...a.source.stats };
    await a.source.checks.more(3);
    expect(a.source.stats.notModified - before.notModified).toBeGreaterThanOrEqual(3);
    expect(a.source.stats.downloads).toBe(before.downloads);

    await publish(ref, v3, await sign(v3, keys));
    const fetching = registry.mark();
    // the poll in flight during the push may have looked before it: the next one must find it
    const polls = await afterPolls(a, 2, async () => (await policyStatus(a.url)).active.version === V3);
    expect(polls).toBeLessThanOrEqual(2);
    expect((await edgeDecision(a.url)).stack).toBe(V3_STACK);
    expect(a.source.stats.downloads).toBe(before.downloads + 1);
    // a new version costs six GETs besides the HEAD, this registry having no referrers API: the manifest, the
    // module, the API's 404, the .sig tag's manifest, its envelope, the referrers tag schema index's 404
    const gets = registry
      .responses(fetching)
      .filter((r) => r.method === "GET")
      .map((r) => `${r.uri.replace(/sha256[:-][a-f0-9]{64}/g, "D")} ${r.status}`);
    expect(gets.sort()).toEqual([
      "/v2/isoplace/edge/blobs/D 200",
      "/v2/isoplace/edge/blobs/D 200",
      "/v2/isoplace/edge/manifests/D 200",
      "/v2/isoplace/edge/manifests/D 404",
      "/v2/isoplace/edge/manifests/D.sig 200",
      `/v2/isoplace/edge/referrers/D?artifactType=${encodeURIComponent("application/vnd.isoplace.policy.signature.v1+json")} 404`,
    ]);

    // the registry saw conditional HEADs answered 304, and one GET of each module's blob
    const log = registry.responses();
    expect(log.filter((r) => r.method === "HEAD" && r.uri === "/v2/isoplace/edge/manifests/live" && r.status === 304).length).toBeGreaterThanOrEqual(3);
    const modules = log.filter((r) => r.method === "GET" && r.uri.includes("/blobs/") && r.status === 200);
    expect(modules.length).toBe(4); // the module and the signature envelope, once for each of v2 and v3 (the agent skips the config)
  });

  it("refuses an older serial, a tampered blob, a manifest that does not match its digest, an expired statement, an unsigned artifact and an untrusted key, each with its reason, while serving the active policy", async () => {
    const ref = `oci://${registry.host}/isoplace/guarded:live`;
    await publish(ref, v3, await sign(v3, keys, { serial: 5000 }));
    const a = await agent({ policy: ref, dataDir: join(root, "data-guarded") });
    await afterPolls(a, 3, async () => (await policyStatus(a.url)).active.version === V3).catch(async (e) => {
      throw new Error(`${e.message} ${JSON.stringify(await policyStatus(a.url))} ${JSON.stringify(a.source.stats)}`);
    });

    const refused = async (what: string, reason: RegExp, message: RegExp) => {
      await afterPolls(a, 3, async () => reason.test((await policyStatus(a.url)).lastError?.reason ?? "")).catch(async (err) => {
        throw new Error(`${what}: ${err.message}: ${JSON.stringify((await policyStatus(a.url)).lastError)}`);
      });
      const status = await policyStatus(a.url);
      expect(status.lastError?.message, what).toMatch(message);
      expect(status.active.version, what).toBe(V3);
      expect((await edgeDecision(a.url)).stack, what).toBe(V3_STACK);
    };

    await publish(ref, v2, await sign(v2, keys, { serial: 4000 }));
    await refused("older serial", /^serial-lower$/, /serial 4000 .* lower than 5000/);

    await publish(ref, v3, await sign(v3, keys, { serial: 6000, expires: new Date(Date.now() - 60_000).toISOString() }));
    await refused("expired", /^expired$/, /expired at/);

    await publishUnsigned(ref, v2);
    await refused("unsigned", /^signature$/, /unsigned/);

    // a compromised registry: a manifest's bytes changed on its disk, so they no longer match the digest the tag names
    const staged = `oci://${registry.host}/isoplace/guarded:staged`;
    const changed = await publish(staged, v2, await sign(v2, keys, { serial: 6500 }));
    const changedBytes = await manifestBytes(staged, changed);
    await registry.tamper(changed, new TextDecoder().decode(changedBytes).indexOf("policy.wasm")); // still JSON: p → q
    await retag(ref, changedBytes, changed);
    await refused("manifest digest", /^digest$/, /the manifest's digest is sha256:[a-f0-9]{64}, not sha256:/);

    await publish(ref, v2, await sign(v2, other, { serial: 7000 }));
    await refused("untrusted key", /^signature$/, /matches none of the 1 trusted key/);

    // …and a module blob changed on its disk under the same digest
    const tampered = await publish(staged, v4, await sign(v4, keys, { serial: 8000 }));
    const tamperedBytes = await manifestBytes(staged, tampered);
    await registry.tamper(parseManifest(tamperedBytes, "m").layers[0].digest);
    await retag(ref, tamperedBytes, tampered);
    await refused("tampered blob", /^digest$/, /module: its content's digest is sha256:[a-f0-9]{64}, not sha256:/);
  });

  it("a pinned digest is fetched once; a restart with the registry down serves the persisted policy, and polling resumes with a 304 when it is back", async () => {
    const ref = `oci://${registry.host}/isoplace/pinned:live`;
    const digest = await publish(ref, v2, await sign(v2, keys));
    const pinnedRef = `oci://${registry.host}/isoplace/pinned@${digest}`;
    const dataDir = join(root, "data-pinned");
    const a = await agent({ policy: pinnedRef, dataDir });
    await afterPolls(a, 3, async () => (await policyStatus(a.url)).active.version === V2);
    expect((await policyStatus(a.url)).active.source).toBe(`oci:${registry.host}/isoplace/pinned@${digest}`);
    const polls = a.source.stats.polls;
    await a.close();
    agents.length = 0;
    expect(polls).toBe(1);

    // restart on the same data directory: the pinned digest is already there, the registry is not asked
    const seen = registry.responses().length;
    const b = await agent({ policy: pinnedRef, dataDir });
    expect((await policyStatus(b.url)).active.version).toBe(V2);
    await b.close();
    agents.length = 0;
    expect(registry.responses().length).toBe(seen);

    // a tag, then the registry goes down and the agent restarts
    const tagDir = join(root, "data-down");
    const c = await agent({ policy: ref, dataDir: tagDir });
    await afterPolls(c, 3, async () => (await policyStatus(c.url)).active.version === V2);
    await c.close();
    agents.length = 0;
    await registry.stop();
    try {
      const d = await agent({ policy: ref, dataDir: tagDir });
      expect((await policyStatus(d.url)).active).toMatchObject({ version: V2, source: `oci:${registry.host}/isoplace/pinned:live` });
      await afterPolls(d, 3, async () => (await policyStatus(d.url)).lastError?.reason === "source");
      expect((await policyStatus(d.url)).lastError?.message).toMatch(/ECONNREFUSED/);
      expect((await edgeDecision(d.url)).stack).toBe(V2_STACK);
      await registry.restart();
      // back: the persisted ETag still matches, so the tag costs a 304 and nothing is downloaded
      await afterPolls(d, 20, async () => d.source.stats.notModified > 0);
      expect(d.source.stats.downloads).toBe(0);
      expect((await policyStatus(d.url)).active.version).toBe(V2);
    } finally {
      if (!registry.running) await registry.restart();
    }
  });
});

describe.skipIf(!haveRegistry())("isoplace serve --policy oci://… (the command) with Basic auth from config.json", () => {
  let registry: TestRegistry, root: string;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    root = await tempDir("isoplace-oci-cmd-");
    registry = await TestRegistry.start({ htpasswd: { user: "edge", password: "pull-secret-1" } });
  });
  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      await exited;
    }
    await registry?.destroy();
    await rm(root, { recursive: true, force: true });
  });

  it("pulls the tag with the config.json of DOCKER_CONFIG and serves it", async () => {
    const [v2, keys] = await Promise.all([variantSource(V2, V2_STACK).then(build), keyFiles(join(root, "keys"))]);
    const auth = { auths: { [registry.host]: { auth: Buffer.from("edge:pull-secret-1").toString("base64") } } };
    await mkdir(join(root, "docker"));
    await writeFile(join(root, "docker", "config.json"), JSON.stringify(auth));
    const ref = `oci://${registry.host}/isoplace/edge:live`;
    const env = { ...process.env, DOCKER_CONFIG: join(root, "docker") };
    await writeFile(join(root, "p.wasm"), v2);
    await writeFile(join(root, "p.wasm.sig"), await sign(v2, keys));
    const push = await promisify(execFile)(process.execPath, [MAIN, "policy", "push", join(root, "p.wasm"), ref], { env });
    expect(push.stdout).toMatch(/@sha256:/);

    const port = await freePort();
    child = spawn(
      process.execPath,
      [MAIN, "serve", "--port", String(port), "--policy", ref, "--trusted-key", keys.pub, "--poll-interval", "0.5", "--insecure-registry", "registry.lan:5000"],
      { env, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    const activated = new Promise<void>((resolve, reject) => {
      child!.stdout!.on("data", (c: Buffer) => {
        out += c.toString();
        if (out.includes(V2)) resolve();
      });
      let err = "";
      child!.stderr!.on("data", (c: Buffer) => {
        err += c.toString();
      });
      child!.once("exit", (code) => reject(new Error(`serve exited ${code}: ${out} ${err}`)));
    });
    await activated;
    const status = await policyStatus(`http://127.0.0.1:${port}`);
    expect(status.active).toMatchObject({ version: V2, source: `oci:${registry.host}/isoplace/edge:live` });
    expect(out).not.toContain("pull-secret-1");
  });
});
