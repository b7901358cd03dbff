// No secret in any output: a real agent (`isoplace serve`, LOG_LEVEL=trace) takes admin calls
// with the real token, wrong ones and malformed headers; its whole stdout and stderr must hold
// neither token, no Authorization header, and no private key — while showing that the calls
// were logged. The CLI's key commands, and the mistake of passing a private key as a trusted
// key, are held to the same rule.
import { randomBytes } from "node:crypto";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { build, keyFiles, sign, tempDir, variantSource, type KeyFiles } from "../shipping/support/fixtures.ts";
import { runChild } from "../support/child.ts";
import { agentEntry, spawnAgent, type AgentProcess } from "./support/agent-process.ts";

const TOKEN = randomBytes(24).toString("hex");
const WRONG = randomBytes(24).toString("hex");
let root: string, keys: KeyFiles, other: KeyFiles, privatePem: string;
let agent: AgentProcess | undefined;

beforeAll(async () => {
  root = await tempDir("isoplace-logs-");
  [keys, other] = await Promise.all([keyFiles(join(root, "keys")), keyFiles(join(root, "other"))]);
  privatePem = await readFile(keys.key, "utf8");
});
afterAll(async () => {
  await agent?.kill();
  await rm(root, { recursive: true, force: true });
});

/** The tokens, and every 24-character piece of the private key's base64 body (a key logged in part is logged). */
function secretsIn(text: string): string[] {
  const body = privatePem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, "");
  const pieces = Array.from({ length: body.length - 23 }, (_, i) => body.slice(i, i + 24));
  return [TOKEN, WRONG, ...pieces].filter((s) => text.includes(s));
}

/** Log lines that mention an Authorization header or a bearer credential at all. */
const authLines = (text: string) => text.split("\n").filter((l) => /authorization|bearer/i.test(l));

it("the agent's output holds no token, no Authorization header and no key, at LOG_LEVEL=trace", async () => {
  const tokenFile = join(root, "admin.token");
  await writeFile(tokenFile, TOKEN, { mode: 0o600 });
  const v2 = await build(await variantSource("2025.11.15-logs", "K3s + WasmEdge 0.15.0 (logs)"));
  agent = await spawnAgent(["--admin-token-file", tokenFile, "--trusted-key", keys.pub, "--data-dir", join(root, "data")], { env: { LOG_LEVEL: "trace" } });
  const url = agent.url;
  const put = (authorization: string | undefined, signature: string) =>
    fetch(`${url}/v1/policy`, {
      method: "PUT",
      body: v2 as BufferSource,
      headers: { "content-type": "application/wasm", "isoplace-signature": signature, ...(authorization === undefined ? {} : { authorization }) },
    });
  const bodies: string[] = [];
  const expectStatus = async (res: Response, status: number) => {
    bodies.push(await res.text());
    expect(res.status).toBe(status);
  };
  await expectStatus(await put(`Bearer ${TOKEN}`, await sign(v2, keys)), 200);
  await expectStatus(await put(`Bearer ${WRONG}`, await sign(v2, keys)), 403);
  await expectStatus(await put(`Token ${TOKEN}`, await sign(v2, keys)), 401);
  await expectStatus(await put(`Bearer ${TOKEN} ${WRONG}`, await sign(v2, keys)), 401);
  await expectStatus(await put(undefined, await sign(v2, keys)), 401);
  await expectStatus(await put(`Bearer ${TOKEN}`, await sign(v2, other)), 422);
  await expectStatus(await fetch(`${agent.url}/v1/policy/rollback`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } }), 200);
  await expectStatus(await fetch(`${agent.url}/v1/policy/rollback?token=${WRONG}`, { method: "POST" }), 401);
  await expectStatus(
    await fetch(`${agent.url}/v1/decide`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${WRONG}` },
      body: '{"workload":{"scenario":"edge"}}',
    }),
    200,
  );
  await expectStatus(await fetch(`${agent.url}/v1/policy`), 200);
  expect(await agent.kill("SIGTERM")).toBe(0);

  const out = agent.output();
  // the calls were logged (route and status), the activation, the rejection and the rollback too
  for (const status of [200, 401, 403, 422]) expect(out).toMatch(new RegExp(`"method":"PUT","route":"/v1/policy","status":${status}`));
  expect(out).toMatch(/"msg":"policy activated"/);
  expect(out).toMatch(/"reason":"signature".*"msg":"policy rejected"/);
  expect(out).toMatch(/"msg":"policy rolled back"/);
  expect(out).toMatch(/"msg":"stopped"/);
  expect(secretsIn(out)).toEqual([]);
  expect(authLines(out)).toEqual([]);
  // the answers name the scheme they want (401: "Authorization: Bearer <token>"), never what was sent
  expect(secretsIn(bodies.join("\n"))).toEqual([]);
});

it("the CLI's key commands print no private key; a private key given as a trusted key is refused without being echoed", async () => {
  // each with a deadline: `serve` given a private key must exit 2, and would otherwise run on
  const cli = (...args: string[]) =>
    runChild(process.execPath, [agentEntry(), ...args], { cwd: root, timeoutMs: 30_000 }).then(({ code, stdout, stderr }) => ({ code, out: stdout + stderr }));
  const wasm = join(root, "m.wasm");
  await writeFile(wasm, await build(await variantSource("2025.11.15-logs", "K3s + WasmEdge 0.15.0 (logs)")));

  const [keygen, sign, signWithPublic, serveWithPrivate] = await Promise.all([
    cli("policy", "keygen", "--out", join(root, "cli-keys")),
    cli("policy", "sign", wasm, "--key", keys.key),
    cli("policy", "sign", wasm, "--key", keys.pub),
    cli("serve", "--port", "0", "--trusted-key", keys.key),
  ]);
  expect(keygen.code).toBe(0);
  const cliKey = await readFile(join(root, "cli-keys", "policy.key"), "utf8");
  expect(sign.code).toBe(0);
  expect(signWithPublic.code).not.toBe(0);
  expect(serveWithPrivate.code).toBe(2);
  expect(serveWithPrivate.out).toMatch(/is not a PEM "PUBLIC KEY" block/);

  const all = [keygen, sign, signWithPublic, serveWithPrivate].map((r) => r.out).join("\n");
  expect(secretsIn(all)).toEqual([]);
  expect(all).not.toContain(
    cliKey
      .replace(/-----[A-Z ]+-----/g, "")
      .replace(/\s+/g, "")
      .slice(0, 24),
  );
});
