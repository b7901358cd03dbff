// The runtime-neutral pieces of host/delivery on their own: DSSE's pre-authentication encoding
// (the spec's example), envelopes read from JSON and from base64, --expires parsing, and the
// shared poller's backoff and check count.
import { describe, expect, it } from "vitest";
import { CheckCount, Poller } from "../../host/delivery/poller.ts";
import { ecdsaDerToRaw, ecdsaRawToDer, fromBase64, generateKeyPair, importPublicKey, importSigningKey, signBytes, toBase64, verifyBytes } from "../../host/delivery/signing.ts";
import { envelopeHeader, envelopeJson, inTotoStatement, pae, parseExpiry, readEnvelope, signStatement, STATEMENT_TYPE, verifyStatement } from "../../host/delivery/statement.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe("DSSE", () => {
  it("PAE is the spec's encoding (lengths in bytes, not characters)", () => {
    expect(text(pae("http://example.com/HelloWorld", new TextEncoder().encode("hello world")))).toBe("DSSEv1 29 http://example.com/HelloWorld 11 hello world");
    expect(text(pae("t", new TextEncoder().encode("é")))).toBe("DSSEv1 1 t 2 é");
  });

  it("an envelope verifies from its JSON and from the base64 header form; keyid is the key's full SHA-256", async () => {
    const pair = await generateKeyPair();
    const signer = await importSigningKey(pair.privatePem), trusted = await importPublicKey(pair.publicPem);
    expect(signer.fingerprint).toBe(trusted.fingerprint);
    expect(signer.id).toBe(pair.id);
    const st = { name: "p", version: "1", serial: 7, moduleSha256: "a".repeat(64), issuedAt: new Date().toISOString() };
    const env = await signStatement(st, [signer]);
    expect(env).toMatchObject({ payloadType: STATEMENT_TYPE, signatures: [{ keyid: trusted.fingerprint }] });
    for (const form of [envelopeJson(env), envelopeHeader(env)]) {
      expect(await verifyStatement(form, [trusted])).toEqual({ ok: true, statement: st, keyId: trusted.id, format: "in-toto" });
    }
    // the signature covers the payload type too: the same payload under another type fails
    expect(readEnvelope(JSON.stringify({ ...env, payloadType: "application/json" }))).toMatchObject({ ok: false, message: expect.stringContaining("payloadType") });
  });

  it("the payload is an in-toto Statement v1: the module as its one subject, our predicate type, the predicate's fields", async () => {
    const signer = await importSigningKey((await generateKeyPair()).privatePem);
    const st = { name: "p", version: "1", serial: 7, moduleSha256: "b".repeat(64), issuedAt: "2026-01-01T00:00:00.000Z", expires: "2026-02-01T00:00:00.000Z" };
    const env = await signStatement(st, [signer], { subjectName: "policy.wasm" });
    expect(env.payloadType).toBe("application/vnd.in-toto+json");
    expect(JSON.parse(text(fromBase64(env.payload)!))).toEqual({
      _type: "https://in-toto.io/Statement/v1",
      subject: [{ name: "policy.wasm", digest: { sha256: "b".repeat(64) } }],
      predicateType: "https://isoplace.dev/policy-statement/v1",
      predicate: { name: "p", version: "1", serial: 7, issuedAt: "2026-01-01T00:00:00.000Z", expires: "2026-02-01T00:00:00.000Z" },
    });
  });

  it("reads the envelope inside a sigstore bundle (cosign's --bundle output) and cosign's in-toto v0.1 _type", async () => {
    const pair = await generateKeyPair("ecdsa-p256");
    const signer = await importSigningKey(pair.privatePem), trusted = await importPublicKey(pair.publicPem);
    const st = { name: "p", version: "1", serial: 9, moduleSha256: "c".repeat(64), issuedAt: new Date().toISOString() };
    const v01 = new TextEncoder().encode(JSON.stringify({ ...inTotoStatement(st), _type: "https://in-toto.io/Statement/v0.1" }));
    const sig = toBase64(await signBytes(pae(STATEMENT_TYPE, v01), signer.key));
    const bundle = {
      mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json", verificationMaterial: { publicKey: { hint: "x" }, tlogEntries: [] },
      dsseEnvelope: { payload: toBase64(v01), payloadType: STATEMENT_TYPE, signatures: [{ sig }] }, // no keyid, as cosign writes it
    };
    expect(await verifyStatement(JSON.stringify(bundle), [trusted])).toEqual({ ok: true, statement: st, keyId: trusted.id, format: "in-toto" });
    expect(readEnvelope(JSON.stringify({ ...bundle, dsseEnvelope: undefined, messageSignature: {} }))).toMatchObject({ ok: false, message: expect.stringMatching(/holds no DSSE envelope/) });
  });

  it("a statement that is not one cannot be signed", async () => {
    const signer = await importSigningKey((await generateKeyPair()).privatePem);
    await expect(signStatement({ name: "p", version: "1", serial: 0, moduleSha256: "a".repeat(64), issuedAt: "now" }, [signer])).rejects.toThrow(/serial/);
  });
});

describe("keys", () => {
  const pem = (label: string, der: Uint8Array) => `-----BEGIN ${label}-----\n${Buffer.from(der).toString("base64")}\n-----END ${label}-----\n`;

  it.each(["ed25519", "ecdsa-p256"] as const)("%s: a key pair signs and verifies; the private key knows its public key's ids", async (type) => {
    const pair = await generateKeyPair(type);
    const signer = await importSigningKey(pair.privatePem), trusted = await importPublicKey(pair.publicPem);
    expect([signer.type, trusted.type]).toEqual([type, type]);
    expect(signer.fingerprint).toBe(trusted.fingerprint);
    const bytes = new TextEncoder().encode("statement");
    const sig = await signBytes(bytes, signer.key);
    expect(await verifyBytes(trusted.key, sig, bytes)).toBe(true);
    expect(await verifyBytes(trusted.key, sig, new TextEncoder().encode("Statement"))).toBe(false);
    if (type === "ecdsa-p256") expect(sig[0]).toBe(0x30); // DER, as cosign writes and reads ECDSA signatures
  });

  it("keys OpenSSL and Node write (as cosign.pub is written) are read by their algorithm; others are refused naming the allowed types", async () => {
    const { generateKeyPairSync } = await import("node:crypto");
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const spki = ec.publicKey.export({ type: "spki", format: "der" }), pkcs8 = ec.privateKey.export({ type: "pkcs8", format: "der" });
    const signer = await importSigningKey(pem("PRIVATE KEY", pkcs8)), trusted = await importPublicKey(pem("PUBLIC KEY", spki));
    expect(signer.fingerprint).toBe(trusted.fingerprint);
    const bytes = new TextEncoder().encode("x");
    const { sign } = await import("node:crypto");
    expect(await verifyBytes(trusted.key, sign("sha256", bytes, ec.privateKey), bytes)).toBe(true); // Node's DER signature
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ type: "spki", format: "der" });
    await expect(importPublicKey(pem("PUBLIC KEY", rsa), "rsa.pub")).rejects.toThrow(/rsa.pub is an RSA key; the key types allowed are ed25519, ecdsa-p256/);
    const p384 = generateKeyPairSync("ec", { namedCurve: "P-384" }).privateKey.export({ type: "pkcs8", format: "der" });
    await expect(importSigningKey(pem("PRIVATE KEY", p384), "p384.key")).rejects.toThrow(/p384.key is an ECDSA key on P-384/);
    await expect(importPublicKey("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n", "k")).rejects.toThrow(/not a PEM "PUBLIC KEY" block .*found "EC PRIVATE KEY"/);
  });

  it("ECDSA signatures convert between DER and raw r||s, short and high-bit integers included", () => {
    for (const raw of [new Uint8Array(64).fill(0xff), new Uint8Array([...new Uint8Array(31), 1, ...new Uint8Array(31), 0x80]), new Uint8Array(64).map((_, i) => i + 1)]) {
      expect(ecdsaDerToRaw(ecdsaRawToDer(raw))).toEqual(raw);
    }
    expect(ecdsaDerToRaw(new Uint8Array([0x30, 0x03, 0x02, 0x01]))).toBeNull();
  });
});

describe("--expires", () => {
  const now = new Date("2026-01-01T00:00:00Z");
  it("takes durations and dates", () => {
    expect(parseExpiry("30d", now)).toBe("2026-01-31T00:00:00.000Z");
    expect(parseExpiry("12h", now)).toBe("2026-01-01T12:00:00.000Z");
    expect(parseExpiry("2w", now)).toBe("2026-01-15T00:00:00.000Z");
    expect(parseExpiry("2026-03-01", now)).toBe("2026-03-01T00:00:00.000Z");
  });
  it("refuses the rest, naming the forms", () => {
    expect(() => parseExpiry("0d", now)).toThrow(/30d/);
    expect(() => parseExpiry("tomorrow", now)).toThrow(/2027-01-31/);
    expect(() => parseExpiry("2025-01-01", now)).toThrow(/in the past/);
  });
});

describe("Poller", () => {
  it("backs off exponentially while checks fail, capped, and returns to the interval after one works", async () => {
    let ok = false;
    const p = new Poller(async () => ok, { intervalMs: 100, jitter: 0.5, maxBackoffMs: 350, random: () => 0 });
    expect(p.nextDelay()).toBe(100);
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      await p.runOnce();
      delays.push(p.nextDelay());
    }
    expect(delays).toEqual([100, 200, 350, 350]);
    ok = true;
    await p.runOnce();
    expect(p.nextDelay()).toBe(100);
    expect(p.checks.value).toBe(5);
  });

  it("adds jitter as a fraction of the wait", () => {
    const p = new Poller(async () => true, { intervalMs: 1000, jitter: 0.2, random: () => 1 });
    expect(p.nextDelay()).toBe(1200);
  });

  it("a check that throws counts as failed; the schedule runs checks and counts them", async () => {
    const p = new Poller(async () => { throw new Error("boom"); }, { intervalMs: 5, jitter: 0, firstDelayMs: 0 });
    p.start();
    await p.checks.reach(3);
    p.stop();
    expect(p.failureCount).toBeGreaterThanOrEqual(3);
  });

  it("CheckCount.more waits for checks after now", async () => {
    const c = new CheckCount();
    c.bump();
    const waiting = c.more(2);
    let done = false;
    void waiting.then(() => { done = true; });
    c.bump();
    await Promise.resolve();
    expect(done).toBe(false);
    c.bump();
    expect(await waiting).toBe(3);
  });
});
