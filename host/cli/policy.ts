// isoplace policy build | inspect (keygen, sign and verify: see ./signing.ts).
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { Command } from "commander";
import { META_SECTION } from "../engine/abi.ts";
import { sha256Hex } from "../engine/engine.ts";
import { customSections, readMeta } from "../engine/meta.ts";
import { buildPolicy } from "../policy/compile.ts";
import { DEFAULT_POLICY_SOURCE } from "../node/paths.ts";
import { UsageError } from "./errors.ts";

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
      const meta = readMeta(customSections(bytes, META_SECTION));
      console.log(JSON.stringify({ ...meta, moduleSha256: await sha256Hex(bytes), bytes: bytes.length }, null, 2));
    });
  return policy;
}
