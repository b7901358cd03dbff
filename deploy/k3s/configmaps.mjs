#!/usr/bin/env node
// The two ConfigMaps the DaemonSet mounts, as YAML for `kubectl apply -f -`:
//   isoplace-policy        policy.wasm (binaryData) and policy.wasm.sig  → /etc/isoplace/policy
//   isoplace-trusted-keys  policy.pub                                    → /etc/isoplace/keys
// The same as `kubectl create configmap … --from-file=…` would make, for machines without kubectl.
// Usage: node deploy/k3s/configmaps.mjs [--module FILE.wasm] [--trusted-key FILE.pub] > configmaps.yaml
//   (FILE.wasm.sig, from `isoplace policy sign FILE.wasm --key …`, is read beside the module)
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { stringify } from "yaml";

const NAMESPACE = "isoplace";
const labels = { "app.kubernetes.io/name": "isoplace" };

export function policyConfigMap(module, signature) {
  return {
    apiVersion: "v1", kind: "ConfigMap",
    metadata: { name: "isoplace-policy", namespace: NAMESPACE, labels },
    binaryData: { "policy.wasm": Buffer.from(module).toString("base64") },
    data: { "policy.wasm.sig": signature.trim() + "\n" },
  };
}

export function trustedKeysConfigMap(publicPem) {
  return {
    apiVersion: "v1", kind: "ConfigMap",
    metadata: { name: "isoplace-trusted-keys", namespace: NAMESPACE, labels },
    data: { "policy.pub": publicPem },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = parseArgs({ options: { module: { type: "string" }, "trusted-key": { type: "string" } } });
  if (!values.module && !values["trusted-key"]) {
    console.error("usage: configmaps.mjs [--module FILE.wasm] [--trusted-key FILE.pub] > configmaps.yaml");
    process.exit(2);
  }
  const docs = [];
  if (values.module) {
    let signature;
    try { signature = readFileSync(`${values.module}.sig`, "utf8"); } catch {
      console.error(`configmaps.mjs: ${values.module}.sig is missing: sign the module first (isoplace policy sign ${values.module} --key …)`);
      process.exit(2);
    }
    docs.push(policyConfigMap(readFileSync(values.module), signature));
  }
  if (values["trusted-key"]) docs.push(trustedKeysConfigMap(readFileSync(values["trusted-key"], "utf8")));
  process.stdout.write(docs.map((d) => stringify(d, { lineWidth: 0 })).join("---\n"));
}
