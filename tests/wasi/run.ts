// Runs dist/isoplace.wasi.wasm as a WASI preview1 command under node:wasi — the ABI WasmEdge
// and wasmtime implement (neither can be installed on the test machine) — with real files for
// stdin, stdout and stderr.
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WASI } from "node:wasi";
import { PACKAGE_ROOT } from "../../host/node/paths.ts";

export const WASI_COMMAND = join(PACKAGE_ROOT, "dist/isoplace.wasi.wasm");

let compiled: WebAssembly.Module | undefined;

export function wasiModule(): WebAssembly.Module {
  if (!compiled) {
    if (!existsSync(WASI_COMMAND)) throw new Error(`${WASI_COMMAND} is missing: run \`npm run build\``);
    compiled = new WebAssembly.Module(readFileSync(WASI_COMMAND));
  }
  return compiled;
}

export interface Run { code: number; stdout: string; stderr: string }

/** `isoplace.wasi.wasm ...args`, with `stdin` on its standard input. */
export function runWasi(args: string[], stdin = "", env: Record<string, string> = {}): Run {
  const dir = mkdtempSync(join(tmpdir(), "isoplace-wasi-"));
  const paths = ["stdin", "stdout", "stderr"].map((f) => join(dir, f));
  writeFileSync(paths[0], stdin);
  const fds = [openSync(paths[0], "r"), openSync(paths[1], "w"), openSync(paths[2], "w")];
  try {
    const wasi = new WASI({ version: "preview1", args: ["isoplace.wasi.wasm", ...args], env, stdin: fds[0], stdout: fds[1], stderr: fds[2], returnOnExit: true });
    const instance = new WebAssembly.Instance(wasiModule(), wasi.getImportObject() as WebAssembly.Imports);
    const code = wasi.start(instance);
    return { code, stdout: readFileSync(paths[1], "utf8"), stderr: readFileSync(paths[2], "utf8") };
  } finally {
    for (const fd of fds) closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
}

type Request = { workload?: Record<string, unknown>; node?: { runtimes: string[] } };
const list = (v: unknown) => (Array.isArray(v) ? v.join(",") : String(v));
const FLAG: Record<string, string> = {
  maxColdStartMs: "--max-cold-start-ms", maxMemoryMb: "--max-memory-mb", maxCpuOverheadPct: "--max-cpu-overhead-pct", minIsolation: "--min-isolation",
};

/** The CLI flags that say the same as a decide request. */
export function flagsOf(r: Request): string[] {
  const w = r.workload ?? {}, out: string[] = [];
  if (w.scenario !== undefined) out.push("--scenario", String(w.scenario));
  if (w.artifact !== undefined) out.push("--artifact", String(w.artifact));
  for (const g of ["performance", "security", "cost"]) if (w[g] !== undefined) out.push(`--${g}`, list(w[g]));
  for (const [k, v] of Object.entries((w.constraints ?? {}) as Record<string, number>)) out.push(FLAG[k], String(v));
  for (const [k, v] of Object.entries((w.weights ?? {}) as Record<string, number>)) out.push("--weight", `${k}=${v}`);
  if (r.node) out.push("--runtimes", r.node.runtimes.join(","));
  return out;
}
