// Ed25519 keys and signatures over a policy module's bytes, with WebCrypto only (crypto.subtle),
// so the same code runs in Node 22 and in workerd. Keys travel as PEM: the private key as PKCS#8
// ("BEGIN PRIVATE KEY"), the public key as SPKI ("BEGIN PUBLIC KEY") — the formats OpenSSL
// writes and reads (`openssl pkey -in policy.key -pubout`). A signature is the 64 raw bytes,
// base64-encoded on one line.
import { sha256Hex } from "../engine/digest.ts";
const ALGORITHM = { name: "Ed25519" } as const;
export const SIGNATURE_BYTES = 64;

export class KeyFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KeyFormatError";
  }
}

/** A public key an agent trusts: its id (the first 16 hex digits of the SPKI's SHA-256) and where it came from. */
export interface TrustedKey { id: string; key: CryptoKey; label: string }

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

export async function importPrivateKey(text: string, what = "the private key"): Promise<CryptoKey> {
  try {
    return await crypto.subtle.importKey("pkcs8", unpem(text, "PRIVATE KEY", what) as BufferSource, ALGORITHM, false, ["sign"]);
  } catch (err) {
    throw err instanceof KeyFormatError ? err : new KeyFormatError(`${what} is not an Ed25519 PKCS#8 key: ${(err as Error).message}`);
  }
}

export async function importPublicKey(text: string, label = "the public key"): Promise<TrustedKey> {
  const spki = unpem(text, "PUBLIC KEY", label);
  try {
    const key = await crypto.subtle.importKey("spki", spki as BufferSource, ALGORITHM, false, ["verify"]);
    return { id: (await sha256Hex(spki)).slice(0, 16), key, label };
  } catch (err) {
    throw new KeyFormatError(`${label} is not an Ed25519 SPKI public key: ${(err as Error).message}`);
  }
}

/** The base64 Ed25519 signature of `bytes`. */
export async function signModule(bytes: Uint8Array, privateKey: CryptoKey): Promise<string> {
  return toBase64(new Uint8Array(await crypto.subtle.sign(ALGORITHM, privateKey, bytes as BufferSource)));
}

export type SignatureCheck =
  | { ok: true; keyId: string }
  | { ok: false; message: string };

/** Checks a base64 signature of `bytes` against each trusted key; ok names the key that signed. */
export async function verifyModule(bytes: Uint8Array, signature: string | null | undefined, keys: readonly TrustedKey[]): Promise<SignatureCheck> {
  if (signature === null || signature === undefined || signature.trim() === "") return { ok: false, message: "the module is unsigned (no signature given)" };
  const raw = fromBase64(signature);
  if (!raw || raw.length !== SIGNATURE_BYTES) return { ok: false, message: `the signature is not ${SIGNATURE_BYTES} bytes of base64` };
  if (keys.length === 0) return { ok: false, message: "no trusted key is configured, so no signed module can be accepted" };
  for (const k of keys) {
    if (await crypto.subtle.verify(ALGORITHM, k.key, raw as BufferSource, bytes as BufferSource)) return { ok: true, keyId: k.id };
  }
  return { ok: false, message: `the signature matches none of the ${keys.length} trusted key(s) (${keys.map((k) => k.id).join(", ")}): the module was altered or signed by another key` };
}
