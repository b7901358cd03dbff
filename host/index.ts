// The package's main export, for Node: `import { loadPolicy } from "isoplace"`.
// Runtime-neutral code lives in ./engine; this adds the default policy module from disk.
import { readFile } from "node:fs/promises";
import { createEngine, type Engine, type EngineOptions } from "./engine/engine.ts";
import { loadValidation } from "./engine/validation.ts";
import { DEFAULT_POLICY_MODULE } from "./package.ts";

export * from "./engine/index.ts";

/**
 * Loads, verifies and instantiates a policy module: the default policy built into the package,
 * or the given bytes / compiled module / file path.
 */
export async function loadPolicy(source?: string | URL | BufferSource | WebAssembly.Module, options?: EngineOptions): Promise<Engine> {
  // the request schemas too, even in a process whose agent defers them: a library's engine is complete
  const [engine] = await Promise.all([load(source, options), loadValidation()]);
  return engine;
}

async function load(source: string | URL | BufferSource | WebAssembly.Module | undefined, options?: EngineOptions): Promise<Engine> {
  if (source === undefined) return createEngine(await readDefaultModule(), options);
  if (typeof source === "string" || source instanceof URL) return createEngine(await readFile(source), options);
  return createEngine(source, options);
}

export async function readDefaultModule(): Promise<Uint8Array> {
  try {
    return await readFile(DEFAULT_POLICY_MODULE);
  } catch {
    throw new Error(`the default policy module ${DEFAULT_POLICY_MODULE} is missing; run \`npm run build\``);
  }
}
