// `isoplace plan` against a real kube-apiserver (and etcd), manifests handed to the real kubectl:
// plan reads each plain scalar as a string exactly where the API server stores it as one, and
// what `-o yaml` writes is created as written — the RuntimeClasses plan chose, every other field
// (a number past 2^53, a date) as in the input.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseManifestText } from "../../host/cli/manifests.ts";
import { PACKAGE_ROOT } from "../../host/package.ts";
import { agentEntry } from "../hardening/support/agent-process.ts";
import { runChild } from "../support/child.ts";
import { havePeers, needsPeers } from "../support/peers.ts";
import { NOT_STRINGS, NULLS, STRINGS } from "../k8s/support/scalars.ts";
import { namespace } from "./support/cluster.ts";
import { CONTROL_PLANE_PEERS, startControlPlane, type ControlPlane } from "./support/control-plane.ts";
import { RUNTIME_CLASS_FILES } from "./support/webhook.ts";

const NS = "plan";
const classes = () =>
  RUNTIME_CLASS_FILES.flatMap((f) => parseAllDocuments(readFileSync(f, "utf8")).map((d) => d.toJS()))
    .filter((d) => d?.kind === "RuntimeClass")
    .map((d) => d.metadata.name as string);

describe.skipIf(!havePeers(...CONTROL_PLANE_PEERS))(needsPeers("isoplace plan against a real kube-apiserver", ...CONTROL_PLANE_PEERS), () => {
  let cp: ControlPlane;

  beforeAll(async () => {
    cp = await startControlPlane("e2e-plan");
    await cp.kubectlOk(["apply", ...RUNTIME_CLASS_FILES.flatMap((f) => ["-f", f])]);
    await namespace(cp, NS);
  }, 240_000);

  afterAll(async () => {
    await cp?.stop();
  }, 60_000);

  it("a plain scalar is a string for plan exactly where the API server stores one as an annotation", async () => {
    const values = [...STRINGS, ...NULLS, ...NOT_STRINGS];
    const server = new Map<string, string | null>();
    // a few kubectl processes at a time: each value in its own object, as one refused value would refuse a whole stream
    for (let i = 0; i < values.length; i += 8) {
      await Promise.all(
        values.slice(i, i + 8).map(async (v) => {
          const r = await cp.kubectl(
            ["create", "--dry-run=server", "-n", NS, "-f", "-", "-o", "jsonpath={.metadata.annotations.x}"],
            `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  annotations:\n    x: ${v}\n`,
          );
          server.set(v, r.code === 0 ? r.stdout : null);
        }),
      );
    }
    const planned = (v: string) => {
      const x = (parseManifestText(`x: ${v}\n`, "t.yaml").values[0] as { x: unknown }).x;
      return x === null ? "" : typeof x === "string" ? x : null;
    };
    const disagree = values.filter((v) => planned(v) !== server.get(v)).map((v) => ({ v, plan: planned(v), server: server.get(v) }));
    expect(disagree).toEqual([]);
    expect([...server.values()].filter((s) => s === null)).toHaveLength(NOT_STRINGS.length);
  });

  it("what -o yaml writes is created as written: the classes plan chose, a number past 2^53 and a date untouched", async () => {
    const input = `apiVersion: v1
kind: Pod
metadata:
  name: filter
  annotations: {isoplace.io/scenario: edge, isoplace.io/artifact: wasm, deploy.example.com/built: 2024-01-01}
spec:
  terminationGracePeriodSeconds: 9007199254740993
  containers:
    - name: filter
      image: registry.example/filter:1.0.0
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: tenant-api}
spec:
  selector: {matchLabels: {app: tenant-api}}
  template:
    metadata:
      labels: {app: tenant-api}
      annotations:
        isoplace.io/artifact: container
        isoplace.io/security: multi-tenant,compliance
    spec:
      containers: [{name: api, image: registry.example/api:1.0.0}]
`;
    const r = await runChild(process.execPath, [agentEntry(), "plan", "-f", "-", "-n", NS, "--runtime-classes", classes().join(","), "-o", "yaml"], {
      cwd: PACKAGE_ROOT,
      input,
    });
    expect(r.code, r.stderr).toBe(0);
    const created = await cp.kubectl(["create", "-n", NS, "-f", "-", "-o", "json"], r.stdout);
    expect(created.code, created.stderr).toBe(0);
    // the server's own JSON, as text: 9007199254740993 is beyond what JSON.parse keeps
    const pod = await cp.kubectlOk(["get", "pod", "-n", NS, "filter", "-o", "json"]);
    expect(pod).toContain('"terminationGracePeriodSeconds": 9007199254740993');
    const p = JSON.parse(pod),
      d = JSON.parse(await cp.kubectlOk(["get", "deployment", "-n", NS, "tenant-api", "-o", "json"]));
    expect(p.spec.runtimeClassName).toBe("wasmedge");
    expect(p.metadata.annotations).toMatchObject({ "deploy.example.com/built": "2024-01-01", "isoplace.io/level": "L4", "isoplace.io/runtime": "wasmedge" });
    expect(d.spec.template.spec.runtimeClassName).toBe("kata");
    expect(d.spec.template.metadata.annotations).toMatchObject({ "isoplace.io/level": "L1", "isoplace.io/runtime": "kata" });
  });
});
