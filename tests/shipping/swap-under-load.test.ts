// Requests sent continuously while the policy is swapped many times (admin PUT and rollback
// through a real agent): none fails, and every answer is whole — the stack it names is the one
// of the policy version it names, i.e. each request ran on one module from start to end. Each
// swap is followed by an answer from the policy it activated before the next swap starts.
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startAgent, type Agent } from "../../host/node/agent.ts";
import {
  build,
  DEFAULT_EDGE_STACK,
  DEFAULT_VERSION,
  defaultSource,
  keyFiles,
  signHeader,
  silent,
  type KeyFiles,
  tempDir,
  variantSource,
} from "./support/fixtures.ts";

const TOKEN = "swap-test-token-0123456789abcdef";
const V2 = "2025.11.15-2",
  V2_STACK = "K3s + WasmEdge 0.15.0 (v2)";
const SWAPS = 24,
  CLIENTS = 4;
const STACK_OF: Record<string, string> = { [DEFAULT_VERSION]: DEFAULT_EDGE_STACK, [V2]: V2_STACK };

let agent: Agent;
let v1: Uint8Array, v2: Uint8Array, keys: KeyFiles;

beforeAll(async () => {
  const root = await tempDir();
  keys = await keyFiles(join(root, "keys"));
  [v1, v2] = await Promise.all([defaultSource().then(build), variantSource(V2, V2_STACK).then(build)]);
  agent = await startAgent({ port: 0, logger: silent, builtIn: async () => v1, trustedKeys: keys.trusted, adminToken: TOKEN, dataDir: join(root, "data") });
});
afterAll(() => agent?.close());

it(`${CLIENTS} clients, ${SWAPS} swaps: zero failed requests, every answer consistent with its policy`, async () => {
  let swapping = true;
  const seen: Record<string, number> = {};
  const failures: string[] = [];
  // a swap is waited on until a client's answer names the version it activated
  let awaited: { version: string; resolve: () => void } | undefined;
  const answeredBy = (version: string) =>
    new Promise<void>((resolve) => {
      awaited = { version, resolve };
    });

  const client = async (k: number) => {
    while (swapping) {
      try {
        const batch = k % 2 === 1;
        const res = await fetch(`${agent.url}/v1/decide${batch ? "/batch" : ""}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(
            batch ? { items: [{ workload: { scenario: "edge" } }, { workload: { scenario: "edge" } }] } : { workload: { scenario: "edge" } },
          ),
        });
        if (res.status !== 200) {
          failures.push(`HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
          continue;
        }
        const body = await res.json();
        for (const d of batch ? body.results : [body]) {
          seen[d.policy.version] = (seen[d.policy.version] ?? 0) + 1;
          if (awaited && awaited.version === d.policy.version) awaited.resolve();
          if (STACK_OF[d.policy.version] !== d.stack) failures.push(`version ${d.policy.version} answered stack ${d.stack}`);
        }
        // one batch ran wholly on one module
        if (batch && body.results[0].policy.version !== body.results[1].policy.version) failures.push("a batch mixed two policies");
      } catch (err) {
        failures.push(`request failed: ${(err as Error).message}`);
      }
    }
  };

  const clients = Array.from({ length: CLIENTS }, (_, k) => client(k));
  // each PUT is a new statement (a higher serial), as a publisher alternating two policies would sign
  const put = async (bytes: Uint8Array) => {
    const sig = await signHeader(bytes, keys);
    const res = await fetch(`${agent.url}/v1/policy`, {
      method: "PUT",
      body: bytes as BufferSource,
      headers: { "content-type": "application/wasm", "isoplace-signature": sig, authorization: `Bearer ${TOKEN}` },
    });
    expect(res.status).toBe(200);
    expect((await res.json()).result).toBe("activated");
  };
  // two versions alternate, so a rollback brings back the other one
  let active = DEFAULT_VERSION;
  for (let i = 0; i < SWAPS; i++) {
    if (i % 4 === 3) {
      const res = await fetch(`${agent.url}/v1/policy/rollback`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.status).toBe(200);
      active = active === V2 ? DEFAULT_VERSION : V2;
    } else if (i % 2 === 0) {
      await put(v2);
      active = V2;
    } else {
      await put(v1);
      active = DEFAULT_VERSION;
    }
    await answeredBy(active);
  }
  swapping = false;
  await Promise.all(clients);

  expect(failures).toEqual([]);
  // both policies answered while the swaps ran
  expect(seen[DEFAULT_VERSION]).toBeGreaterThan(0);
  expect(seen[V2]).toBeGreaterThan(0);
  const text = await (await fetch(`${agent.url}/metrics`)).text();
  expect(text).toMatch(new RegExp(`^isoplace_policy_activations_total ${SWAPS}$`, "m"));
});
