// --require-policy: an agent whose --policy has not delivered yet answers with the built-in
// policy but is not ready (GET /readyz 503, saying what it waits for) until a policy from that
// source is active; without the flag it is ready on the built-in policy at once.
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Activation } from "../../host/delivery/active.ts";
import { startAgent, type Agent, type AgentOptions } from "../../host/node/agent.ts";
import { build, DEFAULT_VERSION, defaultSource, keyFiles, sign, signHeader, silent, tempDir, variantSource, type KeyFiles } from "./support/fixtures.ts";

const V2 = "2025.11.15-required";
const TOKEN = "require-policy-token-0123456789";
let v1: Uint8Array, v2: Uint8Array, keys: KeyFiles, root: string;
const agents: Agent[] = [];

beforeAll(async () => {
  root = await tempDir("isoplace-require-");
  [v1, v2, keys] = await Promise.all([defaultSource().then(build), variantSource(V2, "K3s + WasmEdge (required)").then(build), keyFiles(join(root, "keys"))]);
}, 180_000);
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.close()));
});
afterAll(() => rm(root, { recursive: true, force: true }));

async function agent(o: Partial<AgentOptions>): Promise<Agent> {
  const a = await startAgent({ port: 0, logger: silent, builtIn: async () => v1, trustedKeys: keys.trusted, watch: { debounceMs: 20, pollMs: 60_000 }, ...o });
  agents.push(a);
  return a;
}

const readyz = async (a: Agent) => {
  const res = await fetch(`${a.url}/readyz`);
  return { status: res.status, type: res.headers.get("content-type"), body: (await res.json()) as Record<string, any> };
};

describe("--require-policy", () => {
  it("not ready on the built-in policy; ready once the source's policy is active", async () => {
    const dir = join(root, "late");
    await mkdir(dir);
    const file = join(dir, "policy.wasm");
    const a = await agent({ policy: file, requirePolicy: true, adminToken: TOKEN });

    const waiting = await readyz(a);
    expect(waiting.status).toBe(503);
    expect(waiting.type).toBe("application/problem+json");
    expect(waiting.body.detail).toBe(`Waiting for a policy from file:${file} (--require-policy); GET /v1/policy shows the last check and error.`);
    // it answers all the same, with the built-in policy
    const d = await fetch(`${a.url}/v1/decide`, { method: "POST", body: "{}", headers: { "content-type": "application/json" } });
    expect(d.status).toBe(200);

    const activated = new Promise<Activation>((resolve) => a.policy.onActivate(resolve));
    await writeFile(`${file}.sig`, await sign(v2, keys));
    await writeFile(file, v2);
    expect((await activated).source).toBe(`file:${file}`);
    const ready = await readyz(a);
    expect(ready.status).toBe(200);
    expect(ready.body.policy.version).toBe(V2);

    // and stays ready when something else replaces it later: an admin PUT, then a rollback
    const admin = { authorization: `Bearer ${TOKEN}` };
    const put = await fetch(`${a.url}/v1/policy`, {
      method: "PUT",
      body: v1 as BufferSource,
      headers: { ...admin, "content-type": "application/wasm", "isoplace-signature": await signHeader(v1, keys) },
    });
    expect(put.status).toBe(200);
    expect((await put.json()).active).toMatchObject({ version: DEFAULT_VERSION, source: "admin" });
    expect((await readyz(a)).status).toBe(200);
    const rollback = await fetch(`${a.url}/v1/policy/rollback`, { method: "POST", headers: admin });
    expect(rollback.status).toBe(200);
    expect((await rollback.json()).active).toMatchObject({ version: V2, source: `file:${file}` });
    expect((await readyz(a)).status).toBe(200);
  });

  it("ready at once when the source delivers at start", async () => {
    const dir = join(root, "early");
    await mkdir(dir);
    const file = join(dir, "policy.wasm");
    await writeFile(`${file}.sig`, await sign(v2, keys));
    await writeFile(file, v2);
    const a = await agent({ policy: file, requirePolicy: true });
    expect((await readyz(a)).status).toBe(200);
  });

  it("without it, ready on the built-in policy while the source has nothing", async () => {
    const a = await agent({ policy: join(root, "missing", "policy.wasm") });
    const r = await readyz(a);
    expect(r.status).toBe(200);
    expect(r.body.policy.name).toBe("default");
  });
});
