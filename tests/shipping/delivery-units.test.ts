// The runtime-neutral pieces of host/delivery on their own: DSSE's pre-authentication encoding
// (the spec's example), envelopes read from JSON and from base64, --expires parsing, and the
// shared poller's backoff and check count.
import { beforeAll, describe, expect, it } from "vitest";
import { CheckCount, Poller } from "../../host/delivery/poller.ts";
import {
  ecdsaDerToRaw,
  ecdsaRawToDer,
  fromBase64,
  generateKeyPair,
  importPublicKey,
  importSigningKey,
  signBytes,
  toBase64,
  verifyBytes,
} from "../../host/delivery/signing.ts";
import { parseSignedTime, predicateProblem } from "../../host/delivery/predicate.ts";
import {
  envelopeHeader,
  envelopeJson,
  inTotoStatement,
  pae,
  parseExpiry,
  readEnvelope,
  signStatement,
  STATEMENT_TYPE,
  verifyStatement,
} from "../../host/delivery/statement.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe("DSSE", () => {
  it("PAE is the spec's encoding (lengths in bytes, not characters)", () => {
    expect(text(pae("http://example.com/HelloWorld", new TextEncoder().encode("hello world")))).toBe("DSSEv1 29 http://example.com/HelloWorld 11 hello world");
    expect(text(pae("t", new TextEncoder().encode("é")))).toBe("DSSEv1 1 t 2 é");
  });

  it("an envelope verifies from its JSON and from the base64 header form; keyid is the key's full SHA-256", async () => {
    const pair = await generateKeyPair();
    const signer = await importSigningKey(pair.privatePem),
      trusted = await importPublicKey(pair.publicPem);
    expect(signer.fingerprint).toBe(trusted.fingerprint);
    expect(signer.id).toBe(pair.id);
    const st = { name: "p", version: "1", serial: 7, moduleSha256: "a".repeat(64), issuedAt: new Date().toISOString() };
    const env = await signStatement(st, [signer]);
    expect(env).toMatchObject({ payloadType: STATEMENT_TYPE, signatures: [{ keyid: trusted.fingerprint }] });
    for (const form of [envelopeJson(env), envelopeHeader(env)]) {
      expect(await verifyStatement(form, [trusted])).toEqual({ ok: true, statement: st, keyId: trusted.id, format: "in-toto" });
    }
    // the signature covers the payload type too: the same payload under another type fails
    expect(readEnvelope(JSON.stringify({ ...env, payloadType: "application/json" }))).toMatchObject({
      ok: false,
      message: expect.stringContaining("payloadType"),
    });
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
    const signer = await importSigningKey(pair.privatePem),
      trusted = await importPublicKey(pair.publicPem);
    const st = { name: "p", version: "1", serial: 9, moduleSha256: "c".repeat(64), issuedAt: new Date().toISOString() };
    const v01 = new TextEncoder().encode(JSON.stringify({ ...inTotoStatement(st), _type: "https://in-toto.io/Statement/v0.1" }));
    const sig = toBase64(await signBytes(pae(STATEMENT_TYPE, v01), signer.key));
    const bundle = {
      mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
      verificationMaterial: { publicKey: { hint: "x" }, tlogEntries: [] },
      dsseEnvelope: { payload: toBase64(v01), payloadType: STATEMENT_TYPE, signatures: [{ sig }] }, // no keyid, as cosign writes it
    };
    expect(await verifyStatement(JSON.stringify(bundle), [trusted])).toEqual({ ok: true, statement: st, keyId: trusted.id, format: "in-toto" });
    expect(readEnvelope(JSON.stringify({ ...bundle, dsseEnvelope: undefined, messageSignature: {} }))).toMatchObject({
      ok: false,
      message: expect.stringMatching(/holds no DSSE envelope/),
    });
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
    const signer = await importSigningKey(pair.privatePem),
      trusted = await importPublicKey(pair.publicPem);
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
    const spki = ec.publicKey.export({ type: "spki", format: "der" }),
      pkcs8 = ec.privateKey.export({ type: "pkcs8", format: "der" });
    const signer = await importSigningKey(pem("PRIVATE KEY", pkcs8)),
      trusted = await importPublicKey(pem("PUBLIC KEY", spki));
    expect(signer.fingerprint).toBe(trusted.fingerprint);
    const bytes = new TextEncoder().encode("x");
    const { sign } = await import("node:crypto");
    expect(await verifyBytes(trusted.key, sign("sha256", bytes, ec.privateKey), bytes)).toBe(true); // Node's DER signature
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ type: "spki", format: "der" });
    await expect(importPublicKey(pem("PUBLIC KEY", rsa), "rsa.pub")).rejects.toThrow(/rsa.pub is an RSA key; the key types allowed are ed25519, ecdsa-p256/);
    const p384 = generateKeyPairSync("ec", { namedCurve: "P-384" }).privateKey.export({ type: "pkcs8", format: "der" });
    await expect(importSigningKey(pem("PRIVATE KEY", p384), "p384.key")).rejects.toThrow(/p384.key is an ECDSA key on P-384/);
    await expect(importPublicKey("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n", "k")).rejects.toThrow(
      /not a PEM "PUBLIC KEY" block .*found "EC PRIVATE KEY"/,
    );
  });

  it("ECDSA signatures convert between DER and raw r||s, short and high-bit integers included", () => {
    for (const raw of [
      new Uint8Array(64).fill(0x7f),
      new Uint8Array([...new Uint8Array(31), 1, ...new Uint8Array(31), 0x80]),
      new Uint8Array([0x80, ...new Uint8Array(30), 1, 0xc0, ...new Uint8Array(31)]),
      new Uint8Array(64).map((_, i) => i + 1),
    ]) {
      expect(ecdsaDerToRaw(ecdsaRawToDer(raw))).toEqual(raw);
    }
    expect(ecdsaDerToRaw(new Uint8Array([0x30, 0x03, 0x02, 0x01]))).toBeNull();
  });

  describe("ECDSA signatures are strict DER, as Go's crypto/ecdsa (cosign) reads them", () => {
    const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
    const bytesOf = (n: bigint) => Uint8Array.from(Buffer.from(n.toString(16).padStart(64, "0"), "hex"));
    const bigOf = (b: Uint8Array) => BigInt(`0x${Buffer.from(b).toString("hex") || "0"}`);
    const minimal = (b: Uint8Array) => {
      let i = 0;
      while (i < b.length - 1 && b[i] === 0) i++;
      return b.subarray(i);
    };
    const derInt = (content: number[] | Uint8Array) => [0x02, content.length, ...content];
    const seq = (...parts: number[][]) => new Uint8Array([0x30, parts.flat().length, ...parts.flat()]);
    const message = new TextEncoder().encode("statement");
    let key: CryptoKey, r: Uint8Array, s: Uint8Array;

    // a real signature whose r has its high bit set (so that its DER INTEGER needs the 0x00 sign byte)
    beforeAll(async () => {
      const pair = await generateKeyPair("ecdsa-p256");
      const signer = await importSigningKey(pair.privatePem);
      key = (await importPublicKey(pair.publicPem)).key;
      for (;;) {
        const raw = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, signer.key, message));
        if (raw[0] & 0x80 && raw[32] !== 0 && raw[32] < 0x80) {
          [r, s] = [raw.subarray(0, 32), raw.subarray(32)];
          break;
        }
      }
    });
    const verifies = (sig: Uint8Array) => verifyBytes(key, sig, message);

    it("the strict encoding verifies, and so does s replaced by n − s (Go accepts both; ECDSA cannot tell them apart)", async () => {
      const der = seq(derInt([0, ...r]), derInt(minimal(s)));
      expect(der).toEqual(ecdsaRawToDer(new Uint8Array([...r, ...s])));
      expect(await verifies(der)).toBe(true);
      const flipped = minimal(bytesOf(N - bigOf(s)));
      expect(await verifies(seq(derInt([0, ...r]), derInt(flipped[0] & 0x80 ? [0, ...flipped] : flipped)))).toBe(true);
    });

    it.each([
      ["raw r||s (64 bytes, no DER)", () => new Uint8Array([...r, ...s])],
      ["r padded with another 0x00", () => seq(derInt([0, 0, ...r]), derInt(minimal(s)))],
      ["s padded with a 0x00 before a byte < 0x80", () => seq(derInt([0, ...r]), derInt([0, ...minimal(s)]))],
      ["r negative (its sign byte dropped: read as unsigned before)", () => seq(derInt(r), derInt(minimal(s)))],
      [
        "a long-form length on the SEQUENCE (0x81 n)",
        () => {
          const body = [...derInt([0, ...r]), ...derInt(minimal(s))];
          return new Uint8Array([0x30, 0x81, body.length, ...body]);
        },
      ],
      ["a long-form length on an INTEGER", () => seq([0x02, 0x81, 33, 0, ...r], derInt(minimal(s)))],
      ["a byte after the SEQUENCE", () => new Uint8Array([...seq(derInt([0, ...r]), derInt(minimal(s))), 0])],
      ["a third INTEGER inside the SEQUENCE", () => seq(derInt([0, ...r]), derInt(minimal(s)), derInt([1]))],
      [
        "a SET instead of a SEQUENCE",
        () => {
          const d = seq(derInt([0, ...r]), derInt(minimal(s)));
          d[0] = 0x31;
          return d;
        },
      ],
      ["an empty INTEGER", () => seq(derInt([]), derInt(minimal(s)))],
    ])("refuses %s", async (_, make) => {
      const sig = make();
      expect(ecdsaDerToRaw(sig)).toBeNull();
      expect(await verifies(sig)).toBe(false);
    });

    it("refuses r or s of zero, n, or n + r (out of [1, n − 1])", async () => {
      const der = (a: bigint, b: bigint) => {
        const x = minimal(bytesOf(a)),
          y = minimal(bytesOf(b));
        return seq(derInt(x[0] & 0x80 ? [0, ...x] : x), derInt(y[0] & 0x80 ? [0, ...y] : y));
      };
      for (const sig of [der(0n, bigOf(s)), der(bigOf(r), 0n), der(N, bigOf(s)), der(bigOf(r), N)]) expect(ecdsaDerToRaw(sig)).toBeNull();
      const over = Uint8Array.from(Buffer.from((N + bigOf(s)).toString(16).padStart(66, "0"), "hex"));
      expect(ecdsaDerToRaw(seq(derInt([0, ...r]), derInt(minimal(over))))).toBeNull();
    });
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
  it("takes an RFC 3339 time with its offset, written as UTC", () => {
    expect(parseExpiry("2026-03-01T12:00:00+02:00", now)).toBe("2026-03-01T10:00:00.000Z");
    expect(parseExpiry("2026-03-01T12:00:00.5Z", now)).toBe("2026-03-01T12:00:00.500Z");
  });
  it("refuses the rest, naming the forms", () => {
    expect(() => parseExpiry("0d", now)).toThrow(/30d/);
    expect(() => parseExpiry("tomorrow", now)).toThrow(/2027-01-31/);
    expect(() => parseExpiry("2025-01-01", now)).toThrow(/in the past/);
    // a time without an offset is the signer's local time to Date.parse: refused, not guessed
    for (const t of ["2026-03-01T12:00", "2026-03-01T12:00:00", "2026-02-30", "03/01/2026"])
      expect(() => parseExpiry(t, now), t).toThrow(/RFC 3339 time with Z or an offset/);
  });
});

describe("signed times: RFC 3339 with Z or an offset, nothing else", () => {
  it.each([
    ["2026-01-31T12:00:00Z", Date.UTC(2026, 0, 31, 12)],
    ["2026-01-31T12:00:00.123456789Z", Date.UTC(2026, 0, 31, 12, 0, 0, 123)],
    ["2026-01-31T12:00:00+05:30", Date.UTC(2026, 0, 31, 6, 30)],
    ["2026-01-31T00:30:00-01:00", Date.UTC(2026, 0, 31, 1, 30)],
    ["2024-02-29T23:59:59Z", Date.UTC(2024, 1, 29, 23, 59, 59)],
    ["0099-01-01T00:00:00Z", -59_042_995_200_000], // not 1999, as Date.UTC(99, …) would make it
  ])("reads %s", (text, at) => {
    expect(parseSignedTime(text)).toBe(at);
  });

  it.each([
    "1",
    "2024",
    "March 7",
    "12/31/2099",
    "2030-02-30T00:00:00Z",
    "2023-02-29T00:00:00Z",
    "2026-13-01T00:00:00Z",
    "2026-01-31",
    "2026-01-31T12:00:00",
    "2026-01-31T12:00Z",
    "2026-01-31 12:00:00Z",
    "2026-01-31t12:00:00z",
    "2026-01-31T24:00:00Z",
    "2026-01-31T12:60:00Z",
    "2016-12-31T23:59:60Z",
    "2026-01-31T12:00:00+0100",
    "2026-01-31T12:00:00+24:00",
    "2026-01-31T12:00:00.Z",
    "2026-01-31T12:00:00.1234567890Z",
    "+002026-01-31T12:00:00Z",
    " 2026-01-31T12:00:00Z",
  ])("refuses %s", (text) => {
    expect(parseSignedTime(text)).toBeNull();
  });

  it("a statement whose issuedAt or expires is not one is malformed, whatever Date.parse would make of it", () => {
    const good = { name: "p", version: "1", serial: 1, issuedAt: "2026-01-01T00:00:00.000Z" };
    expect(predicateProblem(good)).toBeNull();
    expect(predicateProblem({ ...good, expires: "2026-02-01T00:00:00+01:00" })).toBeNull();
    for (const issuedAt of ["1", "2024", "March 7", "2030-02-30"])
      expect(predicateProblem({ ...good, issuedAt }), issuedAt).toMatch(/^issuedAt must be an RFC 3339 time/);
    for (const expires of ["12/31/2099", "2030-02-30T00:00:00Z", "2099-12-31T00:00:00"])
      expect(predicateProblem({ ...good, expires }), expires).toMatch(/^expires must be an RFC 3339 time/);
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
    const p = new Poller(
      async () => {
        throw new Error("boom");
      },
      { intervalMs: 5, jitter: 0, firstDelayMs: 0 },
    );
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
    void waiting.then(() => {
      done = true;
    });
    c.bump();
    await Promise.resolve();
    expect(done).toBe(false);
    c.bump();
    expect(await waiting).toBe(3);
  });
});
