// A manifest's container started as the kubelet would start it, here: its args with the paths
// moved under a test root (as its volumes would be mounted), its address on loopback and its
// port an ephemeral one (the process says which it got), its env as declared (paths moved too)
// and no PATH.
import { join } from "node:path";
import { PACKAGE_ROOT } from "../../host/package.ts";
import { imageEntrypoint } from "../../bench/deployed-flags.ts";
import { spawnChild, type Child } from "./child.ts";

type Container = { args: string[]; env?: { name: string; value: string }[] };

export function startContainer(container: Container, moved: (path: string) => string): Child {
  const args = container.args.map((a, i) => {
    const flag = container.args[i - 1];
    if (flag === "--host") return "127.0.0.1";
    if (flag === "--port") return "0";
    return a.startsWith("/") ? moved(a) : a;
  });
  // a variable naming a file or directory (ISOPLACE_POLICY, DOCKER_CONFIG) is moved like a path in the args
  const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value.startsWith("/") ? moved(e.value) : e.value]));
  // as the image runs it: node with its entrypoint's flags, then the script (NODE_OPTIONS from env)
  const { nodeFlags, script } = imageEntrypoint(PACKAGE_ROOT);
  return spawnChild(process.execPath, [...nodeFlags, join(PACKAGE_ROOT, script), ...args], { env: { ...env, PATH: "" } });
}
