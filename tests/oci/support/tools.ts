// Running the isoplace command and the peers (oras, crane, cosign) as an operator would: real
// processes, real files, bounded in time; each run's exit code and output.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { PACKAGE_ROOT } from "../../../host/node/paths.ts";
import { peerBin } from "../../support/peers.ts";

export const MAIN = join(PACKAGE_ROOT, "host", "cli", "main.ts");

export interface Ran { code: number; stdout: string; stderr: string }

export interface RunOptions { env?: Record<string, string>; cwd?: string }

async function run(bin: string, args: string[], o: RunOptions = {}): Promise<Ran> {
  try {
    const { stdout, stderr } = await promisify(execFile)(bin, args, { cwd: o.cwd ?? PACKAGE_ROOT, env: { ...process.env, ...o.env }, timeout: 120_000, maxBuffer: 16 << 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number | string; stdout: string; stderr: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: `${e.stderr ?? ""}${typeof e.code === "string" ? e.code : ""}` };
  }
}

/** `isoplace ARGS`, from the source. */
export const isoplace = (args: string[], o: RunOptions = {}) => run(process.execPath, [MAIN, ...args], o);

/** A peer from .peers/bin. */
export const peer = (name: string, args: string[], o: RunOptions = {}) => run(peerBin(name), args, o);

/** The run, or an error showing its output when it failed. */
export function ok(r: Ran, what: string): Ran {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r;
}
