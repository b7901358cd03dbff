// isoplace policy push | pull: a policy module and its signed statement in an OCI registry.
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename } from "node:path";
import type { Command } from "commander";
import { META_SECTION } from "../engine/abi.ts";
import { customSections, readMeta } from "../engine/meta.ts";
import { loadDockerConfig } from "../node/docker-config.ts";
import { credentialsFor, OciError, parseReference, pullPolicy, pushPolicy, type OciReference, type TransportOptions } from "../oci/index.ts";
import { importPublicKey, KeyFormatError, verifyModule, type TrustedKey } from "../policy/signing.ts";
import { EXIT, UsageError } from "./errors.ts";
import { collect } from "./input.ts";

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
  const { path, config } = await loadDockerConfig();
  return { ref, options: { insecure, credentials: credentialsFor(config, ref.registry), credentialsFrom: path } };
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

/** When the statement was issued (the manifest's created date), else now. */
function issuedAt(envelope: string): string {
  try {
    const e = JSON.parse(envelope) as { payload?: string };
    const statement = JSON.parse(atob(e.payload ?? "")) as { issuedAt?: unknown };
    if (typeof statement.issuedAt === "string" && !Number.isNaN(Date.parse(statement.issuedAt))) return new Date(statement.issuedAt).toISOString();
  } catch { /* an old bare signature: no statement */ }
  return new Date().toISOString();
}

export function registerOci(policy: Command): void {
  policy.command("push")
    .description("publish FILE.wasm and its signature (FILE.wasm.sig) to an OCI registry; prints the pinned oci://…@sha256:… reference")
    .argument("<file.wasm>")
    .argument("<ref>", "oci://HOST[:PORT]/REPO:TAG")
    .option("--sig <file>", "the signature file (default: FILE.wasm.sig)")
    .option("--insecure-registry <host>", INSECURE_HELP, collect, [])
    .action((file: string, refText: string, o: { sig?: string; insecureRegistry: string[] }) => run(async () => {
      const { ref, options } = await registryAccess(refText, o.insecureRegistry);
      const module = new Uint8Array(await readOr(file, `${file} does not exist`));
      let meta;
      try {
        meta = readMeta(customSections(module, META_SECTION));
      } catch (err) {
        throw new UsageError(`${file} is not an isoplace policy module: ${(err as Error).message}`);
      }
      const sigFile = o.sig ?? `${file}.sig`;
      const envelope = (await readOr(sigFile, `${sigFile} does not exist: sign the module first (isoplace policy sign ${file} --key KEY)`)).toString("utf8").trim();
      const r = await pushPolicy(ref, { module, envelope, name: meta.name, version: meta.version, title: basename(file), created: issuedAt(envelope) }, options);
      console.error(`pushed ${meta.name} ${meta.version} (${module.length} bytes) and its signature: ${r.uploaded} blob(s) uploaded, ${r.existing} already there`);
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
        const check = await verifyModule(pulled.module, pulled.envelope, keys);
        if (!check.ok) {
          console.error(`isoplace: ${refText}: INVALID: ${check.message}; nothing written`);
          process.exitCode = EXIT.failed;
          return;
        }
        console.error(`valid signature by key ${check.keyId}`);
      }
      // written beside, then renamed: a reader never sees half a module
      await writeFile(`${o.out}.tmp`, pulled.module);
      if (pulled.envelope !== null) await writeFile(`${o.out}.sig`, `${pulled.envelope}\n`);
      else await rm(`${o.out}.sig`, { force: true });
      await rename(`${o.out}.tmp`, o.out);
      console.error(`${o.out}: ${pulled.module.length} bytes${pulled.envelope === null ? " (the registry has no signature for it)" : `, signature in ${o.out}.sig`}`);
      console.log(`oci://${ref.registry}/${ref.repository}@${pulled.digest}`);
    }));
}
