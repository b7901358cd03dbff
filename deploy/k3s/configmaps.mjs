#!/usr/bin/env node
// The two ConfigMaps the DaemonSet mounts, as YAML for `kubectl apply -f -`:
//   isoplace-policy        policy.wasm (binaryData) and policy.wasm.sig  → /etc/isoplace/policy
//   isoplace-trusted-keys  policy.pub                                    → /etc/isoplace/keys
// The same as `kubectl create configmap … --from-file=…` would make, for machines without kubectl.
// Usage: --help.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { stringify } from "yaml";

const NAMESPACE = "isoplace";
const labels = { "app.kubernetes.io/name": "isoplace" };

export function policyConfigMap(module, signature) {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "isoplace-policy", namespace: NAMESPACE, labels },
    binaryData: { "policy.wasm": Buffer.from(module).toString("base64") },
    data: { "policy.wasm.sig": signature.trim() + "\n" },
  };
}

export function trustedKeysConfigMap(publicPem) {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "isoplace-trusted-keys", namespace: NAMESPACE, labels },
    data: { "policy.pub": publicPem },
  };
}

const USAGE = `usage: node deploy/k3s/configmaps.mjs [--module FILE.wasm] [--trusted-key FILE.pub] > configmaps.yaml

Prints the ConfigMaps the DaemonSet mounts, as YAML for kubectl apply -f -:
  --module FILE.wasm      isoplace-policy: the module and FILE.wasm.sig beside it
                          (isoplace policy sign FILE.wasm --key KEY writes the .sig)
  --trusted-key FILE.pub  isoplace-trusted-keys: the public key agents trust
  -h, --help              this text
`;

/** A mistake the operator can fix: the message, the usage when it helps, exit 2. */
function fail(message, usage = false) {
  process.stderr.write(`configmaps.mjs: ${message}\n${usage ? `\n${USAGE}` : ""}`);
  process.exit(2);
}

function read(path, encoding) {
  try {
    return readFileSync(path, encoding);
  } catch (err) {
    return fail(`cannot read ${path}: ${err.code ?? err.message}`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  let values;
  try {
    ({ values } = parseArgs({ options: { module: { type: "string" }, "trusted-key": { type: "string" }, help: { type: "boolean", short: "h" } } }));
  } catch (err) {
    fail(err.message, true);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  if (!values.module && !values["trusted-key"]) fail("give --module, --trusted-key or both", true);
  const docs = [];
  if (values.module) {
    const module = read(values.module);
    let signature;
    try {
      signature = readFileSync(`${values.module}.sig`, "utf8");
    } catch {
      fail(`${values.module}.sig is missing: sign the module first (isoplace policy sign ${values.module} --key …)`);
    }
    docs.push(policyConfigMap(module, signature));
  }
  if (values["trusted-key"]) docs.push(trustedKeysConfigMap(read(values["trusted-key"], "utf8")));
  process.stdout.write(docs.map((d) => stringify(d, { lineWidth: 0 })).join("---\n"));
}
