// Signed statements through a real agent (127.0.0.1, ephemeral port, real data directory): every
// refusal reason has its own test — shown in the 422, in GET /v1/policy's lastError and in
// isoplace_policy_rejections_total{reason} — with the active policy untouched; the highest serial
// survives a restart; the admin rollback is the one way back and is recorded as such.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import pino from "pino";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  envelopeHeader,
  inTotoStatement,
  LEGACY_STATEMENT_TYPE,
  pae,
  STATEMENT_TYPE,
  type Envelope,
  type InTotoStatement,
} from "../../host/delivery/statement.ts";
import { signBytes, toBase64 } from "../../host/delivery/signing.ts";
import { startAgent, type Agent, type AgentOptions } from "../../host/node/agent.ts";
import { build, defaultSource, keyFiles, policyStatus, signHeader, silent, statementFor, tempDir, variantSource, type KeyFiles } from "./support/fixtures.ts";

const TOKEN = "statements-admin-token-0123456789";
const V2 = "2025.11.15-2",
  V3 = "2025.11.15-3";
let v1: Uint8Array, v2: Uint8Array, v3: Uint8Array;
let keys: KeyFiles, next: KeyFiles, root: string;
const agents: Agent[] = [];

beforeAll(async () => {
  root = await tempDir();
  [v1, v2, v3, keys, next] = await Promise.all([
    defaultSource().then(build),
    variantSource(V2, "K3s + WasmEdge 0.15.0 (v2)").then(build),
    variantSource(V3, "K3s + WasmEdge 0.16.0 (v3)").then(build),
    keyFiles(join(root, "keys")),
    keyFiles(join(root, "next")),
  ]);
});
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.close()));
});

async function agent(o: Partial<AgentOptions> = {}): Promise<Agent> {
  const a = await startAgent({ port: 0, logger: silent, builtIn: async () => v1, trustedKeys: keys.trusted, adminToken: TOKEN, ...o });
  agents.push(a);
  return a;
}

const put = (a: Agent, body: Uint8Array, signature: string) =>
  fetch(`${a.url}/v1/policy`, {
    method: "PUT",
    body: body as BufferSource,
    headers: { "content-type": "application/wasm", "isoplace-signature": signature, authorization: `Bearer ${TOKEN}` },
  });
const rollback = (a: Agent) => fetch(`${a.url}/v1/policy/rollback`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } });

async function rejections(a: Agent, reason: string): Promise<number> {
  const text = await (await fetch(`${a.url}/metrics`)).text();
  const m = new RegExp(`^isoplace_policy_rejections_total\\{reason="${reason}"\\} (\\d+)$`, "m").exec(text);
  return m ? Number(m[1]) : 0;
}

/** PUTs and expects the refusal `reason` everywhere it is shown, with the active policy unchanged. */
async function refused(a: Agent, body: Uint8Array, signature: string, reason: string, message: RegExp): Promise<void> {
  const before = (await policyStatus(a.url)).active;
  const res = await put(a, body, signature);
  expect(res.status).toBe(422);
  const problem = await res.json();
  expect(problem).toMatchObject({ reason });
  expect(problem.detail).toMatch(message);
  const after = await policyStatus(a.url);
  expect(after.active).toEqual(before);
  expect(after.lastError).toMatchObject({ reason, message: expect.stringMatching(message) });
  expect(await rejections(a, reason)).toBe(1);
}

/** An envelope over `payload` of `type`, validly signed by the trusted key. */
async function signedPayload(type: string, payload: unknown): Promise<string> {
  const bytes = new TextEncoder().encode(JSON.stringify(payload));
  const sig = await signBytes(pae(type, bytes), keys.signer.key);
  return envelopeHeader({ payloadType: type, payload: toBase64(bytes), signatures: [{ keyid: keys.signer.fingerprint, sig: toBase64(sig) }] });
}

describe("each statement check refuses with its own reason; the active policy stays", () => {
  it("digest: a statement for other bytes (mix-and-match)", async () => {
    const a = await agent();
    await refused(a, v2, await signHeader(v3, keys), "digest", /statement is for module [0-9a-f]{64}, not for these bytes/);
  });

  it("expired: a statement past its expiry (freeze)", async () => {
    const a = await agent();
    await refused(a, v2, await signHeader(v2, keys, { expires: new Date(Date.now() - 1000).toISOString() }), "expired", /expired at/);
  });

  it("expired is judged by the agent's clock", async () => {
    const expires = new Date(Date.now() + 3_600_000).toISOString();
    const a = await agent({ now: () => new Date(Date.now() + 7_200_000) });
    await refused(a, v2, await signHeader(v2, keys, { expires }), "expired", /expired at/);
  });

  it("name: the statement names another policy than the module's metadata", async () => {
    const a = await agent();
    await refused(a, v2, await signHeader(v2, keys, { name: "other-policy" }), "name", /names policy "other-policy" but the module's metadata says "default"/);
  });

  it("version: the statement names another version than the module's metadata", async () => {
    const a = await agent();
    await refused(a, v2, await signHeader(v2, keys, { version: V3 }), "version", /names version "2025.11.15-3"/);
  });

  it.each([
    ["a predicate with a bad serial", (s: InTotoStatement) => ({ ...s, predicate: { ...s.predicate, serial: -1 } }), /serial must be a positive integer/],
    // Date.parse reads "12/31/2099" in the agent's own time zone, and "2030-02-30" as 2 March
    [
      "an expiry that is not RFC 3339 (a local-time date)",
      (s: InTotoStatement) => ({ ...s, predicate: { ...s.predicate, expires: "12/31/2099" } }),
      /expires must be an RFC 3339 time with Z or an offset/,
    ],
    [
      "an issue time on a day that does not exist",
      (s: InTotoStatement) => ({ ...s, predicate: { ...s.predicate, issuedAt: "2030-02-30T00:00:00Z" } }),
      /issuedAt must be an RFC 3339 time/,
    ],
    [
      "another predicate type",
      (s: InTotoStatement) => ({ ...s, predicateType: "https://slsa.dev/provenance/v1" }),
      /predicateType must be "https:\/\/isoplace.dev\/policy-statement\/v1"/,
    ],
    ["no in-toto _type", (s: InTotoStatement) => ({ ...s, _type: undefined }), /_type must be "https:\/\/in-toto.io\/Statement\/v1"/],
    ["two subjects", (s: InTotoStatement) => ({ ...s, subject: [...s.subject, ...s.subject] }), /exactly one module/],
    ["a subject without a sha256 digest", (s: InTotoStatement) => ({ ...s, subject: [{ name: "p.wasm", digest: { sha512: "ab" } }] }), /exactly one module/],
    [
      "the flat statement of before, under the in-toto payload type",
      (s: InTotoStatement) => ({ ...s.predicate, moduleSha256: s.subject[0].digest.sha256 }),
      /_type must be/,
    ],
  ])("statement: a validly signed in-toto payload that is not our statement (%s)", async (_, change, message) => {
    const a = await agent();
    await refused(a, v2, await signedPayload(STATEMENT_TYPE, change(inTotoStatement(await statementFor(v2)))), "statement", message);
  });

  it("signature: a statement altered after signing", async () => {
    const a = await agent();
    const env = JSON.parse(atob(await signHeader(v2, keys))) as Envelope;
    const st = JSON.parse(atob(env.payload));
    env.payload = btoa(JSON.stringify({ ...st, predicate: { ...st.predicate, serial: st.predicate.serial + 1_000_000 } }));
    await refused(a, v2, envelopeHeader(env), "signature", /matches none of the 1 trusted key/);
  });

  it("signature: the old bare signature, with how to re-sign", async () => {
    const a = await agent();
    const bare = toBase64(await signBytes(v2, keys.signer.key));
    await refused(a, v2, bare, "signature", /bare Ed25519 signature .*isoplace policy sign FILE\.wasm --key/);
  });

  it("serial-lower: a replayed PUT of an older statement (downgrade)", async () => {
    const a = await agent();
    const older = await signHeader(v2, keys);
    const newer = await signHeader(v3, keys);
    expect((await put(a, v2, older)).status).toBe(200);
    expect((await put(a, v3, newer)).status).toBe(200);
    await refused(a, v2, older, "serial-lower", /serial \d+ of default is lower than \d+, already activated: a downgrade/);
    expect((await policyStatus(a.url)).active.version).toBe(V3);
  });

  it("serial-reused: an activated serial with other bytes", async () => {
    const a = await agent();
    const first = await signHeader(v2, keys);
    const serial = JSON.parse(atob(JSON.parse(atob(first)).payload)).predicate.serial;
    expect((await put(a, v2, first)).status).toBe(200);
    await refused(a, v3, await signHeader(v3, keys, { serial }), "serial-reused", /already activated for module/);
  });
});

describe("serials over time", () => {
  it("the same statement again is unchanged, not refused", async () => {
    const a = await agent();
    const sig = await signHeader(v2, keys);
    expect((await put(a, v2, sig)).status).toBe(200);
    const again = await put(a, v2, sig);
    expect(again.status).toBe(200);
    expect((await again.json()).result).toBe("unchanged");
  });

  it("the active module re-signed (a later serial, a new expiry) is unchanged but renews the statement: statements in between are refused", async () => {
    const dataDir = join(root, "data-renew");
    const a = await agent({ dataDir });
    const first = await signHeader(v2, keys);
    const between = await signHeader(v3, keys); // signed, never delivered to this agent
    const expires = new Date(Date.now() + 86_400_000).toISOString();
    const renewed = await signHeader(v2, keys, { expires });
    expect((await put(a, v2, first)).status).toBe(200);
    const res = await put(a, v2, renewed);
    expect((await res.json()).result).toBe("unchanged");
    const serial = JSON.parse(atob(JSON.parse(atob(renewed)).payload)).predicate.serial;
    expect((await policyStatus(a.url)).active).toMatchObject({ version: V2, serial, expires });
    expect(await readFile(join(dataDir, "modules", `${(await policyStatus(a.url)).active.moduleSha256}.wasm.sig`), "utf8")).toContain(
      JSON.parse(atob(renewed)).payload,
    );
    await refused(a, v3, between, "serial-lower", /downgrade/);
  });

  it("a restart keeps the highest serial: the older statement is still refused, and GET /v1/policy shows the serial", async () => {
    const dataDir = join(root, "data-restart");
    const older = await signHeader(v2, keys);
    const newer = await signHeader(v3, keys, { expires: new Date(Date.now() + 86_400_000).toISOString() });
    const first = await agent({ dataDir });
    expect((await put(first, v2, older)).status).toBe(200);
    expect((await put(first, v3, newer)).status).toBe(200);
    await first.close();
    const state = JSON.parse(await readFile(join(dataDir, "state.json"), "utf8"));
    const serial = JSON.parse(atob(JSON.parse(atob(newer)).payload)).predicate.serial;
    expect(state.serials.default).toMatchObject({ serial });

    const second = await agent({ dataDir });
    const s = await policyStatus(second.url);
    expect(s.active).toMatchObject({ version: V3, serial, expires: expect.any(String), issuedAt: expect.any(String) });
    await refused(second, v2, older, "serial-lower", /downgrade/);
  });

  it("the serial mark survives even when the data directory's policy no longer verifies", async () => {
    const dataDir = join(root, "data-untrusted");
    const older = await signHeader(v2, next),
      newer = await signHeader(v3, next);
    const first = await agent({ dataDir, trustedKeys: next.trusted });
    expect((await put(first, v2, older)).status).toBe(200);
    expect((await put(first, v3, newer)).status).toBe(200);
    await first.close();
    // restarted trusting only another key: the kept policy no longer verifies, the built-in serves…
    const second = await agent({ dataDir, trustedKeys: keys.trusted });
    expect((await policyStatus(second.url)).active.source).toBe("built-in");
    await second.close();
    // …and the mark is still there when the key is trusted again
    const third = await agent({ dataDir, trustedKeys: [...keys.trusted, ...next.trusted] });
    await refused(third, v2, older, "serial-lower", /downgrade/);
  });

  it("the admin rollback goes back to a lower serial, says so, and re-delivering the rolled-back statement does not undo it", async () => {
    const dataDir = join(root, "data-rollback");
    const a = await agent({ dataDir });
    const s2 = await signHeader(v2, keys),
      s3 = await signHeader(v3, keys);
    expect((await put(a, v2, s2)).status).toBe(200);
    expect((await put(a, v3, s3)).status).toBe(200);
    const res = await rollback(a);
    expect(res.status).toBe(200);
    const status = await res.json();
    expect(status.active).toMatchObject({
      version: V2,
      activatedBy: "rollback",
      rollback: { from: { name: "default", version: V3, serial: expect.any(Number) } },
    });
    const state = JSON.parse(await readFile(join(dataDir, "state.json"), "utf8"));
    expect(state.kept[0].rollback.from.version).toBe(V3);
    expect(state.serials.default.rolledBack).toBe(true);

    await refused(a, v3, s3, "serial-reused", /rolled back by the admin; publish a new serial/);
    // a new statement moves forward again
    const fwd = await put(a, v3, await signHeader(v3, keys));
    expect(fwd.status).toBe(200);
    expect((await fwd.json()).active).not.toHaveProperty("activatedBy");
  });
});

describe("the statement format before in-toto", () => {
  it("is accepted for one release, and the log says so once per activation", async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino(
      { level: "info" },
      {
        write: (l: string) => {
          lines.push(JSON.parse(l));
        },
      },
    );
    const notes = () => lines.filter((l) => l.statementFormat === "legacy");
    const dataDir = join(root, "data-legacy");
    const a = await agent({ logger, dataDir });
    const st = await statementFor(v2);
    const legacy = await signedPayload(LEGACY_STATEMENT_TYPE, st);
    expect((await put(a, v2, legacy)).status).toBe(200);
    expect((await policyStatus(a.url)).active).toMatchObject({ version: V2, serial: st.serial });
    expect(notes()).toHaveLength(1);
    expect(notes()[0]).toMatchObject({
      level: 40,
      msg: expect.stringMatching(
        /old format \(payloadType application\/vnd.isoplace.policy.statement\+json\), which this release is the last to accept: re-sign it with `isoplace policy sign/,
      ),
    });
    // the same delivery again activates nothing and says nothing
    expect((await (await put(a, v2, legacy)).json()).result).toBe("unchanged");
    expect(notes()).toHaveLength(1);
    await agents.splice(agents.indexOf(a), 1)[0].close();

    // restarted: the data directory's statement is taken again, and that is said again
    const b = await agent({ logger, dataDir });
    expect((await policyStatus(b.url)).active.version).toBe(V2);
    expect(notes()).toHaveLength(2);
    // a statement in today's format: nothing to say
    expect((await put(b, v3, await signHeader(v3, keys))).status).toBe(200);
    expect(notes()).toHaveLength(2);
  });
});

describe("keys", () => {
  it("rotation: an envelope signed by the old and the new key is accepted by agents trusting either", async () => {
    const both = await signHeader(v2, [keys, next]);
    const oldOnly = await agent({ trustedKeys: keys.trusted });
    const newOnly = await agent({ trustedKeys: next.trusted });
    expect((await put(oldOnly, v2, both)).status).toBe(200);
    expect((await put(newOnly, v2, both)).status).toBe(200);
    expect((await policyStatus(newOnly.url)).active.keyId).toBe(next.trusted[0].id);
  });

  it("a statement by an untrusted key is refused (signature)", async () => {
    const a = await agent();
    await refused(a, v2, await signHeader(v2, next), "signature", /matches none/);
  });
});
