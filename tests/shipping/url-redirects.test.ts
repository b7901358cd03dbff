// Issue 22 (seen in code): the URL source followed redirects with fetch's defaults — up to 20,
// HTTPS to plain HTTP, any host. Now: at most 5, never HTTPS → HTTP, and credentials in the URL
// (user:password@) go as Basic to the URL's own origin only. Real servers on two loopback ports
// (two origins), a real agent polling them; the HTTPS case with a real TLS server and an agent
// process that trusts its CA. Each test here failed on main at 5930eb5.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { readFile, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { startAgent, type Agent } from "../../host/node/agent.ts";
import { makeCertificates } from "../../host/node/certs.ts";
import { spawnAgent } from "../hardening/support/agent-process.ts";
import { afterChecks, build, keyFiles, policyStatus, sign, silent, tempDir, variantSource, type KeyFiles } from "./support/fixtures.ts";

const V2 = "2025.11.15-redirects";
/** The URL source's limit (MAX_REDIRECTS in host/delivery/source-url.ts; docs/SECURITY.md says 5). */
const MAX_REDIRECTS = 5;
let root: string, keys: KeyFiles, v2: Uint8Array, sig2: string;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  root = await tempDir("isoplace-redirects-");
  [keys, v2] = await Promise.all([keyFiles(join(root, "keys")), variantSource(V2, "K3s + WasmEdge 0.14.1 (redirects)").then(build)]);
  sig2 = await sign(v2, keys);
}, 180_000);
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});
afterAll(() => rm(root, { recursive: true, force: true }));

interface Seen {
  path: string;
  authorization: string | undefined;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(
    () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A server that records every request and answers with `handle`. */
async function server(
  handle: (req: IncomingMessage, res: ServerResponse) => void,
  tls?: { cert: Buffer; key: Buffer },
): Promise<{ origin: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    seen.push({ path: req.url!, authorization: req.headers.authorization });
    handle(req, res);
  };
  const s = tls ? (createHttpsServer(tls, listener) as unknown as Server) : createServer(listener);
  return { origin: `${tls ? "https" : "http"}://${await listen(s)}`, seen };
}

/** The bundle: the module and its statement, by path. */
function bundle(res: ServerResponse, path: string): void {
  if (path.endsWith(".wasm")) res.writeHead(200, { "content-type": "application/wasm" }).end(v2);
  else if (path.endsWith(".wasm.sig")) res.writeHead(200).end(sig2);
  else res.writeHead(404).end();
}

async function agent(policy: string): Promise<Agent> {
  const a = await startAgent({ port: 0, logger: silent, trustedKeys: keys.trusted, policy, poll: { intervalMs: 100, jitter: 0, firstDelayMs: 0 } });
  closers.push(() => a.close());
  return a;
}

it("credentials in the URL go to its own origin as Basic, never to the origin it redirects to", async () => {
  const store = await server((req, res) => bundle(res, req.url!));
  const home = await server((req, res) => {
    if (req.headers.authorization !== `Basic ${Buffer.from("alice:s3cret").toString("base64")}`) return void res.writeHead(401).end();
    res.writeHead(302, { location: `${store.origin}/store${req.url}` }).end();
  });
  const a = await agent(`${home.origin.replace("//", "//alice:s3cret@")}/p/policy.wasm`);
  await afterChecks(a, (s) => s.active.version === V2);
  expect(home.seen.map((s) => s.path)).toEqual(expect.arrayContaining(["/p/policy.wasm", "/p/policy.wasm.sig"]));
  expect(home.seen.every((s) => s.authorization?.startsWith("Basic "))).toBe(true);
  expect(store.seen.map((s) => s.path)).toEqual(expect.arrayContaining(["/store/p/policy.wasm", "/store/p/policy.wasm.sig"]));
  expect(store.seen.filter((s) => s.authorization !== undefined)).toEqual([]);
  const status = await policyStatus(a.url);
  expect(JSON.stringify(status)).not.toContain("s3cret");
});

it(`at most ${MAX_REDIRECTS} redirects: ${MAX_REDIRECTS} are followed, one more is an error naming the limit`, async () => {
  const hops = (n: number) =>
    server((req, res) => {
      const m = /^\/hop(\d+)(\/.*)$/.exec(req.url!);
      if (!m) return void res.writeHead(302, { location: `/hop1${req.url}` }).end();
      const k = Number(m[1]);
      if (k < n) return void res.writeHead(302, { location: `/hop${k + 1}${m[2]}` }).end();
      bundle(res, m[2]);
    });
  const ok = await hops(MAX_REDIRECTS);
  const a = await agent(`${ok.origin}/policy.wasm`);
  await afterChecks(a, (s) => s.active.version === V2);

  const far = await hops(MAX_REDIRECTS + 1);
  const b = await agent(`${far.origin}/policy.wasm`);
  const err = await afterChecks(b, (s) => s.lastError);
  expect(err).toMatchObject({ reason: "source", message: expect.stringMatching(new RegExp(`more than ${MAX_REDIRECTS} redirects`)) });
  expect(far.seen.some((s) => s.path === `/hop${MAX_REDIRECTS + 1}/policy.wasm`)).toBe(false);
  expect((await policyStatus(b.url)).active.source).toBe("built-in");
});

it("never from HTTPS to plain HTTP: a real TLS server redirecting to an http:// origin is refused, and that origin is never asked", async () => {
  const certs = await makeCertificates({ service: "bundles", namespace: "test", outDir: join(root, "tls"), extraNames: ["127.0.0.1"] });
  const plain = await server((req, res) => bundle(res, req.url!));
  const secure = await server((req, res) => res.writeHead(302, { location: `${plain.origin}${req.url}` }).end(), {
    cert: await readFile(certs.cert),
    key: await readFile(certs.key),
  });
  const agentProcess = await spawnAgent(["--policy", `${secure.origin}/policy.wasm`, "--trusted-key", keys.pub, "--poll-interval", "1"], {
    env: { NODE_EXTRA_CA_CERTS: certs.caCert },
  });
  closers.push(async () => {
    await agentProcess.kill();
  });
  await agentProcess.waitForLine((l) => l.includes('"msg":"policy poll failed"'), "the failed poll's warning");
  const err = (await policyStatus(agentProcess.url)).lastError;
  expect(err).toMatchObject({ reason: "source", message: expect.stringMatching(/redirected from HTTPS to plain HTTP/) });
  expect(secure.seen.length).toBeGreaterThan(0);
  expect(plain.seen).toEqual([]);
});
