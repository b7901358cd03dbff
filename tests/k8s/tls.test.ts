// A renewed certificate on disk (written the way the kubelet updates a mounted Secret: new files
// renamed over the old, one after the other) is served by the next connection, without a restart
// and without failing a request: connections already open keep their certificate.
import { once } from "node:events";
import { readFileSync, renameSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { Agent, request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { certificateInfo } from "../../host/node/tls.ts";
import { admit, call, certificates, reviewOf, SERVICE, NAMESPACE, startTestWebhook, type TestWebhook } from "./support/webhook.ts";

let w: TestWebhook;
let spare: string;
beforeAll(async () => {
  w = await startTestWebhook({ tlsPollMs: 60_000 }); // the watch must see it, not the poll
  spare = mkdtempSync(join(tmpdir(), "isoplace-webhook-renewed-"));
});
afterAll(async () => {
  await w?.close();
  rmSync(spare, { recursive: true, force: true });
});

/** Replaces `target` atomically (write beside it, rename over it). */
function replace(target: string, content: Buffer): void {
  const tmp = `${target}.tmp-${process.pid}`;
  writeFileSync(tmp, content);
  renameSync(tmp, target);
}

/** A keep-alive connection: every request on it goes over the same TLS socket. */
function keepAliveCall(agent: Agent, port: number, ca: Buffer): Promise<{ status: number; fingerprint256: string; socket: TLSSocket }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/healthz", ca, servername: `${SERVICE}.${NAMESPACE}.svc`, agent }, (res) => {
      const socket = res.socket as TLSSocket;
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode!, fingerprint256: socket.getPeerCertificate().fingerprint256, socket }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("certificate renewal on disk", () => {
  it("the next connection gets the new certificate; an open connection keeps working; no request fails", async () => {
    const { port } = w.webhook;
    const before = await call(port, w.ca, "GET", "/healthz");
    const served = certificateInfo(readFileSync(w.files.cert)).fingerprint256;
    expect(before.fingerprint256).toBe(served);

    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const open = await keepAliveCall(agent, port, w.ca);

    // renewed by the same CA (cert-manager keeps the issuer; the caBundle stays)
    const renewed = await certificates(spare, { cert: w.files.caCert, key: join(w.dir, "ca.key") });
    const next = certificateInfo(readFileSync(renewed.cert)).fingerprint256;
    expect(next).not.toBe(served);

    // requests in flight all through the swap
    let stop = false;
    const load = (async () => {
      const statuses: number[] = [];
      while (!stop) statuses.push((await admit(w, reviewOf({ annotations: { "isoplace.io/scenario": "edge" } }))).status);
      return statuses;
    })();

    const reloaded = once(w.webhook.certificates, "reload");
    replace(w.files.key, readFileSync(renewed.key)); // the key first: a pair that does not match yet
    replace(w.files.cert, readFileSync(renewed.cert));
    const [info] = await reloaded;
    expect(info.fingerprint256).toBe(next);

    const after = await call(port, w.ca, "GET", "/healthz");
    expect(after.status).toBe(200);
    expect(after.fingerprint256).toBe(next);

    const still = await keepAliveCall(agent, port, w.ca);
    expect(still.socket).toBe(open.socket);
    expect(still.status).toBe(200);
    expect(still.fingerprint256).toBe(served);
    agent.destroy();

    stop = true;
    const statuses = await load;
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 200)).toBe(true);
  });

  it("a certificate whose key does not match is not served; the previous one stays until the pair is whole", async () => {
    const { port } = w.webhook;
    const current = (await call(port, w.ca, "GET", "/healthz")).fingerprint256;
    const other = mkdtempSync(join(tmpdir(), "isoplace-webhook-other-"));
    try {
      const renewed = await certificates(other, { cert: w.files.caCert, key: join(w.dir, "ca.key") });
      const rejected = once(w.webhook.certificates, "rejected");
      replace(w.files.cert, readFileSync(renewed.cert));
      const [err] = await rejected;
      expect(String(err.message)).toMatch(/not a usable pair/);
      expect((await call(port, w.ca, "GET", "/healthz")).fingerprint256).toBe(current);

      const reloaded = once(w.webhook.certificates, "reload");
      replace(w.files.key, readFileSync(renewed.key));
      const [info] = await reloaded;
      expect((await call(port, w.ca, "GET", "/healthz")).fingerprint256).toBe(info.fingerprint256);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});

describe("the poll fallback", () => {
  it("without change events, the poll alone picks up a renewed pair", async () => {
    const { createServer } = await import("node:https");
    const { CertificateFiles } = await import("../../host/node/tls.ts");
    const dir = mkdtempSync(join(tmpdir(), "isoplace-webhook-poll-"));
    const files = new CertificateFiles({ certFile: join(dir, "tls.crt"), keyFile: join(dir, "tls.key"), pollMs: 50, watchFiles: false });
    const first = await certificates(dir);
    const pair = await files.load();
    const server = createServer({ cert: pair.cert, key: pair.key }, (_req, res) => res.end("ok"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    files.watch(server);
    try {
      const ca = readFileSync(first.caCert);
      expect((await call(port, ca, "GET", "/")).fingerprint256).toBe(certificateInfo(pair.cert).fingerprint256);
      const other = mkdtempSync(join(tmpdir(), "isoplace-webhook-poll-next-"));
      const renewed = await certificates(other, { cert: first.caCert, key: first.caKey! });
      const reloaded = once(files, "reload");
      replace(join(dir, "tls.key"), readFileSync(renewed.key));
      replace(join(dir, "tls.crt"), readFileSync(renewed.cert));
      const [info] = await reloaded;
      expect((await call(port, ca, "GET", "/")).fingerprint256).toBe(info.fingerprint256);
      expect(info.fingerprint256).toBe(certificateInfo(readFileSync(renewed.cert)).fingerprint256);
      rmSync(other, { recursive: true, force: true });
    } finally {
      files.stop();
      server.close();
      server.closeAllConnections();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
