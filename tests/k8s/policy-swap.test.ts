// The webhook's policy arrives as the agent's does (a signed module in a watched file) and is
// hot-swapped under it: the next admission decides with the new policy, mapped through the new
// policy's own runtimeClassNames. A module whose statement is not signed by a trusted key is refused and changes nothing.
import { EventEmitter, once } from "node:events";
import { Writable } from "node:stream";
import pino from "pino";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_POLICY_SOURCE } from "../../host/package.ts";
import { buildPolicy } from "../../host/policy/compile.ts";
import { keyFiles, sign, tempDir, type KeyFiles } from "../shipping/support/fixtures.ts";
import { admit, decodePatch, reviewOf, startTestWebhook, type TestWebhook } from "./support/webhook.ts";

let w: TestWebhook;
/** The webhook's log lines, as events named by their message. */
const logs = new EventEmitter();
const logStream = new Writable({
  write(chunk, _enc, done) {
    for (const line of String(chunk).split("\n").filter(Boolean)) {
      const entry = JSON.parse(line);
      logs.emit(entry.msg, entry);
    }
    done();
  },
});
let policyFile: string;
let keys: KeyFiles;
const serverless = { "isoplace.io/scenario": "serverless", "isoplace.io/security": "zero-trust" };

/** The default policy with WasmEdge's RuntimeClass renamed (a cluster that runs a newer shim under another class). */
async function renamedClassModule(): Promise<Uint8Array> {
  const text = readFileSync(DEFAULT_POLICY_SOURCE, "utf8");
  const from = "    runtimeClassName: wasmedge\n";
  expect(text, "the default policy names wasmedge's class on its own line").toContain(from);
  const source = text.replace(from, "    runtimeClassName: wasmedge-v2\n").replace(/^version: .*$/m, "version: 2099.1.1-webhook");
  return (await buildPolicy(source, "webhook-test.yaml")).wasm;
}

function publish(module: Uint8Array, signature: string): void {
  writeFileSync(`${policyFile}.sig.tmp`, signature);
  renameSync(`${policyFile}.sig.tmp`, `${policyFile}.sig`);
  writeFileSync(`${policyFile}.tmp`, module);
  renameSync(`${policyFile}.tmp`, policyFile);
}

beforeAll(async () => {
  const dir = await tempDir("isoplace-webhook-policy-");
  keys = await keyFiles(join(dir, "keys"));
  policyFile = join(dir, "policy.wasm");
  w = await startTestWebhook({
    runtimeClasses: ["wasmedge", "wasmedge-v2", "gvisor"],
    policy: policyFile,
    trustedKeys: keys.trusted,
    logger: pino({ level: "info" }, logStream),
    watch: { debounceMs: 20, pollMs: 60_000 },
  });
}, 60_000);
afterAll(async () => {
  await w?.close();
});

describe("policy delivery to the webhook", () => {
  it("a signed module in the watched file is activated, and the next admission uses its class names", async () => {
    const before = decodePatch((await admit(w, reviewOf({ annotations: serverless }))).json.response);
    expect(before[0]).toEqual({ op: "add", path: "/spec/runtimeClassName", value: "wasmedge" });

    const module = await renamedClassModule();
    const activated = new Promise<void>((resolve) => w.webhook.agent.policy.onActivate(() => resolve()));
    publish(module, await sign(module, keys));
    await activated;

    const after = decodePatch((await admit(w, reviewOf({ annotations: serverless }))).json.response);
    expect(after[0]).toEqual({ op: "add", path: "/spec/runtimeClassName", value: "wasmedge-v2" });
    expect(after).toContainEqual({ op: "add", path: "/metadata/annotations/isoplace.io~1policy", value: "default@2099.1.1-webhook" });
  }, 60_000);

  it("a module signed by another key is refused; admissions go on with the active policy", async () => {
    const stranger = await keyFiles(join(policyFile, "..", "stranger"));
    const module = await renamedClassModule();
    const active = w.webhook.agent.policy.engine;
    const rejected = once(logs, "policy rejected");
    publish(module, await sign(module, stranger));
    const [entry] = await rejected;
    expect(entry.reason).toBe("signature");
    expect(w.webhook.agent.policy.engine).toBe(active);
    const res = await admit(w, reviewOf({ annotations: serverless }));
    expect(res.status).toBe(200);
    expect(decodePatch(res.json.response)[0]).toMatchObject({ value: "wasmedge-v2" });
  }, 60_000);
});
