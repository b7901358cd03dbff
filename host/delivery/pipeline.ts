// The checks every candidate policy passes, in order, before it may become active: size; the
// signed statement (a DSSE envelope by a trusted key); the statement against the bytes (digest),
// the clock (expiry), the module's metadata (ABI, name, version) and the serials already activated
// (no lower serial, no other bytes under an activated serial); then compilation, imports, metadata
// and the module's own self-test vectors (createEngine). Any failure throws PolicyRejectedError
// with a stable reason. Runtime-neutral (no Node imports).
import { ABI_VERSION, META_SECTION } from "../engine/abi.ts";
import { sha256Hex } from "../engine/digest.ts";
import { createEngine, type Engine } from "../engine/engine.ts";
import { PolicyRejectedError } from "../engine/errors.ts";
import { customSections, readMeta } from "../engine/meta.ts";
import { MAX_MODULE_BYTES } from "./limits.ts";
import type { TrustedKey } from "./signing.ts";
import type { Delivery } from "./source.ts";
import type { SerialMark } from "./state.ts";
import { verifyStatement, type Statement, type StatementFormat } from "./statement.ts";

export { MAX_MODULE_BYTES };

export interface Candidate extends Delivery {
  /** The default policy shipped in the package: trusted as part of the agent's own code. */
  builtIn?: boolean;
}

export interface CheckOptions {
  trustedKeys: readonly TrustedKey[];
  maxBytes?: number;
  /**
   * For a new delivery: the clock and the serials activated so far (by policy name). Left out
   * when re-checking a policy this agent already activated (restore at start, admin rollback).
   */
  freshness?: { now: Date; serial: (name: string) => SerialMark | undefined };
}

export interface Checked {
  engine: Engine; keyId: string | null; statement: Statement | null; moduleSha256: string;
  /** How the statement was written: "legacy" for the format before in-toto (accepted for one release). */
  format: StatementFormat | null;
}

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];
const reject = (reason: ConstructorParameters<typeof PolicyRejectedError>[0], message: string) => new PolicyRejectedError(reason, message);

export async function checkCandidate(c: Candidate, o: CheckOptions): Promise<Checked> {
  const max = o.maxBytes ?? MAX_MODULE_BYTES;
  if (c.bytes.length > max) throw reject("size", `the module is ${c.bytes.length} bytes; the limit is ${max}`);
  if (c.bytes.length === 0) throw reject("size", "the module is empty");
  const moduleSha256 = await sha256Hex(c.bytes);

  let keyId: string | null = null;
  let statement: Statement | null = null;
  let format: StatementFormat | null = null;
  if (!c.builtIn) {
    const v = await verifyStatement(c.envelope, o.trustedKeys);
    if (!v.ok) throw reject(v.reason, v.message);
    ({ keyId, statement, format } = v);
    if (statement.moduleSha256 !== moduleSha256) {
      throw reject("digest", `the statement is for module ${statement.moduleSha256}, not for these bytes (${moduleSha256}): a statement of another module or altered bytes`);
    }
    if (o.freshness && statement.expires && Date.parse(statement.expires) <= o.freshness.now.getTime()) {
      throw reject("expired", `the statement for ${statement.name} ${statement.version} (serial ${statement.serial}) expired at ${statement.expires}; sign it again with a later --expires`);
    }
  }

  if (c.bytes.length < 8 || WASM_MAGIC.some((b, i) => c.bytes[i] !== b)) throw reject("compile", "not a WebAssembly module (bad magic number)");
  const meta = readMeta(customSections(c.bytes, META_SECTION));
  if (meta.abi !== ABI_VERSION) throw reject("abi", `the module's ABI version is ${meta.abi}; this agent speaks ${ABI_VERSION}`);

  if (statement) {
    if (statement.name !== meta.name) throw reject("name", `the statement names policy "${statement.name}" but the module's metadata says "${meta.name}"`);
    if (statement.version !== meta.version) throw reject("version", `the statement names version "${statement.version}" but the module's metadata says "${meta.version}"`);
    const mark = o.freshness?.serial(statement.name);
    if (mark && statement.serial < mark.serial) {
      throw reject("serial-lower", `serial ${statement.serial} of ${statement.name} is lower than ${mark.serial}, already activated: a downgrade (only the admin rollback may go back)`);
    }
    if (mark && statement.serial === mark.serial && (mark.moduleSha256 !== moduleSha256 || mark.rolledBack)) {
      throw reject("serial-reused", mark.rolledBack
        ? `serial ${statement.serial} of ${statement.name} was rolled back by the admin; publish a new serial to move forward`
        : `serial ${statement.serial} of ${statement.name} was already activated for module ${mark.moduleSha256}; other bytes need a higher serial`);
    }
  }

  return { engine: await createEngine(c.bytes), keyId, statement, moduleSha256, format };
}
