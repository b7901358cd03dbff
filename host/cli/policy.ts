// isoplace policy build | inspect | keygen | sign | verify.
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Command } from "commander";
import { META_SECTION } from "../engine/abi.ts";
import { createEngine, sha256Hex } from "../engine/engine.ts";
import { customSections, isWasmModule, readMeta } from "../engine/meta.ts";
import { DEFAULT_POLICY_SOURCE } from "../package.ts";
import { parseSignedTime, PREDICATE_TYPE, predicateOf } from "../delivery/predicate.ts";
import {
  generateKeyPair,
  importPublicKey,
  importSigningKey,
  importSigningKeyDer,
  KEY_TYPES,
  KeyFormatError,
  type KeyType,
  type SigningKey,
  type TrustedKey,
} from "../delivery/signing.ts";
import {
  envelopeJson,
  LEGACY_NOTE,
  parseExpiry,
  peekStatement,
  signStatement,
  statementOf,
  verifyStatement,
  type Statement,
  type StatementOptions,
} from "../delivery/statement.ts";
import { formatDuration, parseGuardFlag, parseRolloutFlag, planTimes, StagingFlagError, type Guard, type Rollout } from "../delivery/rollout.ts";
import { loadCompiler, loadWasiBuilder } from "./compiler.ts";
import { EXIT, UsageError } from "./errors.ts";
import { collect } from "./input.ts";

async function writeNew(path: string, text: string, mode: number, force: boolean): Promise<void> {
  try {
    await writeFile(path, text, { mode, flag: force ? "w" : "wx" });
    await chmod(path, mode);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") throw new UsageError(`${path} exists; not overwriting a key (use --force to replace it)`);
    throw new UsageError(`cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** Key files are usage input: a bad one is exit 2, naming the file. */
async function keyFrom<T>(path: string, load: (text: string) => Promise<T>): Promise<T> {
  const text = (await read(path)).toString("utf8");
  try {
    return await load(text);
  } catch (err) {
    throw err instanceof KeyFormatError ? new UsageError(err.message) : err;
  }
}

/** A private key file: PKCS#8 PEM (policy keygen, OpenSSL) or cosign's encrypted cosign.key (password in COSIGN_PASSWORD). */
async function signingKeyFrom(path: string): Promise<SigningKey> {
  return keyFrom(path, async (text) => {
    const { isCosignKey, decryptCosignKey } = await import("../node/cosign-key.ts");
    if (!isCosignKey(text)) return importSigningKey(text, path);
    return importSigningKeyDer(await decryptCosignKey(text, process.env.COSIGN_PASSWORD, path), path);
  });
}

/** --serial and --expires, checked, as statementOf takes them. */
function statementFlags(o: { serial?: string; expires?: string }, now: Date): { serial: number; expires?: string; now: Date } {
  const serial = o.serial === undefined ? Math.floor(now.getTime() / 1000) : Number(o.serial);
  if (!/^\d+$/.test(o.serial ?? "1") || !Number.isSafeInteger(serial) || serial < 1)
    throw new UsageError(`--serial must be a positive integer; got "${o.serial}"`);
  try {
    return { serial, now, ...(o.expires === undefined ? {} : { expires: parseExpiry(o.expires, now) }) };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** The module's statement, or a usage error when the file is not a policy module. */
/** --rollout, --rollout-start and --guard: a staged rollout's plan and guard (each mistake exit 2, naming its flag). */
function stagingFlags(o: { rollout?: string; rolloutStart?: string; guard?: string }, now: Date): { rollout?: Rollout; guard?: Guard } {
  try {
    if (o.rolloutStart !== undefined && o.rollout === undefined) throw new UsageError("--rollout-start needs --rollout (the plan's steps)");
    return {
      ...(o.rollout !== undefined
        ? { rollout: { ...(o.rolloutStart !== undefined ? { start: rolloutStart(o.rolloutStart, now) } : {}), steps: parseRolloutFlag(o.rollout) } }
        : {}),
      ...(o.guard !== undefined ? { guard: parseGuardFlag(o.guard) } : {}),
    };
  } catch (err) {
    throw err instanceof UsageError ? err : new UsageError((err as Error).message);
  }
}

/** --rollout-start: a day or an RFC 3339 time (read as signed times are), or a duration from now. */
function rolloutStart(text: string, now: Date): string {
  const trimmed = text.trim();
  const t = parseSignedTime(/^\d{4}-\d{2}-\d{2}$/.test(trimmed) ? `${trimmed}T00:00:00Z` : trimmed);
  if (t !== null) return new Date(t).toISOString();
  try {
    return parseExpiry(text, now);
  } catch {
    throw new StagingFlagError(
      "--rollout-start",
      `must be a day (2027-01-31, UTC), an RFC 3339 time with Z or an offset (2027-01-31T12:00:00Z) or a duration from now (30m, 2h, 1d), got "${text.slice(0, 40)}"`,
    );
  }
}

/** The staged rollout a statement carries, in words (sign's line) and in absolute times (inspect's "plan"). */
function stagingText(st: Statement): string {
  const plan = st.rollout
    ? `, rollout ${planTimes(st)
        .map((s) => `${s.percent}% at ${s.opensAt}`)
        .join(", ")}`
    : "";
  const guard = st.guard
    ? `, guard max-changed ${Math.round(st.guard.maxChangedShare * 1e6) / 1e4}% of min ${st.guard.minShadowDecisions} decisions, bake ${formatDuration(st.guard.bake)}`
    : "";
  return plan + guard;
}

const STAGING_OPTIONS = [
  [
    "--rollout <steps>",
    "a staged rollout: PERCENT%@DURATION steps after the start, percents increasing to 100 (e.g. 1%@0s,10%@30m,50%@2h,100%@6h); each agent adopts when the step covering its bucket opens",
  ],
  ["--rollout-start <when>", "when the plan starts: a day (2027-01-31, UTC), an RFC 3339 time or a duration from now (30m, 2h); default: the signing time"],
  [
    "--guard <checks>",
    "shadow evaluation before each agent adopts: max-changed=PERCENT%,min-decisions=N,bake=DURATION (e.g. max-changed=5%,min-decisions=200,bake=10m)",
  ],
] as const;

async function moduleStatement(file: string, bytes: Uint8Array, flags: StatementOptions): Promise<Statement> {
  try {
    return await statementOf(bytes, flags);
  } catch (err) {
    throw new UsageError(`${file} is not a policy module: ${(err as Error).message}`);
  }
}

/** The file's text, or null when it does not exist. */
async function readIfThere(path: string): Promise<string | null> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

async function read(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export function registerPolicy(program: Command): Command {
  const policy = program.command("policy").description("build, sign, verify and inspect policy modules");

  policy
    .command("build")
    .description("compile a policy source (YAML) into a module (or, --wasi, into the WASI command); default: the shipped default policy")
    .argument("[source]", "policy source file", DEFAULT_POLICY_SOURCE)
    .requiredOption("--out <file.wasm>", "where to write the module")
    .option("--wasi", "build the WASI preview1 command (wasmedge/wasmtime run it: FILE decide …) with this policy, instead of the policy module")
    .action(async (source: string, o: { out: string; wasi?: boolean }) => {
      // loaded here, not at start: the compiler takes a second or more to import, and every
      // other command (decide, rank, …) would pay for it; the agent's install has none at all
      const { buildPolicy } = await loadCompiler();
      const built = await buildPolicy((await read(source)).toString("utf8"), source);
      // no agent checks a WASI command's answers: its policy's self-test vectors run here, once
      if (o.wasi) await createEngine(built.wasm);
      const bytes = o.wasi ? await (await loadWasiBuilder()).buildWasiCommand(built) : built.wasm;
      await mkdir(dirname(o.out), { recursive: true });
      await writeFile(o.out, bytes);
      const what = o.wasi
        ? `the WASI command of policy ${built.meta.name} ${built.meta.version}, whose ${built.vectors.length} self-test vectors pass`
        : `policy ${built.meta.name} ${built.meta.version}, ${built.vectors.length} self-test vectors`;
      console.log(`${o.out}: ${bytes.length} bytes, ${what}, module sha256 ${await sha256Hex(bytes)}`);
      if (o.wasi)
        console.log(
          `sign it (its statement beside it, ${o.out}.sig): isoplace policy sign ${o.out} --key KEY; run it: wasmtime run --env ISOPLACE_RUNTIMES=containerd,wasmedge ${o.out} decide --scenario edge`,
        );
    });

  policy
    .command("inspect")
    .description(
      "print a module's metadata as JSON, read from its custom section without running it; with FILE.wasm.sig beside it, its signed statement too (not verified: use policy verify)",
    )
    .argument("<file.wasm>")
    .option("--sig <file>", "the signed statement (default: FILE.wasm.sig, when it exists)")
    .action(async (file: string, o: { sig?: string }) => {
      const bytes = new Uint8Array(await read(file));
      if (!isWasmModule(bytes)) throw new UsageError(`${file} is not a WebAssembly module (a module starts with the bytes \\0asm)`);
      const meta = readMeta(customSections(bytes, META_SECTION));
      const out: Record<string, unknown> = { ...meta, moduleSha256: await sha256Hex(bytes), bytes: bytes.length };
      const sigText = o.sig ? (await read(o.sig)).toString("utf8") : await readIfThere(`${file}.sig`);
      if (sigText !== null) {
        const st = peekStatement(sigText);
        out.statement = st
          ? { ...st.statement, format: st.format }
          : {
              error:
                "the signature file holds no readable signed statement (an old bare signature or not a DSSE envelope); re-sign with `isoplace policy sign`",
            };
        // the plan in absolute times, and the guard in the flag's units
        const staged = st?.statement;
        if (staged?.rollout || staged?.guard) {
          out.plan = {
            start: new Date(parseSignedTime(staged.rollout?.start ?? staged.issuedAt)!).toISOString(),
            steps: planTimes(staged),
            guard: staged.guard
              ? {
                  maxChanged: `${Math.round(staged.guard.maxChangedShare * 1e6) / 1e4}%`,
                  minDecisions: staged.guard.minShadowDecisions,
                  bake: formatDuration(staged.guard.bake),
                }
              : null,
          };
        }
      }
      console.log(JSON.stringify(out, null, 2));
    });
  policy
    .command("keygen")
    .description("create a key pair: DIR/policy.key (private, PKCS#8 PEM, mode 0600) and DIR/policy.pub (SPKI PEM, as cosign.pub is)")
    .requiredOption("--out <dir>", "directory for the key files")
    .option("--type <type>", `the key type: ${KEY_TYPES.join(" or ")} (ECDSA P-256 with SHA-256 is cosign's default)`, "ed25519")
    .option("--force", "replace existing key files")
    .action(async (o: { out: string; type: string; force?: boolean }) => {
      if (!KEY_TYPES.includes(o.type as KeyType)) throw new UsageError(`--type must be one of ${KEY_TYPES.join(", ")}; got "${o.type}"`);
      const pair = await generateKeyPair(o.type as KeyType);
      await mkdir(o.out, { recursive: true, mode: 0o700 });
      const key = join(o.out, "policy.key"),
        pub = join(o.out, "policy.pub");
      await writeNew(key, pair.privatePem, 0o600, Boolean(o.force));
      await writeNew(pub, pair.publicPem, 0o644, Boolean(o.force));
      console.log(`${key} (private, keep it secret) and ${pub} (give it to the agents: --trusted-key); ${pair.type} key id ${pair.id}`);
    });

  const predicate = policy
    .command("predicate")
    .description(
      `print the predicate of a module's statement — { name, version, serial, issuedAt, expires?, rollout?, guard? } as JSON — to sign with another tool: cosign attest-blob --type ${PREDICATE_TYPE} --predicate FILE`,
    )
    .argument("<file.wasm>")
    .option("--serial <n>", "the statement's serial: a positive integer that only grows for the policy name (default: now, in Unix seconds)")
    .option(
      "--expires <when>",
      "when the statement stops being accepted: a duration (30d, 12h, 90m, 2w), a day (2027-01-31, UTC) or an RFC 3339 time (2027-01-31T12:00:00Z)",
    );
  for (const [flags, description] of STAGING_OPTIONS) predicate.option(flags, description);
  predicate.action(async (file: string, o: { serial?: string; expires?: string; rollout?: string; rolloutStart?: string; guard?: string }) => {
    const bytes = new Uint8Array(await read(file));
    const now = new Date();
    console.log(JSON.stringify(predicateOf(await moduleStatement(file, bytes, { ...statementFlags(o, now), ...stagingFlags(o, now) }))));
  });

  const sign = policy
    .command("sign")
    .description(
      "sign a statement about a module — an in-toto statement whose subject is the module's SHA-256 and whose predicate is { name, version, serial, issuedAt, expires?, rollout?, guard? } — as a DSSE envelope in FILE.wasm.sig",
    )
    .argument("<file.wasm>")
    .option(
      "--key <file>",
      "the private key (policy.key from keygen, or cosign.key with COSIGN_PASSWORD set); repeatable to sign with several while a key is rotated",
      collect,
      [],
    )
    .option("--serial <n>", "the statement's serial: a positive integer that only grows for the policy name (default: now, in Unix seconds)")
    .option(
      "--expires <when>",
      "when the statement stops being accepted: a duration (30d, 12h, 90m, 2w), a day (2027-01-31, UTC) or an RFC 3339 time (2027-01-31T12:00:00Z)",
    )
    .option("--out <file>", "where to write the envelope (default: FILE.wasm.sig)");
  for (const [flags, description] of STAGING_OPTIONS) sign.option(flags, description);
  sign.action(
    async (file: string, o: { key: string[]; serial?: string; expires?: string; out?: string; rollout?: string; rolloutStart?: string; guard?: string }) => {
      if (o.key.length === 0) throw new UsageError("policy sign needs --key <file> (the private key from policy keygen)");
      const bytes = new Uint8Array(await read(file));
      const now = new Date();
      const statement = await moduleStatement(file, bytes, { ...statementFlags(o, now), ...stagingFlags(o, now) });
      const keys = [];
      for (const k of o.key) keys.push(await signingKeyFrom(k));
      const out = o.out ?? `${file}.sig`;
      await writeFile(out, envelopeJson(await signStatement(statement, keys, { subjectName: basename(file) })));
      console.log(
        `${out}: signed statement for ${statement.name} ${statement.version}, serial ${statement.serial}${statement.expires ? `, expires ${statement.expires}` : ""}${stagingText(statement)}, module sha256 ${statement.moduleSha256}, key ${keys.map((k) => k.id).join(", ")}`,
      );
    },
  );

  policy
    .command("halt")
    .description(
      "stop a staged rollout fleet-wide: signs the module the fleet ran before it (FILE.wasm) again with a new, higher serial and no plan; published where the agents poll, it supersedes the pending candidate on every agent within one poll, and brings back those that adopted it",
    )
    .argument("<file.wasm>", "the module to stay on (the one the fleet ran before the rollout)")
    .option("--key <file>", "the private key; repeatable", collect, [])
    .option("--serial <n>", "the new serial, above the pending candidate's (default: now, in Unix seconds)")
    .option("--expires <when>", "as for policy sign")
    .option("--out <file>", "where to write the envelope (default: FILE.wasm.sig)")
    .action(async (file: string, o: { key: string[]; serial?: string; expires?: string; out?: string }) => {
      if (o.key.length === 0) throw new UsageError("policy halt needs --key <file> (the private key from policy keygen)");
      const bytes = new Uint8Array(await read(file));
      const statement = await moduleStatement(file, bytes, statementFlags(o, new Date()));
      const keys = [];
      for (const k of o.key) keys.push(await signingKeyFrom(k));
      const out = o.out ?? `${file}.sig`;
      await writeFile(out, envelopeJson(await signStatement(statement, keys, { subjectName: basename(file) })));
      console.log(
        `${out}: halt statement for ${statement.name} ${statement.version}, serial ${statement.serial}, module sha256 ${statement.moduleSha256}, key ${keys.map((k) => k.id).join(", ")}`,
      );
      console.log(
        `publish ${file} and ${out} where the agents poll: a pending candidate with a lower serial is dropped at each agent's next poll, and agents that adopted it return to this module`,
      );
    });

  policy
    .command("verify")
    .description(
      "check FILE.wasm.sig (a signed statement) against one or more public keys and the module's bytes and metadata: exit 0 valid, 1 invalid, 2 missing or unreadable files",
    )
    .argument("<file.wasm>")
    .requiredOption("--pub <file>", "a trusted public key (policy.pub); repeatable", collect, [])
    .option("--sig <file>", "the signature file (default: FILE.wasm.sig)")
    .action(async (file: string, o: { pub: string[]; sig?: string }) => {
      const bytes = new Uint8Array(await read(file));
      const envelope = (await read(o.sig ?? `${file}.sig`)).toString("utf8");
      const keys: TrustedKey[] = [];
      for (const p of o.pub) keys.push(await keyFrom(p, (t) => importPublicKey(t, p)));
      const fail = (message: string) => {
        console.error(`isoplace: ${file}: INVALID: ${message}`);
        process.exitCode = EXIT.failed;
      };
      const check = await verifyStatement(envelope, keys);
      if (!check.ok) return fail(check.message);
      const st = check.statement;
      const sha = await sha256Hex(bytes);
      if (st.moduleSha256 !== sha) return fail(`the statement is for module ${st.moduleSha256}, not this one (${sha})`);
      let meta;
      try {
        meta = readMeta(customSections(bytes, META_SECTION));
      } catch (err) {
        return fail(`not a policy module: ${(err as Error).message}`);
      }
      if (st.name !== meta.name || st.version !== meta.version)
        return fail(`the statement names ${st.name} ${st.version}; the module's metadata says ${meta.name} ${meta.version}`);
      if (st.expires && parseSignedTime(st.expires)! <= Date.now()) return fail(`the statement expired at ${st.expires}`);
      console.log(
        `${file}: valid statement by key ${check.keyId}: ${st.name} ${st.version}, serial ${st.serial}, issued ${st.issuedAt}${st.expires ? `, expires ${st.expires}` : ""}`,
      );
      if (check.format === "legacy") console.error(`isoplace: ${file}: ${LEGACY_NOTE}`);
    });
  return policy;
}
