// The admin routes (PUT /v1/policy, POST /v1/policy/rollback): absent unless `serve` is given a
// token; with one, every request without exactly `Authorization: Bearer <token>` is refused and
// changes nothing — a signed, valid module is offered each time, so a bypass would activate it.
// (The Worker has no admin routes: tests/worker/worker.test.ts "has no /metrics and no policy admin
// routes" asks workerd itself, and tests/deploy/worker-bundle.test.ts shows no host/node/ code,
// admin.ts included, reaches the Worker bundle.)
import { randomBytes } from "node:crypto";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgent, type Agent } from "../../host/node/agent.ts";
import { build, DEFAULT_VERSION, keyFiles, policyStatus, signHeader, silent, tempDir, variantSource, type KeyFiles } from "../shipping/support/fixtures.ts";
import { spawnAgent } from "./support/agent-process.ts";

const TOKEN = randomBytes(24).toString("hex"); // lower-case hex: its upper-case form is another token
const V2 = "2025.11.15-auth";
let root: string, keys: KeyFiles, v2: Uint8Array;

beforeAll(async () => {
  root = await tempDir("isoplace-auth-");
  keys = await keyFiles(join(root, "keys"));
  v2 = await build(await variantSource(V2, "K3s + WasmEdge 0.15.0 (auth)"));
});
afterAll(() => rm(root, { recursive: true, force: true }));

// each PUT carries a new statement (a higher serial): after a rollback, the one rolled back from is refused
const put = async (url: string, headers: Record<string, string>, query = "") =>
  fetch(`${url}/v1/policy${query}`, {
    method: "PUT",
    body: v2 as BufferSource,
    headers: { "content-type": "application/wasm", "isoplace-signature": await signHeader(v2, keys), ...headers },
  });
const rollback = (url: string, headers: Record<string, string>) => fetch(`${url}/v1/policy/rollback`, { method: "POST", headers });

describe("`isoplace serve` without an admin token", () => {
  it("has no admin routes (no token at all, or a blank ISOPLACE_ADMIN_TOKEN); /openapi.json lists none", async () => {
    const agents = await Promise.all([spawnAgent([]), spawnAgent([], { env: { ISOPLACE_ADMIN_TOKEN: "  " } })]);
    try {
      for (const a of agents) {
        const res = await put(a.url, { authorization: `Bearer ${TOKEN}` });
        expect(res.status).toBe(405);
        expect(res.headers.get("allow")).toMatch(/^GET\b/);
        expect(res.headers.get("allow")).not.toMatch(/PUT/);
        expect((await rollback(a.url, { authorization: `Bearer ${TOKEN}` })).status).toBe(404);
        const doc = await (await fetch(`${a.url}/openapi.json`)).json();
        expect(Object.keys(doc.paths["/v1/policy"])).toEqual(["get"]);
        expect(doc.paths["/v1/policy/rollback"]).toBeUndefined();
        expect((await policyStatus(a.url)).active.version).toBe(DEFAULT_VERSION);
        expect(a.output()).toMatch(/"admin":false/);
      }
    } finally {
      await Promise.all(agents.map((a) => a.kill()));
    }
  });

  it("refuses to start with a token that is short or holds a space (and does not echo it)", async () => {
    const short = "abc123",
      spaced = "abcdefgh ijklmnop qrstuvwx";
    const spacedFile = join(root, "spaced.token");
    await writeFile(spacedFile, spaced);
    for (const [args, env, secret] of [
      [[], { ISOPLACE_ADMIN_TOKEN: short }, short],
      [["--admin-token-file", spacedFile], {}, spaced],
    ] as const) {
      const err = await spawnAgent([...args], { env }).then(
        () => null,
        (e: Error) => e,
      );
      expect(err?.message).toMatch(/exited \(2\) before listening/);
      expect(err?.message).toMatch(/the admin token must be at least 16 characters without spaces/);
      expect(err?.message).not.toContain(secret);
    }
  });
});

describe("with a token: only `Authorization: Bearer <token>` gets through", () => {
  let agent: Agent;
  beforeAll(async () => {
    agent = await startAgent({ port: 0, logger: silent, trustedKeys: keys.trusted, adminToken: TOKEN });
  });
  afterAll(() => agent?.close());

  // 401: no bearer credentials in the request (RFC 6750: no token, another scheme, a malformed
  // header); 403: a well-formed bearer token that is not the agent's.
  const refused: [string, Record<string, string>, 401 | 403, string?][] = [
    ["no Authorization header", {}, 401],
    ["an empty Authorization header", { authorization: "" }, 401],
    ["Bearer with no token", { authorization: "Bearer " }, 401],
    ["the scheme alone", { authorization: "Bearer" }, 401],
    ["the token without a scheme", { authorization: TOKEN }, 401],
    ["another scheme (Basic) carrying the token", { authorization: `Basic ${btoa(`admin:${TOKEN}`)}` }, 401],
    ["another scheme (Token) carrying the token", { authorization: `Token ${TOKEN}` }, 401],
    ["the token with a space inside", { authorization: `Bearer ${TOKEN.slice(0, 10)} ${TOKEN.slice(10)}` }, 401],
    ["the token followed by another word", { authorization: `Bearer ${TOKEN} ${TOKEN}` }, 401],
    ["two Authorization values", { authorization: `Bearer ${TOKEN}, Bearer ${TOKEN}` }, 401],
    ["the token in another header", { "x-admin-token": TOKEN }, 401],
    ["the token in the query string", {}, 401, `?token=${TOKEN}&access_token=${TOKEN}`],
    ["a wrong token", { authorization: "Bearer not-the-token-but-long-enough" }, 403],
    ["the token with one more character", { authorization: `Bearer ${TOKEN}0` }, 403],
    ["the token less its last character", { authorization: `Bearer ${TOKEN.slice(0, -1)}` }, 403],
    ["the token in upper case", { authorization: `Bearer ${TOKEN.toUpperCase()}` }, 403],
    ["the token base64-encoded", { authorization: `Bearer ${btoa(TOKEN)}` }, 403],
    ["the token with a NUL appended (percent-encoded)", { authorization: `Bearer ${TOKEN}%00` }, 403],
  ];

  for (const [name, headers, status, query] of refused) {
    it(`${name} → ${status}, nothing changes`, async () => {
      for (const res of [await put(agent.url, headers, query), await rollback(agent.url, headers)]) {
        expect(res.status).toBe(status);
        expect(res.headers.get("content-type")).toBe("application/problem+json");
        if (status === 401) expect(res.headers.get("www-authenticate")).toBe('Bearer realm="isoplace"');
        const text = await res.text();
        expect(JSON.parse(text)).toMatchObject({ status, type: `urn:isoplace:problem:${status === 401 ? "unauthorized" : "forbidden"}` });
        expect(text).not.toContain(TOKEN.slice(0, 16));
      }
      const s = await policyStatus(agent.url);
      expect(s.active.version).toBe(DEFAULT_VERSION);
      expect(s.history).toEqual([]);
    });
  }

  it("the right token is accepted (scheme in any case, extra spaces around the token)", async () => {
    for (const authorization of [`Bearer ${TOKEN}`, `bearer ${TOKEN}`, `BEARER   ${TOKEN}  `]) {
      const res = await put(agent.url, { authorization });
      expect(res.status).toBe(200);
      expect((await rollback(agent.url, { authorization })).status).toBe(200);
    }
    expect((await policyStatus(agent.url)).active.version).toBe(DEFAULT_VERSION);
  });
});
