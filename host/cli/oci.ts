// isoplace policy push | pull: a policy module and its signed statement in an OCI registry.
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename } from "node:path";
import type { Command } from "commander";
import { META_SECTION } from "../engine/abi.ts";
import { customSections, readMeta } from "../engine/meta.ts";
import { loadDockerConfig } from "../node/docker-config.ts";
import {
  CAPS,
  credentialsFor,
  OciError,
  parseManifest,
  parseReference,
  policyLayer,
  pullPolicy,
  pullSignatures,
  pushPolicy,
  Repository,
  type OciReference,
  type SignaturePath,
  type TransportOptions,
} from "../oci/index.ts";
import { checkCandidate, serialProblem } from "../delivery/pipeline.ts";
import { parseSignedTime } from "../delivery/predicate.ts";
import type { OciSettings } from "../delivery/source-oci.ts";
import { KeyFormatError, type TrustedKey } from "../delivery/signing.ts";
import { LEGACY_NOTE, peekStatement, readEnvelope, verifyStatement, type Statement } from "../delivery/statement.ts";
import { sha256Hex } from "../engine/digest.ts";
import { PolicyRejectedError } from "../engine/errors.ts";
import { EXIT, UsageError } from "./errors.ts";
import { collect } from "./input.ts";
import { trustedKeys } from "./policy-option.ts";

const SIGNATURE_AT: Record<SignaturePath, string> = {
  referrers: "a referrer of the policy's manifest",
  "referrers-tag": "in the referrers index tagged sha256-<hex>",
  tag: "tagged sha256-<hex>.sig",
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
  const at = parseSignedTime(peekStatement(envelope)?.statement.issuedAt);
  return new Date(at ?? Date.now()).toISOString();
}

/** The statements the tag's policy carries now, and whether a trusted key vouched for them. */
interface TagStatements {
  statements: Statement[];
  verified: boolean;
}

/**
 * The statements of the policy a tag names now, for the downgrade check, read from its manifest
 * and its signatures alone (never its module): those for the module its manifest names, and with
 * `keys` only those one of them signed. Null when the tag does not exist or names something else
 * than a policy. A registry that cannot answer does not stop the push: the check is skipped with
 * a warning saying why — agents refuse a downgrade whatever the tag says; this only spares the
 * operator a push that every agent would refuse.
 */
async function tagStatements(ref: OciReference, options: TransportOptions, keys: TrustedKey[]): Promise<TagStatements | null> {
  const what = formatTag(ref);
  try {
    const repo = new Repository(ref, options);
    const m = await repo.getManifest(ref.tag!, CAPS.manifest);
    if (!m) return null;
    const module = policyLayer(parseManifest(m.bytes, what), what).digest.slice("sha256:".length);
    const statements: Statement[] = [];
    for (const found of (await pullSignatures(repo, m.digest, what)).found) {
      const st = keys.length ? await verifiedStatement(found.envelope, keys) : peekStatement(found.envelope)?.statement;
      if (st && st.moduleSha256 === module) statements.push(st);
    }
    return { statements, verified: keys.length > 0 };
  } catch (err) {
    if (!(err instanceof OciError)) throw err;
    if (err.kind !== "not-found") console.error(`isoplace: ${what}: not checked for a downgrade (${err.message}); pushing anyway`);
    return null;
  }
}

const formatTag = (ref: OciReference) => `oci://${ref.registry}/${ref.repository}:${ref.tag}`;

async function verifiedStatement(envelope: string, keys: TrustedKey[]): Promise<Statement | undefined> {
  const v = await verifyStatement(envelope, keys);
  return v.ok ? v.statement : undefined;
}

/**
 * A push that every agent which activated the tag's current statement would refuse, by the
 * agent's own serial rules (serialProblem): a lower serial of the same policy, or its serial on
 * other bytes. Of several statements there, the highest serial is the one agents took.
 */
function refuseDowngrade(refText: string, next: Statement, current: TagStatements | null, file: string): void {
  const same = current?.statements.filter((st) => st.name === next.name) ?? [];
  if (same.length === 0) return;
  const top = same.reduce((a, b) => (b.serial > a.serial ? b : a));
  const problem = serialProblem(next, { serial: top.serial, moduleSha256: top.moduleSha256 });
  if (!problem) return;
  const trust = current!.verified ? "signed by a key given with --pub" : "unverified: with --pub KEY only statements a trusted key signed count";
  throw new UsageError(
    `${refText} carries ${top.name} ${top.version} with serial ${top.serial} (${trust}); every agent that has activated it would refuse this statement (${problem.reason}: ${problem.message}): ` +
      `sign it again (isoplace policy sign ${file} --key KEY: the serial defaults to now), or --force to move the tag anyway (agents go back only through POST /v1/policy/rollback)`,
  );
}

export function registerOci(policy: Command): void {
  policy
    .command("push")
    .description("publish FILE.wasm and its signature (FILE.wasm.sig) to an OCI registry; prints the pinned oci://…@sha256:… reference")
    .argument("<file.wasm>")
    .argument("<ref>", "oci://HOST[:PORT]/REPO:TAG")
    .option("--sig <file>", "the signature file (default: FILE.wasm.sig)")
    .option("--force", "move the tag even when its current statement has a higher serial (agents that saw it refuse this one)")
    .option("--pub <file>", "a trusted public key; repeatable: the downgrade check counts only the tag's statements one of them signed", collect, [])
    .option("--insecure-registry <host>", INSECURE_HELP, collect, [])
    .action((file: string, refText: string, o: { sig?: string; force?: boolean; pub: string[]; insecureRegistry: string[] }) =>
      run(async () => {
        const keys = await trustedKeys(o.pub, "--pub");
        const { ref, options } = await registryAccess(refText, o.insecureRegistry);
        const module = new Uint8Array(await readOr(file, `${file} does not exist`));
        let meta;
        try {
          meta = readMeta(customSections(module, META_SECTION));
        } catch (err) {
          throw new UsageError(`${file} is not an isoplace policy module: ${(err as Error).message}`);
        }
        const sigFile = o.sig ?? `${file}.sig`;
        const read = readEnvelope(
          (await readOr(sigFile, `${sigFile} does not exist: sign the module first (isoplace policy sign ${file} --key KEY)`)).toString("utf8"),
        );
        if (!read.ok) throw new UsageError(`${sigFile}: ${read.message}`);
        const envelope = JSON.stringify(read.envelope); // the layer: the envelope's JSON, as policy sign writes it
        const peeked = peekStatement(envelope);
        if (peeked?.format === "legacy") console.error(`isoplace: ${sigFile}: ${LEGACY_NOTE}`);
        const statement = peeked?.statement;
        const sha = await sha256Hex(module);
        if (statement && statement.moduleSha256 !== sha)
          throw new UsageError(`${sigFile} is the statement of module ${statement.moduleSha256}, not of ${file} (${sha}): sign it again`);
        if (statement && !o.force) refuseDowngrade(refText, statement, await tagStatements(ref, options, keys), file);
        const r = await pushPolicy(
          ref,
          { module, envelope, name: meta.name, version: meta.version, title: basename(file), created: issuedAt(envelope) },
          options,
        );
        console.error(
          `pushed ${meta.name} ${meta.version} (${module.length} bytes) and its signature (${SIGNATURE_AT[r.signature]}): ${r.uploaded} blob(s) uploaded, ${r.existing} already there`,
        );
        console.log(r.pinned);
      }),
    );

  policy
    .command("pull")
    .description(
      "fetch a policy module from an OCI registry (every digest checked) into FILE, its signature into FILE.sig; with --pub, check the signature too",
    )
    .argument("<ref>", "oci://HOST[:PORT]/REPO:TAG or oci://HOST[:PORT]/REPO@sha256:…")
    .requiredOption("--out <file.wasm>", "where to write the module")
    .option("--pub <file>", "a trusted public key; repeatable: the signature must be valid for one of them", collect, [])
    .option("--insecure-registry <host>", INSECURE_HELP, collect, [])
    .action((refText: string, o: { out: string; pub: string[]; insecureRegistry: string[] }) =>
      run(async () => {
        const keys = await trustedKeys(o.pub, "--pub");
        const { ref, options } = await registryAccess(refText, o.insecureRegistry);
        const pulled = await pullPolicy(ref, options);
        for (const e of pulled.skipped) console.error(`isoplace: passed over: ${e.message}`);
        let kept = pulled.signatures[0];
        if (keys.length) {
          // what an agent would check, bar the serial (it has none to compare with): each statement's
          // signature, digest, expiry, name and version, the ABI, and the module's self-test
          try {
            const [first, ...rest] = pulled.signatures.map((f) => f.envelope);
            const checked = await checkCandidate(
              { bytes: pulled.module, envelope: first ?? null, alternatives: rest, source: refText },
              { trustedKeys: keys, freshness: { now: new Date(), serial: () => undefined } },
            );
            const st = checked.statement!;
            kept = pulled.signatures.find((f) => f.envelope === checked.envelope)!;
            console.error(
              `valid statement by key ${checked.keyId}: ${st.name} ${st.version}, serial ${st.serial}${st.expires ? `, expires ${st.expires}` : ""}`,
            );
          } catch (err) {
            if (!(err instanceof PolicyRejectedError)) throw err;
            console.error(`isoplace: ${refText}: INVALID (${err.reason}): ${err.message}; nothing written`);
            process.exitCode = EXIT.failed;
            return;
          }
        }
        // written beside, then renamed: a reader never sees half a module
        await writeFile(`${o.out}.tmp`, pulled.module);
        if (kept) await writeFile(`${o.out}.sig`, `${kept.envelope}\n`);
        else await rm(`${o.out}.sig`, { force: true });
        await rename(`${o.out}.tmp`, o.out);
        const unchosen =
          !keys.length && pulled.signatures.length > 1
            ? `; the first of ${pulled.signatures.length} found, unverified (--pub KEY keeps the one a trusted key signed)`
            : "";
        console.error(
          `${o.out}: ${pulled.module.length} bytes${kept ? `, signature (${SIGNATURE_AT[kept.path]}) in ${o.out}.sig${unchosen}` : " (the registry has no signature for it)"}`,
        );
        console.log(`oci://${ref.registry}/${ref.repository}@${pulled.digest}`);
      }),
    );
}
