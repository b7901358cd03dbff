// A manifest's container started as the kubelet would start it, here: its args with the paths
// moved under a test root (as its volumes would be mounted), its address on loopback and its
// port an ephemeral one (the process says which it got), its env as declared (paths moved too)
// and no PATH.
import { join } from "node:path";
import { PACKAGE_ROOT } from "../../host/package.ts";
import { imageEntrypoint } from "../../bench/deployed-flags.ts";
import { spawnChild, type Child } from "./child.ts";

type EnvVar = { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } };
type Container = { args: string[]; env?: EnvVar[] };

/** The pod's fields the downward API hands a container here (the kubelet fills them from the pod). */
const POD_FIELDS: Record<string, string> = { "spec.nodeName": "test-node-1" };

export function startContainer(container: Container, moved: (path: string) => string): Child {
  const args = container.args.map((a, i) => {
    const flag = container.args[i - 1];
    if (flag === "--host") return "127.0.0.1";
    if (flag === "--port") return "0";
    return a.startsWith("/") ? moved(a) : a;
  });
  // a variable naming a file or directory (ISOPLACE_POLICY, DOCKER_CONFIG) is moved like a path in the args
  const env = Object.fromEntries(
    (container.env ?? []).map((e) => {
      if (e.value === undefined) {
        const field = e.valueFrom?.fieldRef?.fieldPath;
        if (!field || !Object.hasOwn(POD_FIELDS, field))
          throw new Error(`${e.name}: only the downward API's ${Object.keys(POD_FIELDS).join(", ")} are filled here`);
        return [e.name, POD_FIELDS[field]];
      }
      return [e.name, e.value.startsWith("/") ? moved(e.value) : e.value];
    }),
  );
  // as the image runs it: node with its entrypoint's flags, then the script (NODE_OPTIONS from env)
  const { nodeFlags, script } = imageEntrypoint(PACKAGE_ROOT);
  return spawnChild(process.execPath, [...nodeFlags, join(PACKAGE_ROOT, script), ...args], { env: { ...env, PATH: "" } });
}
