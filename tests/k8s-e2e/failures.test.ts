// The webhook failing, as the API server sees it: a serving certificate renewed on disk while
// pods keep being created (no admission lost), a frozen webhook (SIGSTOP: the server gives up
// after the configuration's timeoutSeconds and admits the pod as written) and a stopped one
// (failurePolicy Ignore: pods are still created). Its own control plane, apart from the
// behaviour suite's.
import { X509Certificate } from "node:crypto";
import { readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { connect } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeCertificates } from "../../host/node/certs.ts";
import { havePeers, needsPeers } from "../support/peers.ts";
import { installWebhook, MODE_LABEL, namespace, OPTED_IN, pod, startCluster, webhookActive, type Cluster, type Installed } from "./support/cluster.ts";
import { CONTROL_PLANE_PEERS } from "./support/control-plane.ts";
import { NAMESPACE, SERVICE } from "./support/webhook.ts";

const NS = "apps";

/** The certificate the webhook serves to a new connection right now. */
const served = (port: number, ca: Buffer) =>
  new Promise<string>((resolve, reject) => {
    const s = connect({ host: "127.0.0.1", port, ca, servername: `${SERVICE}.${NAMESPACE}.svc` }, () => {
      resolve(s.getPeerX509Certificate()!.fingerprint256);
      s.destroy();
    });
    s.on("error", reject);
  });

describe.skipIf(!havePeers(...CONTROL_PLANE_PEERS))(needsPeers("the webhook failing behind a real kube-apiserver", ...CONTROL_PLANE_PEERS), () => {
  let c: Cluster, hook: Installed;
  let n = 0;
  const create = (annotations: Record<string, string> = OPTED_IN) => c.cp.api("POST", `/api/v1/namespaces/${NS}/pods`, pod(`p-${n++}`, annotations));
  const timeoutSeconds = () => hook.configuration.webhooks[0].timeoutSeconds as number;

  beforeAll(async () => {
    c = await startCluster("e2e-failures");
    [hook] = await Promise.all([installWebhook(c, { mode: "fill" }), namespace(c.cp, NS, { [MODE_LABEL]: "fill" })]);
    await webhookActive(c.cp, NS);
  }, 240_000);

  afterAll(async () => {
    hook?.child.process.kill("SIGCONT");
    await hook?.child.stop("SIGKILL");
    await c?.stop();
  }, 60_000);

  it("the serving certificate renewed on disk while pods are being created: every pod admitted and placed, the new certificate served", async () => {
    const ca = readFileSync(c.certs.caCert);
    const before = await served(hook.port, ca);
    const renewed = makeCertificates({
      service: SERVICE,
      namespace: NAMESPACE,
      outDir: join(c.dir, "renewed"),
      extraNames: ["127.0.0.1"],
      ca: { cert: c.certs.caCert, key: c.certs.caKey },
    });
    let renewing = true,
      after = 0;
    const results: { status: number; placed: boolean }[] = [];
    // four clients, until 40 creates after the webhook has reloaded
    const client = async () => {
      while (renewing || after < 40) {
        const r = await create();
        results.push({ status: r.status, placed: Boolean(r.json?.metadata?.annotations?.["isoplace.io/decision-id"]) });
        if (!renewing) after++;
      }
    };
    const load = Promise.all([client(), client(), client(), client()]);
    const files = await renewed;
    // as the kubelet updates a mounted Secret: the new files replace the old ones by rename
    renameSync(files.key, c.certs.key);
    renameSync(files.cert, c.certs.cert);
    await hook.child.waitForLine(/"msg":"TLS certificate reloaded"/, "the certificate reload");
    renewing = false;
    await load;
    const now = await served(hook.port, ca);
    expect(now).not.toBe(before);
    expect(now).toBe(new X509Certificate(readFileSync(c.certs.cert)).fingerprint256);
    expect(results.length).toBeGreaterThanOrEqual(40);
    expect(results.filter((r) => r.status !== 201)).toEqual([]);
    expect(results.filter((r) => !r.placed)).toEqual([]);
    expect(c.cp.apiserver.lines.filter((l) => /failing open|failed calling webhook/i.test(l))).toEqual([]);
  }, 120_000);

  it("frozen (SIGSTOP): creation returns after about timeoutSeconds, the pod admitted as written", async () => {
    hook.child.process.kill("SIGSTOP");
    try {
      const t0 = performance.now();
      const r = await create();
      const ms = performance.now() - t0;
      expect(r.status, r.text).toBe(201);
      expect(r.json.spec.runtimeClassName).toBeUndefined();
      expect(r.json.metadata.annotations["isoplace.io/decision-id"]).toBeUndefined();
      expect(ms).toBeGreaterThanOrEqual(timeoutSeconds() * 1000 - 50);
      expect(ms).toBeLessThan(10_000); // the server's default webhook timeout: the configuration's own applied
      await c.cp.apiserver.waitForLine(/[Ff]ailed calling webhook, failing open pods\.isoplace\.io.*(deadline|timeout)/, "the API server's fail-open line");
    } finally {
      hook.child.process.kill("SIGCONT");
    }
  }, 60_000);

  it("stopped: pods are still created, unplaced (failurePolicy Ignore)", async () => {
    expect((await hook.child.stop("SIGTERM")).code).toBe(0);
    const r = await create();
    expect(r.status, r.text).toBe(201);
    expect(r.json.spec.runtimeClassName).toBeUndefined();
    expect(r.json.metadata.annotations["isoplace.io/decision-id"]).toBeUndefined();
    expect(r.json.metadata.annotations).toMatchObject(OPTED_IN);
  }, 60_000);
});
