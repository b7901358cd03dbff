// The real peers the integration suites run against — kube-apiserver, etcd, kubectl, wasmtime,
// oras, crane, cosign, the distribution v3 registry, OPA — built by `npm run peers` into
// .peers/bin (git-ignored). Outside CI a suite whose peers are missing is skipped, and the
// reporter (skipped-notice.ts) names it after the summary with the command that enables it; in
// CI (CI=true) it runs and fails at its first use, so a CI machine never passes without them.
import { accessSync, constants } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const PEERS_DIR = join(dirname(fileURLToPath(import.meta.url)), "../../.peers");
export const PEERS_BIN = join(PEERS_DIR, "bin");

const IN_CI = /^(1|true)$/i.test(process.env.CI ?? "");

/** The path of a peer's executable in .peers/bin (whether or not it is there yet). */
export const peerBin = (name: string): string => join(PEERS_BIN, name);

const present = (name: string): boolean => {
  try {
    accessSync(peerBin(name), constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** The peers among `names` that are not built. */
export const missingPeers = (...names: string[]): string[] => names.filter((n) => !present(n));

/** Whether a suite needing `names` runs: all are built, or this is CI (where a missing one fails). */
export const havePeers = (...names: string[]): boolean => IN_CI || missingPeers(...names).length === 0;

/** A suite title that marks it as needing peers, for the reporter: `title [peers: a, b]`. */
export const needsPeers = (title: string, ...names: string[]): string => `${title} [peers: ${names.join(", ")}]`;
