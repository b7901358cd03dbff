// --policy FILE.wasm|oci://… for the commands that ask a policy a question (decide, rank,
// compare, levels, plan), as `opa eval -d` asks a bundle: the module to ask instead of the
// built-in one. With --trusted-key it must pass every check an agent makes before it activates a
// policy (delivery's checkCandidate, as `policy pull --pub`: the signed statement, FILE.wasm.sig
// beside a file or the registry's signature, its digest, expiry, name and version, then the ABI
// and the module's self-test). A local file without a key is loaded unverified — metered like
// every module, so a call into it is still bounded — and stderr says so. A module from a
// registry is run only when verified. A file is read as `serve --policy FILE` reads it (its size
// limit, FILE.sig beside it), a reference as `policy pull` fetches it.
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { checkCandidate } from "../delivery/pipeline.ts";
import type { Delivery } from "../delivery/source.ts";
import type { TrustedKey } from "../delivery/signing.ts";
import type { Engine, NodeProfile } from "../engine/engine.ts";
import { PolicyRejectedError } from "../engine/errors.ts";
import { UsageError } from "./errors.ts";
import { collect } from "./input.ts";

export interface PolicyOptions {
  policy?: string;
  trustedKey: string[];
  insecureRegistry: string[];
}

/** Adds --policy, --trusted-key and --insecure-registry to a command. */
export function addPolicyOptions(cmd: Command): Command {
  return cmd
    .option(
      "--policy <file.wasm|oci://…>",
      "ask this policy module instead of the built-in one: a file (its signed statement FILE.wasm.sig beside it) or oci://HOST/REPO:TAG|@sha256:… (only with --trusted-key)",
    )
    .option(
      "--trusted-key <file>",
      "verify --policy with this public key (PEM) as an agent would before activating it; repeatable. A file without one is run unverified (said on stderr)",
      collect,
      [],
    )
    .option(
      "--insecure-registry <host>",
      "an oci:// registry host (host or host:port) reached over plain HTTP; repeatable (loopback hosts always are)",
      collect,
      [],
    );
}

const isOci = (ref: string) => /^oci:\/\//i.test(ref);

/**
 * The engine to ask: the built-in policy, or --policy's module once it passed its checks.
 * Every mistake — a missing file, a key that cannot be read, a registry error, a module refused
 * — is a UsageError naming the flag (exit 2).
 */
export async function policyEngine(o: PolicyOptions, node?: NodeProfile): Promise<Engine> {
  if (!o.policy) {
    if (o.trustedKey.length) throw new UsageError("--trusted-key is given without --policy: the built-in policy is part of isoplace and needs no key");
    const { loadPolicy } = await import("../index.ts");
    return loadPolicy(undefined, { node });
  }
  const ref = o.policy;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(ref) && !isOci(ref) && !/^file:\/\//i.test(ref)) {
    throw new UsageError(`--policy: "${ref}" is neither a file nor an oci:// reference (an http(s) URL is for serve and webhook; fetch it first)`);
  }
  const keys = await trustedKeys(o.trustedKey);
  if (isOci(ref) && keys.length === 0) {
    throw new UsageError(
      `--policy ${ref}: a module from a registry is run only when verified: add --trusted-key <file> (or fetch it with \`isoplace policy pull ${ref} --out FILE\` to try it unverified)`,
    );
  }
  const delivery = isOci(ref) ? await pull(ref, o.insecureRegistry) : await readFileDelivery(ref);
  let engine: Engine;
  try {
    if (keys.length) {
      const verified = await verifyDelivery(delivery, keys);
      console.error(`isoplace: --policy ${ref}: ${verified.summary}`);
      engine = verified.engine;
    } else {
      const { createEngine } = await import("../engine/engine.ts");
      engine = await createEngine(delivery.bytes);
      console.error(
        `isoplace: warning: --policy ${ref} is not verified (no --trusted-key): ${engine.policy.name} ${engine.policy.version}, run under the meter; its answers are only as trustworthy as whoever built it`,
      );
    }
  } catch (err) {
    if (err instanceof PolicyRejectedError) throw new UsageError(`--policy ${ref}: refused (${err.reason}): ${err.message}`);
    throw err;
  }
  return node ? engine.withNode(node) : engine;
}

/**
 * What an agent checks before it activates a delivered module, bar the serial (there is none here
 * to compare it with): the signed statement, its digest, expiry, name and version, then the ABI
 * and the module's self-test. Throws PolicyRejectedError with the reason.
 */
async function verifyDelivery(delivery: Delivery, keys: TrustedKey[]): Promise<{ engine: Engine; summary: string }> {
  const checked = await checkCandidate(delivery, { trustedKeys: keys, freshness: { now: new Date(), serial: () => undefined } });
  const st = checked.statement!;
  return {
    engine: checked.engine,
    summary: `valid statement by key ${checked.keyId}: ${st.name} ${st.version}, serial ${st.serial}${st.expires ? `, expires ${st.expires}` : ""}`,
  };
}

/** The public keys in these files; a file that cannot be read or is no key is a UsageError naming the flag. */
export async function trustedKeys(paths: string[], flag = "--trusted-key"): Promise<TrustedKey[]> {
  const { loadTrustedKeys } = await import("../node/keys.ts");
  try {
    return await loadTrustedKeys(paths);
  } catch (err) {
    throw new UsageError(`${flag}: ${(err as Error).message}`);
  }
}

/** FILE and FILE.sig, as the agent's file source reads them (with its size limits). */
async function readFileDelivery(ref: string): Promise<Delivery> {
  const { FileSource } = await import("../node/source-file.ts");
  const path = /^file:\/\//i.test(ref) ? fileURLToPath(ref) : ref;
  try {
    return await new FileSource({ path }).initial();
  } catch (err) {
    if (!(err instanceof PolicyRejectedError)) throw err;
    // the agent's wording goes on to say what it serves meanwhile; here the command stops
    throw new UsageError(`--policy: ${err.message.replace(/ \(check --policy\);.*$/, "")}`);
  }
}

/** The module and its signature from a registry, every digest checked (`policy pull`'s client). */
async function pull(ref: string, insecure: string[]): Promise<Delivery> {
  const [{ registryAccess }, { OciError, pullPolicy }] = await Promise.all([import("./oci.ts"), import("../oci/index.ts")]);
  try {
    const { ref: parsed, options } = await registryAccess(ref, insecure);
    const pulled = await pullPolicy(parsed, options);
    const [first, ...rest] = pulled.signatures.map((f) => f.envelope);
    return { bytes: pulled.module, envelope: first ?? null, alternatives: rest, source: `oci:${ref.slice("oci://".length)}` };
  } catch (err) {
    if (err instanceof OciError) throw new UsageError(`--policy ${ref}: ${err.message}`);
    throw err;
  }
}
