// The checks every candidate policy passes, in order, before it may become active: size, the
// signature against a trusted key, the ABI version read from the metadata section, then
// compilation, imports, metadata and the module's own self-test vectors (createEngine).
// Any failure throws PolicyRejectedError with a stable reason. Runtime-neutral (no Node imports).
import { ABI_VERSION, META_SECTION } from "../engine/abi.ts";
import { createEngine, type Engine } from "../engine/engine.ts";
import { PolicyRejectedError } from "../engine/errors.ts";
import { customSections, readMeta } from "../engine/meta.ts";
import { verifyModule, type TrustedKey } from "../policy/signing.ts";

export const MAX_MODULE_BYTES = 1024 * 1024;

export interface Candidate {
  bytes: Uint8Array;
  /** Base64 Ed25519 signature of the bytes; null when none came with them. */
  signature: string | null;
  /** Where it came from, e.g. "file:/etc/isoplace/policy.wasm", "url:https://…", "admin". */
  source: string;
  /** The default policy shipped in the package: trusted as part of the agent's own code. */
  builtIn?: boolean;
}

export interface CheckOptions { trustedKeys: readonly TrustedKey[]; maxBytes?: number }

export interface Checked { engine: Engine; keyId: string | null }

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

export async function checkCandidate(c: Candidate, o: CheckOptions): Promise<Checked> {
  const max = o.maxBytes ?? MAX_MODULE_BYTES;
  if (c.bytes.length > max) throw new PolicyRejectedError("size", `the module is ${c.bytes.length} bytes; the limit is ${max}`);
  if (c.bytes.length === 0) throw new PolicyRejectedError("size", "the module is empty");

  let keyId: string | null = null;
  if (!c.builtIn) {
    const sig = await verifyModule(c.bytes, c.signature, o.trustedKeys);
    if (!sig.ok) throw new PolicyRejectedError("signature", sig.message);
    keyId = sig.keyId;
  }

  if (c.bytes.length < 8 || WASM_MAGIC.some((b, i) => c.bytes[i] !== b)) throw new PolicyRejectedError("compile", "not a WebAssembly module (bad magic number)");
  const meta = readMeta(customSections(c.bytes, META_SECTION));
  if (meta.abi !== ABI_VERSION) throw new PolicyRejectedError("abi", `the module's ABI version is ${meta.abi}; this agent speaks ${ABI_VERSION}`);

  return { engine: await createEngine(c.bytes), keyId };
}
