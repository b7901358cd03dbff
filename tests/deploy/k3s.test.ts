// deploy/k3s: every manifest validates against the Kubernetes schemas (kubernetes-models), the
// RuntimeClasses carry the policy's names, and the DaemonSet agrees with the agent: its args
// start the real agent (paths moved under a temporary root, as the kubelet would mount them),
// which then answers the probes on the port they name, serves the policy from the ConfigMap's
// files, keeps its state in the data volume and detects runtimes through the host mounts.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { createServer as createNetServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, posix } from "node:path";
import { DaemonSet } from "kubernetes-models/apps/v1";
import { RuntimeClass } from "kubernetes-models/node.k8s.io/v1";
import { ConfigMap, Namespace, Service } from "kubernetes-models/v1";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { loadPolicy } from "../../host/index.ts";
import { PACKAGE_ROOT } from "../../host/package.ts";
import { sha256Hex } from "../../host/engine/digest.ts";
import { customSections, readMeta } from "../../host/engine/meta.ts";
import { META_SECTION } from "../../host/engine/abi.ts";
import { generateKeyPair, importSigningKey } from "../../host/delivery/signing.ts";
import { envelopeJson, signStatement } from "../../host/delivery/statement.ts";
import type { Child } from "../support/child.ts";
import { startContainer } from "../support/container.ts";
import { havePeers, needsPeers, peerBin } from "../support/peers.ts";
import { publish } from "../oci/support/publish.ts";
import { build, keyFiles, sign, variantSource } from "../shipping/support/fixtures.ts";
import { haveRegistry, TestRegistry } from "../oci/support/registry.ts";
import { imageEntrypoint } from "../../bench/deployed-flags.ts";
// @ts-expect-error: a plain ES module script, no types
import { policyConfigMap, trustedKeysConfigMap } from "../../deploy/k3s/configmaps.mjs";

const DIR = join(PACKAGE_ROOT, "deploy/k3s");
const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  "v1/Namespace": Namespace,
  "v1/Service": Service,
  "v1/ConfigMap": ConfigMap,
  "apps/v1/DaemonSet": DaemonSet,
  "node.k8s.io/v1/RuntimeClass": RuntimeClass,
};

type Doc = Record<string, any>;
function manifests(file: string): Doc[] {
  return parseAllDocuments(readFileSync(join(DIR, file), "utf8")).map((d) => {
    expect(d.errors, file).toEqual([]);
    return d.toJS();
  });
}
const manifestFiles = readdirSync(DIR).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml");
const all = manifestFiles.flatMap((f) => manifests(f).map((doc) => ({ file: f, doc })));
const one = (kind: string) => all.filter((m) => m.doc.kind === kind).map((m) => m.doc);
const daemonSet = one("DaemonSet")[0];
const pod = daemonSet.spec.template.spec;
const container = pod.containers[0];

/** The value after `flag` in the container's args. */
function arg(flag: string): string {
  const i = container.args.indexOf(flag);
  expect(i, `${flag} in the DaemonSet's args`).toBeGreaterThanOrEqual(0);
  return container.args[i + 1];
}
/** A variable of the container's env (--policy is given as ISOPLACE_POLICY, for overlays to replace by name). */
function envOf(c: Doc, name: string): string {
  const e = c.env.find((x: Doc) => x.name === name);
  expect(e, `${name} in the container's env`).toBeDefined();
  return e.value;
}
const policyFile = () => envOf(container, "ISOPLACE_POLICY");
const mountOf = (volume: string) => container.volumeMounts.find((m: Doc) => m.name === volume);
const volume = (name: string) => pod.volumes.find((v: Doc) => v.name === name);
/** The mount a path in the container is on (the longest mountPath that holds it). */
const mountHolding = (path: string) =>
  container.volumeMounts
    .filter((m: Doc) => path === m.mountPath || path.startsWith(`${m.mountPath}/`))
    .sort((a: Doc, b: Doc) => b.mountPath.length - a.mountPath.length)[0];

async function signedConfigMaps() {
  const keys = await generateKeyPair();
  const module = readFileSync(join(PACKAGE_ROOT, "dist/policies/default.wasm"));
  const bytes = new Uint8Array(module),
    meta = readMeta(customSections(bytes, META_SECTION));
  const statement = { name: meta.name, version: meta.version, serial: 1, moduleSha256: await sha256Hex(bytes), issuedAt: new Date().toISOString() };
  const signature = envelopeJson(await signStatement(statement, [await importSigningKey(keys.privatePem)]));
  return { module, policy: policyConfigMap(module, signature) as Doc, keys: trustedKeysConfigMap(keys.publicPem) as Doc };
}

describe("the K3s manifests", () => {
  it.each(all.map((m) => [`${m.file}: ${m.doc.kind} ${m.doc.metadata?.name}`, m.doc] as const))("%s validates against the Kubernetes schema", (_, doc) => {
    const Model = MODELS[`${doc.apiVersion}/${doc.kind}`];
    expect(Model, `a model for ${doc.apiVersion} ${doc.kind}`).toBeDefined();
    expect(() => new Model(doc).validate()).not.toThrow();
  });

  it("the ConfigMaps made by configmaps.mjs validate too, and are the ones the DaemonSet mounts", async () => {
    const { policy, keys } = await signedConfigMaps();
    for (const cm of [policy, keys]) expect(() => new ConfigMap(cm).validate()).not.toThrow();
    expect(volume("policy").configMap.name).toBe(policy.metadata.name);
    expect(volume("trusted-keys").configMap.name).toBe(keys.metadata.name);
    expect(Object.keys(policy.binaryData)).toEqual([posix.basename(policyFile())]);
    expect(Object.keys(policy.data)).toEqual([`${posix.basename(policyFile())}.sig`]);
    expect(Object.keys(keys.data)).toEqual([posix.basename(arg("--trusted-key"))]);
    for (const cm of [policy, keys]) expect(cm.metadata.namespace).toBe(daemonSet.metadata.namespace);
  });

  it("configmaps.mjs as a command: --help, a bad flag, a missing file — a message and exit 0 or 2, never a stack trace", () => {
    const script = (...args: string[]) => spawnSync(process.execPath, [join(DIR, "configmaps.mjs"), ...args], { encoding: "utf8" });
    const help = script("--help");
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: node deploy\/k3s\/configmaps\.mjs \[--module FILE\.wasm\] \[--trusted-key FILE\.pub\]/);
    expect(help.stdout).toContain("--trusted-key FILE.pub");
    for (const [args, says] of [
      [["--bogus"], /^configmaps\.mjs: Unknown option '--bogus'\n\nusage: /],
      [[], /^configmaps\.mjs: give --module, --trusted-key or both\n/],
      [["--module", "/nonexistent/p.wasm"], /^configmaps\.mjs: cannot read \/nonexistent\/p\.wasm: ENOENT\n$/],
      [["--trusted-key", "/nonexistent/p.pub"], /^configmaps\.mjs: cannot read \/nonexistent\/p\.pub: ENOENT\n$/],
    ] as const) {
      const r = script(...args);
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(says);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it("kustomization.yaml lists every manifest but the Wasm RuntimeClasses, which K3s creates itself", () => {
    const k = manifests("kustomization.yaml")[0];
    expect(k.kind).toBe("Kustomization");
    expect([...k.resources].sort()).toEqual(manifestFiles.filter((f) => f !== "runtimeclasses-wasm.yaml").sort());
  });

  it("has a RuntimeClass for every runtimeClassName of the default policy, with the handlers the runtimes install", async () => {
    const engine = await loadPolicy();
    const wanted = engine.catalogue.runtimes.map((r) => r.runtimeClassName).filter((n): n is string => n !== null);
    const classes = one("RuntimeClass");
    expect(classes.map((c) => c.metadata.name).sort()).toEqual([...new Set(wanted)].sort());
    const handler = Object.fromEntries(classes.map((c) => [c.metadata.name, c.handler]));
    expect(handler).toMatchObject({ gvisor: "runsc", "kata-fc": "kata-fc", kata: "kata", wasmedge: "wasmedge", wasmtime: "wasmtime" });
    expect(all.filter((m) => m.doc.kind === "RuntimeClass" && ["wasmedge", "wasmtime"].includes(m.doc.metadata.name)).map((m) => m.file)).toEqual([
      "runtimeclasses-wasm.yaml",
      "runtimeclasses-wasm.yaml",
    ]);
  });

  it("the Service reaches the agent on the client's own node, on the port the agent listens on", () => {
    const svc = one("Service")[0];
    expect(svc.spec.internalTrafficPolicy).toBe("Local");
    expect(svc.metadata.namespace).toBe(daemonSet.metadata.namespace);
    expect(daemonSet.spec.template.metadata.labels).toMatchObject(svc.spec.selector);
    const port = container.ports.find((p: Doc) => p.name === svc.spec.ports[0].targetPort);
    expect(port.containerPort).toBe(Number(arg("--port")));
    expect(arg("--host")).toBe("0.0.0.0");
  });

  it("the probes ask the agent's health and readiness routes on its port", () => {
    expect(container.livenessProbe.httpGet.path).toBe("/healthz");
    expect(container.readinessProbe.httpGet.path).toBe("/readyz");
    for (const probe of [container.livenessProbe, container.readinessProbe]) {
      const port = container.ports.find((p: Doc) => p.name === probe.httpGet.port || p.containerPort === probe.httpGet.port);
      expect(port?.containerPort).toBe(Number(arg("--port")));
    }
  });

  it("mounts the policy, keys and data where the args say, and every host path read-only", () => {
    expect(mountOf("policy").mountPath).toBe(posix.dirname(policyFile()));
    expect(mountOf("trusted-keys").mountPath).toBe(posix.dirname(arg("--trusted-key")));
    expect(mountOf("data").mountPath).toBe(arg("--data-dir"));
    expect(mountOf("data").readOnly).toBeFalsy();
    expect(volume("data").emptyDir).toBeDefined();
    const hostRoot = arg("--host-root");
    const hostVolumes = pod.volumes.filter((v: Doc) => v.hostPath);
    expect(hostVolumes.length).toBeGreaterThan(0);
    for (const v of hostVolumes) {
      const m = mountOf(v.name);
      expect(m.readOnly, v.name).toBe(true);
      expect(m.mountPath, v.name).toBe(posix.join(hostRoot, v.hostPath.path));
    }
    for (const m of container.volumeMounts) if (m.name !== "data") expect(m.readOnly, m.name).toBe(true);
  });

  it("the host mounts cover every place --detect looks for the policy's runtimes", async () => {
    const engine = await loadPolicy();
    const hostRoot = arg("--host-root");
    const places = engine.catalogue.runtimes.flatMap((r) => [...(r.detect?.device ? [r.detect.device] : []), ...(r.detect?.socket ?? [])]);
    // binaries: detect's directories beside PATH (merged-/usr distributions keep /bin and /sbin in /usr)
    places.push("/usr/local/bin", "/usr/bin", "/usr/local/sbin", "/usr/sbin", "/opt/kata/bin", "/var/lib/rancher/k3s/data");
    // a plain containerd's socket is for clusters other than K3s; the DaemonSet mounts K3s's
    const uncovered = places.filter((p) => p !== "/run/containerd/containerd.sock").filter((p) => !mountHolding(posix.join(hostRoot, p)));
    expect(uncovered).toEqual([]);
  });

  it("runs non-root, without privileges, on a read-only root file system, within measured memory", () => {
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
    expect(container.command).toBeUndefined();
    const mib = (q: string) => Number(q.replace(/Mi$/, ""));
    const { requests, limits } = container.resources;
    expect(mib(requests.memory)).toBeLessThanOrEqual(mib(limits.memory));
    // V8's heap cap plus what Node holds outside it (~85 MiB idle RSS, measured) fits the limit
    const heap = Number(/--max-old-space-size=(\d+)/.exec(container.env.find((e: Doc) => e.name === "NODE_OPTIONS").value)![1]);
    expect(heap + 85).toBeLessThanOrEqual(mib(limits.memory));
  });

  it("gives each agent its node's name (its bucket in a staged rollout) from the downward API", () => {
    expect(container.env.find((e: Doc) => e.name === "ISOPLACE_NODE_NAME")).toEqual({
      name: "ISOPLACE_NODE_NAME",
      valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } },
    });
  });

  it("the Dockerfile builds the agent the DaemonSet runs: node:22-slim, multi-stage, non-root", () => {
    const text = readFileSync(join(DIR, "Dockerfile"), "utf8");
    const from = [...text.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    expect(from.length).toBeGreaterThanOrEqual(2);
    expect(new Set(from)).toEqual(new Set(["node:22-slim"]));
    const final = text.slice(text.lastIndexOf("\nFROM "));
    expect(final).toMatch(/^USER (?!root|0[:\s])\S+/m);
    expect(final).toMatch(/^WORKDIR \/app$/m);
    const entry = JSON.parse(/^ENTRYPOINT (.+)$/m.exec(final)![1]);
    expect(entry[0]).toBe("node");
    const { nodeFlags, script } = imageEntrypoint(PACKAGE_ROOT);
    expect(entry).toEqual(["node", ...nodeFlags, script]);
    expect(existsSync(join(PACKAGE_ROOT, script))).toBe(true);
    // a flag Node refuses in NODE_OPTIONS would stop the container: the manifest's must all be allowed
    const options = container.env.find((e: Doc) => e.name === "NODE_OPTIONS").value as string;
    expect(spawnSync(process.execPath, ["-e", ""], { env: { ...process.env, NODE_OPTIONS: options } }).status).toBe(0);
    expect(container.args[0]).toBe("serve");
    for (const m of text.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const src of m[1].split(/\s+/)) expect(existsSync(join(PACKAGE_ROOT, src)), src).toBe(true);
    }
  });
});

describe("the DaemonSet's args start the agent", () => {
  let root: string;
  let agent: Child | undefined;
  let socket: Server;
  let url: string;
  let moduleSha: string;

  const moved = (path: string) => join(root, path);

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "isoplace-k3s-"));
    // the ConfigMaps, written the way the kubelet presents them: one file per key
    const { module, policy, keys } = await signedConfigMaps();
    moduleSha = (await loadPolicy(new Uint8Array(module))).policy.sha256;
    for (const [cm, volumeName] of [
      [policy, "policy"],
      [keys, "trusted-keys"],
    ] as const) {
      const dir = moved(mountOf(volumeName).mountPath);
      mkdirSync(dir, { recursive: true });
      for (const [k, v] of Object.entries(cm.binaryData ?? {})) writeFileSync(join(dir, k), Buffer.from(v as string, "base64"));
      for (const [k, v] of Object.entries(cm.data ?? {})) writeFileSync(join(dir, k), v as string);
    }
    mkdirSync(moved(arg("--data-dir")), { recursive: true });
    // a host with WasmEdge's containerd shim and K3s's containerd socket, under --host-root
    const hostRoot = moved(arg("--host-root"));
    const shim = join(hostRoot, "usr/local/bin/containerd-shim-wasmedge-v1");
    mkdirSync(dirname(shim), { recursive: true });
    writeFileSync(shim, "#!/bin/sh\n");
    chmodSync(shim, 0o755);
    const sock = join(hostRoot, "run/k3s/containerd/containerd.sock");
    mkdirSync(dirname(sock), { recursive: true });
    socket = await new Promise<Server>((resolve) => {
      const s = createNetServer().listen(sock, () => resolve(s));
    });

    // the port the manifest names becomes an ephemeral one (0); the process says which it got
    agent = startContainer(container, moved);
    const listening = await agent.waitForLine((l) => l.includes('"msg":"isoplace agent listening"'), "the agent listening", 25_000);
    url = JSON.parse(listening).url;
  }, 30_000);

  afterAll(async () => {
    await agent?.stop("SIGKILL");
    socket?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it("answers the liveness and readiness probes", async () => {
    const live = await fetch(`${url}${container.livenessProbe.httpGet.path}`);
    expect(live.status).toBe(200);
    const ready = await fetch(`${url}${container.readinessProbe.httpGet.path}`);
    expect(ready.status).toBe(200);
    expect((await ready.json()).policy.sha256).toBe(moduleSha);
  });

  it("serves the signed module from the policy ConfigMap's mounted file", async () => {
    const status = await (await fetch(`${url}/v1/policy`)).json();
    expect(status.active.source).toBe(`file:${moved(policyFile())}`);
    expect(status.active.sha256).toBe(moduleSha);
  });

  it("keeps its state in the data volume", () => {
    expect(readdirSync(moved(arg("--data-dir"))).length).toBeGreaterThan(0);
  });

  it("detects the runtimes through the host mounts", async () => {
    const res = await fetch(`${url}/v1/decide`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ workload: { scenario: "edge" } }),
    });
    const d = await res.json();
    expect(d.node.source).toBe("detected");
    expect(d.node.runtimes).toEqual(expect.arrayContaining(["containerd", "wasmedge"]));
    // /dev/kvm is also looked for in the pod itself (a device plugin may put it there): the test machine's own may count
    expect(d.node.runtimes.filter((r: string) => !["containerd", "wasmedge", "kvm"].includes(r))).toEqual([]);
    expect(d).toMatchObject({ level: "L4", runtime: "wasmedge", runtimeClassName: "wasmedge" });
  });

  it("drains and exits 0 on SIGTERM, as the kubelet stops it", async () => {
    expect(await agent!.stop("SIGTERM")).toEqual({ code: 0, signal: null });
  });
});

// deploy/k3s-oci, rendered by kubectl kustomize (the peer, or Debian's kubectl): the same agent
// with its policy from a registry. Started against a real registry holding a signed module, with
// no registry Secret (anonymous): the optional Secret's mount is an empty directory.
const KUBECTL = [peerBin("kubectl"), "/usr/bin/kubectl"].find((p) => existsSync(p));
describe.skipIf(!KUBECTL && !havePeers("kubectl"))(needsPeers("deploy/k3s-oci", "kubectl"), () => {
  let rendered: Doc[], oci: Doc, base: Doc;
  let registry: TestRegistry | undefined, root: string, agent: Child | undefined;

  beforeAll(() => {
    const r = spawnSync(KUBECTL ?? peerBin("kubectl"), ["kustomize", join(PACKAGE_ROOT, "deploy/k3s-oci")], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    rendered = parseAllDocuments(r.stdout).map((d) => d.toJS());
    oci = rendered.find((d) => d.kind === "DaemonSet")!.spec.template.spec;
    base = daemonSet.spec.template.spec;
  });
  afterAll(async () => {
    await agent?.stop("SIGKILL");
    await registry?.destroy();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it("replaces the policy by name: an oci:// ISOPLACE_POLICY, the rest of the agent as in deploy/k3s", () => {
    expect(() => new DaemonSet(rendered.find((d) => d.kind === "DaemonSet")).validate()).not.toThrow();
    const c = oci.containers[0];
    expect(envOf(c, "ISOPLACE_POLICY")).toMatch(/^oci:\/\/[^/]+\/\S+:\S+$/);
    expect(c.args).toEqual(base.containers[0].args);
    expect(c.env.filter((e: Doc) => !["ISOPLACE_POLICY", "DOCKER_CONFIG"].includes(e.name))).toEqual(
      base.containers[0].env.filter((e: Doc) => e.name !== "ISOPLACE_POLICY"),
    );
  });

  it("mounts the registry Secret, optional, as DOCKER_CONFIG/config.json", () => {
    const c = oci.containers[0];
    const mount = c.volumeMounts.find((m: Doc) => m.name === "registry-auth");
    expect(mount).toMatchObject({ mountPath: envOf(c, "DOCKER_CONFIG"), readOnly: true });
    const secret = oci.volumes.find((v: Doc) => v.name === "registry-auth").secret;
    expect(secret).toMatchObject({ secretName: "isoplace-registry", optional: true, items: [{ key: ".dockerconfigjson", path: "config.json" }] });
  });

  it.skipIf(!haveRegistry())("starts and activates the signed policy from an anonymous registry, with no Secret", async () => {
    root = mkdtempSync(join(tmpdir(), "isoplace-k3s-oci-"));
    registry = await TestRegistry.start();
    // a policy other than the built-in one (the same module would leave nothing to activate)
    const [module, keys] = await Promise.all([
      variantSource("2025.11.15-oci-overlay", "K3s + WasmEdge (overlay)").then(build),
      keyFiles(join(root, "signing")),
    ]);
    const ref = `oci://${registry.host}/isoplace/policy:stable`;
    await publish(ref, module, await sign(module, keys));
    const c = structuredClone(oci.containers[0]);
    // the operator's edit: the reference of their registry
    c.env.find((e: Doc) => e.name === "ISOPLACE_POLICY").value = ref;
    const moved = (path: string) => join(root, path);
    const keyDir = moved(c.volumeMounts.find((m: Doc) => m.name === "trusted-keys").mountPath);
    mkdirSync(keyDir, { recursive: true });
    writeFileSync(join(keyDir, posix.basename(c.args[c.args.indexOf("--trusted-key") + 1])), readFileSync(keys.pub));
    // the data volume, the Secret's empty mount and the host root exist, as the kubelet makes them
    for (const m of c.volumeMounts) if (["data", "registry-auth"].includes(m.name)) mkdirSync(moved(m.mountPath), { recursive: true });
    mkdirSync(moved(c.args[c.args.indexOf("--host-root") + 1]), { recursive: true });
    agent = startContainer(c, moved);
    const activated = await agent
      .waitForLine(
        (l) => l.includes('"msg":"policy activated"') || l.includes('"msg":"serving the last activated policy'),
        "the registry's policy activated",
        25_000,
      )
      .catch((err) => {
        throw new Error(`${(err as Error).message}\n${agent!.output()}`);
      });
    expect(JSON.parse(activated)).toMatchObject({ source: `oci:${ref.slice("oci://".length)}`, policy: { version: "2025.11.15-oci-overlay" } });
  });
});
