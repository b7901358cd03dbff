// `serve --detect`: which runtimes this machine has, probed the way the policy says (a device,
// a socket, or a binary on PATH or in K3s's bundled bin directory). Read-only: nothing is run.
import { accessSync, constants, readdirSync, statSync } from "node:fs";
import { delimiter, join } from "node:path";
import type { Catalogue } from "../engine/catalogue.ts";
import type { NodeProfile } from "../engine/engine.ts";

export interface Detected {
  runtimes: string[];
  evidence: Record<string, string>;
}

/** Where shims live besides PATH: K3s unpacks its containerd and shims under data/<hash>/bin. */
function extraDirs(root: string): string[] {
  const dirs = ["/usr/local/bin", "/usr/bin", "/bin", "/usr/local/sbin", "/usr/sbin", "/opt/kata/bin"];
  const k3s = join(root, "var/lib/rancher/k3s/data");
  try {
    for (const d of readdirSync(k3s)) dirs.push(join("/var/lib/rancher/k3s/data", d, "bin"));
  } catch {
    /* not a K3s node */
  }
  return dirs;
}

const under = (root: string, path: string) => (root === "/" ? path : join(root, path));

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function exists(path: string, kind: "device" | "socket"): boolean {
  try {
    const st = statSync(path);
    return kind === "device" ? st.isCharacterDevice() : st.isSocket();
  } catch {
    return false;
  }
}

/**
 * Probes for each runtime of the policy. `root` is where the host's file system is mounted
 * (/ on a plain machine; e.g. /host in a DaemonSet pod); PATH is searched as given.
 */
export function detectRuntimes(catalogue: Catalogue, root = "/", path = process.env.PATH ?? ""): Detected {
  const dirs = [
    ...path
      .split(delimiter)
      .filter(Boolean)
      .map((d) => ({ d, host: false })),
    ...extraDirs(root).map((d) => ({ d, host: true })),
  ];
  const evidence: Record<string, string> = Object.create(null); // keyed by the policy's runtime ids
  for (const r of catalogue.runtimes) {
    const d = r.detect;
    if (!d) continue;
    // a device is checked where a pod gets it (the path itself) and under the host's root
    const device = d.device ? [d.device, under(root, d.device)].find((p) => exists(p, "device")) : undefined;
    const socket = d.socket?.map((s) => under(root, s)).find((s) => exists(s, "socket"));
    let binary: string | undefined;
    for (const name of d.binary ?? []) {
      binary = dirs.map(({ d: dir, host }) => join(host ? under(root, dir) : dir, name)).find(isExecutable);
      if (binary) break;
    }
    const found = device ?? socket ?? binary;
    if (found) evidence[r.id] = found;
  }
  return { runtimes: Object.keys(evidence), evidence };
}

/** The detect rules of a policy's runtimes, as one comparable string. */
const detectRules = (catalogue: Catalogue): string => JSON.stringify(catalogue.runtimes.map((r) => [r.id, r.detect ?? null]));

/** What redetectOnActivate needs of the active policy (ActivePolicy). */
export interface Reprofilable {
  readonly engine: { catalogue: Catalogue };
  onActivate(listener: (a: { engine: { catalogue: Catalogue } }) => void): void;
  setNode(node: NodeProfile | undefined): void;
}

/**
 * `--detect` after start: when an activated policy's detect rules differ from those the node
 * was last probed with (a runtime added, a binary renamed), probe again with the new rules and
 * make the result the node's profile. `probe` logs what it found.
 */
export function redetectOnActivate(policy: Reprofilable, probe: (catalogue: Catalogue) => NodeProfile | undefined): void {
  let rules = detectRules(policy.engine.catalogue);
  policy.onActivate((a) => {
    const next = detectRules(a.engine.catalogue);
    if (next === rules) return;
    rules = next;
    policy.setNode(probe(a.engine.catalogue));
  });
}
