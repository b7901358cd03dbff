// PUT /v1/policy takes modules up to the module limit (1 MiB), not the API's 64 KiB: a signed
// module padded to 100 KiB with a custom section is activated through a real agent.
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startAgent, type Agent } from "../../host/node/agent.ts";
import { appendCustomSection } from "../../host/policy/section.ts";
import { build, defaultSource, keyFiles, policyStatus, signHeader, silent, tempDir, variantSource, type KeyFiles } from "./support/fixtures.ts";

const TOKEN = "test-admin-token-0123456789abcdef";
let agent: Agent, keys: KeyFiles, padded: Uint8Array;

beforeAll(async () => {
  const root = await tempDir();
  keys = await keyFiles(join(root, "keys"));
  const v1 = await defaultSource().then(build);
  // a custom section (ignored by every engine) pads it to 100 KiB
  padded = appendCustomSection(await variantSource("2025.11.15-100k", "K3s + WasmEdge 0.15.0 (100 KiB)").then(build), "padding", new Uint8Array(100 * 1024));
  agent = await startAgent({ port: 0, logger: silent, builtIn: async () => v1, trustedKeys: keys.trusted, adminToken: TOKEN });
});
afterAll(() => agent?.close());

it("a signed 100 KiB module (padded with a custom section) is accepted by PUT /v1/policy", async () => {
  expect(padded.length).toBeGreaterThan(100 * 1024);
  const res = await fetch(`${agent.url}/v1/policy`, {
    method: "PUT",
    body: padded as BufferSource,
    headers: { "content-type": "application/wasm", "isoplace-signature": await signHeader(padded, keys), authorization: `Bearer ${TOKEN}` },
  });
  expect(res.status, await res.clone().text()).toBe(200);
  const status = await policyStatus(agent.url);
  expect(status.active.version).toBe("2025.11.15-100k");
});
