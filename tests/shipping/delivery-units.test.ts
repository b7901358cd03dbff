// The runtime-neutral pieces of host/delivery on their own: DSSE's pre-authentication encoding
// (the spec's example), envelopes read from JSON and from base64, --expires parsing, and the
// shared poller's backoff and check count.
import { describe, expect, it } from "vitest";
import { CheckCount, Poller } from "../../host/delivery/poller.ts";
import { generateKeyPair, importPublicKey, importSigningKey } from "../../host/delivery/signing.ts";
import { envelopeHeader, envelopeJson, pae, parseExpiry, readEnvelope, signStatement, STATEMENT_TYPE, verifyStatement } from "../../host/delivery/statement.ts";

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
      expect(await verifyStatement(form, [trusted])).toEqual({ ok: true, statement: st, keyId: trusted.id });
    }
    // the signature covers the payload type too: the same payload under another type fails
    expect(readEnvelope(JSON.stringify({ ...env, payloadType: "application/json" }))).toMatchObject({ ok: false, message: expect.stringContaining("payloadType") });
  });

  it("a statement that is not one cannot be signed", async () => {
    const signer = await importSigningKey((await generateKeyPair()).privatePem);
    await expect(signStatement({ name: "p", version: "1", serial: 0, moduleSha256: "a".repeat(64), issuedAt: "now" }, [signer])).rejects.toThrow(/serial/);
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
