// Signed statements: what a policy's signer vouches for is not just "these bytes" but an in-toto
// Statement v1 whose subject is the module (its SHA-256) and whose predicate
// (predicate.ts: { name, version, serial, issuedAt, expires? }) lets an agent refuse an older
// serial (downgrade), a stale statement (freeze), and a statement for other bytes (mix-and-match).
// The statement travels in a DSSE envelope (payloadType application/vnd.in-toto+json): the
// signature covers the pre-authentication encoding (PAE) of the payload type and the payload, so a
// signature can never be re-read as another type. This is the format cosign's `attest-blob` writes
// and `verify-blob-attestation` reads; a sigstore bundle (cosign's default output) is read for the
// envelope inside it. The statement format before this one (payloadType
// application/vnd.isoplace.policy.statement+json, a flat JSON payload) is still read, as "legacy",
// for one release. WebCrypto only; runtime-neutral.
import { META_SECTION } from "../engine/abi.ts";
import { sha256Hex } from "../engine/digest.ts";
import { customSections, readMeta } from "../engine/meta.ts";
import { parseSignedTime, PREDICATE_TYPE, predicateOf, predicateProblem, type PolicyPredicate } from "./predicate.ts";
import type { Guard, Rollout } from "./rollout.ts";
import { fromBase64, SIGNATURE_BYTES, signBytes, toBase64, verifyBytes, type SigningKey, type TrustedKey } from "./signing.ts";

/** The envelope's payloadType: an in-toto statement. */
export const STATEMENT_TYPE = "application/vnd.in-toto+json";
const IN_TOTO_STATEMENT = "https://in-toto.io/Statement/v1";
/** What cosign 3.1 still writes as `_type`: the same subject and predicate layout, so it is read too. */
const IN_TOTO_STATEMENT_V01 = "https://in-toto.io/Statement/v0.1";
/** The format before in-toto: a flat statement in an envelope of this type. Read for one release. */
export const LEGACY_STATEMENT_TYPE = "application/vnd.isoplace.policy.statement+json";

/** A verified statement as the agent uses it: the predicate's fields and the module's digest (the subject). */
export interface Statement extends PolicyPredicate {
  moduleSha256: string;
}

export type StatementFormat = "in-toto" | "legacy";

export interface InTotoStatement {
  _type: string;
  subject: { name: string; digest: { sha256: string } }[];
  predicateType: string;
  predicate: PolicyPredicate;
}

interface DsseSignature {
  keyid: string;
  sig: string;
}
export interface Envelope {
  payloadType: string;
  payload: string;
  signatures: DsseSignature[];
}

const RESIGN_HINT =
  "re-sign it with `isoplace policy sign FILE.wasm --key policy.key [--serial N] [--expires 30d]`, which writes a signed statement (an in-toto statement in a DSSE envelope)";
export const LEGACY_NOTE = `a statement in the old format (payloadType ${LEGACY_STATEMENT_TYPE}), which this release is the last to accept: ${RESIGN_HINT}`;

const utf8 = new TextEncoder();

/** DSSE's pre-authentication encoding: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body (lengths in ASCII decimal bytes). */
export function pae(payloadType: string, payload: Uint8Array): Uint8Array {
  const type = utf8.encode(payloadType);
  const head = utf8.encode(`DSSEv1 ${type.length} ${payloadType} ${payload.length} `);
  const out = new Uint8Array(head.length + payload.length);
  out.set(head);
  out.set(payload, head.length);
  return out;
}

/** The in-toto statement for a module's statement; the subject's name is the module's file name. */
export function inTotoStatement(st: Statement, subjectName = `${st.name}.wasm`): InTotoStatement {
  return {
    _type: IN_TOTO_STATEMENT,
    subject: [{ name: subjectName, digest: { sha256: st.moduleSha256 } }],
    predicateType: PREDICATE_TYPE,
    predicate: predicateOf(st),
  };
}

/** Why a statement is not one; null when it is. */
function statementProblem(st: Statement): string | null {
  if (typeof st.moduleSha256 !== "string" || !/^[0-9a-f]{64}$/.test(st.moduleSha256)) return "moduleSha256 must be 64 lowercase hex digits";
  return predicateProblem(st);
}

/** Signs a statement with one or more keys (several while a key is rotated). */
export async function signStatement(st: Statement, keys: readonly SigningKey[], o: { subjectName?: string } = {}): Promise<Envelope> {
  const problem = statementProblem(st);
  if (problem) throw new Error(`not a valid statement: ${problem}`);
  const payload = utf8.encode(JSON.stringify(inTotoStatement(st, o.subjectName)));
  const signed = pae(STATEMENT_TYPE, payload);
  const signatures: DsseSignature[] = [];
  for (const k of keys) signatures.push({ keyid: k.fingerprint, sig: toBase64(await signBytes(signed, k.key)) });
  return { payloadType: STATEMENT_TYPE, payload: toBase64(payload), signatures };
}

/** What `policy sign` puts in a statement besides the module's own facts; a staged rollout's plan and guard go in its predicate (rollout.ts). */
export interface StatementOptions {
  serial?: number;
  expires?: string;
  now?: Date;
  rollout?: Rollout;
  guard?: Guard;
}

/**
 * The statement for a policy module: its name and version from its metadata section, its digest,
 * `serial` (default: `now` in Unix seconds) and `expires` (an ISO time). Throws when the bytes
 * have no readable metadata (not a policy module).
 */
export async function statementOf(bytes: Uint8Array, o: StatementOptions = {}): Promise<Statement> {
  const now = o.now ?? new Date();
  const meta = readMeta(customSections(bytes, META_SECTION));
  return {
    name: meta.name,
    version: meta.version,
    serial: o.serial ?? Math.floor(now.getTime() / 1000),
    issuedAt: now.toISOString(),
    ...(o.expires ? { expires: o.expires } : {}),
    ...(o.rollout ? { rollout: o.rollout } : {}),
    ...(o.guard ? { guard: o.guard } : {}),
    moduleSha256: await sha256Hex(bytes),
  };
}

/** What `isoplace policy sign` does: the module's statement, signed. */
export async function signModuleStatement(
  bytes: Uint8Array,
  keys: readonly SigningKey[],
  o: StatementOptions & { subjectName?: string } = {},
): Promise<Envelope> {
  return signStatement(await statementOf(bytes, o), keys, o);
}

/** The envelope as it goes in FILE.wasm.sig, URL.sig and the OCI signature layer. */
export const envelopeJson = (e: Envelope): string => `${JSON.stringify(e)}\n`;

/** The envelope as it goes in the Isoplace-Signature header: its JSON in base64. */
export const envelopeHeader = (e: Envelope): string => toBase64(utf8.encode(JSON.stringify(e)));

export type EnvelopeRead = { ok: true; envelope: Envelope } | { ok: false; legacy: boolean; message: string };

const PAYLOAD_TYPES = [STATEMENT_TYPE, LEGACY_STATEMENT_TYPE];

/**
 * Reads an envelope from its JSON or the base64 of its JSON, or from a sigstore bundle holding one
 * (`dsseEnvelope`, as cosign writes with --bundle); recognises the old bare signature.
 */
export function readEnvelope(text: string): EnvelopeRead {
  const t = text.trim();
  let json = t;
  if (!t.startsWith("{")) {
    const raw = fromBase64(t.replace(/\s+/g, ""));
    if (raw && raw.length === SIGNATURE_BYTES) {
      return {
        ok: false,
        legacy: true,
        message: `the signature is a bare Ed25519 signature of the module (the format before signed statements), which is no longer accepted: ${RESIGN_HINT}`,
      };
    }
    if (!raw) return { ok: false, legacy: false, message: "the signature is neither a DSSE envelope (JSON) nor base64 of one" };
    json = new TextDecoder().decode(raw);
  }
  let e: unknown;
  try {
    e = JSON.parse(json);
  } catch {
    return { ok: false, legacy: false, message: "the signature is not a DSSE envelope: not JSON" };
  }
  const bundle = e as { mediaType?: unknown; dsseEnvelope?: unknown } | null;
  if (bundle && typeof bundle === "object" && typeof bundle.mediaType === "string" && bundle.mediaType.startsWith("application/vnd.dev.sigstore.bundle")) {
    if (!bundle.dsseEnvelope)
      return {
        ok: false,
        legacy: false,
        message: "the sigstore bundle holds no DSSE envelope (a signature of the blob itself, not an attestation: sign with cosign attest-blob)",
      };
    e = bundle.dsseEnvelope;
  }
  const env = e as Envelope;
  if (!env || typeof env !== "object" || typeof env.payloadType !== "string" || typeof env.payload !== "string" || !Array.isArray(env.signatures)) {
    return { ok: false, legacy: false, message: "the signature is not a DSSE envelope (needs payloadType, payload and signatures)" };
  }
  if (!PAYLOAD_TYPES.includes(env.payloadType))
    return { ok: false, legacy: false, message: `the envelope's payloadType is "${String(env.payloadType).slice(0, 100)}"; expected "${STATEMENT_TYPE}"` };
  if (env.signatures.length === 0 || env.signatures.some((s) => !s || typeof s.sig !== "string"))
    return { ok: false, legacy: false, message: "the envelope has no signatures" };
  const signatures = env.signatures.map((s) => ({ keyid: typeof s.keyid === "string" ? s.keyid : "", sig: s.sig }));
  return { ok: true, envelope: { payloadType: env.payloadType, payload: env.payload, signatures } };
}

/** The envelope as one line of JSON, whichever form it came in (so the data directory holds what FILE.wasm.sig would). */
export function canonicalEnvelope(text: string): string {
  const read = readEnvelope(text);
  return read.ok ? JSON.stringify(read.envelope) : text.trim();
}

type StatementRead = { ok: true; statement: Statement; format: StatementFormat } | { ok: false; message: string };

/** The statement in a payload of the given type: an in-toto statement of our predicate type, or the legacy flat statement. */
function parseStatement(payloadType: string, payload: Uint8Array): StatementRead {
  let s: unknown;
  try {
    s = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    return { ok: false, message: "the signed payload is not JSON" };
  }
  if (!s || typeof s !== "object" || Array.isArray(s)) return { ok: false, message: "the payload is not a JSON object" };
  if (payloadType === LEGACY_STATEMENT_TYPE) {
    const st = s as Statement;
    const problem = statementProblem(st);
    return problem ? { ok: false, message: problem } : { ok: true, statement: { ...predicateOf(st), moduleSha256: st.moduleSha256 }, format: "legacy" };
  }
  const it = s as Partial<InTotoStatement>;
  if (it._type !== IN_TOTO_STATEMENT && it._type !== IN_TOTO_STATEMENT_V01)
    return { ok: false, message: `_type must be "${IN_TOTO_STATEMENT}"; got ${JSON.stringify(it._type)?.slice(0, 100)}` };
  if (it.predicateType !== PREDICATE_TYPE)
    return {
      ok: false,
      message: `predicateType must be "${PREDICATE_TYPE}" (cosign attest-blob --type ${PREDICATE_TYPE}); got ${JSON.stringify(it.predicateType)?.slice(0, 100)}`,
    };
  const subjects = Array.isArray(it.subject) ? it.subject : [];
  if (subjects.length !== 1 || typeof subjects[0]?.digest?.sha256 !== "string")
    return { ok: false, message: "subject must name exactly one module, with its sha256 digest" };
  const problem = predicateProblem(it.predicate);
  if (problem) return { ok: false, message: problem };
  const statement = { ...predicateOf(it.predicate!), moduleSha256: subjects[0].digest.sha256 };
  const digest = statementProblem(statement);
  return digest ? { ok: false, message: digest.replace("moduleSha256", "the subject's sha256 digest") } : { ok: true, statement, format: "in-toto" };
}

export type StatementCheck =
  | { ok: true; statement: Statement; keyId: string; format: StatementFormat }
  | { ok: false; reason: "signature" | "statement"; legacy?: boolean; message: string };

/**
 * Verifies an envelope against the trusted keys. A signature whose keyid names a trusted key is
 * checked with it; one without a known keyid against every key (keyid is a hint in DSSE, and
 * cosign leaves it empty). The first valid signature decides; ok names its key's short id. Only a
 * verified payload is parsed.
 */
export async function verifyStatement(text: string | null | undefined, keys: readonly TrustedKey[]): Promise<StatementCheck> {
  if (text === null || text === undefined || text.trim() === "")
    return { ok: false, reason: "signature", message: `the module is unsigned (no signed statement given): ${RESIGN_HINT}` };
  const read = readEnvelope(text);
  if (!read.ok) return { ok: false, reason: "signature", legacy: read.legacy, message: read.message };
  if (keys.length === 0) return { ok: false, reason: "signature", message: "no trusted key is configured, so no signed module can be accepted" };
  const payload = fromBase64(read.envelope.payload);
  if (!payload) return { ok: false, reason: "signature", message: "the envelope's payload is not base64" };
  const signed = pae(read.envelope.payloadType, payload);
  let keyId: string | null = null;
  for (const s of read.envelope.signatures) {
    const sig = fromBase64(s.sig);
    if (!sig) continue;
    const named = keys.filter((k) => k.fingerprint === s.keyid);
    for (const k of named.length ? named : keys) {
      if (await verifyBytes(k.key, sig, signed)) {
        keyId = k.id;
        break;
      }
    }
    if (keyId) break;
  }
  if (!keyId) {
    return {
      ok: false,
      reason: "signature",
      message: `the statement's signature matches none of the ${keys.length} trusted key(s) (${keys.map((k) => k.id).join(", ")}): it was altered or signed by another key`,
    };
  }
  const st = parseStatement(read.envelope.payloadType, payload);
  if (!st.ok) return { ok: false, reason: "statement", message: `the signed statement is malformed: ${st.message}` };
  return { ok: true, statement: st.statement, keyId, format: st.format };
}

/** The statement inside an envelope without verifying it (for `policy inspect`); null when unreadable. */
export function peekStatement(text: string): { statement: Statement; format: StatementFormat } | null {
  const read = readEnvelope(text);
  if (!read.ok) return null;
  const payload = fromBase64(read.envelope.payload);
  if (!payload) return null;
  const st = parseStatement(read.envelope.payloadType, payload);
  return st.ok ? { statement: st.statement, format: st.format } : null;
}

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/**
 * `--expires`: a duration from `now` ("30d", "12h", "90m", "2w"), a day (2027-01-31: its start,
 * UTC) or an RFC 3339 time with Z or an offset; written as UTC. Throws naming the allowed forms.
 */
export function parseExpiry(text: string, now: Date): string {
  const trimmed = text.trim();
  const m = /^(\d+)([mhdw])$/.exec(trimmed);
  if (m && Number(m[1]) > 0) return new Date(now.getTime() + Number(m[1]) * UNITS[m[2]]).toISOString();
  const t = parseSignedTime(/^\d{4}-\d{2}-\d{2}$/.test(trimmed) ? `${trimmed}T00:00:00Z` : trimmed);
  if (t !== null) {
    if (t <= now.getTime()) throw new Error(`--expires ${text} is in the past`);
    return new Date(t).toISOString();
  }
  throw new Error(
    `--expires must be a duration (a positive number with m, h, d or w: 30d, 12h), a day (2027-01-31, UTC) or an RFC 3339 time with Z or an offset (2027-01-31T12:00:00Z); got "${text}"`,
  );
}
