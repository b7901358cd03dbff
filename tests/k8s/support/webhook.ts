// A real webhook on a real HTTPS port (127.0.0.1, port 0), its certificates made in the test with
// `isoplace webhook certs`' own code (openssl), and a client that trusts only that CA.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fastJsonPatch from "fast-json-patch";
import { Pod } from "kubernetes-models/v1";
import pino from "pino";
import { makeCertificates, type CertificateFiles } from "../../../host/node/certs.ts";
import { startWebhook, type Webhook, type WebhookOptions } from "../../../host/node/webhook.ts";
import { httpsJson } from "../../support/https-json.ts";

export const SERVICE = "isoplace-webhook",
  NAMESPACE = "isoplace";
export const CLASSES = ["wasmedge", "gvisor", "kata"];

export async function certificates(dir: string, ca?: { cert: string; key: string }): Promise<CertificateFiles> {
  return makeCertificates({ service: SERVICE, namespace: NAMESPACE, outDir: dir, extraNames: ["127.0.0.1"], ca });
}

export interface TestWebhook {
  webhook: Webhook;
  ca: Buffer;
  dir: string;
  files: CertificateFiles;
  close(): Promise<void>;
}

export async function startTestWebhook(options: Partial<WebhookOptions> = {}): Promise<TestWebhook> {
  const dir = mkdtempSync(join(tmpdir(), "isoplace-webhook-"));
  const files = await certificates(dir);
  const webhook = await startWebhook({
    tlsCert: files.cert,
    tlsKey: files.key,
    host: "127.0.0.1",
    port: 0,
    runtimeClasses: CLASSES,
    logger: pino({ level: "silent" }),
    ...options,
  });
  return {
    webhook,
    dir,
    files,
    ca: readFileSync(files.caCert),
    close: async () => {
      await webhook.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Answer {
  status: number;
  contentType: string;
  json: any;
  text: string;
  fingerprint256: string;
}

/** One request on a new TLS connection that verifies the server against `ca` (for the service's name). */
export async function call(port: number, ca: Buffer, method: string, path: string, body?: string | object, contentType = "application/json"): Promise<Answer> {
  const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
  const a = await httpsJson(
    `https://127.0.0.1:${port}${path}`,
    {
      method,
      ca,
      servername: `${SERVICE}.${NAMESPACE}.svc`,
      agent: false,
      headers: payload === undefined ? {} : { "content-type": contentType, "content-length": Buffer.byteLength(payload) },
    },
    payload,
  );
  return { status: a.status, contentType: String(a.headers["content-type"] ?? ""), json: a.json, text: a.text, fingerprint256: a.fingerprint256 };
}

export const admit = (w: TestWebhook, review: object) => call(w.webhook.port, w.ca, "POST", "/v1/admission/pods", review);

export interface ReviewOf {
  uid?: string;
  annotations?: Record<string, string>;
  runtimeClassName?: string;
  operation?: string;
  kind?: { group: string; version: string; kind: string };
  subResource?: string;
  namespace?: string; // request.namespace
  podNamespace?: string; // metadata.namespace
  name?: string;
  dryRun?: boolean;
}

export function podOf(r: ReviewOf = {}): Record<string, any> {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      ...(r.name === undefined ? { generateName: "web-" } : { name: r.name }),
      ...(r.podNamespace ? { namespace: r.podNamespace } : {}),
      labels: { app: "web" },
      ...(r.annotations ? { annotations: r.annotations } : {}),
    },
    spec: {
      ...(r.runtimeClassName ? { runtimeClassName: r.runtimeClassName } : {}),
      containers: [{ name: "app", image: "registry.example/app:1.0", resources: { limits: { memory: "64Mi" } } }],
    },
  };
}

export function reviewOf(r: ReviewOf = {}, object: Record<string, any> = podOf(r)): Record<string, any> {
  return {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: r.uid ?? "705ab4f5-6393-11e8-b7cc-42010a800002",
      kind: r.kind ?? { group: "", version: "v1", kind: "Pod" },
      resource: { group: "", version: "v1", resource: "pods" },
      requestKind: r.kind ?? { group: "", version: "v1", kind: "Pod" },
      ...(r.subResource ? { subResource: r.subResource } : {}),
      operation: r.operation ?? "CREATE",
      namespace: r.namespace ?? "apps",
      userInfo: { username: "admin", groups: ["system:authenticated"] },
      object,
      oldObject: null,
      dryRun: r.dryRun ?? false,
      options: { apiVersion: "meta.k8s.io/v1", kind: "CreateOptions" },
    },
  };
}

export function decodePatch(response: { patch?: string; patchType?: string }): fastJsonPatch.Operation[] {
  if (response.patch === undefined) return [];
  if (response.patchType !== "JSONPatch") throw new Error(`patchType ${response.patchType}`);
  return JSON.parse(Buffer.from(response.patch, "base64").toString("utf8"));
}

/** The pod after the answer's patch, applied with a JSON Patch library and validated against the Kubernetes schema. */
export function patched(pod: Record<string, any>, response: { patch?: string; patchType?: string }): Record<string, any> {
  const ops = decodePatch(response);
  const out = fastJsonPatch.applyPatch(fastJsonPatch.deepClone(pod), ops, true, false).newDocument;
  new Pod(out as any).validate();
  return out;
}
