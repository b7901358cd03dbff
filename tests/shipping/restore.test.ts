// Issue 22, finding 4: no module code before its statement is verified, on every path that starts
// from the data directory. On main at 5930eb5 `serve --runtimes … --data-dir …` loaded the stored
// policy to read its runtime ids before its signature was checked (a stored module ran first:
// here, runtime ids taken from a module no trusted key signed were accepted), and a stored module
// refused at start sent the agent to the built-in default although an earlier good one was kept.
// Real agents: `isoplace serve` as a child process; the data directories are written by an
// in-process agent taking admin PUTs, as in service.
import { cp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgent } from "../../host/node/agent.ts";
import { spawnChild } from "../support/child.ts";
import { agentEntry, spawnAgent } from "../hardening/support/agent-process.ts";
import { build, keyFiles, sign, silent, tempDir, variantSource, type KeyFiles } from "./support/fixtures.ts";

const TOKEN = "test-admin-token-0123456789abcdef";
let root: string, trusted: KeyFiles, other: KeyFiles, youki: Uint8Array, later: Uint8Array;

/** A variant of the default policy with one more runtime, youki (a copy of containerd's entry). */
async function youkiVariant(): Promise<Uint8Array> {
  const text = await variantSource("2025.11.15-youki", "K3s + WasmEdge 0.14.1 (youki)");
  const line = text.split("\n").find((l) => /^\s*- \{ id: containerd,/.test(l));
  if (!line) throw new Error("the default policy source has no containerd runtime line: update tests/shipping/restore.test.ts");
  return build(text.replace(line, `${line}\n${line.replace("id: containerd", "id: youki").replace("name: containerd", "name: youki")}`));
}

/** A data directory holding `modules` activated in this order (the last one active), signed by `trusted`. */
async function dataDir(name: string, modules: Uint8Array[]): Promise<string> {
  const dir = join(root, name);
  const agent = await startAgent({ port: 0, logger: silent, dataDir: dir, trustedKeys: trusted.trusted, adminToken: TOKEN });
  try {
    for (const m of modules) {
      const res = await fetch(`${agent.url}/v1/policy`, {
        method: "PUT",
        body: m as BufferSource,
        headers: { "content-type": "application/wasm", "isoplace-signature": await sign(m, trusted), authorization: `Bearer ${TOKEN}` },
      });
      if (res.status !== 200) throw new Error(`PUT: ${res.status} ${await res.text()}`);
    }
  } finally {
    await agent.close();
  }
  return dir;
}

/** Flips a byte in the middle of a stored module (its statement no longer matches). */
async function tamper(dir: string, module: Uint8Array): Promise<void> {
  const { sha256Hex } = await import("../../host/engine/digest.ts");
  const file = join(dir, "modules", `${await sha256Hex(module)}.wasm`);
  const bytes = await readFile(file);
  bytes[bytes.length >> 1] ^= 0x01;
  await writeFile(file, bytes);
}

beforeAll(async () => {
  root = await tempDir("isoplace-restore-");
  [trusted, other, youki, later] = await Promise.all([
    keyFiles(join(root, "trusted")),
    keyFiles(join(root, "other")),
    youkiVariant(),
    variantSource("2025.11.15-later", "K3s + WasmEdge 0.14.1 (later)").then(build),
  ]);
}, 180_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** `serve` to its first sign: the exit (with its output), or listening (then it is killed and that is said). */
async function serveOutcome(args: string[]): Promise<{ code: number | null; output: string } | { listening: string }> {
  const c = spawnChild(process.execPath, [agentEntry(), "serve", "--port", "0", ...args], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp" },
  });
  const listening = c
    .waitForLine((l) => l.includes('"msg":"isoplace agent listening"'), "listening", 60_000)
    .then(
      (line) => ({ line }),
      () => undefined,
    );
  const first = await Promise.race([c.exited.then((e) => ({ exit: e })), listening]);
  if (first && "line" in first) {
    await c.stop("SIGKILL");
    return { listening: first.line };
  }
  const e = await c.exited;
  return { code: e.code, output: c.output() };
}

describe("serve --runtimes with --data-dir: the stored policy's runtime ids count only once its statement verifies", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await dataDir("youki", [youki]);
  }, 60_000);

  it("signed by a key trusted now: youki is a runtime of this node", async () => {
    const agent = await spawnAgent(["--runtimes", "youki,containerd", "--data-dir", dir, "--trusted-key", trusted.pub]);
    try {
      const status = await (await fetch(`${agent.url}/v1/policy`)).json();
      expect(status.active.version).toBe("2025.11.15-youki");
      const d = await (await fetch(`${agent.url}/v1/decide`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })).json();
      expect(d.node).toEqual({ source: "configured", runtimes: ["youki", "containerd"] });
    } finally {
      await agent.kill();
    }
  });

  it("signed by a key no longer trusted: its code never runs, so youki is unknown — exit 2 naming --runtimes", async () => {
    const r = await serveOutcome(["--runtimes", "youki", "--data-dir", dir, "--trusted-key", other.pub]);
    expect(r).toMatchObject({ code: 2, output: expect.stringMatching(/--runtimes: unknown runtime "youki"/) });
  });

  it("its bytes altered on disk: the same (the statement names other bytes)", async () => {
    const altered = join(root, "youki-altered");
    await cp(dir, altered, { recursive: true });
    await tamper(altered, youki);
    const r = await serveOutcome(["--runtimes", "youki", "--data-dir", altered, "--trusted-key", trusted.pub]);
    expect(r).toMatchObject({ code: 2, output: expect.stringMatching(/--runtimes: unknown runtime "youki"/) });
  });
});

describe("at start, a stored module whose bytes no longer match its statement", () => {
  it("is refused (digest), and the agent starts on the next good one kept, ready when it listens", async () => {
    const clean = await dataDir("two", [youki, later]);
    const altered = join(root, "two-altered");
    await cp(clean, altered, { recursive: true });
    await tamper(altered, later);
    expect((await readdir(join(altered, "modules"))).filter((f) => f.endsWith(".wasm"))).toHaveLength(2);

    const usual = await spawnAgent(["--data-dir", clean, "--trusted-key", trusted.pub]);
    const usualStatus = await (await fetch(`${usual.url}/v1/policy`)).json();
    await usual.kill();
    expect(usualStatus.active.version).toBe("2025.11.15-later");

    const agent = await spawnAgent(["--data-dir", altered, "--trusted-key", trusted.pub]);
    try {
      console.log(`restore: start with the last module altered ${agent.startMs.toFixed(0)} ms (its usual start here: ${usual.startMs.toFixed(0)} ms)`);
      expect((await fetch(`${agent.url}/readyz`)).status).toBe(200);
      const status = await (await fetch(`${agent.url}/v1/policy`)).json();
      expect(status.active).toMatchObject({ version: "2025.11.15-youki", source: "admin" });
      expect(status.history.map((h: { source: string }) => h.source)).toEqual(["built-in"]); // the altered one dropped
      expect(status.lastError).toMatchObject({ reason: "digest" });
      const metrics = await (await fetch(`${agent.url}/metrics`)).text();
      expect(metrics).toMatch(/isoplace_policy_rejections_total\{reason="digest"\} 1/);
      expect(agent.output()).toMatch(/serving an earlier policy from the data directory/);
    } finally {
      await agent.kill();
    }
  });
});
