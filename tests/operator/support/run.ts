// The built CLI (dist/host/cli/main.js) as a child process with a deadline: run() for commands
// that end, startServe() for an agent that runs until killed (its caller kills it in finally).
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { PACKAGE_ROOT } from "../../../host/package.ts";

export const BUILT_MAIN = join(PACKAGE_ROOT, "dist/host/cli/main.js");

export interface RunOptions {
  /** Environment on top of a clean one (PATH and HOME only): no ISOPLACE_*, PORT, HOST or LOG_LEVEL leaks in. */
  env?: Record<string, string>;
  node?: string;
  main?: string;
  cwd?: string;
  timeoutMs?: number;
}

export interface Ran { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

export const cleanEnv = (extra: Record<string, string> = {}): Record<string, string> =>
  ({ PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...extra });

function spawnCli(args: string[], o: RunOptions): ChildProcess {
  return spawn(o.node ?? process.execPath, [o.main ?? BUILT_MAIN, ...args], {
    cwd: o.cwd ?? PACKAGE_ROOT, env: cleanEnv(o.env), stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Runs the CLI to its end; killed (and the result says so) when it outlives the deadline. */
export async function run(args: string[], o: RunOptions = {}): Promise<Ran> {
  const child = spawnCli(args, o);
  let stdout = "", stderr = "";
  child.stdout!.on("data", (c: Buffer) => { stdout += c; });
  child.stderr!.on("data", (c: Buffer) => { stderr += c; });
  const timer = setTimeout(() => child.kill("SIGKILL"), o.timeoutMs ?? 30_000);
  try {
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.once("error", reject);
      child.once("close", (c, s) => resolve([c, s]));
    });
    return { code, signal, stdout, stderr };
  } finally {
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
}

export interface Served { url: string; child: ChildProcess; output(): string; stop(): Promise<void> }

/** `serve --port 0 …` until its "listening" line; rejects with its output when it exits or the deadline passes first. */
export async function startServe(args: string[], o: RunOptions = {}): Promise<Served> {
  const child = spawnCli(["serve", "--port", "0", ...args], o);
  let out = "";
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start in time:\n${out}`)), o.timeoutMs ?? 30_000);
      const take = (c: Buffer) => {
        out += c;
        const m = /"url":"([^"]+)"[^\n]*"msg":"isoplace agent listening"/.exec(out);
        if (m) { clearTimeout(timer); resolve(m[1]); }
      };
      child.stdout!.on("data", take);
      child.stderr!.on("data", take);
      child.once("close", (code) => { clearTimeout(timer); reject(new Error(`serve exited (${code}) before listening:\n${out}`)); });
    });
    return { url, child, output: () => out, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
