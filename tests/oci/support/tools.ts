// Running the isoplace command and the peers (oras, crane, cosign) as an operator would: real
// processes, real files, bounded in time; each run's exit code and output.
import { isoplace as cli, ok, run as runCommand, SOURCE_MAIN, type Ran } from "../../support/cli.ts";
import { peerBin } from "../../support/peers.ts";

export { ok, type Ran };
export const MAIN = SOURCE_MAIN;

export interface RunOptions {
  env?: Record<string, string>;
  cwd?: string;
}

const options = (o: RunOptions) => ({ cwd: o.cwd, env: { ...process.env, ...o.env }, timeoutMs: 120_000 });

/** `isoplace ARGS`, from the source. */
export const isoplace = (args: string[], o: RunOptions = {}) => cli(args, options(o));

/** A peer from .peers/bin. */
export const peer = (name: string, args: string[], o: RunOptions = {}) => runCommand(peerBin(name), args, options(o));
