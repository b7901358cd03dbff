// Runs dist/isoplace.wasi.wasm as a WASI preview1 command under three implementations, each in a
// WASI host process of its own speaking one line protocol (never inside the test runner's worker):
// node:wasi (tests/wasi/host.mjs), Wasmtime through PyPI's wasmtime package
// (tests/wasi/wasmtime_host.py, run by .peers/bin/python-wasmtime) and Wasmer's WASI for
// JavaScript (@wasmer/wasi, tests/wasi/wasmer-host.mjs).
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { PACKAGE_ROOT } from "../../host/package.ts";
import { spawnChild, type Child } from "../support/child.ts";
import { havePeers, peerBin } from "../support/peers.ts";

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

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export type RuntimeName = "node:wasi" | "wasmtime" | "wasmer-js";

export interface WasiRuntime {
  name: RuntimeName;
  /** What it is and its version, as test titles and the README name it. */
  title: string;
  /** Whether it can run here (its peer is built, or this is CI where a missing one fails). */
  available: boolean;
  /** How to start its host for a command file. */
  command: (file: string) => [string, string[]];
}

const here = (f: string) => join(import.meta.dirname, f);
const wasmerVersion = () => JSON.parse(readFileSync(join(PACKAGE_ROOT, "node_modules/@wasmer/wasi/package.json"), "utf8")).version as string;
function wasmtimeVersion(): string {
  try {
    return execFileSync(peerBin("python-wasmtime"), ["-c", "import importlib.metadata as m; print(m.version('wasmtime'))"], { encoding: "utf8" }).trim();
  } catch {
    return "not built";
  }
}

export const RUNTIMES: WasiRuntime[] = [
  { name: "node:wasi", title: `node:wasi (Node ${process.versions.node})`, available: true, command: (file) => [process.execPath, [here("host.mjs"), file]] },
  {
    name: "wasmtime",
    title: `Wasmtime (PyPI wasmtime ${wasmtimeVersion()})`,
    available: havePeers("python-wasmtime"),
    command: (file) => [peerBin("python-wasmtime"), [here("wasmtime_host.py"), file]],
  },
  {
    name: "wasmer-js",
    title: `Wasmer's WASI for JavaScript (@wasmer/wasi ${wasmerVersion()})`,
    available: true,
    command: (file) => [process.execPath, [here("wasmer-host.mjs"), file]],
  },
];

interface Call {
  args: string[];
  stdin: string;
  env: Record<string, string>;
  resolve: (r: Run) => void;
  reject: (e: Error) => void;
  /** Sent again once already, after node:wasi's host died under it. */
  again?: boolean;
}
interface Host {
  child: Child;
  pending: Map<number, Call>;
  sent: number;
}

/** Calls sent again after node:wasi's host died of SIGSEGV (the test files print it). */
export const nodeWasiCrashes = { hosts: 0, callsSentAgain: 0 };
/** One host per runtime and command file (dist/isoplace.wasi.wasm, or one `policy build --wasi` wrote). */
const hosts = new Map<string, Host>();
const retired = new Set<Host>();
let nextId = 0;

// A host answers at most this many calls, then gets its stdin closed (it exits once it has answered
// them) and a fresh one takes the next: node:wasi's host keeps every WASI object alive for its
// whole life (none may be finalised while calls run), so what a host holds grows with each call;
// a bounded number of calls bounds it, and with it the native code's exposure in one process.
const CALLS_PER_HOST = 250;

function wasiHost(runtime: RuntimeName, file: string): Host {
  const key = `${runtime} ${file}`;
  const running = hosts.get(key);
  if (running && running.sent < CALLS_PER_HOST) return running;
  if (running) {
    retired.add(running);
    running.child.process.stdin!.end();
  }
  if (file === WASI_COMMAND) wasiModule();
  const [command, args] = RUNTIMES.find((r) => r.name === runtime)!.command(file);
  const child = spawnChild(command, args, { stdio: ["pipe", "pipe", "pipe"], keep: (l) => !l.startsWith('{"id"') });
  const h: Host = { child, pending: new Map(), sent: 0 };
  createInterface({ input: child.process.stdout! }).on("line", (line) => {
    const a = JSON.parse(line);
    const p = h.pending.get(a.id);
    h.pending.delete(a.id);
    if (a.error) p?.reject(new Error(`${runtime}: ${a.error}`));
    else p?.resolve({ code: a.code, stdout: a.stdout, stderr: a.stderr });
  });
  void child.exited.then((e) => {
    // node:wasi is experimental native code, and its host process dies of SIGSEGV now and then
    // (at a different call each time, never under the other two runtimes): its unanswered calls
    // go once more to a fresh host, and a call that brings that one down too fails the test
    const crashed = runtime === "node:wasi" && e.signal === "SIGSEGV";
    if (crashed) nodeWasiCrashes.hosts++;
    if (hosts.get(key) === h) hosts.delete(key);
    for (const p of h.pending.values()) {
      if (crashed && !p.again) {
        nodeWasiCrashes.callsSentAgain++;
        send(wasiHost(runtime, file), { ...p, again: true });
      } else p.reject(new Error(`the ${runtime} WASI host exited (${e.code ?? e.signal}) with ${h.pending.size} call(s) unanswered:\n${child.output()}`));
    }
    h.pending.clear();
    retired.delete(h);
  });
  hosts.set(key, h);
  return h;
}

/** `isoplace.wasi.wasm ...args` (or another command file) under a WASI implementation, with `stdin` on its standard input. */
export function runWasi(args: string[], stdin = "", env: Record<string, string> = {}, runtime: RuntimeName = "node:wasi", file = WASI_COMMAND): Promise<Run> {
  return new Promise<Run>((resolve, reject) => send(wasiHost(runtime, file), { args, stdin, env, resolve, reject }));
}

function send(h: Host, call: Call): void {
  const id = nextId++;
  h.sent++;
  h.pending.set(id, call);
  h.child.process.stdin!.write(`${JSON.stringify({ id, args: call.args, stdin: call.stdin, env: call.env })}\n`);
}

/** Ends the WASI hosts (afterAll). */
export async function stopWasiHost(): Promise<void> {
  await Promise.all([...hosts.values(), ...retired].map((h) => h.child.stop("SIGKILL")));
}

type Request = { workload?: Record<string, unknown>; node?: { runtimes: string[] } };
const list = (v: unknown) => (Array.isArray(v) ? v.join(",") : String(v));
const FLAG: Record<string, string> = {
  maxColdStartMs: "--max-cold-start-ms",
  maxMemoryMb: "--max-memory-mb",
  maxCpuOverheadPct: "--max-cpu-overhead-pct",
  minIsolation: "--min-isolation",
};

/** The CLI flags that say the same as a decide request. */
export function flagsOf(r: Request): string[] {
  const w = r.workload ?? {},
    out: string[] = [];
  if (w.scenario !== undefined) out.push("--scenario", String(w.scenario));
  if (w.artifact !== undefined) out.push("--artifact", String(w.artifact));
  for (const g of ["performance", "security", "cost"]) if (w[g] !== undefined) out.push(`--${g}`, list(w[g]));
  for (const [k, v] of Object.entries((w.constraints ?? {}) as Record<string, number>)) out.push(FLAG[k], String(v));
  for (const [k, v] of Object.entries((w.weights ?? {}) as Record<string, number>)) out.push("--weight", `${k}=${v}`);
  if (r.node) out.push("--runtimes", r.node.runtimes.join(","));
  return out;
}
