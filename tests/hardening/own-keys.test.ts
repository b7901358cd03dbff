// Issue 22, finding 7: a name that comes with data is looked up among a table's own entries only
// (Map, Object.hasOwn, tables without a prototype), never found among inherited ones. On main at
// 5930eb5 a policy named "constructor" found Object.prototype.constructor as its serial mark, so
// its mark was never raised and a lower serial was accepted after a higher one; and the source
// still had `in` lookups. The webhook's annotation names are in tests/k8s/bounds.test.ts, the OCI
// challenge's parameters in tests/oci/credentials.test.ts.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgent, type Agent } from "../../host/node/agent.ts";
import { PACKAGE_ROOT } from "../../host/package.ts";
import { PolicyStore } from "../../host/node/store.ts";
import { build, defaultSource, keyFiles, policyStatus, sign, silent, tempDir, type KeyFiles } from "../shipping/support/fixtures.ts";

const TOKEN = "own-keys-test-token-0123456789abcdef";
let root: string, keys: KeyFiles, named: Uint8Array;

beforeAll(async () => {
  root = await tempDir("isoplace-own-keys-");
  const text = await defaultSource();
  if (!/^name: default$/m.test(text)) throw new Error("the default policy source's name line changed: update tests/hardening/own-keys.test.ts");
  [keys, named] = await Promise.all([keyFiles(join(root, "keys")), build(text.replace(/^name: default$/m, "name: constructor"))]);
}, 180_000);

describe("serial marks by policy name", () => {
  let agent: Agent;
  afterAll(async () => {
    await agent?.close();
  });

  it('a policy named "constructor": its mark is its own, so a lower serial after a higher one is refused (serial-lower)', async () => {
    const dataDir = join(root, "data");
    agent = await startAgent({ port: 0, logger: silent, trustedKeys: keys.trusted, adminToken: TOKEN, dataDir });
    const put = async (serial: number) =>
      (
        await fetch(`${agent.url}/v1/policy`, {
          method: "PUT",
          body: named as BufferSource,
          headers: { "content-type": "application/wasm", "isoplace-signature": await sign(named, keys, { serial }), authorization: `Bearer ${TOKEN}` },
        })
      ).json();
    expect(await put(10)).toMatchObject({ result: "activated" });
    expect(agent.manager.serialMark("constructor")).toMatchObject({ serial: 10 });
    expect(await put(5)).toMatchObject({ reason: "serial-lower" });
    expect((await policyStatus(agent.url)).active).toMatchObject({ name: "constructor", serial: 10 });
    // and in the data directory: an own entry, read back as one
    const state = await new PolicyStore(dataDir).load();
    expect(Object.hasOwn(state.serials, "constructor")).toBe(true);
    expect(state.serials.toString).toBeUndefined();
    expect(agent.manager.serialMark("hasOwnProperty")).toBeUndefined();
  });
});

describe("the source", () => {
  it("has no `in` lookups of a name held in a variable left in host/ (for…in loops aside)", () => {
    const host = join(PACKAGE_ROOT, "host");
    const found: string[] = [];
    for (const file of readdirSync(host, { recursive: true, encoding: "utf8" })) {
      if (!file.endsWith(".ts")) continue;
      readFileSync(join(host, file), "utf8")
        .split("\n")
        .forEach((line, i) => {
          const code = line
            .replace(/\/\*.*?\*\//g, "")
            .replace(/`[^`]*`|"[^"]*"|'[^']*'/g, '""')
            .replace(/\/\/.*$/, "");
          if (/^\s*(\*|\/\*)/.test(line) || /\bfor\s*\(\s*(const|let|var)\s+\w+\s+in\b/.test(code)) return;
          // a name held in a variable (a literal key narrowing a union of our own objects is no lookup)
          if (/[\w)\]]\s+in\s+[\w(]/.test(code)) found.push(`host/${file}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(found).toEqual([]);
  });
});
