// Binaryen's own random module generator (`wasm-opt -ttf`, translate-to-fuzz: any bytes in, a
// valid module out), loaded once per process: node_modules/binaryen/bin/wasm-opt is an
// Emscripten build of Binaryen's wasm-opt, a Node script whose main can be called again and
// again, where a process per module would cost ~1–2 s each. Files go through its NODERAWFS (the
// real file system), in a directory of our own.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { PACKAGE_ROOT } from "../../../host/package.ts";

const WASM_OPT = join(PACKAGE_ROOT, "node_modules/binaryen/bin/wasm-opt");

/** The features the meter knows (meter.ts): the generator uses these and no others. */
export const TTF_FEATURES = [
  "--mvp-features",
  "--enable-mutable-globals",
  "--enable-sign-ext",
  "--enable-nontrapping-float-to-int",
  "--enable-bulk-memory",
  "--enable-bulk-memory-opt",
  "--enable-simd",
  "--enable-reference-types",
  "--enable-multivalue",
];

export interface Ttf {
  /** A valid module made from `seed` (the same seed, the same module). */
  generate(seed: Uint8Array): Uint8Array;
  close(): void;
}

export async function loadTtf(): Promise<Ttf> {
  let text = readFileSync(WASM_OPT, "utf8");
  if (text.startsWith("#!")) text = `//${text}`;
  const messages: string[] = [];
  const Module: Record<string, unknown> = { noInitialRun: true, print: (s: string) => messages.push(s), printErr: (s: string) => messages.push(s) };
  const ready = new Promise<void>((resolve) => {
    Module.onRuntimeInitialized = resolve;
  });
  // the script's own top level, with callMain (not exported by this build) handed out
  new Function("Module", "require", "__filename", "__dirname", "process", `${text}\n;Module.callMain = callMain;`)(
    Module,
    createRequire(WASM_OPT),
    WASM_OPT,
    dirname(WASM_OPT),
    process,
  );
  await ready;
  const callMain = Module.callMain as (args: string[]) => number;
  const dir = mkdtempSync(join(tmpdir(), "isoplace-ttf-"));
  const input = join(dir, "seed.bin"),
    output = join(dir, "out.wasm");
  return {
    generate(seed) {
      writeFileSync(input, seed);
      rmSync(output, { force: true });
      messages.length = 0;
      const code = callMain(["-ttf", input, ...TTF_FEATURES, "-o", output, "--quiet"]);
      try {
        return new Uint8Array(readFileSync(output));
      } catch {
        throw new Error(`wasm-opt -ttf wrote no module (exit ${code}): ${messages.join("\n")}`);
      }
    },
    close() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
