// The built CLI (dist/host/cli/main.js) as a child process with a deadline, in a clean
// environment: run() for commands that end, startServe() for an agent that runs until stopped
// (its caller stops it in finally).
import type { ChildProcess } from "node:child_process";
import { spawnChild } from "../../support/child.ts";
import { PACKAGE_ROOT } from "../../../host/package.ts";
import { BUILT_MAIN, run as runCommand, type Ran } from "../../support/cli.ts";

export { BUILT_MAIN, type Ran };

export interface RunOptions {
  /** Environment on top of a clean one (PATH and HOME only): no ISOPLACE_*, PORT, HOST or LOG_LEVEL leaks in. */
  env?: Record<string, string>;
  node?: string;
  main?: string;
  cwd?: string;
  timeoutMs?: number;
}

export const cleanEnv = (extra: Record<string, string> = {}): Record<string, string> => ({
  PATH: process.env.PATH ?? "",
  HOME: process.env.HOME ?? "/tmp",
  ...extra,
});

/** Runs the CLI to its end; past the deadline it is killed and the run rejects with its output. */
export function run(args: string[], o: RunOptions = {}): Promise<Ran> {
  return runCommand(o.node ?? process.execPath, [o.main ?? BUILT_MAIN, ...args], { cwd: o.cwd, env: cleanEnv(o.env), timeoutMs: o.timeoutMs ?? 30_000 });
}

export interface Served {
  url: string;
  child: ChildProcess;
  output(): string;
  /** The first line of output (seen or to come) that matches; rejects at the deadline or at exit. */
  waitForLine(match: RegExp | ((line: string) => boolean), what: string, timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
}

/** `serve --port 0 …` until its "listening" line; rejects with its output when it exits or the deadline passes first. */
export async function startServe(args: string[], o: RunOptions = {}): Promise<Served> {
  const c = spawnChild(o.node ?? process.execPath, [o.main ?? BUILT_MAIN, "serve", "--port", "0", ...args], {
    cwd: o.cwd ?? PACKAGE_ROOT,
    env: cleanEnv(o.env),
  });
  const stop = async () => {
    await c.stop("SIGKILL");
  };
  try {
    const listening = await c.waitForLine((l) => l.includes('"msg":"isoplace agent listening"'), "the listening line", o.timeoutMs ?? 30_000);
    return { url: JSON.parse(listening).url, child: c.process, output: c.output, waitForLine: c.waitForLine, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
