// deploy/k3s/webhook: every Kubernetes object validates against its schema (kubernetes-models),
// the cert-manager objects carry the fields the webhook needs, and the Deployment agrees with
// what `isoplace webhook` really serves: its args start the real webhook (paths moved under a
// temporary root, as the kubelet would mount them), which answers the probes and the path the
// MutatingWebhookConfiguration names, on the port the Service targets.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import { evaluate } from "@marcbachmann/cel-js";
import { Deployment } from "kubernetes-models/apps/v1";
import { MutatingWebhookConfiguration } from "kubernetes-models/admissionregistration.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { Service } from "kubernetes-models/v1";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { loadPolicy } from "../../host/index.ts";
import { PREFIX } from "../../host/k8s/annotations.ts";
import { ADMISSION_PATH } from "../../host/k8s/route.ts";
import { PACKAGE_ROOT } from "../../host/package.ts";
import { generateKeyPair } from "../../host/delivery/signing.ts";
import type { Child } from "../support/child.ts";
import { startContainer } from "../support/container.ts";
import { certificates, reviewOf } from "./support/webhook.ts";

const DIR = join(PACKAGE_ROOT, "deploy/k3s/webhook");
type Doc = Record<string, any>;
const files = readdirSync(DIR).filter((f) => f.endsWith(".yaml"));
const all: { file: string; doc: Doc }[] = files.flatMap((file) =>
  parseAllDocuments(readFileSync(join(DIR, file), "utf8")).map((d) => {
    expect(d.errors, file).toEqual([]);
    return { file, doc: d.toJS() as Doc };
  }),
);
const one = (kind: string) => all.filter((m) => m.doc.kind === kind).map((m) => m.doc);
const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  "apps/v1/Deployment": Deployment,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "v1/Service": Service,
  "admissionregistration.k8s.io/v1/MutatingWebhookConfiguration": MutatingWebhookConfiguration,
};
const deployment = one("Deployment")[0];
const pod = deployment.spec.template.spec;
const container = pod.containers[0];
const service = one("Service")[0];
const mwc = one("MutatingWebhookConfiguration")[0];
const hook = mwc.webhooks[0];
const arg = (flag: string) => {
  const i = container.args.indexOf(flag);
  expect(i, flag).toBeGreaterThanOrEqual(0);
  return container.args[i + 1];
};
const portNamed = (p: string | number) => container.ports.find((x: Doc) => x.name === p || x.containerPort === p);

describe("deploy/k3s/webhook", () => {
  it.each(
    all
      .filter((m) => !m.doc.apiVersion.startsWith("cert-manager.io/") && m.doc.kind !== "Kustomization")
      .map((m) => [`${m.file}: ${m.doc.kind}`, m.doc] as const),
  )("%s validates against the Kubernetes schema", (_, doc) => {
    const Model = MODELS[`${doc.apiVersion}/${doc.kind}`];
    expect(Model, `${doc.apiVersion} ${doc.kind}`).toBeDefined();
    expect(() => new Model(doc).validate()).not.toThrow();
  });

  it("kustomization.yaml lists every manifest", () => {
    const k = parseAllDocuments(readFileSync(join(DIR, "kustomization.yaml"), "utf8"))[0].toJS();
    expect([...k.resources].sort()).toEqual(files.filter((f) => f !== "kustomization.yaml").sort());
  });

  it("the Deployment: 2 replicas, a PDB keeping 1, system-cluster-critical, non-root, read-only root, probes over HTTPS", () => {
    expect(deployment.spec.replicas).toBe(2);
    const pdb = one("PodDisruptionBudget")[0];
    expect(pdb.spec.minAvailable).toBe(1);
    expect(deployment.spec.template.metadata.labels).toMatchObject(pdb.spec.selector.matchLabels);
    expect(pod.priorityClassName).toBe("system-cluster-critical");
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
    expect(container.livenessProbe.httpGet).toMatchObject({ path: "/healthz", scheme: "HTTPS" });
    expect(container.readinessProbe.httpGet).toMatchObject({ path: "/readyz", scheme: "HTTPS" });
    for (const probe of [container.livenessProbe, container.readinessProbe]) expect(portNamed(probe.httpGet.port)?.containerPort).toBe(Number(arg("--port")));
    for (const m of container.volumeMounts) if (m.name !== "data") expect(m.readOnly, m.name).toBe(true);
  });

  it("the Service: 443 → the port the webhook listens on, selecting its pods", () => {
    expect(service.metadata.namespace).toBe(deployment.metadata.namespace);
    expect(deployment.spec.template.metadata.labels).toMatchObject(service.spec.selector);
    expect(service.spec.ports[0].port).toBe(443);
    expect(portNamed(service.spec.ports[0].targetPort)?.containerPort).toBe(8443);
    expect(arg("--port")).toBe("8443");
  });

  it("the MutatingWebhookConfiguration: v1, no side effects, fail-open, 2 s, reinvoked, CREATE pods, opt-in only, not kube-system nor isoplace", () => {
    expect(hook).toMatchObject({
      admissionReviewVersions: ["v1"],
      sideEffects: "None",
      failurePolicy: "Ignore",
      timeoutSeconds: 2,
      reinvocationPolicy: "IfNeeded",
    });
    expect(hook.rules).toEqual([{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"], scope: "Namespaced" }]);
    expect(hook.clientConfig.service).toEqual({ name: service.metadata.name, namespace: service.metadata.namespace, path: ADMISSION_PATH, port: 443 });
    expect(hook.namespaceSelector.matchExpressions).toContainEqual({
      key: "kubernetes.io/metadata.name",
      operator: "NotIn",
      values: ["kube-system", deployment.metadata.namespace],
    });
    expect(hook.matchConditions).toHaveLength(1);
    expect(hook.matchConditions[0].expression).toContain(`startsWith('${PREFIX}')`);
    expect(hook.matchConditions[0].expression).toMatch(/^has\(object\.metadata\.annotations\) && /);
  });

  it("the matchConditions CEL sends exactly the pods the webhook would act on (evaluated with a CEL implementation)", () => {
    const sent = (annotations?: Record<string, string>) =>
      evaluate(hook.matchConditions[0].expression, { object: { metadata: annotations ? { name: "p", annotations } : { name: "p" } } });
    expect(sent({ "isoplace.io/scenario": "edge" })).toBe(true);
    expect(sent({ team: "a", "isoplace.io/artifact": "wasm" })).toBe(true);
    expect(sent({ "isoplace.io/level": "L4" })).toBe(true); // the webhook then leaves it unchanged (output, never input)
    expect(sent({ team: "a", "example.com/isoplace.io": "x" })).toBe(false);
    expect(sent({})).toBe(false);
    expect(sent(undefined)).toBe(false);
  });

  it("cert-manager: a CA issues the serving certificate for the Service's name into the Secret the pods mount; the CA is injected", () => {
    const certs = one("Certificate"),
      issuers = one("Issuer");
    for (const o of [...certs, ...issuers]) {
      expect(o.apiVersion).toBe("cert-manager.io/v1");
      expect(o.metadata.namespace).toBe(deployment.metadata.namespace);
    }
    const serving = certs.find((c) => !c.spec.isCA)!;
    const ca = certs.find((c) => c.spec.isCA)!;
    const svcName = `${service.metadata.name}.${service.metadata.namespace}.svc`;
    expect(serving.spec.dnsNames).toContain(svcName);
    expect(serving.spec.usages).toContain("server auth");
    expect(pod.volumes.find((v: Doc) => v.name === "tls").secret.secretName).toBe(serving.spec.secretName);
    const tlsMount = container.volumeMounts.find((m: Doc) => m.name === "tls").mountPath;
    expect(arg("--tls-cert")).toBe(posix.join(tlsMount, "tls.crt"));
    expect(arg("--tls-key")).toBe(posix.join(tlsMount, "tls.key"));
    const caIssuer = issuers.find((i) => i.metadata.name === serving.spec.issuerRef.name)!;
    expect(caIssuer.spec.ca.secretName).toBe(ca.spec.secretName);
    expect(issuers.find((i) => i.metadata.name === ca.spec.issuerRef.name)!.spec.selfSigned).toEqual({});
    expect(mwc.metadata.annotations["cert-manager.io/inject-ca-from"]).toBe(`${serving.metadata.namespace}/${serving.metadata.name}`);
  });

  it("its memory: the limit holds the measured high-water mark plus a quarter, and V8's heap cap plus Node's ~85 MiB outside it", () => {
    const measured = JSON.parse(readFileSync(join(DIR, "memory-results.json"), "utf8"));
    const mib = (q: string) => Number(q.replace(/Mi$/, ""));
    const { requests, limits } = container.resources;
    const options = container.env.find((e: Doc) => e.name === "NODE_OPTIONS").value as string;
    // measured with the flags the Deployment runs with
    expect(measured.command).toBe("webhook");
    expect(measured.nodeOptions).toBe(options);
    expect(mib(limits.memory)).toBeGreaterThanOrEqual(measured.highWaterMarkMb * 1.25);
    expect(mib(requests.memory)).toBeGreaterThanOrEqual(measured.phases.find((p: Doc) => p.phase === "admission").peakRssMb);
    expect(Number(/--max-old-space-size=(\d+)/.exec(options)![1]) + 85).toBeLessThanOrEqual(mib(limits.memory));
  });

  it("--runtime-classes names only classes the default policy uses", async () => {
    const engine = await loadPolicy();
    const known = engine.catalogue.runtimes.map((r) => r.runtimeClassName).filter(Boolean);
    for (const c of arg("--runtime-classes").split(",")) expect(known).toContain(c);
  });
});

describe("the Deployment's args start the webhook", () => {
  let root: string;
  let child: Child;
  let port: number;
  let ca: Buffer;
  const moved = (path: string) => join(root, path);

  const get = (method: string, path: string, body?: object) =>
    new Promise<{ status: number; json: any }>((resolve, reject) => {
      const payload = body ? JSON.stringify(body) : undefined;
      const req = request(
        {
          host: "127.0.0.1",
          port,
          method,
          path,
          ca,
          agent: false,
          servername: `${service.metadata.name}.${service.metadata.namespace}.svc`,
          headers: payload ? { "content-type": "application/json" } : {},
        },
        (res) => {
          let text = "";
          res.on("data", (d) => {
            text += d;
          });
          res.on("end", () => resolve({ status: res.statusCode!, json: JSON.parse(text) }));
        },
      );
      req.on("error", reject);
      req.end(payload);
    });

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "isoplace-k3s-webhook-"));
    // the Secret and ConfigMaps, as the kubelet presents them: one file per key
    const tls = moved(posix.dirname(arg("--tls-cert")));
    const made = await certificates(tls);
    ca = readFileSync(made.caCert);
    const keys = moved(posix.dirname(arg("--trusted-key")));
    mkdirSync(keys, { recursive: true });
    writeFileSync(moved(arg("--trusted-key")), (await generateKeyPair()).publicPem);
    mkdirSync(moved(arg("--data-dir")), { recursive: true });
    // the port the manifest names becomes an ephemeral one (0); the process says which it got
    child = startContainer(container, moved);
    // the port it listens on, from its log line; ready when it says so
    const listening = JSON.parse(await child.waitForLine(/"msg":"isoplace agent listening"/, "the listening line"));
    port = Number(new URL(listening.url).port);
    await child.waitForLine(/"msg":"admission webhook ready"/, "the ready line");
  }, 30_000);

  afterAll(async () => {
    await child?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it("answers the probes over HTTPS", async () => {
    expect((await get("GET", container.livenessProbe.httpGet.path)).status).toBe(200);
    expect((await get("GET", container.readinessProbe.httpGet.path)).status).toBe(200);
  });

  it("answers an AdmissionReview on the path the MutatingWebhookConfiguration names", async () => {
    const res = await get("POST", hook.clientConfig.service.path, reviewOf({ annotations: { "isoplace.io/scenario": "serverless" } }));
    expect(res.status).toBe(200);
    expect(res.json.response.allowed).toBe(true);
    expect(res.json.response.patchType).toBe("JSONPatch");
  });

  it("drains and exits 0 on SIGTERM", async () => {
    expect((await child.stop("SIGTERM")).code).toBe(0);
  });
});
