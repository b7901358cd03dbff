// The checks every candidate policy passes, in order, before it may become active: size; the
// signed statement (a DSSE envelope by a trusted key); the statement against the bytes (digest),
// the clock (expiry), the module's metadata (ABI, name, version) and the serials already activated
// (no lower serial, no other bytes under an activated serial); then compilation, imports, metadata
// and the module's own self-test vectors (createEngine). A delivery may bring several statements
// (an OCI registry's referrers): each is checked, and of those that pass, the highest serial is
// taken. Any failure throws PolicyRejectedError with a stable reason. Runtime-neutral (no Node imports).
import { ABI_VERSION, META_SECTION } from "../engine/abi.ts";
import { sha256Hex } from "../engine/digest.ts";
import { createEngine, type Engine } from "../engine/engine.ts";
import { PolicyRejectedError } from "../engine/errors.ts";
import { customSections, readMeta } from "../engine/meta.ts";
import { MAX_MODULE_BYTES } from "./limits.ts";
import { parseSignedTime } from "./predicate.ts";
import type { TrustedKey } from "./signing.ts";
import { envelopesOf, type Delivery } from "./source.ts";
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
  engine: Engine;
  keyId: string | null;
  statement: Statement | null;
  moduleSha256: string;
  /** How the statement was written: "legacy" for the format before in-toto (accepted for one release). */
  format: StatementFormat | null;
  /** The envelope whose statement was taken (the delivery's or one of its alternatives), as it came; null for the built-in policy. */
  envelope: string | null;
}

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];
const reject = (reason: ConstructorParameters<typeof PolicyRejectedError>[0], message: string) => new PolicyRejectedError(reason, message);

export type SerialProblem = { reason: "serial-lower" | "serial-reused"; message: string };

/**
 * The serial rules, against the mark of the statement's policy name (the highest serial already
 * taken, and for which module): never a lower serial, never the same serial on other bytes or
 * after the admin rolled back from it. Null when the statement may go ahead. The agent applies
 * them to deliveries; `policy push` to the tag it would move.
 */
export function serialProblem(st: Pick<Statement, "name" | "serial" | "moduleSha256">, mark: SerialMark | undefined): SerialProblem | null {
  if (!mark) return null;
  if (st.serial < mark.serial) {
    return {
      reason: "serial-lower",
      message: `serial ${st.serial} of ${st.name} is lower than ${mark.serial}, already activated: a downgrade (only the admin rollback may go back)`,
    };
  }
  if (st.serial === mark.serial && (mark.moduleSha256 !== st.moduleSha256 || mark.rolledBack)) {
    return {
      reason: "serial-reused",
      message: mark.rolledBack
        ? `serial ${st.serial} of ${st.name} was rolled back by the admin; publish a new serial to move forward`
        : `serial ${st.serial} of ${st.name} was already activated for module ${mark.moduleSha256}; other bytes need a higher serial`,
    };
  }
  return null;
}

interface Verified {
  keyId: string;
  statement: Statement;
  format: StatementFormat;
  envelope: string;
}

/** One envelope's statement, verified and checked against the bytes and the clock; throws its refusal. */
async function verified(envelope: string | null, moduleSha256: string, o: CheckOptions): Promise<Verified> {
  const v = await verifyStatement(envelope, o.trustedKeys);
  if (!v.ok) throw reject(v.reason, v.message);
  const { statement } = v;
  if (statement.moduleSha256 !== moduleSha256) {
    throw reject(
      "digest",
      `the statement is for module ${statement.moduleSha256}, not for these bytes (${moduleSha256}): a statement of another module or altered bytes`,
    );
  }
  if (o.freshness && statement.expires && parseSignedTime(statement.expires)! <= o.freshness.now.getTime()) {
    throw reject(
      "expired",
      `the statement for ${statement.name} ${statement.version} (serial ${statement.serial}) expired at ${statement.expires}; sign it again with a later --expires`,
    );
  }
  return { keyId: v.keyId, statement, format: v.format, envelope: envelope! };
}

/** A verified statement against the module's metadata and the serials taken so far; throws its refusal. */
function matching(v: Verified, meta: { name: string; version: string }, o: CheckOptions): Verified {
  const st = v.statement;
  if (st.name !== meta.name) throw reject("name", `the statement names policy "${st.name}" but the module's metadata says "${meta.name}"`);
  if (st.version !== meta.version) throw reject("version", `the statement names version "${st.version}" but the module's metadata says "${meta.version}"`);
  const problem = serialProblem(st, o.freshness?.serial(st.name));
  if (problem) throw reject(problem.reason, problem.message);
  return v;
}

/** The order of the statement checks: of several refused statements, the one refused last came nearest. */
const STAGES = ["signature", "statement", "digest", "expired", "name", "version", "serial-lower", "serial-reused"];

/** The refusal of a delivery none of whose statements passed: the nearest miss, naming the others' reasons. */
function refusal(errors: PolicyRejectedError[]): PolicyRejectedError {
  const nearest = errors.reduce((a, b) => (STAGES.indexOf(b.reason) > STAGES.indexOf(a.reason) ? b : a));
  if (errors.length === 1) return nearest;
  return reject(nearest.reason, `${nearest.message} (none of the ${errors.length} signed statements found passes: ${errors.map((e) => e.reason).join(", ")})`);
}

/** Runs each check, keeping what passes and collecting each refusal. */
async function each<T, U>(items: readonly T[], check: (item: T) => Promise<U> | U, refused: PolicyRejectedError[]): Promise<U[]> {
  const passed: U[] = [];
  for (const item of items) {
    try {
      passed.push(await check(item));
    } catch (err) {
      if (!(err instanceof PolicyRejectedError)) throw err;
      refused.push(err);
    }
  }
  return passed;
}

export async function checkCandidate(c: Candidate, o: CheckOptions): Promise<Checked> {
  const max = o.maxBytes ?? MAX_MODULE_BYTES;
  if (c.bytes.length > max) throw reject("size", `the module is ${c.bytes.length} bytes; the limit is ${max}`);
  if (c.bytes.length === 0) throw reject("size", "the module is empty");
  const moduleSha256 = await sha256Hex(c.bytes);

  // every statement the delivery brings is verified; one that passes every check is enough
  const refused: PolicyRejectedError[] = [];
  const signed = c.builtIn ? [] : await each(envelopesOf(c), (e) => verified(e, moduleSha256, o), refused);
  if (!c.builtIn && signed.length === 0) throw refusal(refused);

  if (c.bytes.length < 8 || WASM_MAGIC.some((b, i) => c.bytes[i] !== b)) throw reject("invalid", "not a WebAssembly module (bad magic number)");
  const meta = readMeta(customSections(c.bytes, META_SECTION));
  if (meta.abi !== ABI_VERSION) throw reject("abi", `the module's ABI version is ${meta.abi}; this agent speaks ${ABI_VERSION}`);

  let taken: Verified | null = null;
  if (!c.builtIn) {
    const passing = await each(signed, (v) => matching(v, meta, o), refused);
    if (passing.length === 0) throw refusal(refused);
    // the highest serial: a renewal beside the statement it renews, whatever order they came in
    taken = passing.reduce((a, b) => (b.statement.serial > a.statement.serial ? b : a));
  }

  return {
    engine: await createEngine(c.bytes),
    keyId: taken?.keyId ?? null,
    statement: taken?.statement ?? null,
    moduleSha256,
    format: taken?.format ?? null,
    envelope: taken?.envelope ?? null,
  };
}
