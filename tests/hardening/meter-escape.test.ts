// Issue 22, finding 1, against a real agent (`isoplace serve` as a child process): a copy of the
// default module whose selfTest refills the meter's budget in a loop (`loop; i32.const
// 0x7fffffff; global.set G; br 0`, G the index the meter appends its budget at), signed by a
// trusted key and sent with PUT /v1/policy. On main at 5930eb5 the PUT got no answer, /healthz
// stopped answering and the agent ignored SIGTERM (a Node process in a runaway Wasm loop never
// runs its handler): here the child is SIGKILLed after the test either way. Now it is refused
// as `invalid` within a second, and the agent keeps serving.
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { PACKAGE_ROOT } from "../../host/package.ts";
import { refillingModule } from "../fixtures/looping-bytes.ts";
import { keyFiles, sign, tempDir, type KeyFiles } from "../shipping/support/fixtures.ts";
import { spawnAgent, type AgentProcess } from "./support/agent-process.ts";

const TOKEN = "test-admin-token-0123456789abcdef";
let root: string, keys: KeyFiles, agent: AgentProcess | undefined;

beforeAll(async () => {
  root = await tempDir("isoplace-escape-");
  keys = await keyFiles(join(root, "keys"));
  agent = await spawnAgent(["--trusted-key", keys.pub], { env: { ISOPLACE_ADMIN_TOKEN: TOKEN } });
}, 60_000);

afterAll(async () => {
  await agent?.kill("SIGKILL");
  await rm(root, { recursive: true, force: true });
});

async function rejections(url: string, reason: string): Promise<number> {
  const line = (await (await fetch(`${url}/metrics`)).text()).split("\n").find((l) => l.startsWith(`isoplace_policy_rejections_total{reason="${reason}"}`));
  return line ? Number(line.split(" ").at(-1)) : 0;
}

it.each(["selfTest", "decide"])("a signed module that refills its own budget in %s: refused as invalid within 1 s; the agent keeps answering", async (fn) => {
  const url = agent!.url;
  const module = refillingModule(new Uint8Array(await readFile(join(PACKAGE_ROOT, "dist/policies/default.wasm"))), fn);
  const signature = await sign(module, keys);
  const t0 = performance.now();
  // a bound for the old agent, which never answered: the assertion below is the figure's
  const res = await fetch(`${url}/v1/policy`, {
    method: "PUT",
    body: module as BufferSource,
    signal: AbortSignal.timeout(15_000),
    headers: { "content-type": "application/wasm", "isoplace-signature": signature, authorization: `Bearer ${TOKEN}` },
  });
  const body = await res.json();
  const ms = performance.now() - t0;
  console.log(`escape: the budget-refilling module (in ${fn}) refused by the agent in ${ms.toFixed(1)} ms: ${body.reason}`);
  expect(res.status).toBe(422);
  expect(body).toMatchObject({
    type: "urn:isoplace:problem:policy-rejected",
    reason: "invalid",
    detail: expect.stringMatching(/not a valid WebAssembly module/),
  });
  expect(ms).toBeLessThanOrEqual(1000);
  expect((await fetch(`${url}/healthz`)).status).toBe(200);
  const status = await (await fetch(`${url}/v1/policy`)).json();
  expect(status.active.source).toBe("built-in");
  expect(status.lastError).toMatchObject({ reason: "invalid" });
  expect(await rejections(url, "invalid")).toBe(fn === "selfTest" ? 1 : 2);
  // the agent's log lines go out asynchronously (collected for up to 20 ms): waited for, not read at once
  await agent!.waitForLine(/"msg":"policy rejected".*"reason":"invalid"|"reason":"invalid".*"msg":"policy rejected"/, "the rejection logged", 10_000);
});
