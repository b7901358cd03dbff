// Commands run to their end as real processes (runChild: a deadline, and no child outlives the
// test file), the isoplace command first among them: from the sources unless told another entry.
import { join } from "node:path";
import { PACKAGE_ROOT } from "../../host/package.ts";
import { runChild } from "./child.ts";

export const SOURCE_MAIN = join(PACKAGE_ROOT, "host", "cli", "main.ts");
export const BUILT_MAIN = join(PACKAGE_ROOT, "dist", "host", "cli", "main.js");

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** The whole environment of the command (default: this process's). */
  env?: Record<string, string | undefined>;
  cwd?: string;
  input?: string;
  timeoutMs?: number;
}

/** `command ARGS` to its end: its exit code (-1 when a signal ended it, named in stderr) and output. */
export async function run(command: string, args: string[], o: RunOptions = {}): Promise<Ran> {
  const r = await runChild(command, args, { cwd: o.cwd ?? PACKAGE_ROOT, env: o.env, input: o.input, timeoutMs: o.timeoutMs });
  return { code: r.code ?? -1, stdout: r.stdout, stderr: r.signal ? `${r.stderr}(killed by ${r.signal})` : r.stderr };
}

/** `isoplace ARGS` under this Node: from the sources, or `main` (the built dist/). */
export const isoplace = (args: string[], o: RunOptions & { main?: string } = {}): Promise<Ran> => run(process.execPath, [o.main ?? SOURCE_MAIN, ...args], o);

/** The run, or an error showing its output when it failed. */
export function ok(r: Ran, what: string): Ran {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r;
}
