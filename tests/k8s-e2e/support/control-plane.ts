// A Kubernetes control plane without nodes, envtest's way: the real etcd and kube-apiserver of
// `npm run peers` on loopback ports, with a serving certificate, service-account keys and an
// admin token made here. Clients: the real kubectl (through a kubeconfig written here) and
// `api()`, plain HTTPS with the same token, for the calls a test or the bench makes by the
// hundred. Waits are on events: etcd's and kube-apiserver's own log lines, and one /readyz
// answer after the server says it is serving.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Agent } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { makeCertificates } from "../../../host/node/certs.ts";
import { freePort } from "../../../bench/fleet/registry-server.ts";
import { runChild, spawnChild, type Child, type Ran } from "../../support/child.ts";
import { httpsJson } from "../../support/https-json.ts";
import { peerBin } from "../../support/peers.ts";
import { pollOtherProcess } from "../../support/poll.ts";

export const CONTROL_PLANE_PEERS = ["etcd", "kube-apiserver", "kubectl"];

export interface ApiAnswer {
  status: number;
  json: any;
  text: string;
  warnings: string[];
}

export interface ControlPlane {
  dir: string;
  url: string;
  kubeconfig: string;
  etcd: Child;
  apiserver: Child;
  /** kubectl with this control plane's kubeconfig; resolves with its exit code and output. */
  kubectl(args: string[], input?: string): Promise<Ran>;
  /** kubectl that must succeed: its stdout. */
  kubectlOk(args: string[], input?: string): Promise<string>;
  /** One API request (JSON), over a keep-alive connection pool. */
  api(method: string, path: string, body?: unknown): Promise<ApiAnswer>;
  stop(): Promise<void>;
}

const line = (re: RegExp) => (l: string) => re.test(l);

export async function startControlPlane(name = "e2e"): Promise<ControlPlane> {
  const dir = mkdtempSync(join(tmpdir(), `isoplace-${name}-`));
  const started: Child[] = [];
  try {
    return await start(dir, started);
  } catch (err) {
    // a server that failed to start must not leave the other running (a test worker may outlive the file)
    await Promise.all(started.map((c) => c.stop("SIGKILL")));
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

async function start(dir: string, started: Child[]): Promise<ControlPlane> {
  const [etcdClient, etcdPeer, securePort] = await Promise.all([freePort(), freePort(), freePort()]);
  const pki = join(dir, "pki");
  mkdirSync(pki);

  const etcd = spawnChild(
    peerBin("etcd"),
    [
      "--name",
      "e2e",
      "--data-dir",
      join(dir, "etcd"),
      "--listen-client-urls",
      `http://127.0.0.1:${etcdClient}`,
      "--advertise-client-urls",
      `http://127.0.0.1:${etcdClient}`,
      "--listen-peer-urls",
      `http://127.0.0.1:${etcdPeer}`,
      "--initial-advertise-peer-urls",
      `http://127.0.0.1:${etcdPeer}`,
      "--initial-cluster",
      `e2e=http://127.0.0.1:${etcdPeer}`,
      "--unsafe-no-fsync", // a throw-away store: no fsync per write
    ],
    { keep: (l) => !l.includes('"level":"info"') || l.includes("ready to serve") },
  );
  started.push(etcd);

  // while etcd starts: the API server's serving certificate (the project's own certificate code),
  // the service-account signing key and the admin token
  const certs = await makeCertificates({ service: "kubernetes", namespace: "default", outDir: pki, extraNames: ["localhost", "127.0.0.1"] });
  const sa = generateKeyPairSync("ec", { namedCurve: "P-256" });
  writeFileSync(join(pki, "sa.key"), sa.privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  writeFileSync(join(pki, "sa.pub"), sa.publicKey.export({ type: "spki", format: "pem" }));
  const token = randomBytes(24).toString("hex");
  writeFileSync(join(pki, "tokens.csv"), `${token},e2e-admin,e2e-admin,"system:masters"\n`, { mode: 0o600 });

  await etcd.waitForLine(line(/ready to serve client requests|serving client traffic/), "etcd serving", 60_000);

  const url = `https://127.0.0.1:${securePort}`;
  const apiserver = spawnChild(
    peerBin("kube-apiserver"),
    [
      "--etcd-servers",
      `http://127.0.0.1:${etcdClient}`,
      "--bind-address",
      "127.0.0.1",
      "--advertise-address",
      "127.0.0.1",
      "--secure-port",
      String(securePort),
      "--tls-cert-file",
      certs.cert,
      "--tls-private-key-file",
      certs.key,
      "--client-ca-file",
      certs.caCert,
      "--token-auth-file",
      join(pki, "tokens.csv"),
      "--authorization-mode",
      "RBAC",
      "--service-account-issuer",
      url,
      "--service-account-key-file",
      join(pki, "sa.pub"),
      "--service-account-signing-key-file",
      join(pki, "sa.key"),
      "--service-cluster-ip-range",
      "10.0.0.0/24",
      "--allow-privileged=true",
      "--endpoint-reconciler-type",
      "none", // no `kubernetes` Service endpoints for a loopback address
      "--cert-dir",
      join(dir, "cert-dir"),
    ],
    { keep: (l) => !/^I\d{4} /.test(l) || /Serving securely|webhook|admission/i.test(l) },
  );
  started.push(apiserver);
  await apiserver.waitForLine(line(/Serving securely on 127\.0\.0\.1:/), "kube-apiserver serving", 120_000);

  const kubeconfig = join(dir, "kubeconfig");
  writeFileSync(
    kubeconfig,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      "current-context": "e2e",
      clusters: [{ name: "e2e", cluster: { server: url, "certificate-authority": certs.caCert } }],
      users: [{ name: "e2e-admin", user: { token } }],
      contexts: [{ name: "e2e", context: { cluster: "e2e", user: "e2e-admin" } }],
    }),
    { mode: 0o600 },
  );

  const ca = readFileSync(certs.caCert);
  const agent = new Agent({ keepAlive: true, maxSockets: 16, ca });
  const api: ControlPlane["api"] = async (method, path, body) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers = { authorization: `Bearer ${token}`, accept: "application/json", ...(payload ? { "content-type": "application/json" } : {}) };
    const a = await httpsJson(`${url}${path}`, { method, agent, headers }, payload);
    const w = a.headers.warning;
    const warnings = (Array.isArray(w) ? w : w ? [w] : []).flatMap((h) => h.split(/,(?=\s*299 )/)).map((h) => h.trim());
    return { status: a.status, json: a.json, text: a.text, warnings };
  };

  // Serving is not ready: the post-start hooks (RBAC bootstrap, the default namespaces) run after
  // the line above, and /readyz?wait… does not exist: it is asked until it answers 200, bounded.
  await pollOtherProcess(async () => (await api("GET", "/readyz").catch(() => undefined))?.status === 200, {
    ms: 120_000,
    everyMs: 200,
    what: "kube-apiserver ready",
    last: () => apiserver.output().slice(-4000),
  });

  const kubectl = (args: string[], input?: string) => runChild(peerBin("kubectl"), ["--kubeconfig", kubeconfig, ...args], { input, timeoutMs: 60_000 });
  const kubectlOk = async (args: string[], input?: string) => {
    const r = await kubectl(args, input);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} exited ${r.code}:\n${r.stderr}${r.stdout}`);
    return r.stdout;
  };

  return {
    dir,
    url,
    kubeconfig,
    etcd,
    apiserver,
    kubectl,
    kubectlOk,
    api,
    stop: async () => {
      agent.destroy();
      await apiserver.stop("SIGTERM");
      await etcd.stop("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
