// What every end-to-end file needs: a control plane, the rendered manifests, the webhook's
// certificates, the RuntimeClasses of deploy/, namespaces that admit pods (with the `default`
// ServiceAccount the ServiceAccount admission plugin looks up; no controller-manager makes it
// here), and webhooks installed and known to be active.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pollOtherProcess } from "../../support/poll.ts";
import { startControlPlane, type ControlPlane } from "./control-plane.ts";
import {
  configurationFor,
  renderWebhook,
  RUNTIME_CLASS_FILES,
  startWebhookProcess,
  webhookCertificates,
  type Rendered,
  type WebhookProcess,
} from "./webhook.ts";

export const MODE_LABEL = "e2e.isoplace.io/mode";

export interface Cluster {
  cp: ControlPlane;
  rendered: Rendered;
  certs: Awaited<ReturnType<typeof webhookCertificates>>;
  dir: string;
  stop(): Promise<void>;
}

export async function startCluster(name: string): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), `isoplace-${name}-webhook-`));
  const [cp, rendered, certs] = await Promise.all([startControlPlane(name), renderWebhook(), webhookCertificates(join(dir, "tls"))]);
  await cp.kubectlOk(["apply", ...RUNTIME_CLASS_FILES.flatMap((f) => ["-f", f])]);
  return {
    cp,
    rendered,
    certs,
    dir,
    stop: async () => {
      await cp.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A namespace (labels optional) with its `default` ServiceAccount; kube-system and isoplace too. */
export async function namespace(cp: ControlPlane, name: string, labels: Record<string, string> = {}): Promise<void> {
  const docs = [
    { apiVersion: "v1", kind: "Namespace", metadata: { name, labels } },
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default", namespace: name } },
  ];
  await cp.kubectlOk(["apply", "-f", "-"], docs.map((d) => JSON.stringify(d)).join("\n"));
}

export interface Installed extends WebhookProcess {
  configuration: any;
}

/** `isoplace webhook` in `mode` (the Deployment's when not given) and its MutatingWebhookConfiguration for namespaces labelled with the mode. */
export async function installWebhook(c: Cluster, o: { mode: string; port?: number }): Promise<Installed> {
  const dataDir = join(c.dir, `data-${o.mode}`);
  mkdirSync(dataDir, { recursive: true });
  const w = await startWebhookProcess({ args: c.rendered.args, certs: c.certs, dataDir, mode: o.mode, port: o.port });
  const configuration = configurationFor(c.rendered, {
    url: w.url,
    caBundle: c.certs.caBundle,
    name: `${c.rendered.configuration.metadata.name}-${o.mode}`,
    namespaceLabel: [MODE_LABEL, o.mode],
  });
  await c.cp.kubectlOk(["apply", "-f", "-"], JSON.stringify(configuration));
  return { ...w, configuration };
}

/** A pod as a user writes it. */
export function pod(name: string, annotations: Record<string, string> = {}, spec: Record<string, unknown> = {}): any {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels: { app: name }, ...(Object.keys(annotations).length ? { annotations } : {}) },
    spec: { containers: [{ name: "app", image: "registry.example/app:1.0" }], ...spec },
  };
}

export const OPTED_IN = { "isoplace.io/scenario": "serverless", "isoplace.io/artifact": "container", "isoplace.io/security": "zero-trust" };

/**
 * The API server sees a new webhook configuration through its informer, a moment after the
 * create: until a server-side dry run in `ns` comes back placed, pods would pass unplaced.
 * Each try is a real admission; bounded.
 */
export async function webhookActive(cp: ControlPlane, ns: string): Promise<void> {
  let i = 0,
    last = "";
  await pollOtherProcess(
    async () => {
      const r = await cp.api("POST", `/api/v1/namespaces/${ns}/pods?dryRun=All`, pod(`probe-${i++}`, OPTED_IN));
      last = `${r.status} ${r.text.slice(0, 300)}`;
      return r.status === 201 && r.json.metadata.annotations?.["isoplace.io/decision-id"];
    },
    { ms: 30_000, everyMs: 100, what: `the webhook for ${ns} called`, last: () => last },
  );
}
