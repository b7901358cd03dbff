// The project's own webhook manifests (deploy/k3s/webhook, rendered by the real kubectl
// kustomize) and `isoplace webhook` as a process started with the Deployment's own arguments:
// changed only where a test must — the serving address (127.0.0.1, a free port), the files'
// paths, the clientConfig (a URL instead of the in-cluster Service, with the caBundle that
// `isoplace webhook certs` wrote) and, for a test that runs several webhooks, the names and a
// namespace label that keeps each to its own namespaces.
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { deployedNodeFlags } from "../../../bench/deployed-flags.ts";
import { PACKAGE_ROOT } from "../../../host/package.ts";
import { runChild, spawnChild, type Child } from "../../support/child.ts";
import { peerBin } from "../../support/peers.ts";
import { pollOtherProcess } from "../../support/poll.ts";

export const CLI = join(PACKAGE_ROOT, "dist/host/cli/main.js");
export const WEBHOOK_DIR = join(PACKAGE_ROOT, "deploy/k3s/webhook");
export const RUNTIME_CLASS_FILES = ["deploy/k3s/runtimeclasses.yaml", "deploy/k3s/runtimeclasses-wasm.yaml"].map((f) => join(PACKAGE_ROOT, f));
export const SERVICE = "isoplace-webhook",
  NAMESPACE = "isoplace";

export interface Rendered {
  documents: any[];
  configuration: any;
  deployment: any;
  args: string[];
}

/** `kubectl kustomize deploy/k3s/webhook` (the real kubectl, offline) and its documents. */
export async function renderWebhook(): Promise<Rendered> {
  const r = await runChild(peerBin("kubectl"), ["kustomize", WEBHOOK_DIR], { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`kubectl kustomize ${WEBHOOK_DIR}: ${r.stderr}`);
  const documents = parseAllDocuments(r.stdout).map((d) => d.toJS());
  const configuration = documents.find((d) => d.kind === "MutatingWebhookConfiguration");
  const deployment = documents.find((d) => d.kind === "Deployment");
  const container = deployment.spec.template.spec.containers.find((c: any) => c.name === "webhook");
  return { documents, configuration, deployment, args: container.args };
}

/** The value of a flag in the Deployment's arguments. */
export const argOf = (args: string[], flag: string): string => {
  const i = args.indexOf(flag);
  if (i < 0) throw new Error(`the Deployment's webhook has no ${flag}`);
  return args[i + 1];
};

/** `isoplace webhook certs` for the Service's name, plus 127.0.0.1 (where the test's API server calls it). */
export async function webhookCertificates(dir: string): Promise<{ cert: string; key: string; caCert: string; caKey: string; caBundle: string }> {
  const r = await runChild(process.execPath, [CLI, "webhook", "certs", "--service", SERVICE, "--namespace", NAMESPACE, "--out", dir, "--name", "127.0.0.1"], {
    timeoutMs: 30_000,
  });
  if (r.code !== 0) throw new Error(`isoplace webhook certs: ${r.stderr}`);
  return {
    cert: join(dir, "tls.crt"),
    key: join(dir, "tls.key"),
    caCert: join(dir, "ca.crt"),
    caKey: join(dir, "ca.key"),
    caBundle: readFileSync(join(dir, "ca-bundle.txt"), "utf8").trim(),
  };
}

export interface ConfigurationFor {
  url: string;
  caBundle: string;
  /** A name for this copy (several webhooks in one test). */
  name?: string;
  /** Only namespaces with this label (key=value) are sent to this copy. */
  namespaceLabel?: [string, string];
}

/** The rendered MutatingWebhookConfiguration with a URL clientConfig; everything else as deployed. */
export function configurationFor(rendered: Rendered, o: ConfigurationFor): any {
  const c = structuredClone(rendered.configuration);
  if (o.name) c.metadata.name = o.name;
  delete c.metadata.annotations?.["cert-manager.io/inject-ca-from"]; // no cert-manager here: the caBundle is given
  for (const hook of c.webhooks) {
    const path = hook.clientConfig.service.path;
    hook.clientConfig = { url: `${o.url}${path}`, caBundle: o.caBundle };
    if (o.namespaceLabel) {
      hook.namespaceSelector.matchExpressions.push({ key: o.namespaceLabel[0], operator: "In", values: [o.namespaceLabel[1]] });
    }
  }
  return c;
}

export interface WebhookProcess {
  child: Child;
  port: number;
  url: string;
  /** isoplace_admissions_total summed over outcomes, from /metrics. */
  admissions(): Promise<number>;
  /** The webhook's "admission" log lines so far, parsed. */
  audit(): any[];
}

export interface WebhookProcessOptions {
  args: string[];
  certs: { cert: string; key: string; caCert: string };
  dataDir: string;
  /** Replaces the Deployment's --mode. */
  mode?: string;
  port?: number;
}

/** `isoplace webhook` with the Deployment's arguments, its paths and address made local. */
export async function startWebhookProcess(o: WebhookProcessOptions): Promise<WebhookProcess> {
  const local: Record<string, string> = {
    "--tls-cert": o.certs.cert,
    "--tls-key": o.certs.key,
    "--host": "127.0.0.1",
    "--port": String(o.port ?? 0),
    "--data-dir": o.dataDir,
    ...(o.mode ? { "--mode": o.mode } : {}),
  };
  // the published policy and its key come from a ConfigMap the test has none of: the built-in default, as an install before its first publish
  const dropped = new Set(["--policy", "--trusted-key"]);
  const args: string[] = [];
  for (let i = 0; i < o.args.length; i++) {
    const flag = o.args[i];
    if (dropped.has(flag)) {
      i++;
      continue;
    }
    if (flag in local) {
      args.push(flag, local[flag]);
      i++;
      continue;
    }
    args.push(flag);
  }
  // the node flags the Deployment runs it with (the image's entrypoint's and its NODE_OPTIONS)
  const child = spawnChild(process.execPath, [...deployedNodeFlags(PACKAGE_ROOT, "deploy/k3s/webhook/deployment.yaml"), CLI, ...args], {
    env: { ...process.env, LOG_LEVEL: "info", NODE_OPTIONS: "" },
    keep: (l) => !l.includes('"msg":"request"'),
  });
  const listening = JSON.parse(await child.waitForLine(/"msg":"isoplace agent listening"/, "the listening line"));
  const port = Number(new URL(listening.url).port);
  await child.waitForLine(/"msg":"admission webhook ready"/, "the ready line");
  const ca = readFileSync(o.certs.caCert);
  const url = `https://127.0.0.1:${port}`;
  const scrape = () =>
    new Promise<number>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, path: "/metrics", ca, servername: `${SERVICE}.${NAMESPACE}.svc`, agent: false }, (res) => {
        let text = "";
        res.on("data", (d) => {
          text += d;
        });
        res.on("end", () => {
          const counts = [...text.matchAll(/^isoplace_admissions_total\{[^}]*\} (\d+)$/gm)].map((m) => Number(m[1]));
          if (counts.length === 0) reject(new Error(`no isoplace_admissions_total in /metrics:\n${text.slice(0, 500)}`));
          else resolve(counts.reduce((a, b) => a + b, 0));
        });
      });
      req.on("error", reject);
      req.end();
    });
  // over its connection cap (16) the webhook closes a new connection at once, and after a burst
  // kube-apiserver's pooled keep-alive connections can hold every slot until they idle out:
  // a refused scrape asks again (nothing in this process hears when one closes)
  let refused = "";
  const admissions = async () =>
    (
      await pollOtherProcess(
        () =>
          scrape().then(
            (n) => ({ n }),
            (err: NodeJS.ErrnoException) => {
              if (err.code !== "ECONNRESET") throw err;
              refused = err.message;
              return undefined;
            },
          ),
        { ms: 30_000, everyMs: 250, what: "a free connection for GET /metrics on the webhook", last: () => refused },
      )
    ).n;
  const audit = () => child.lines.filter((l) => l.includes('"msg":"admission"')).map((l) => JSON.parse(l));
  return { child, port, url, admissions, audit };
}
