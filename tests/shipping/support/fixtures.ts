// Shared parts of the shipping tests: policy variants built from the default source (real asc
// builds, cached on disk by the hash of everything that goes into a build, so the suites do not
// rebuild the same module again and again), keys written to real files, and small helpers.
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, readdir, rename, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { META_SECTION } from "../../../host/engine/abi.ts";
import { buildPolicy, COMPILER_FLAGS } from "../../../host/policy/compile.ts";
import { appendCustomSection } from "../../../host/policy/section.ts";
import { sha256Hex } from "../../../host/engine/digest.ts";
import { customSections, readMeta } from "../../../host/engine/meta.ts";
import { sectionsOf } from "../../fixtures/looping-bytes.ts";
import { generateKeyPair, importSigningKey, type SigningKey, type TrustedKey } from "../../../host/delivery/signing.ts";
import { envelopeHeader, envelopeJson, signStatement, type Statement } from "../../../host/delivery/statement.ts";
import { loadTrustedKeys } from "../../../host/node/keys.ts";
import type { PolicyManager } from "../../../host/delivery/manager.ts";
import type { CheckCount } from "../../../host/delivery/poller.ts";
import { ASSEMBLY_DIR, DEFAULT_POLICY_SOURCE, PACKAGE_ROOT } from "../../../host/package.ts";

export const silent = pino({ level: "silent" });
export const DEFAULT_VERSION = "2025.11.15-1";
const EDGE_L4_STACK = "stack: { orchestrator: K3s, runtime: wasmedge } }";
const WASMEDGE_VERSION = "  wasmedge: 0.14.1\n";
export const DEFAULT_EDGE_STACK = "K3s + WasmEdge 0.14.1";

export const defaultSource = () => readFile(DEFAULT_POLICY_SOURCE, "utf8");

/**
 * The default source with another version and another stack for edge on L4 (so answers tell them
 * apart). `edgeStack` is "K3s + WasmEdge[ VERSION][ EXTRA]", written as the parts a stack is built
 * from: VERSION goes to versions.wasmedge (so every WasmEdge stack names it), EXTRA after the runtime.
 */
export async function variantSource(version: string, edgeStack: string): Promise<string> {
  const text = await defaultSource();
  const parts = /^K3s \+ WasmEdge(?: (\d[\w.+-]*))?(?: (.+))?$/.exec(edgeStack);
  if (!parts) throw new Error(`variantSource: "${edgeStack}" is not "K3s + WasmEdge[ VERSION][ EXTRA]"`);
  if (![`version: ${DEFAULT_VERSION}`, EDGE_L4_STACK, WASMEDGE_VERSION].every((s) => text.includes(s)))
    throw new Error("the default policy source changed: update tests/shipping/support/fixtures.ts");
  const [, wasmedge, extra] = parts;
  return text
    .replace(`version: ${DEFAULT_VERSION}`, `version: ${version}`)
    .replace(EDGE_L4_STACK, `stack: { orchestrator: K3s, runtime: wasmedge${extra ? `, extra: ${JSON.stringify(extra)}` : ""} } }`)
    .replace(WASMEDGE_VERSION, wasmedge ? `  wasmedge: ${wasmedge}\n` : WASMEDGE_VERSION);
}

/** The default source whose own first test expects the wrong level: a module that fails its self-test. */
export async function failingSelfTestSource(): Promise<string> {
  const text = await variantSource("2025.11.15-selftest", DEFAULT_EDGE_STACK);
  const marker = "    expect: L4\n";
  if (!text.includes(marker)) throw new Error("the default policy's tests changed: update tests/shipping/support/fixtures.ts");
  return text.replace(marker, "    expect: L1\n");
}

async function buildInputsHash(text: string): Promise<string> {
  const h = createHash("sha256")
    .update(text)
    .update(COMPILER_FLAGS.join(" "))
    .update(await readFile(join(PACKAGE_ROOT, "package.json"))) // the package version is in the metadata
    .update(await readFile(join(PACKAGE_ROOT, "node_modules", "assemblyscript", "package.json")));
  for (const dir of [ASSEMBLY_DIR, join(PACKAGE_ROOT, "host", "policy"), join(PACKAGE_ROOT, "host", "engine")]) {
    for (const f of (await readdir(dir)).sort()) if (f.endsWith(".ts")) h.update(f).update(await readFile(join(dir, f)));
  }
  return h.digest("hex");
}

/** buildPolicy, cached on disk under the OS temp dir by the hash of its inputs. */
export async function build(text: string): Promise<Uint8Array> {
  const cache = join(tmpdir(), "isoplace-test-builds");
  const file = join(cache, `${await buildInputsHash(text)}.wasm`);
  try {
    return new Uint8Array(await readFile(file));
  } catch {
    /* not built yet */
  }
  const wasm = (await buildPolicy(text, "test-policy.yaml")).wasm;
  await mkdir(cache, { recursive: true });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(tmp, wasm);
  await rename(tmp, file);
  return wasm;
}

/** The module with its isoplace.meta section's JSON changed (e.g. another ABI version). */
export function withMeta(wasm: Uint8Array, change: (meta: Record<string, unknown>) => Record<string, unknown>): Uint8Array {
  const sections = sectionsOf(wasm);
  const meta = sections.find((s) => s.name === META_SECTION);
  if (!meta) throw new Error("no isoplace.meta section");
  const json = JSON.parse(new TextDecoder().decode(wasm.subarray(meta.payload, meta.end)));
  const without = new Uint8Array([...wasm.subarray(0, meta.start), ...wasm.subarray(meta.end)]);
  return appendCustomSection(without, META_SECTION, new TextEncoder().encode(JSON.stringify(change(json))));
}

/** A copy with one byte flipped inside the code section (not in a custom section). */
export function tamper(wasm: Uint8Array): Uint8Array {
  const code = sectionsOf(wasm).find((s) => s.id === 10);
  if (!code) throw new Error("no code section");
  const out = wasm.slice();
  const at = code.payload + Math.floor((code.end - code.payload) / 2);
  out[at] ^= 0x01;
  return out;
}

export interface KeyFiles {
  dir: string;
  key: string;
  pub: string;
  signer: SigningKey;
  trusted: TrustedKey[];
}

/** A key pair written to real files (as `policy keygen` does), with the public key loaded as the agent loads it. */
export async function keyFiles(dir: string): Promise<KeyFiles> {
  await mkdir(dir, { recursive: true });
  const pair = await generateKeyPair();
  const key = join(dir, "policy.key"),
    pub = join(dir, "policy.pub");
  await writeFile(key, pair.privatePem, { mode: 0o600 });
  await writeFile(pub, pair.publicPem);
  return { dir, key, pub, signer: await importSigningKey(pair.privatePem), trusted: await loadTrustedKeys([pub]) };
}

// Serials grow with every statement a test signs, so modules signed in the order they are
// delivered are accepted in that order (as a publisher's serials would be).
let nextSerial = 1000;

/** The statement `policy sign` would write for `bytes`, with fields overridden by `over`. */
export async function statementFor(bytes: Uint8Array, over: Partial<Statement> = {}): Promise<Statement> {
  // bytes that are no policy module (size tests) get a statement all the same
  let meta = { name: "not-a-policy", version: "0" };
  try {
    meta = readMeta(customSections(bytes, META_SECTION));
  } catch {
    /* keep the placeholder */
  }
  return { name: meta.name, version: meta.version, serial: nextSerial++, moduleSha256: await sha256Hex(bytes), issuedAt: new Date().toISOString(), ...over };
}

/** The module's signed statement as FILE.wasm.sig holds it (a DSSE envelope's JSON). */
export async function sign(bytes: Uint8Array, k: KeyFiles | KeyFiles[], over: Partial<Statement> = {}): Promise<string> {
  const keys = (Array.isArray(k) ? k : [k]).map((x) => x.signer);
  return envelopeJson(await signStatement(await statementFor(bytes, over), keys)).trim();
}

/** The same as the Isoplace-Signature header of PUT /v1/policy carries it: base64 of the envelope's JSON. */
export async function signHeader(bytes: Uint8Array, k: KeyFiles | KeyFiles[], over: Partial<Statement> = {}): Promise<string> {
  const keys = (Array.isArray(k) ? k : [k]).map((x) => x.signer);
  return envelopeHeader(await signStatement(await statementFor(bytes, over), keys));
}

export const tempDir = (prefix = "isoplace-shipping-") => mkdtemp(join(tmpdir(), prefix));

/** What an in-process agent offers to wait on: its policy manager and its source's finished checks. */
export interface Checked {
  manager: { status(): PolicyStatus };
  source?: { readonly checks?: CheckCount };
}
type PolicyStatus = ReturnType<PolicyManager["status"]>;

/**
 * `probe`'s first truthy answer, asked of the agent's policy status now and again after each
 * finished check of its source (a poll, a file read): every change a source makes to the status
 * is made within a check, so no change is missed and nothing is asked on a timer.
 */
export async function afterChecks<T>(a: Checked, probe: (status: PolicyStatus) => T): Promise<NonNullable<T>> {
  const checks = a.source?.checks;
  if (!checks) throw new Error("afterChecks: the agent has no source whose checks can be waited on");
  for (;;) {
    const v = probe(a.manager.status());
    if (v) return v as NonNullable<T>;
    await checks.more(1);
  }
}

export async function edgeDecision(url: string): Promise<{ stack: string; policy: { version: string }; [k: string]: unknown }> {
  const res = await fetch(`${url}/v1/decide`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ workload: { scenario: "edge" } }),
  });
  if (res.status !== 200) throw new Error(`decide: HTTP ${res.status}`);
  return res.json() as never;
}

export async function policyStatus(url: string): Promise<{
  active: Record<string, string>;
  history: Record<string, string>[];
  lastCheck: string | null;
  lastError: { reason: string; message: string; at: string } | null;
}> {
  return (await fetch(`${url}/v1/policy`)).json() as never;
}
