// The agent's trusted public keys, read from files (--trusted-key, ISOPLACE_TRUSTED_KEYS).
// More than one key may be trusted at once: that is how a signing key is rotated.
import { readFile } from "node:fs/promises";
import { importPublicKey, type TrustedKey } from "../delivery/signing.ts";

export async function loadTrustedKeys(paths: readonly string[]): Promise<TrustedKey[]> {
  const keys: TrustedKey[] = [];
  for (const path of paths) {
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (err) {
      throw new Error(`cannot read the trusted key ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const key = await importPublicKey(text, `the trusted key ${path}`);
    if (!keys.some((k) => k.id === key.id)) keys.push(key);
  }
  return keys;
}

/** ISOPLACE_TRUSTED_KEYS: comma-separated paths. */
export function trustedKeyPathsFromEnv(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}
