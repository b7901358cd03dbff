// The activation pipeline through a real agent (127.0.0.1, ephemeral port): each class of bad
// module is rejected with the active policy and its answers unchanged; a good one is activated;
// rollback returns the previous; a restart with the same data dir serves the last one activated.
import { readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startAgent, type Agent, type AgentOptions } from "../../host/node/agent.ts";
import { checkCandidate, MAX_MODULE_BYTES } from "../../host/delivery/pipeline.ts";
import {
  build,
  DEFAULT_EDGE_STACK,
  DEFAULT_VERSION,
  defaultSource,
  edgeDecision,
  failingSelfTestSource,
  keyFiles,
  policyStatus,
  signHeader as sign,
  silent,
  tamper,
  tempDir,
  variantSource,
  withMeta,
  type KeyFiles,
} from "./support/fixtures.ts";

const TOKEN = "test-admin-token-0123456789abcdef";
const V2 = "2025.11.15-2",
  V2_STACK = "K3s + WasmEdge 0.15.0 (v2)";

let v1: Uint8Array, v2: Uint8Array, selfTestBad: Uint8Array;
let trusted: KeyFiles, untrusted: KeyFiles, root: string;
const agents: Agent[] = [];

beforeAll(async () => {
  root = await tempDir();
  [v1, v2, selfTestBad, trusted, untrusted] = await Promise.all([
    defaultSource().then(build),
    variantSource(V2, V2_STACK).then(build),
    failingSelfTestSource().then(build),
    keyFiles(join(root, "trusted")),
    keyFiles(join(root, "untrusted")),
  ]);
});

afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.close()));
});

async function agent(o: Partial<AgentOptions> = {}): Promise<Agent> {
  const a = await startAgent({ port: 0, logger: silent, builtIn: async () => v1, trustedKeys: trusted.trusted, adminToken: TOKEN, ...o });
  agents.push(a);
  return a;
}

const put = (a: Agent, body: Uint8Array, signature?: string, token: string | null = TOKEN, type = "application/wasm") =>
  fetch(`${a.url}/v1/policy`, {
    method: "PUT",
    body: body as BufferSource,
    headers: { "content-type": type, ...(signature ? { "isoplace-signature": signature } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
const rollback = (a: Agent, token: string | null = TOKEN) =>
  fetch(`${a.url}/v1/policy/rollback`, { method: "POST", headers: token ? { authorization: `Bearer ${token}` } : {} });

async function metric(a: Agent, line: RegExp): Promise<number> {
  const text = await (await fetch(`${a.url}/metrics`)).text();
  const m = text.split("\n").find((l) => line.test(l));
  return m ? Number(m.split(" ").at(-1)) : 0;
}

const withoutId = ({ decisionId: _id, ...rest }: Record<string, unknown>) => rest;

describe("bad modules are rejected; the active policy and its answers stay", () => {
  const classes: [string, () => Promise<{ body: Uint8Array; sig?: string }>, string][] = [
    ["unsigned", async () => ({ body: v2 }), "signature"],
    ["one tampered byte (the statement is for the original bytes)", async () => ({ body: tamper(v2), sig: await sign(v2, trusted) }), "digest"],
    ["signed by an untrusted key", async () => ({ body: v2, sig: await sign(v2, untrusted) }), "signature"],
    [
      "wrong ABI version (isoplace.meta says abi 99)",
      async () => {
        const body = withMeta(v2, (m) => ({ ...m, abi: 99 }));
        return { body, sig: await sign(body, trusted) };
      },
      "abi",
    ],
    ["failing its own self-test", async () => ({ body: selfTestBad, sig: await sign(selfTestBad, trusted) }), "self-test"],
  ];

  for (const [name, make, reason] of classes) {
    it(`${name} → 422 ${reason}`, async () => {
      const a = await agent();
      const before = await policyStatus(a.url),
        answer = await edgeDecision(a.url);
      const { body, sig } = await make();
      const res = await put(a, body, sig);
      expect(res.status).toBe(422);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      const problem = await res.json();
      expect(problem).toMatchObject({ status: 422, type: "urn:isoplace:problem:policy-rejected", reason });

      const after = await policyStatus(a.url);
      expect(after.active).toEqual(before.active);
      expect(after.lastError).toMatchObject({ reason });
      expect(withoutId(await edgeDecision(a.url))).toEqual(withoutId(answer));
      expect(answer.stack).toBe(DEFAULT_EDGE_STACK);
      expect(await metric(a, new RegExp(`^isoplace_policy_rejections_total\\{reason="${reason}"\\}`))).toBe(1);
      expect(await metric(a, /^isoplace_policy_activations_total /)).toBe(0);
    });
  }

  it("a module over the size limit is refused before anything else", async () => {
    const big = new Uint8Array(MAX_MODULE_BYTES + 1);
    await expect(checkCandidate({ bytes: big, envelope: null, source: "test" }, { trustedKeys: trusted.trusted })).rejects.toMatchObject({ reason: "size" });
  });
});

describe("activation, rollback, persistence", () => {
  it("a good signed module is activated; the same one again is unchanged", async () => {
    const a = await agent();
    const res = await put(a, v2, await sign(v2, trusted));
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ result: "activated", active: { version: V2, source: "admin", keyId: trusted.trusted[0].id } });
    expect(body.history).toHaveLength(1);
    expect(body.history[0]).toMatchObject({ version: DEFAULT_VERSION, source: "built-in" });

    const d = await edgeDecision(a.url);
    expect(d.stack).toBe(V2_STACK);
    expect(d.policy.version).toBe(V2);
    expect(await metric(a, /^isoplace_policy_activations_total /)).toBe(1);
    expect(await metric(a, new RegExp(`^isoplace_policy_info\\{name="default",version="${V2.replace(/\./g, "\\.")}"`))).toBe(1);

    const again = await put(a, v2, await sign(v2, trusted));
    expect((await again.json()).result).toBe("unchanged");
    expect(await metric(a, /^isoplace_policy_activations_total /)).toBe(1);
  });

  it("rollback returns the previous policy; with none left it answers 409", async () => {
    const a = await agent();
    expect((await put(a, v2, await sign(v2, trusted))).status).toBe(200);
    const res = await rollback(a);
    expect(res.status).toBe(200);
    expect((await res.json()).active).toMatchObject({ version: DEFAULT_VERSION, source: "built-in" });
    expect((await edgeDecision(a.url)).stack).toBe(DEFAULT_EDGE_STACK);
    const none = await rollback(a);
    expect(none.status).toBe(409);
    expect(await none.json()).toMatchObject({ type: "urn:isoplace:problem:nothing-to-roll-back" });
  });

  it("a restart with the same data dir serves the last activated policy, re-verified", async () => {
    const dataDir = join(root, "data-restart");
    const first = await agent({ dataDir });
    expect((await put(first, v2, await sign(v2, trusted))).status).toBe(200);
    await first.close();

    const files = await readdir(join(dataDir, "modules"));
    expect(files.sort()).toEqual([expect.stringMatching(/^[0-9a-f]{64}\.wasm$/), expect.stringMatching(/^[0-9a-f]{64}\.wasm\.sig$/)]);
    expect(files.some((f) => f.endsWith(".tmp"))).toBe(false);

    const second = await agent({ dataDir });
    const s = await policyStatus(second.url);
    expect(s.active).toMatchObject({ version: V2, source: "admin" });
    expect(s.history[0]).toMatchObject({ version: DEFAULT_VERSION, source: "built-in" });
    expect((await edgeDecision(second.url)).stack).toBe(V2_STACK);
    expect((await fetch(`${second.url}/readyz`)).status).toBe(200);

    // …and the history survives too: rollback after the restart returns the built-in default
    expect((await rollback(second)).status).toBe(200);
    expect((await edgeDecision(second.url)).stack).toBe(DEFAULT_EDGE_STACK);
  });

  it("a persisted module altered on disk is refused at start; the agent falls back to the built-in default", async () => {
    const dataDir = join(root, "data-altered");
    const first = await agent({ dataDir });
    expect((await put(first, v2, await sign(v2, trusted))).status).toBe(200);
    await first.close();
    const file = join(dataDir, "modules", (await readdir(join(dataDir, "modules"))).find((f) => f.endsWith(".wasm"))!);
    await writeFile(file, tamper(new Uint8Array(await readFile(file))));

    const second = await agent({ dataDir });
    const s = await policyStatus(second.url);
    expect(s.active).toMatchObject({ version: DEFAULT_VERSION, source: "built-in" });
    expect(s.lastError).toMatchObject({ reason: "digest" });
    expect(await metric(second, /^isoplace_policy_rejections_total\{reason="digest"\}/)).toBe(1);
  });

  it("a key no longer trusted: its module is refused, another trusted key's is accepted (rotation)", async () => {
    const a = await agent({ trustedKeys: [...untrusted.trusted, ...trusted.trusted] });
    expect((await put(a, v2, await sign(v2, untrusted))).status).toBe(200);
    const b = await agent({ trustedKeys: trusted.trusted });
    expect((await put(b, v2, await sign(v2, untrusted))).status).toBe(422);
  });

  it("state.json lists the active policy first, then the history", async () => {
    const dataDir = join(root, "data-modes");
    const a = await agent({ dataDir });
    expect((await put(a, v2, await sign(v2, trusted))).status).toBe(200);
    const state = JSON.parse(await readFile(join(dataDir, "state.json"), "utf8"));
    expect(state.kept.map((e: { version: string }) => e.version)).toEqual([V2, DEFAULT_VERSION]);
    expect(state.kept[1].builtIn).toBe(true);
  });
});

describe("admin routes", () => {
  it("no token → 401 with a bearer challenge, a wrong one → 403, both problem JSON; nothing changes", async () => {
    const a = await agent();
    const sig = await sign(v2, trusted);
    const none = await put(a, v2, sig, null);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(none.headers.get("content-type")).toBe("application/problem+json");
    const wrong = await put(a, v2, sig, "not-the-token-but-long-enough");
    expect(wrong.status).toBe(403);
    expect(await wrong.json()).toMatchObject({ status: 403, type: "urn:isoplace:problem:forbidden" });
    expect((await rollback(a, null)).status).toBe(401);
    expect((await rollback(a, "x")).status).toBe(403);
    expect((await policyStatus(a.url)).active.version).toBe(DEFAULT_VERSION);
  });

  it("a body that is not application/wasm → 415", async () => {
    const a = await agent();
    const res = await put(a, v2, await sign(v2, trusted), TOKEN, "application/json");
    expect(res.status).toBe(415);
  });

  it("without an admin token the routes do not exist", async () => {
    const a = await agent({ adminToken: undefined });
    expect([404, 405]).toContain((await put(a, v2, await sign(v2, trusted))).status);
    expect((await rollback(a)).status).toBe(404);
    const doc = await (await fetch(`${a.url}/openapi.json`)).json();
    expect(doc.paths["/v1/policy"].put).toBeUndefined();
  });

  it("the routes are documented in /openapi.json when enabled, and the document stays valid OpenAPI 3.1", async () => {
    const a = await agent();
    const doc = await (await fetch(`${a.url}/openapi.json`)).json();
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(doc.paths["/v1/policy"].put.security).toEqual([{ bearer: [] }]);
    expect(doc.paths["/v1/policy/rollback"].post.responses).toHaveProperty("409");
  });
});

afterAll(async () => {
  await Promise.all(agents.map((a) => a.close()));
});
