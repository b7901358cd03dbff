// Ed25519 keys with WebCrypto only (crypto.subtle), so the same code runs in Node 22 and in
// workerd. Keys travel as PEM: the private key as PKCS#8 ("BEGIN PRIVATE KEY"), the public key as
// SPKI ("BEGIN PUBLIC KEY") — the formats OpenSSL writes and reads (`openssl pkey -in policy.key
// -pubout`). What is signed is a statement about a module (statement.ts), never bare bytes.
import { sha256Hex } from "../engine/digest.ts";
const ALGORITHM = { name: "Ed25519" } as const;
export const SIGNATURE_BYTES = 64;

export class KeyFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KeyFormatError";
  }
}

/**
 * A public key an agent trusts: its short id (the first 16 hex digits of the SPKI's SHA-256, as
 * shown in GET /v1/policy), its fingerprint (all 64: a DSSE signature's keyid) and where it came from.
 */
export interface TrustedKey { id: string; fingerprint: string; key: CryptoKey; label: string }

/** A private key ready to sign, with the ids of its public half. */
export interface SigningKey { key: CryptoKey; id: string; fingerprint: string }

// An Ed25519 SPKI is this fixed prefix and the 32-byte public key (RFC 8410).
const SPKI_PREFIX = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

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

function unpem(text: string, label: string, what: string): Uint8Array {
  const m = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`).exec(text);
  if (!m) throw new KeyFormatError(`${what} is not a PEM "${label}" block (expected -----BEGIN ${label}-----)`);
  const der = fromBase64(m[1].replace(/\s+/g, ""));
  if (!der) throw new KeyFormatError(`${what}: the PEM body is not base64`);
  return der;
}

/** A new key pair as PEM text: `privatePem` (PKCS#8) and `publicPem` (SPKI), and the key's id. */
export async function generateKeyPair(): Promise<{ privatePem: string; publicPem: string; id: string }> {
  const pair = await crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]) as CryptoKeyPair;
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey) as ArrayBuffer);
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey) as ArrayBuffer);
  return { privatePem: pem("PRIVATE KEY", pkcs8), publicPem: pem("PUBLIC KEY", spki), id: (await sha256Hex(spki)).slice(0, 16) };
}

/** A private key and its public half's ids (the public key is read from the private key's JWK form). */
export async function importSigningKey(text: string, what = "the private key"): Promise<SigningKey> {
  const der = unpem(text, "PRIVATE KEY", what);
  let key: CryptoKey, x: Uint8Array | null;
  try {
    const extractable = await crypto.subtle.importKey("pkcs8", der as BufferSource, ALGORITHM, true, ["sign"]);
    const jwk = await crypto.subtle.exportKey("jwk", extractable) as JsonWebKey;
    x = jwk.x ? base64UrlDecode(jwk.x) : null;
    key = await crypto.subtle.importKey("pkcs8", der as BufferSource, ALGORITHM, false, ["sign"]);
  } catch (err) {
    throw new KeyFormatError(`${what} is not an Ed25519 PKCS#8 key: ${(err as Error).message}`);
  }
  if (!x || x.length !== 32) throw new KeyFormatError(`${what}: cannot derive its public key`);
  const fingerprint = await sha256Hex(new Uint8Array([...SPKI_PREFIX, ...x]));
  return { key, id: fingerprint.slice(0, 16), fingerprint };
}

export async function importPublicKey(text: string, label = "the public key"): Promise<TrustedKey> {
  const spki = unpem(text, "PUBLIC KEY", label);
  try {
    const key = await crypto.subtle.importKey("spki", spki as BufferSource, ALGORITHM, false, ["verify"]);
    const fingerprint = await sha256Hex(spki);
    return { id: fingerprint.slice(0, 16), fingerprint, key, label };
  } catch (err) {
    throw new KeyFormatError(`${label} is not an Ed25519 SPKI public key: ${(err as Error).message}`);
  }
}

/** The raw Ed25519 signature of `bytes`. */
export async function signBytes(bytes: Uint8Array, privateKey: CryptoKey): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign(ALGORITHM, privateKey, bytes as BufferSource));
}

/** Whether `sig` is `key`'s Ed25519 signature of `bytes`. */
export async function verifyBytes(key: CryptoKey, sig: Uint8Array, bytes: Uint8Array): Promise<boolean> {
  return crypto.subtle.verify(ALGORITHM, key, sig as BufferSource, bytes as BufferSource);
}
