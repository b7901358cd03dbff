// Running the isoplace command and the peers (oras, crane, cosign) as an operator would: real
// processes, real files, bounded in time; each run's exit code and output.
import { join } from "node:path";
import { PACKAGE_ROOT } from "../../../host/package.ts";
import { runChild } from "../../support/child.ts";
import { peerBin } from "../../support/peers.ts";

export const MAIN = join(PACKAGE_ROOT, "host", "cli", "main.ts");

export interface Ran { code: number; stdout: string; stderr: string }

export interface RunOptions { env?: Record<string, string>; cwd?: string }

async function run(bin: string, args: string[], o: RunOptions = {}): Promise<Ran> {
  const r = await runChild(bin, args, { cwd: o.cwd ?? PACKAGE_ROOT, env: { ...process.env, ...o.env }, timeoutMs: 120_000 });
  return { code: r.code ?? -1, stdout: r.stdout, stderr: r.signal ? `${r.stderr}(killed by ${r.signal})` : r.stderr };
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
