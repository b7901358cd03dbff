// isoplace_policy_expires_timestamp_seconds: when the active statement expires, for an alert
// before re-signing is due (docs/SHIPPING.md); no series while the active policy has no expiry.
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Activation } from "../../host/delivery/active.ts";
import { startAgent, type Agent } from "../../host/node/agent.ts";
import { build, defaultSource, keyFiles, sign, silent, tempDir, variantSource, type KeyFiles } from "./support/fixtures.ts";

const NAME = "isoplace_policy_expires_timestamp_seconds";
let v1: Uint8Array, v2: Uint8Array, keys: KeyFiles, root: string, agent: Agent | undefined;

beforeAll(async () => {
  root = await tempDir("isoplace-expiry-");
  [v1, v2, keys] = await Promise.all([
    defaultSource().then(build),
    variantSource("2025.11.15-expiry", "K3s + WasmEdge (expiry)").then(build),
    keyFiles(join(root, "keys")),
  ]);
}, 180_000);
afterAll(async () => {
  await agent?.close();
  await rm(root, { recursive: true, force: true });
});

const series = async (a: Agent) => (await (await fetch(`${a.url}/metrics`)).text()).split("\n").filter((l) => l.startsWith(NAME));

it("no series on the built-in policy; the statement's expiry once a policy signed with one is active", async () => {
  await mkdir(join(root, "p"));
  const file = join(root, "p", "policy.wasm");
  agent = await startAgent({
    port: 0,
    logger: silent,
    builtIn: async () => v1,
    trustedKeys: keys.trusted,
    policy: file,
    watch: { debounceMs: 20, pollMs: 60_000 },
  });
  expect(await series(agent)).toEqual([]);

  const expires = "2030-01-31T12:00:00.000Z";
  const activated = new Promise<Activation>((resolve) => agent!.policy.onActivate(resolve));
  await writeFile(`${file}.sig`, await sign(v2, keys, { expires }));
  await writeFile(file, v2);
  await activated;
  expect(await series(agent)).toEqual([`${NAME}{name="default",version="2025.11.15-expiry"} ${Date.parse(expires) / 1000}`]);
});
