// isoplace policy build | inspect | keygen | sign | verify.
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Command } from "commander";
import { META_SECTION } from "../engine/abi.ts";
import { sha256Hex } from "../engine/engine.ts";
import { customSections, isWasmModule, readMeta } from "../engine/meta.ts";
import { DEFAULT_POLICY_SOURCE } from "../package.ts";
import { generateKeyPair, importPrivateKey, importPublicKey, KeyFormatError, signModule, verifyModule, type TrustedKey } from "../policy/signing.ts";
import { loadCompiler } from "./compiler.ts";
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

async function read(path: string): Promise<Buffer> {
  try { return await readFile(path); } catch (err) { throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`); }
}

export function registerPolicy(program: Command): Command {
  const policy = program.command("policy").description("build, sign, verify and inspect policy modules");

  policy.command("build")
    .description("compile a policy source (YAML) into a module; default: the shipped default policy")
    .argument("[source]", "policy source file", DEFAULT_POLICY_SOURCE)
    .requiredOption("--out <file.wasm>", "where to write the module")
    .action(async (source: string, o: { out: string }) => {
      // loaded here, not at start: the compiler takes a second or more to import, and every
      // other command (decide, rank, …) would pay for it; the agent's install has none at all
      const { buildPolicy } = await loadCompiler();
      const built = await buildPolicy((await read(source)).toString("utf8"), source);
      await mkdir(dirname(o.out), { recursive: true });
      await writeFile(o.out, built.wasm);
      console.log(`${o.out}: ${built.wasm.length} bytes, policy ${built.meta.name} ${built.meta.version}, ${built.vectors.length} self-test vectors, module sha256 ${await sha256Hex(built.wasm)}`);
    });

  policy.command("inspect")
    .description("print a module's metadata as JSON, read from its custom section without running it")
    .argument("<file.wasm>")
    .action(async (file: string) => {
      const bytes = new Uint8Array(await read(file));
      if (!isWasmModule(bytes)) throw new UsageError(`${file} is not a WebAssembly module (a module starts with the bytes \\0asm)`);
      const meta = readMeta(customSections(bytes, META_SECTION));
      console.log(JSON.stringify({ ...meta, moduleSha256: await sha256Hex(bytes), bytes: bytes.length }, null, 2));
    });
  policy.command("keygen")
    .description("create an Ed25519 key pair: DIR/policy.key (private, PKCS#8 PEM, mode 0600) and DIR/policy.pub (SPKI PEM)")
    .requiredOption("--out <dir>", "directory for the key files")
    .option("--force", "replace existing key files")
    .action(async (o: { out: string; force?: boolean }) => {
      const pair = await generateKeyPair();
      await mkdir(o.out, { recursive: true, mode: 0o700 });
      const key = join(o.out, "policy.key"), pub = join(o.out, "policy.pub");
      await writeNew(key, pair.privatePem, 0o600, Boolean(o.force));
      await writeNew(pub, pair.publicPem, 0o644, Boolean(o.force));
      console.log(`${key} (private, keep it secret) and ${pub} (give it to the agents: --trusted-key); key id ${pair.id}`);
    });

  policy.command("sign")
    .description("sign a module's bytes with a private key: writes FILE.wasm.sig (base64 Ed25519 signature)")
    .argument("<file.wasm>")
    .requiredOption("--key <file>", "the private key (policy.key from keygen)")
    .option("--out <file>", "where to write the signature (default: FILE.wasm.sig)")
    .action(async (file: string, o: { key: string; out?: string }) => {
      const bytes = new Uint8Array(await read(file));
      const key = await keyFrom(o.key, (t) => importPrivateKey(t, o.key));
      const out = o.out ?? `${file}.sig`;
      await writeFile(out, `${await signModule(bytes, key)}\n`);
      console.log(`${out}: signature of ${file} (module sha256 ${await sha256Hex(bytes)})`);
    });

  policy.command("verify")
    .description("check FILE.wasm.sig against one or more public keys: exit 0 valid, 1 invalid, 2 missing or unreadable files")
    .argument("<file.wasm>")
    .requiredOption("--pub <file>", "a trusted public key (policy.pub); repeatable", collect, [])
    .option("--sig <file>", "the signature file (default: FILE.wasm.sig)")
    .action(async (file: string, o: { pub: string[]; sig?: string }) => {
      const bytes = new Uint8Array(await read(file));
      const sigFile = o.sig ?? `${file}.sig`;
      const signature = (await read(sigFile)).toString("utf8");
      const keys: TrustedKey[] = [];
      for (const p of o.pub) keys.push(await keyFrom(p, (t) => importPublicKey(t, p)));
      const check = await verifyModule(bytes, signature, keys);
      if (check.ok) {
        console.log(`${file}: valid signature by key ${check.keyId}`);
      } else {
        console.error(`isoplace: ${file}: INVALID: ${check.message}`);
        process.exitCode = EXIT.failed;
      }
    });
  return policy;
}
