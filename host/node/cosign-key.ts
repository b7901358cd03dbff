// cosign's private key file, as `cosign generate-key-pair` writes cosign.key: a PEM block
// ("ENCRYPTED SIGSTORE PRIVATE KEY", earlier "ENCRYPTED COSIGN PRIVATE KEY") whose body is JSON
// { kdf: scrypt {N, r, p, salt}, cipher: nacl/secretbox {nonce}, ciphertext } sealing the PKCS#8
// DER of the key — so `isoplace policy sign --key cosign.key` signs with the same key pair as
// `cosign attest-blob`. The password is cosign's own variable, COSIGN_PASSWORD. Node only (scrypt).
import { scrypt } from "node:crypto";
import { xsalsa20poly1305 } from "@noble/ciphers/salsa.js";
import { fromBase64, KeyFormatError, unpem } from "../delivery/signing.ts";

const LABELS = ["ENCRYPTED SIGSTORE PRIVATE KEY", "ENCRYPTED COSIGN PRIVATE KEY"];

/** Whether the text is a cosign private key file. */
export const isCosignKey = (text: string): boolean => LABELS.some((l) => text.includes(`-----BEGIN ${l}-----`));

interface Sealed {
  kdf?: { name?: string; params?: { N?: number; r?: number; p?: number }; salt?: string };
  cipher?: { name?: string; nonce?: string };
  ciphertext?: string;
}

// the parameter sets cosign writes (legacy 2^15, standard 2^16, OWASP 2^17): nothing bigger is derived
const MAX_N = 1 << 17;

function derive(password: string, salt: Uint8Array, N: number, r: number, p: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, 32, { N, r, p, maxmem: 256 * N * r + (1 << 20) }, (err, key) => (err ? reject(err) : resolve(new Uint8Array(key))));
  });
}

/** The PKCS#8 DER inside a cosign private key file; throws KeyFormatError naming what is wrong (the password included). */
export async function decryptCosignKey(text: string, password: string | undefined, what: string): Promise<Uint8Array> {
  const label = LABELS.find((l) => text.includes(`-----BEGIN ${l}-----`)) ?? LABELS[0];
  if (password === undefined)
    throw new KeyFormatError(`${what} is cosign's encrypted key: set COSIGN_PASSWORD to its password (as for cosign itself; "" for none)`);
  let sealed: Sealed;
  try {
    sealed = JSON.parse(new TextDecoder().decode(unpem(text, label, what)));
  } catch (err) {
    if (err instanceof KeyFormatError) throw err;
    throw new KeyFormatError(`${what}: the ${label} block is not JSON`);
  }
  const { kdf, cipher } = sealed;
  const { N = 0, r = 0, p = 0 } = kdf?.params ?? {};
  const salt = fromBase64(kdf?.salt ?? ""),
    nonce = fromBase64(cipher?.nonce ?? ""),
    box = fromBase64(sealed.ciphertext ?? "");
  if (kdf?.name !== "scrypt" || cipher?.name !== "nacl/secretbox" || !salt || !nonce || nonce.length !== 24 || !box) {
    throw new KeyFormatError(`${what}: not a cosign key sealed with scrypt and nacl/secretbox`);
  }
  if (!Number.isSafeInteger(N) || N < 2 || N > MAX_N || (N & (N - 1)) !== 0 || r !== 8 || p !== 1) {
    throw new KeyFormatError(`${what}: scrypt parameters N=${N} r=${r} p=${p} are not among those cosign writes`);
  }
  const key = await derive(password, salt, N, r, p);
  try {
    return xsalsa20poly1305(key, nonce).decrypt(box);
  } catch {
    throw new KeyFormatError(`${what}: wrong COSIGN_PASSWORD (the key does not decrypt)`);
  }
}
