// The WASI command (dist/isoplace.wasi.wasm): assembly/wasi.ts with a policy's tables and
// strings, compiled with @assemblyscript/wasi-shim, whose asconfig maps abort, process and
// console onto WASI preview1 and exports the start function as _start.
import { readFile, readdir } from "node:fs/promises";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import asc from "assemblyscript/asc";
import type { Catalogue, PolicyMeta } from "../engine/catalogue.ts";
import { ASSEMBLY_DIR } from "../package.ts";
import { META_SECTION } from "../engine/abi.ts";
import { COMPILER_FLAGS } from "./compile.ts";
import { appendCustomSection } from "./section.ts";
import { wasiCatalogue } from "./wasi-catalogue.ts";

// The policy module's flags but --converge: it buys the one-shot command a few bytes for seconds of build.
const FLAGS = COMPILER_FLAGS.filter((f) => f !== "--converge");
const SHIM_CONFIG = createRequire(import.meta.url).resolve("@assemblyscript/wasi-shim/asconfig.json");

/** What buildPolicy() returns that the command needs: the generated policy.ts, catalogue and meta. */
export interface WasiInputs {
  assembly: string;
  catalogue: Catalogue;
  meta: PolicyMeta;
}

export async function buildWasiCommand(built: WasiInputs): Promise<Uint8Array> {
  const virtual: Record<string, string> = {
    [resolve(ASSEMBLY_DIR, "policy.ts")]: built.assembly,
    [resolve(ASSEMBLY_DIR, "wasi/catalogue.ts")]: wasiCatalogue(built.catalogue, built.meta),
  };
  let wasm: Uint8Array | undefined;
  const stderr: string[] = [];
  // The shim's library is found through listFiles/readFile, so both read the real file system.
  const { error } = await asc.main(["wasi.ts", "--baseDir", ASSEMBLY_DIR, "--config", SHIM_CONFIG, "--outFile", "out.wasm", ...FLAGS], {
    readFile: async (name: string, baseDir: string) => {
      const path = resolve(baseDir, name);
      if (Object.hasOwn(virtual, path)) return virtual[path];
      try {
        return await readFile(path, "utf8");
      } catch {
        return null;
      }
    },
    listFiles: async (dir: string, baseDir: string) => {
      try {
        return (await readdir(resolve(baseDir, dir))).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"));
      } catch {
        return null;
      }
    },
    writeFile: (name: string, contents: Uint8Array | string) => {
      if (name.endsWith(".wasm")) wasm = contents as Uint8Array;
    },
    stderr: {
      write: (s: string | Uint8Array) => {
        stderr.push(String(s));
        return true;
      },
    } as never,
    stdout: { write: () => true } as never,
  });
  if (error || !wasm) throw new Error(`AssemblyScript compilation of the WASI command failed: ${error?.message ?? "no output"}\n${stderr.join("")}`);
  // the policy module's metadata section, so that `policy inspect`, `sign` and `verify` take the command as they take a module
  return appendCustomSection(wasm, META_SECTION, new TextEncoder().encode(JSON.stringify({ ...built.meta, target: "wasi-command" })));
}
