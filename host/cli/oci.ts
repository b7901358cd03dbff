// isoplace policy push | pull: a policy module and its signed statement in an OCI registry.
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename } from "node:path";
import type { Command } from "commander";
import { META_SECTION } from "../engine/abi.ts";
import { customSections, readMeta } from "../engine/meta.ts";
import { loadDockerConfig } from "../node/docker-config.ts";
import { credentialsFor, OciError, parseReference, pullPolicy, pushPolicy, type OciReference, type SignaturePath, type TransportOptions } from "../oci/index.ts";
import { checkCandidate } from "../delivery/pipeline.ts";
import type { OciSettings } from "../delivery/source-oci.ts";
import { importPublicKey, KeyFormatError, type TrustedKey } from "../delivery/signing.ts";
import { LEGACY_NOTE, peekStatement, readEnvelope, type Statement } from "../delivery/statement.ts";
import { sha256Hex } from "../engine/digest.ts";
import { PolicyRejectedError } from "../engine/errors.ts";
import { EXIT, UsageError } from "./errors.ts";
import { collect } from "./input.ts";

const SIGNATURE_AT: Record<SignaturePath, string> = {
  "referrers": "a referrer of the policy's manifest",
  "referrers-tag": "in the referrers index tagged sha256-<hex>",
  "tag": "tagged sha256-<hex>.sig",
};

const INSECURE_HELP = "a registry host (host or host:port) reached over plain HTTP; repeatable (loopback hosts always are)";

async function readOr(path: string, missing: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(code === "ENOENT" ? missing : `cannot read ${path}: ${code ?? (err as Error).message}`);
  }
}

/** The reference, and how to reach its registry (credentials from Docker's config.json). */
export async function registryAccess(text: string, insecure: string[]): Promise<{ ref: OciReference; options: TransportOptions }> {
  const ref = parseReference(text);
  const s = await ociSettings(insecure);
  return { ref, options: { insecure, credentials: credentialsFor(s.dockerConfig, ref.registry), credentialsFrom: s.dockerConfigPath } };
}

/** What serve --policy oci://… needs: --insecure-registry and Docker's config.json (read here, on the Node side); errors are usage errors. */
export async function ociSettings(insecure: string[], ref?: string): Promise<OciSettings> {
  try {
    if (ref) parseReference(ref); // a malformed --policy oci://… is a usage error, before the agent starts
    const { path, config } = await loadDockerConfig();
    return { insecure, dockerConfig: config, dockerConfigPath: path };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** OCI errors are exit 2 with their message: a bad reference, refused credentials, a digest mismatch. */
async function run(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof OciError) throw new UsageError(err.message);
    if (err instanceof KeyFormatError) throw new UsageError(err.message);
    throw err;
  }
}

/** When the statement was issued (the manifest's created date: the same module and statement push to the same digest), else now. */
function issuedAt(envelope: string): string {
  const st = peekStatement(envelope)?.statement;
  return st && !Number.isNaN(Date.parse(st.issuedAt)) ? new Date(st.issuedAt).toISOString() : new Date().toISOString();
}

/** The statement a tag carries now; null when there is no such tag (or it carries none). */
async function currentStatement(ref: OciReference, options: TransportOptions): Promise<Statement | null> {
  if (!ref.tag) return null;
  try {
    const current = await pullPolicy(ref, options);
    return current.envelope === null ? null : peekStatement(current.envelope)?.statement ?? null;
  } catch (err) {
    if (err instanceof OciError && err.kind === "not-found") return null;
    throw err;
  }
}

/**
 * A push that every agent which has seen the tag's current statement would refuse: a lower
 * serial of the same policy (serial-lower), or its serial on other bytes (serial-reused).
 */
function refuseDowngrade(refText: string, next: Statement, current: Statement | null, file: string): void {
  if (!current || current.name !== next.name) return;
  const now = `${refText} carries ${current.name} ${current.version} with serial ${current.serial}`;
  const fix = `sign it again (isoplace policy sign ${file} --key KEY: the serial defaults to now), or --force to move the tag anyway (agents go back only through POST /v1/policy/rollback)`;
  if (next.serial < current.serial) {
    throw new UsageError(`${now}; this statement's serial ${next.serial} is lower, and every agent that has seen ${current.serial} would refuse it (serial-lower): ${fix}`);
  }
  if (next.serial === current.serial && next.moduleSha256 !== current.moduleSha256) {
    throw new UsageError(`${now} for another module; agents that have seen it would refuse the same serial on other bytes (serial-reused): ${fix}`);
  }
}

export function registerOci(policy: Command): void {
  policy.command("push")
    .description("publish FILE.wasm and its signature (FILE.wasm.sig) to an OCI registry; prints the pinned oci://…@sha256:… reference")
    .argument("<file.wasm>")
    .argument("<ref>", "oci://HOST[:PORT]/REPO:TAG")
    .option("--sig <file>", "the signature file (default: FILE.wasm.sig)")
    .option("--force", "move the tag even when its current statement has a higher serial (agents that saw it refuse this one)")
    .option("--insecure-registry <host>", INSECURE_HELP, collect, [])
    .action((file: string, refText: string, o: { sig?: string; force?: boolean; insecureRegistry: string[] }) => run(async () => {
      const { ref, options } = await registryAccess(refText, o.insecureRegistry);
      const module = new Uint8Array(await readOr(file, `${file} does not exist`));
      let meta;
      try {
        meta = readMeta(customSections(module, META_SECTION));
      } catch (err) {
        throw new UsageError(`${file} is not an isoplace policy module: ${(err as Error).message}`);
      }
      const sigFile = o.sig ?? `${file}.sig`;
      const read = readEnvelope((await readOr(sigFile, `${sigFile} does not exist: sign the module first (isoplace policy sign ${file} --key KEY)`)).toString("utf8"));
      if (!read.ok) throw new UsageError(`${sigFile}: ${read.message}`);
      const envelope = JSON.stringify(read.envelope); // the layer: the envelope's JSON, as policy sign writes it
      const peeked = peekStatement(envelope);
      if (peeked?.format === "legacy") console.error(`isoplace: ${sigFile}: ${LEGACY_NOTE}`);
      const statement = peeked?.statement;
      const sha = await sha256Hex(module);
      if (statement && statement.moduleSha256 !== sha) throw new UsageError(`${sigFile} is the statement of module ${statement.moduleSha256}, not of ${file} (${sha}): sign it again`);
      if (statement && !o.force) refuseDowngrade(refText, statement, await currentStatement(ref, options), file);
      const r = await pushPolicy(ref, { module, envelope, name: meta.name, version: meta.version, title: basename(file), created: issuedAt(envelope) }, options);
      console.error(`pushed ${meta.name} ${meta.version} (${module.length} bytes) and its signature (${SIGNATURE_AT[r.signature]}): ${r.uploaded} blob(s) uploaded, ${r.existing} already there`);
      console.log(r.pinned);
    }));

  policy.command("pull")
    .description("fetch a policy module from an OCI registry (every digest checked) into FILE, its signature into FILE.sig; with --pub, check the signature too")
    .argument("<ref>", "oci://HOST[:PORT]/REPO:TAG or oci://HOST[:PORT]/REPO@sha256:…")
    .requiredOption("--out <file.wasm>", "where to write the module")
    .option("--pub <file>", "a trusted public key; repeatable: the signature must be valid for one of them", collect, [])
    .option("--insecure-registry <host>", INSECURE_HELP, collect, [])
    .action((refText: string, o: { out: string; pub: string[]; insecureRegistry: string[] }) => run(async () => {
      const keys: TrustedKey[] = [];
      for (const p of o.pub) keys.push(await importPublicKey((await readOr(p, `${p} does not exist`)).toString("utf8"), p));
      const { ref, options } = await registryAccess(refText, o.insecureRegistry);
      const pulled = await pullPolicy(ref, options);
      if (keys.length) {
        // what an agent would check, bar the serial (it has none to compare with): the statement's
        // signature, digest, expiry, name and version, the ABI, and the module's self-test
        try {
          const checked = await checkCandidate({ bytes: pulled.module, envelope: pulled.envelope, source: refText }, { trustedKeys: keys, freshness: { now: new Date(), serial: () => undefined } });
          const st = checked.statement!;
          console.error(`valid statement by key ${checked.keyId}: ${st.name} ${st.version}, serial ${st.serial}${st.expires ? `, expires ${st.expires}` : ""}`);
        } catch (err) {
          if (!(err instanceof PolicyRejectedError)) throw err;
          console.error(`isoplace: ${refText}: INVALID (${err.reason}): ${err.message}; nothing written`);
          process.exitCode = EXIT.failed;
          return;
        }
      }
      // written beside, then renamed: a reader never sees half a module
      await writeFile(`${o.out}.tmp`, pulled.module);
      if (pulled.envelope !== null) await writeFile(`${o.out}.sig`, `${pulled.envelope}\n`);
      else await rm(`${o.out}.sig`, { force: true });
      await rename(`${o.out}.tmp`, o.out);
      console.error(`${o.out}: ${pulled.module.length} bytes${pulled.signature === null ? " (the registry has no signature for it)" : `, signature (${SIGNATURE_AT[pulled.signature]}) in ${o.out}.sig`}`);
      console.log(`oci://${ref.registry}/${ref.repository}@${pulled.digest}`);
    }));
}
