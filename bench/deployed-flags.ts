// The V8 flags the K3s manifests run the agent and the webhook with (their NODE_OPTIONS), read
// from the manifests themselves so the bench measures what is deployed.
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The V8 flags a K3s manifest runs the agent with (its NODE_OPTIONS): the DaemonSet's unless told. */
export function deployedNodeFlags(root: string, manifest = "deploy/k3s/daemonset.yaml"): string[] {
  const m = /name:\s*NODE_OPTIONS\s*\n\s*value:\s*(.+)/.exec(readFileSync(join(root, manifest), "utf8"));
  if (!m) throw new Error(`bench: NODE_OPTIONS not found in ${manifest}`);
  return m[1].trim().replace(/^["']|["']$/g, "").split(/\s+/);
}
