// Runs dist/isoplace.wasi.wasm as a WASI preview1 command under node:wasi — the ABI WasmEdge
// and wasmtime implement (neither can be installed on the test machine) — with real files for
// stdin, stdout and stderr, in a WASI host process of its own (tests/wasi/host.mjs), as a
// runtime would run it: never inside the test runner's worker.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { PACKAGE_ROOT } from "../../host/package.ts";
import { spawnChild, type Child } from "../support/child.ts";

export const WASI_COMMAND = join(PACKAGE_ROOT, "dist/isoplace.wasi.wasm");

let compiled: WebAssembly.Module | undefined;

/** The command's module, compiled here only to read its imports and exports. */
export function wasiModule(): WebAssembly.Module {
  if (!compiled) {
    if (!existsSync(WASI_COMMAND)) throw new Error(`${WASI_COMMAND} is missing: run \`npm run build\``);
    compiled = new WebAssembly.Module(readFileSync(WASI_COMMAND));
  }
  return compiled;
}

export interface Run { code: number; stdout: string; stderr: string }

/** One host per command file (dist/isoplace.wasi.wasm, or one `policy build --wasi` wrote). */
const hosts = new Map<string, Child>();
let nextId = 0;
const pending = new Map<number, { resolve: (r: Run) => void; reject: (e: Error) => void }>();

function wasiHost(command: string): Child {
  const running = hosts.get(command);
  if (running) return running;
  if (command === WASI_COMMAND) wasiModule();
  const h = spawnChild(process.execPath, [join(import.meta.dirname, "host.mjs"), command], { stdio: ["pipe", "pipe", "pipe"], keep: (l) => !l.startsWith("{\"id\"") });
  createInterface({ input: h.process.stdout! }).on("line", (line) => {
    const a = JSON.parse(line);
    const p = pending.get(a.id);
    pending.delete(a.id);
    if (a.error) p?.reject(new Error(a.error)); else p?.resolve({ code: a.code, stdout: a.stdout, stderr: a.stderr });
  });
  void h.exited.then((e) => {
    for (const p of pending.values()) p.reject(new Error(`the WASI host exited (${e.code ?? e.signal}):\n${h.output()}`));
    pending.clear();
    if (hosts.get(command) === h) hosts.delete(command);
  });
  hosts.set(command, h);
  return h;
}

/** `isoplace.wasi.wasm ...args` (or another command file), with `stdin` on its standard input. */
export function runWasi(args: string[], stdin = "", env: Record<string, string> = {}, command = WASI_COMMAND): Promise<Run> {
  const h = wasiHost(command), id = nextId++;
  return new Promise<Run>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    h.process.stdin!.write(`${JSON.stringify({ id, args, stdin, env })}\n`);
  });
}

/** Ends the WASI hosts (afterAll). */
export async function stopWasiHost(): Promise<void> {
  await Promise.all([...hosts.values()].map((h) => h.stop("SIGKILL")));
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
