// `policy build`: a policy source → a module, compiled in-process with the AssemblyScript
// compiler's API. The rules in assembly/ are shared; only assembly/policy.ts is generated.
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { deflateRawSync } from "node:zlib";
import asc from "assemblyscript/asc";
import { META_SECTION } from "../engine/abi.ts";
import { sha256Hex } from "../engine/engine.ts";
import { ASSEMBLY_DIR, PACKAGE_ROOT, PACKAGE_VERSION } from "../package.ts";
import { generate, type Generated } from "./generate.ts";
import { appendCustomSection } from "./section.ts";
import { parsePolicySource } from "./source.ts";

/**
 * The compiler options of asconfig.json's "policy" target, as asc flags. (`policy build` runs
 * asc itself, because assembly/policy.ts is generated per policy and supplied in memory.)
 */
export const COMPILER_FLAGS = ascFlags(JSON.parse(readFileSync(join(PACKAGE_ROOT, "asconfig.json"), "utf8")).targets.policy);

function ascFlags(target: Record<string, unknown>): string[] {
  return Object.entries(target)
    .filter(([key]) => key !== "outFile")
    .flatMap(([key, value]) => (value === true ? [`--${key}`] : value === false ? [] : [`--${key}`, String(value)]));
}

export interface BuiltPolicy extends Generated {
  wasm: Uint8Array;
}

/** Compiles policy source text into a module. Throws PolicySourceError naming line and field. */
export interface BuildOptions {
  /** The entry in assembly/ (default index.ts, the policy module's ABI). */
  entry?: string;
  extraFlags?: string[];
  /** More files supplied in memory beside assembly/ (e.g. another entry). */
  files?: Record<string, string>;
}

export async function buildPolicy(
  sourceText: string,
  file = "policy",
  { entry = "index.ts", extraFlags = [], files = {} }: BuildOptions = {},
): Promise<BuiltPolicy> {
  const source = parsePolicySource(sourceText, file);
  const generated = generate(
    source,
    await sha256Hex(new TextEncoder().encode(sourceText)),
    `isoplace ${PACKAGE_VERSION}, assemblyscript ${asc.version}`,
    (bytes) => deflateRawSync(bytes, { level: 9 }),
  );
  const wasm = await compileAssembly(entry, { ...files, "policy.ts": generated.assembly }, extraFlags);
  return { ...generated, wasm: appendCustomSection(wasm, META_SECTION, new TextEncoder().encode(JSON.stringify(generated.meta))) };
}

/** Runs asc on an entry in assembly/, with some files supplied in memory. */
export async function compileAssembly(entry: string, virtual: Record<string, string>, extraFlags: string[] = []): Promise<Uint8Array> {
  let wasm: Uint8Array | undefined;
  const stderr: string[] = [];
  const { error } = await asc.main([entry, "--outFile", "out.wasm", ...COMPILER_FLAGS, ...extraFlags], {
    readFile: async (name: string) => {
      if (Object.hasOwn(virtual, name)) return virtual[name];
      try {
        return await readFile(join(ASSEMBLY_DIR, name), "utf8");
      } catch {
        return null;
      }
    },
    writeFile: (name: string, contents: Uint8Array | string) => {
      if (name.endsWith(".wasm")) wasm = contents as Uint8Array;
    },
    listFiles: () => [],
    stderr: {
      write: (s: string | Uint8Array) => {
        stderr.push(String(s));
        return true;
      },
    } as never,
    stdout: { write: () => true } as never,
  });
  if (error || !wasm) throw new Error(`AssemblyScript compilation failed: ${error?.message ?? "no output"}\n${stderr.join("")}`);
  return wasm;
}
