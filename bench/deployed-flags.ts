// The V8 flags the agent and the webhook are deployed with: the image's entrypoint's node flags
// (deploy/k3s/Dockerfile) and the manifest's NODE_OPTIONS, read from the files themselves so the
// bench (and the tests that start what a manifest says) run what is deployed.
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The image's ENTRYPOINT: node, its flags, the script. */
export function imageEntrypoint(root: string): { nodeFlags: string[]; script: string } {
  const text = readFileSync(join(root, "deploy/k3s/Dockerfile"), "utf8");
  const m = /^ENTRYPOINT (.+)$/m.exec(text.slice(text.lastIndexOf("\nFROM ")));
  if (!m) throw new Error("deploy/k3s/Dockerfile: no ENTRYPOINT in the final stage");
  const [node, ...rest] = JSON.parse(m[1]) as string[];
  const at = rest.findIndex((a) => !a.startsWith("-"));
  if (node !== "node" || at < 0) throw new Error(`deploy/k3s/Dockerfile: ENTRYPOINT is not node [flags] script: ${m[1]}`);
  return { nodeFlags: rest.slice(0, at), script: rest[at] };
}

/** The node flags a K3s manifest runs the image with: the entrypoint's, then its NODE_OPTIONS (the DaemonSet's unless told). */
export function deployedNodeFlags(root: string, manifest = "deploy/k3s/daemonset.yaml"): string[] {
  const m = /name:\s*NODE_OPTIONS\s*\n\s*value:\s*(.+)/.exec(readFileSync(join(root, manifest), "utf8"));
  if (!m) throw new Error(`bench: NODE_OPTIONS not found in ${manifest}`);
  return [
    ...imageEntrypoint(root).nodeFlags,
    ...m[1]
      .trim()
      .replace(/^["']|["']$/g, "")
      .split(/\s+/),
  ];
}
