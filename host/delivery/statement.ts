// Signed statements: what a policy's signer vouches for is not just "these bytes" but
// { name, version, serial, moduleSha256, issuedAt, expires? } — so an agent can refuse an older
// serial (downgrade), a stale statement (freeze), and a statement for other bytes (mix-and-match).
// The statement travels in a DSSE envelope (in-toto's Dead Simple Signing Envelope): the
// signature covers the pre-authentication encoding (PAE) of the payload type and the payload,
// so a signature can never be re-read as another type. Ed25519 via WebCrypto; runtime-neutral.
import { META_SECTION } from "../engine/abi.ts";
import { sha256Hex } from "../engine/digest.ts";
import { customSections, readMeta } from "../engine/meta.ts";
import { rolloutProblem, type Guard, type Rollout } from "./rollout.ts";
import { fromBase64, SIGNATURE_BYTES, signBytes, toBase64, verifyBytes, type SigningKey, type TrustedKey } from "./signing.ts";

export const STATEMENT_TYPE = "application/vnd.isoplace.policy.statement+json";

export interface Statement {
  name: string;
  version: string;
  /** A positive integer that only grows for a policy name. */
  serial: number;
  moduleSha256: string;
  issuedAt: string;
  expires?: string;
  /** A staged rollout: when which share of the fleet may adopt it (rollout.ts). */
  rollout?: Rollout;
  /** The shadow evaluation each agent runs before it adopts (rollout.ts). */
  guard?: Guard;
}

/** What `policy sign` puts in a statement besides the module's own facts. */
export interface StatementOptions { serial?: number; expires?: string; now?: Date; rollout?: Rollout; guard?: Guard }

export interface DsseSignature { keyid: string; sig: string }
export interface Envelope { payloadType: string; payload: string; signatures: DsseSignature[] }

export const RESIGN_HINT = "re-sign it with `isoplace policy sign FILE.wasm --key policy.key [--serial N] [--expires 30d]`, which writes a signed statement (a DSSE envelope)";

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

/** Signs a statement with one or more keys (several while a key is rotated). */
export async function signStatement(st: Statement, keys: readonly SigningKey[]): Promise<Envelope> {
  const problem = statementProblem(st);
  if (problem) throw new Error(`not a valid statement: ${problem}`);
  const payload = utf8.encode(JSON.stringify(st));
  const signed = pae(STATEMENT_TYPE, payload);
  const signatures: DsseSignature[] = [];
  for (const k of keys) signatures.push({ keyid: k.fingerprint, sig: toBase64(await signBytes(signed, k.key)) });
  return { payloadType: STATEMENT_TYPE, payload: toBase64(payload), signatures };
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
    name: meta.name, version: meta.version, serial: o.serial ?? Math.floor(now.getTime() / 1000),
    moduleSha256: await sha256Hex(bytes), issuedAt: now.toISOString(), ...(o.expires ? { expires: o.expires } : {}),
    ...(o.rollout ? { rollout: o.rollout } : {}), ...(o.guard ? { guard: o.guard } : {}),
  };
}

/** What `isoplace policy sign` does: the module's statement, signed. */
export async function signModuleStatement(bytes: Uint8Array, keys: readonly SigningKey[], o: StatementOptions = {}): Promise<Envelope> {
  return signStatement(await statementOf(bytes, o), keys);
}

/** The envelope as it goes in FILE.wasm.sig, URL.sig and the OCI signature layer. */
export const envelopeJson = (e: Envelope): string => `${JSON.stringify(e)}\n`;

/** The envelope as it goes in the Isoplace-Signature header: its JSON in base64. */
export const envelopeHeader = (e: Envelope): string => toBase64(utf8.encode(JSON.stringify(e)));

export type EnvelopeRead =
  | { ok: true; envelope: Envelope }
  | { ok: false; legacy: boolean; message: string };

/** Reads an envelope from its JSON or the base64 of its JSON; recognises the old bare signature. */
export function readEnvelope(text: string): EnvelopeRead {
  const t = text.trim();
  let json = t;
  if (!t.startsWith("{")) {
    const raw = fromBase64(t.replace(/\s+/g, ""));
    if (raw && raw.length === SIGNATURE_BYTES) {
      return { ok: false, legacy: true, message: `the signature is a bare Ed25519 signature of the module (the format before signed statements), which is no longer accepted: ${RESIGN_HINT}` };
    }
    if (!raw) return { ok: false, legacy: false, message: "the signature is neither a DSSE envelope (JSON) nor base64 of one" };
    json = new TextDecoder().decode(raw);
  }
  let e: unknown;
  try { e = JSON.parse(json); } catch { return { ok: false, legacy: false, message: "the signature is not a DSSE envelope: not JSON" }; }
  const env = e as Envelope;
  if (!env || typeof env !== "object" || typeof env.payloadType !== "string" || typeof env.payload !== "string" || !Array.isArray(env.signatures)) {
    return { ok: false, legacy: false, message: "the signature is not a DSSE envelope (needs payloadType, payload and signatures)" };
  }
  if (env.payloadType !== STATEMENT_TYPE) return { ok: false, legacy: false, message: `the envelope's payloadType is "${String(env.payloadType).slice(0, 100)}"; expected "${STATEMENT_TYPE}"` };
  if (env.signatures.length === 0 || env.signatures.some((s) => !s || typeof s.sig !== "string")) return { ok: false, legacy: false, message: "the envelope has no signatures" };
  return { ok: true, envelope: env };
}

/** The envelope as one line of JSON, whichever form it came in (so the data directory holds what FILE.wasm.sig would). */
export function canonicalEnvelope(text: string): string {
  const read = readEnvelope(text);
  return read.ok ? JSON.stringify(read.envelope) : text.trim();
}

/** Why a decoded payload is not a statement; null when it is one. */
export function statementProblem(s: unknown): string | null {
  const st = s as Partial<Statement> | null;
  if (!st || typeof st !== "object" || Array.isArray(st)) return "the payload is not a JSON object";
  if (typeof st.name !== "string" || st.name === "") return "name must be a non-empty string";
  if (typeof st.version !== "string" || st.version === "") return "version must be a non-empty string";
  if (typeof st.serial !== "number" || !Number.isSafeInteger(st.serial) || st.serial < 1) return "serial must be a positive integer";
  if (typeof st.moduleSha256 !== "string" || !/^[0-9a-f]{64}$/.test(st.moduleSha256)) return "moduleSha256 must be 64 lowercase hex digits";
  if (typeof st.issuedAt !== "string" || Number.isNaN(Date.parse(st.issuedAt))) return "issuedAt must be a date (ISO 8601)";
  if (st.expires !== undefined && (typeof st.expires !== "string" || Number.isNaN(Date.parse(st.expires)))) return "expires must be a date (ISO 8601)";
  return rolloutProblem(st);
}

export type StatementCheck =
  | { ok: true; statement: Statement; keyId: string }
  | { ok: false; reason: "signature" | "statement"; legacy?: boolean; message: string };

/**
 * Verifies an envelope against the trusted keys. A signature whose keyid names a trusted key is
 * checked with it; one without a known keyid against every key (keyid is a hint in DSSE). The first
 * valid signature decides; ok names its key's short id. Only a verified payload is parsed.
 */
export async function verifyStatement(text: string | null | undefined, keys: readonly TrustedKey[]): Promise<StatementCheck> {
  if (text === null || text === undefined || text.trim() === "") return { ok: false, reason: "signature", message: `the module is unsigned (no signed statement given): ${RESIGN_HINT}` };
  const read = readEnvelope(text);
  if (!read.ok) return { ok: false, reason: "signature", legacy: read.legacy, message: read.message };
  if (keys.length === 0) return { ok: false, reason: "signature", message: "no trusted key is configured, so no signed module can be accepted" };
  const payload = fromBase64(read.envelope.payload);
  if (!payload) return { ok: false, reason: "signature", message: "the envelope's payload is not base64" };
  const signed = pae(read.envelope.payloadType, payload);
  let keyId: string | null = null;
  for (const s of read.envelope.signatures) {
    const sig = fromBase64(s.sig);
    if (!sig || sig.length !== SIGNATURE_BYTES) continue;
    const named = keys.filter((k) => k.fingerprint === s.keyid);
    for (const k of named.length ? named : keys) {
      if (await verifyBytes(k.key, sig, signed)) { keyId = k.id; break; }
    }
    if (keyId) break;
  }
  if (!keyId) {
    return { ok: false, reason: "signature", message: `the statement's signature matches none of the ${keys.length} trusted key(s) (${keys.map((k) => k.id).join(", ")}): it was altered or signed by another key` };
  }
  let st: unknown;
  try { st = JSON.parse(new TextDecoder().decode(payload)); } catch { return { ok: false, reason: "statement", message: "the signed payload is not JSON" }; }
  const problem = statementProblem(st);
  if (problem) return { ok: false, reason: "statement", message: `the signed statement is malformed: ${problem}` };
  return { ok: true, statement: st as Statement, keyId };
}

/** The statement inside an envelope without verifying it (for `policy inspect`); null when unreadable. */
export function peekStatement(text: string): Statement | null {
  const read = readEnvelope(text);
  if (!read.ok) return null;
  const payload = fromBase64(read.envelope.payload);
  if (!payload) return null;
  try {
    const st = JSON.parse(new TextDecoder().decode(payload));
    return statementProblem(st) ? null : st as Statement;
  } catch { return null; }
}

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** `--expires`: a duration from `now` ("30d", "12h", "90m", "2w") or a date (ISO 8601); throws naming the allowed forms. */
export function parseExpiry(text: string, now: Date): string {
  const m = /^(\d+)([mhdw])$/.exec(text.trim());
  if (m && Number(m[1]) > 0) return new Date(now.getTime() + Number(m[1]) * UNITS[m[2]]).toISOString();
  const t = Date.parse(text);
  if (/^\d{4}-\d{2}-\d{2}/.test(text.trim()) && !Number.isNaN(t)) {
    if (t <= now.getTime()) throw new Error(`--expires ${text} is in the past`);
    return new Date(t).toISOString();
  }
  throw new Error(`--expires must be a duration (a positive number with m, h, d or w: 30d, 12h) or a date (2027-01-31 or an ISO 8601 time); got "${text}"`);
}
