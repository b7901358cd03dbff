// Signing keys with WebCrypto only (crypto.subtle), so the same code runs in Node 22 and in
// workerd: Ed25519, and ECDSA P-256 with SHA-256 (cosign's default). Keys travel as PEM: the
// private key as PKCS#8 ("BEGIN PRIVATE KEY"), the public key as SPKI ("BEGIN PUBLIC KEY") — the
// formats OpenSSL writes and reads, and the one cosign writes cosign.pub in. ECDSA signatures
// travel DER-encoded (ASN.1 SEQUENCE { r, s }, as cosign, Go and OpenSSL write them), and only so:
// read as strictly as Go's crypto/ecdsa reads them, so an envelope cosign refuses is refused here
// too and a signature has one accepted encoding. WebCrypto speaks raw r||s, so they are converted
// at this boundary. What is signed is a statement about a module (statement.ts), never bare bytes.
import { sha256Hex } from "../engine/digest.ts";

export type KeyType = "ed25519" | "ecdsa-p256";
export const KEY_TYPES: readonly KeyType[] = ["ed25519", "ecdsa-p256"];

// plain objects, not the DOM's parameter types: the Worker's types name them otherwise
const IMPORT: Record<KeyType, { name: string; namedCurve?: string }> = {
  ed25519: { name: "Ed25519" },
  "ecdsa-p256": { name: "ECDSA", namedCurve: "P-256" },
};
const SIGN: Record<KeyType, { name: string; hash?: string }> = {
  ed25519: { name: "Ed25519" },
  "ecdsa-p256": { name: "ECDSA", hash: "SHA-256" },
};
/** The length of an Ed25519 signature (and of the old bare signature of a module). */
export const SIGNATURE_BYTES = 64;

export class KeyFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KeyFormatError";
  }
}

/**
 * A public key an agent trusts: its short id (the first 16 hex digits of the SPKI's SHA-256, as
 * shown in GET /v1/policy), its fingerprint (all 64: a DSSE signature's keyid), its type and where it came from.
 */
export interface TrustedKey {
  id: string;
  fingerprint: string;
  type: KeyType;
  key: CryptoKey;
  label: string;
}

/** A private key ready to sign, with the ids of its public half. */
export interface SigningKey {
  key: CryptoKey;
  type: KeyType;
  id: string;
  fingerprint: string;
}

function base64UrlDecode(text: string): Uint8Array | null {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  return fromBase64(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
}

export function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

export function fromBase64(text: string): Uint8Array | null {
  const clean = text.trim();
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 !== 0) return null;
  const bin = atob(clean);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function pem(label: string, der: Uint8Array): string {
  const b64 = toBase64(der);
  return `-----BEGIN ${label}-----\n${b64.match(/.{1,64}/g)!.join("\n")}\n-----END ${label}-----\n`;
}

export function unpem(text: string, label: string, what: string): Uint8Array {
  const m = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`).exec(text);
  if (!m) {
    const other = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(text);
    throw new KeyFormatError(`${what} is not a PEM "${label}" block (expected -----BEGIN ${label}-----${other ? `, found "${other[1]}"` : ""})`);
  }
  const der = fromBase64(m[1].replace(/\s+/g, ""));
  if (!der) throw new KeyFormatError(`${what}: the PEM body is not base64`);
  return der;
}

// --- DER, as far as keys and ECDSA signatures need it ---

interface Tlv {
  tag: number;
  start: number;
  end: number;
  next: number;
}

function tlv(der: Uint8Array, at: number): Tlv | null {
  if (at + 2 > der.length) return null;
  const tag = der[at];
  let len = der[at + 1],
    start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 3 || start + n > der.length) return null;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[start + i];
    start += n;
  }
  const end = start + len;
  return end > der.length ? null : { tag, start, end, next: end };
}

const OID = {
  ed25519: "2b6570", // 1.3.101.112
  ecPublicKey: "2a8648ce3d0201", // 1.2.840.10045.2.1
  p256: "2a8648ce3d030107", // 1.2.840.10045.3.1.7
  p384: "2b81040022",
  p521: "2b81040023",
  rsa: "2a864886f70d010101",
} as const;
const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");

/** The key type an SPKI or PKCS#8 structure names in its AlgorithmIdentifier; throws naming what it found. */
function keyTypeOf(der: Uint8Array, form: "spki" | "pkcs8", what: string): KeyType {
  const outer = tlv(der, 0);
  let at = outer && outer.tag === 0x30 ? outer.start : -1;
  if (form === "pkcs8" && at >= 0) {
    const version = tlv(der, at);
    at = version && version.tag === 0x02 ? version.next : -1;
  }
  const alg = at >= 0 ? tlv(der, at) : null;
  const oid = alg && alg.tag === 0x30 ? tlv(der, alg.start) : null;
  if (!alg || !oid || oid.tag !== 0x06) throw new KeyFormatError(`${what} is not a DER ${form === "spki" ? "SPKI public" : "PKCS#8 private"} key`);
  const algorithm = hex(der.subarray(oid.start, oid.end));
  if (algorithm === OID.ed25519) return "ed25519";
  const params = tlv(der, oid.next);
  const curve = params && params.tag === 0x06 && params.end <= alg.end ? hex(der.subarray(params.start, params.end)) : "";
  if (algorithm === OID.ecPublicKey && curve === OID.p256) return "ecdsa-p256";
  const found =
    algorithm === OID.rsa
      ? "an RSA key"
      : algorithm === OID.ecPublicKey
        ? `an ECDSA key on ${curve === OID.p384 ? "P-384" : curve === OID.p521 ? "P-521" : "another curve"}`
        : "a key of another algorithm";
  throw new KeyFormatError(`${what} is ${found}; the key types allowed are ${KEY_TYPES.join(", ")}`);
}

/** The SPKI of a P-256 public point (x, y: 32 bytes each). */
const P256_SPKI_PREFIX = [
  0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
  0x04,
];
/** An Ed25519 SPKI is this fixed prefix and the 32-byte public key (RFC 8410). */
const ED25519_SPKI_PREFIX = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

function spkiFromJwk(type: KeyType, jwk: JsonWebKey): Uint8Array | null {
  const x = jwk.x ? base64UrlDecode(jwk.x) : null;
  if (type === "ed25519") return x && x.length === 32 ? new Uint8Array([...ED25519_SPKI_PREFIX, ...x]) : null;
  const y = jwk.y ? base64UrlDecode(jwk.y) : null;
  return x && y && x.length === 32 && y.length === 32 ? new Uint8Array([...P256_SPKI_PREFIX, ...x, ...y]) : null;
}

/** ECDSA's raw r||s (WebCrypto: 32 bytes each for P-256) as DER (a SEQUENCE of two minimal INTEGERs). */
export function ecdsaRawToDer(raw: Uint8Array): Uint8Array {
  const half = raw.length / 2;
  const int = (b: Uint8Array) => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    const v = b.subarray(i);
    return v[0] & 0x80 ? [0x02, v.length + 1, 0, ...v] : [0x02, v.length, ...v];
  };
  const body = [...int(raw.subarray(0, half)), ...int(raw.subarray(half))];
  return new Uint8Array([0x30, body.length, ...body]);
}

/** The order n of P-256's base point: r and s of a valid signature lie in [1, n − 1]. */
const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

/**
 * A DER ECDSA P-256 signature as raw r||s (32 bytes each); null unless it is DER as Go's
 * crypto/ecdsa (cosign's verifier) reads it: SEQUENCE and INTEGER tags, short-form lengths (a
 * P-256 signature is under 128 bytes, so a long form is never minimal), each INTEGER minimal (a
 * leading 0x00 only before a byte ≥ 0x80) and not negative, r and s in [1, n − 1], nothing after
 * s or after the SEQUENCE. As in Go, s and n − s are both accepted (ECDSA cannot tell them apart).
 */
export function ecdsaDerToRaw(der: Uint8Array): Uint8Array | null {
  if (der.length < 8 || der[0] !== 0x30 || der[1] >= 0x80 || der[1] !== der.length - 2) return null;
  const out = new Uint8Array(64);
  let at = 2;
  for (const half of [0, 1]) {
    if (at + 2 > der.length || der[at] !== 0x02) return null;
    const len = der[at + 1];
    if (len === 0 || len > 33 || at + 2 + len > der.length) return null;
    const v = der.subarray(at + 2, at + 2 + len);
    if (v[0] & 0x80) return null; // negative
    if (v[0] === 0 && len > 1 && !(v[1] & 0x80)) return null; // padded: not minimal
    const magnitude = v[0] === 0 && len > 1 ? v.subarray(1) : v;
    if (magnitude.length > 32) return null;
    const n = BigInt(`0x${hex(magnitude)}`);
    if (n === 0n || n >= P256_ORDER) return null;
    out.set(magnitude, (half + 1) * 32 - magnitude.length);
    at += 2 + len;
  }
  return at === der.length ? out : null;
}

/** A new key pair as PEM text: `privatePem` (PKCS#8) and `publicPem` (SPKI), and the key's id. */
export async function generateKeyPair(type: KeyType = "ed25519"): Promise<{ privatePem: string; publicPem: string; id: string; type: KeyType }> {
  const pair = (await crypto.subtle.generateKey(IMPORT[type], true, ["sign", "verify"])) as CryptoKeyPair;
  const spki = new Uint8Array((await crypto.subtle.exportKey("spki", pair.publicKey)) as ArrayBuffer);
  const pkcs8 = new Uint8Array((await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer);
  return { privatePem: pem("PRIVATE KEY", pkcs8), publicPem: pem("PUBLIC KEY", spki), id: (await sha256Hex(spki)).slice(0, 16), type };
}

/** A PKCS#8 private key (DER) and its public half's ids (the public key is read from the private key's JWK form). */
export async function importSigningKeyDer(der: Uint8Array, what = "the private key"): Promise<SigningKey> {
  const type = keyTypeOf(der, "pkcs8", what);
  let key: CryptoKey, spki: Uint8Array | null;
  try {
    const extractable = await crypto.subtle.importKey("pkcs8", der as BufferSource, IMPORT[type], true, ["sign"]);
    spki = spkiFromJwk(type, (await crypto.subtle.exportKey("jwk", extractable)) as JsonWebKey);
    key = await crypto.subtle.importKey("pkcs8", der as BufferSource, IMPORT[type], false, ["sign"]);
  } catch (err) {
    throw new KeyFormatError(`${what} is not a valid ${type} PKCS#8 key: ${(err as Error).message}`);
  }
  if (!spki) throw new KeyFormatError(`${what}: cannot derive its public key`);
  const fingerprint = await sha256Hex(spki);
  return { key, type, id: fingerprint.slice(0, 16), fingerprint };
}

/** A private key from its PEM text (PKCS#8, "BEGIN PRIVATE KEY"). */
export async function importSigningKey(text: string, what = "the private key"): Promise<SigningKey> {
  return importSigningKeyDer(unpem(text, "PRIVATE KEY", what), what);
}

/** A public key from its PEM text (SPKI, "BEGIN PUBLIC KEY": what `policy keygen`, OpenSSL and cosign write). */
export async function importPublicKey(text: string, label = "the public key"): Promise<TrustedKey> {
  const spki = unpem(text, "PUBLIC KEY", label);
  const type = keyTypeOf(spki, "spki", label);
  try {
    const key = await crypto.subtle.importKey("spki", spki as BufferSource, IMPORT[type], false, ["verify"]);
    const fingerprint = await sha256Hex(spki);
    return { id: fingerprint.slice(0, 16), fingerprint, type, key, label };
  } catch (err) {
    throw new KeyFormatError(`${label} is not a valid ${type} SPKI public key: ${(err as Error).message}`);
  }
}

const typeOf = (key: CryptoKey): KeyType => (key.algorithm.name === "ECDSA" ? "ecdsa-p256" : "ed25519");

/** `privateKey`'s signature of `bytes`: raw for Ed25519 (64 bytes), DER for ECDSA. */
export async function signBytes(bytes: Uint8Array, privateKey: CryptoKey): Promise<Uint8Array> {
  const type = typeOf(privateKey);
  const sig = new Uint8Array(await crypto.subtle.sign(SIGN[type], privateKey, bytes as BufferSource));
  return type === "ecdsa-p256" ? ecdsaRawToDer(sig) : sig;
}

/**
 * Whether `sig` is `key`'s signature of `bytes`. ECDSA: strict DER only — raw r||s is refused
 * although WebCrypto could check it, because cosign and Go refuse it, and a second accepted
 * encoding would give one signature two forms.
 */
export async function verifyBytes(key: CryptoKey, sig: Uint8Array, bytes: Uint8Array): Promise<boolean> {
  const type = typeOf(key);
  let s: Uint8Array | null = sig;
  if (type === "ecdsa-p256") s = ecdsaDerToRaw(sig);
  else if (sig.length !== SIGNATURE_BYTES) s = null;
  if (!s) return false;
  return crypto.subtle.verify(SIGN[type], key, s as BufferSource, bytes as BufferSource);
}
