// The agent's policy sources with real files and a real bundle server on 127.0.0.1: a watched
// file (a plain overwrite, and a Kubernetes ConfigMap's `..data` symlink swap) and a polled URL
// (ETag/304, a late signature, an outage with backoff, a restart while the URL is down).
import { mkdir, rename, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import pino from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { BundleServer } from "../../bench/fleet/bundle-server.ts";
import { startAgent, type Agent, type AgentOptions } from "../../host/node/agent.ts";
import type { UrlSource } from "../../host/delivery/source-url.ts";
import { registeredSchemes, sourceFor } from "../../host/node/sources.ts";
import {
  afterChecks,
  build,
  DEFAULT_EDGE_STACK,
  DEFAULT_VERSION,
  defaultSource,
  edgeDecision,
  keyFiles,
  policyStatus,
  sign,
  silent,
  tamper,
  tempDir,
  variantSource,
  type KeyFiles,
} from "./support/fixtures.ts";

const V2 = "2025.11.15-2",
  V2_STACK = "K3s + WasmEdge 0.15.0 (v2)";
let v1: Uint8Array, v2: Uint8Array, sig1: string, sig2: string;
let keys: KeyFiles, root: string;
const agents: Agent[] = [];
const servers: BundleServer[] = [];

beforeAll(async () => {
  root = await tempDir();
  [v1, v2, keys] = await Promise.all([defaultSource().then(build), variantSource(V2, V2_STACK).then(build), keyFiles(join(root, "keys"))]);
  [sig1, sig2] = await Promise.all([sign(v1, keys), sign(v2, keys)]);
});

afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
afterAll(() => rm(root, { recursive: true, force: true }));

async function agent(o: Partial<AgentOptions>): Promise<Agent> {
  const a = await startAgent({ port: 0, logger: silent, builtIn: async () => v1, trustedKeys: keys.trusted, ...o });
  agents.push(a);
  return a;
}

const activeVersion = async (a: Agent) => (await policyStatus(a.url)).active.version;

describe("a watched file", () => {
  it("serves the file at start, then activates an overwrite of it (and its .sig)", async () => {
    const dir = join(root, "plain");
    await mkdir(dir);
    const file = join(dir, "policy.wasm");
    await writeFile(`${file}.sig`, sig2);
    await writeFile(file, v2);
    const a = await agent({ policy: file, watch: { debounceMs: 50, pollMs: 60_000 } });
    expect((await policyStatus(a.url)).active).toMatchObject({ version: V2, source: `file:${file}` });
    expect((await edgeDecision(a.url)).stack).toBe(V2_STACK);

    await writeFile(`${file}.sig`, await sign(v1, keys)); // a later statement: a higher serial
    await writeFile(file, v1);
    await afterChecks(a, (s) => s.active.version === DEFAULT_VERSION);
    expect((await edgeDecision(a.url)).stack).toBe(DEFAULT_EDGE_STACK);
  });

  it("activates a ConfigMap update (the ..data symlink swap), and rejects a tampered one", async () => {
    // the kubelet's layout: FILE → ..data/FILE, ..data → ..<timestamp>/, swapped by rename
    const dir = join(root, "configmap");
    await mkdir(join(dir, "..2025_11_15_a"), { recursive: true });
    await writeFile(join(dir, "..2025_11_15_a", "policy.wasm"), v1);
    await writeFile(join(dir, "..2025_11_15_a", "policy.wasm.sig"), sig1);
    await symlink("..2025_11_15_a", join(dir, "..data"));
    await symlink("..data/policy.wasm", join(dir, "policy.wasm"));
    await symlink("..data/policy.wasm.sig", join(dir, "policy.wasm.sig"));
    const swap = async (name: string, wasm: Uint8Array, sig: string) => {
      await mkdir(join(dir, name));
      await writeFile(join(dir, name, "policy.wasm"), wasm);
      await writeFile(join(dir, name, "policy.wasm.sig"), sig);
      await symlink(name, join(dir, "..data_tmp"));
      await rename(join(dir, "..data_tmp"), join(dir, "..data"));
    };

    const file = join(dir, "policy.wasm");
    const a = await agent({ policy: file, watch: { debounceMs: 50, pollMs: 60_000 } });
    expect((await policyStatus(a.url)).active).toMatchObject({ version: DEFAULT_VERSION, source: `file:${file}` });

    await swap("..2025_11_15_b", v2, sig2);
    await afterChecks(a, (s) => s.active.version === V2);
    expect((await edgeDecision(a.url)).stack).toBe(V2_STACK);

    await swap("..2025_11_15_c", tamper(v1), await sign(v1, keys));
    await afterChecks(a, (s) => s.lastError?.reason === "digest");
    expect(await activeVersion(a)).toBe(V2);
    expect((await edgeDecision(a.url)).stack).toBe(V2_STACK);
  });

  it("the file read at start is persisted: a restart serves it from the data dir even when the file is gone", async () => {
    const dir = join(root, "persist-file");
    await mkdir(dir);
    const file = join(dir, "policy.wasm");
    await writeFile(`${file}.sig`, sig2);
    await writeFile(file, v2);
    const dataDir = join(root, "data-file");
    const first = await agent({ policy: file, dataDir, watch: { pollMs: 60_000 } });
    expect(await activeVersion(first)).toBe(V2);
    await first.close();
    await rm(dir, { recursive: true });

    const second = await agent({ policy: file, dataDir, watch: { pollMs: 60_000 } });
    expect((await policyStatus(second.url)).active).toMatchObject({ version: V2, source: `file:${file}` });
    expect((await edgeDecision(second.url)).stack).toBe(V2_STACK);
    await afterChecks(second, (s) => s.lastError?.reason === "source");
    expect(await activeVersion(second)).toBe(V2);
  });

  it("a file that appears later is activated; a rollback holds across a restart while it is unchanged; a new one still activates", async () => {
    const dir = join(root, "rollback-file");
    await mkdir(dir);
    const file = join(dir, "policy.wasm");
    const dataDir = join(root, "data-rollback");
    const token = "rollback-token-0123456789abcdef";
    // no file yet (an optional ConfigMap not created): the built-in default; then the file appears
    const first = await agent({ policy: file, dataDir, adminToken: token, watch: { debounceMs: 50, pollMs: 100 } });
    expect((await policyStatus(first.url)).active.source).toBe("built-in");
    await writeFile(`${file}.sig`, sig2);
    await writeFile(file, v2);
    await afterChecks(first, (s) => s.active.version === V2);
    const res = await fetch(`${first.url}/v1/policy/rollback`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(await activeVersion(first)).toBe(DEFAULT_VERSION);
    await first.source!.checks!.more(3); // a few file reads: the unchanged file is not offered again
    expect(await activeVersion(first)).toBe(DEFAULT_VERSION);
    await first.close();

    const second = await agent({ policy: file, dataDir, watch: { debounceMs: 50, pollMs: 100 } });
    await second.source!.checks!.reach(3);
    expect(await activeVersion(second)).toBe(DEFAULT_VERSION);

    const v2b = await build(await variantSource("2025.11.15-3", V2_STACK));
    await writeFile(`${file}.sig`, await sign(v2b, keys));
    await writeFile(file, v2b);
    await afterChecks(second, (s) => s.active.version === "2025.11.15-3");
  });

  it("falls back to polling the file when no change event arrives", async () => {
    const dir = join(root, "poll");
    await mkdir(dir);
    const file = join(dir, "policy.wasm");
    await writeFile(`${file}.sig`, sig1);
    await writeFile(file, v1);
    const a = await agent({ policy: file, watch: { debounceMs: 60_000, pollMs: 100 } }); // events never fire in time
    await writeFile(`${file}.sig`, sig2);
    await writeFile(file, v2);
    await afterChecks(a, (s) => s.active.version === V2);
  });
});

describe("--policy that cannot be read at start", () => {
  it("a typo'd path is warned about once, shown in GET /v1/policy and counted; the built-in serves meanwhile", async () => {
    const lines: { level: number; msg: string; source?: string }[] = [];
    const logger = pino({ level: "info" }, { write: (l: string) => void lines.push(JSON.parse(l)) });
    const file = join(root, "no-such-dir", "polcy.wasm");
    const a = await agent({ policy: file, logger, watch: { debounceMs: 50, pollMs: 50 } });
    const s = await policyStatus(a.url);
    expect(s.active.source).toBe("built-in");
    expect(s.lastError).toMatchObject({ reason: "source", message: expect.stringContaining(file) });
    await a.source!.checks!.reach(4); // the file was looked for again a few times…
    const warnings = lines.filter((l) => l.level === 40 && JSON.stringify(l).includes(file));
    expect(warnings).toHaveLength(1); // …and warned about once
    const metrics = await (await fetch(`${a.url}/metrics`)).text();
    expect(metrics).toMatch(/^isoplace_policy_rejections_total\{reason="source"\} 1$/m);
    expect((await fetch(`${a.url}/readyz`)).status).toBe(200);
  });

  it("sources are chosen by scheme: a bare path and file:// are files, an unknown scheme names the supported ones", () => {
    expect(registeredSchemes()).toEqual(expect.arrayContaining(["file", "http", "https"]));
    expect(sourceFor("/etc/isoplace/policy.wasm").key).toBe("file:/etc/isoplace/policy.wasm");
    expect(sourceFor(pathToFileURL("/etc/isoplace/policy.wasm").href).key).toBe("file:/etc/isoplace/policy.wasm");
    expect(sourceFor("https://cdn.example/p/policy.wasm?token=secret").key).toBe("url:https://cdn.example/p/policy.wasm?…");
    expect(() => sourceFor("ftp://host/policy.wasm")).toThrow(/"ftp:\/\/" is not supported; supported: .*file:\/\/.*https:\/\//);
  });
});

describe("a polled URL", () => {
  it("activates what is published, with If-None-Match: one download per version, 304s otherwise", async () => {
    const server = await BundleServer.start();
    servers.push(server);
    server.publish(v2, sig2);
    const a = await agent({ policy: server.url, poll: { intervalMs: 100, jitter: 0.2, firstDelayMs: 0 } });
    await afterChecks(a, (s) => s.active.version === V2);
    expect((await policyStatus(a.url)).active.source).toBe(`url:${server.url}`);

    await afterChecks(a, () => server.counts.notModified >= 3);
    expect(server.counts.full).toBe(1);

    server.publish(v1, await sign(v1, keys));
    await afterChecks(a, (s) => s.active.version === DEFAULT_VERSION);
    expect((await edgeDecision(a.url)).stack).toBe(DEFAULT_EDGE_STACK);
    expect(server.counts.full).toBe(2);
    expect(server.counts.sigFull).toBe(2);
    expect((await policyStatus(a.url)).lastCheck).not.toBeNull();
  });

  it("a signature published after its module is picked up without downloading the module again", async () => {
    const server = await BundleServer.start();
    servers.push(server);
    server.publish(v1, sig1);
    const a = await agent({ policy: server.url, poll: { intervalMs: 100, jitter: 0, firstDelayMs: 0 } });
    await afterChecks(a, () => server.counts.notModified >= 1);

    server.publish(v2, undefined); // the new module, still with the old module's statement
    await afterChecks(a, (s) => s.lastError?.reason === "digest");
    expect(await activeVersion(a)).toBe(DEFAULT_VERSION);
    server.publish(undefined, sig2);
    await afterChecks(a, (s) => s.active.version === V2);
    expect(server.counts.full).toBe(2);
  });

  it("an outage backs off exponentially and keeps serving; the next version still arrives", async () => {
    const server = await BundleServer.start();
    servers.push(server);
    server.publish(v1, sig1);
    const a = await agent({ policy: server.url, poll: { intervalMs: 50, jitter: 0, firstDelayMs: 0, maxBackoffMs: 400 } });
    const source = a.source as UrlSource;
    await source.checks.reach(2);

    server.failing = true;
    await afterChecks(a, () => source.stats.errors >= 4);
    expect(source.nextDelay()).toBeGreaterThanOrEqual(400); // 50, 100, 200, 400 (capped)
    expect((await policyStatus(a.url)).lastError).toMatchObject({ reason: "source", message: expect.stringContaining("HTTP 503") });
    expect((await edgeDecision(a.url)).stack).toBe(DEFAULT_EDGE_STACK);

    server.failing = false;
    server.publish(v2, sig2);
    await afterChecks(a, (s) => s.active.version === V2);
    expect(source.nextDelay()).toBe(50);
  });

  it("a restart while the URL is unreachable serves the last activated policy from the data dir", async () => {
    const server = await BundleServer.start();
    servers.push(server);
    server.publish(v2, sig2);
    const dataDir = join(root, "data-url");
    const url = server.url;
    const first = await agent({ policy: url, dataDir, poll: { intervalMs: 100, firstDelayMs: 0 } });
    await afterChecks(first, (s) => s.active.version === V2);
    await first.close();
    await server.close();
    servers.length = 0;

    const second = await agent({ policy: url, dataDir, poll: { intervalMs: 100, firstDelayMs: 0 } });
    expect((await policyStatus(second.url)).active).toMatchObject({ version: V2, source: `url:${url}` });
    expect((await fetch(`${second.url}/readyz`)).status).toBe(200);
    await afterChecks(second, (s) => s.lastError?.reason === "source");
    expect((await edgeDecision(second.url)).stack).toBe(V2_STACK);
  });

  it("after a restart the stored ETag is sent: an unchanged module is not downloaded again", async () => {
    const server = await BundleServer.start();
    servers.push(server);
    server.publish(v2, sig2);
    const dataDir = join(root, "data-etag");
    const first = await agent({ policy: server.url, dataDir, poll: { intervalMs: 100, firstDelayMs: 0 } });
    await afterChecks(first, (s) => s.active.version === V2);
    await first.close();
    server.resetCounts();

    const second = await agent({ policy: server.url, dataDir, poll: { intervalMs: 100, firstDelayMs: 0 } });
    await afterChecks(second, () => server.counts.notModified >= 2);
    expect(server.counts.full).toBe(0);
  });
});
