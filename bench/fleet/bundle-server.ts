// A policy bundle server for the fleet simulation and the shipping tests: serves one module at
// /policy.wasm and its signature at /policy.wasm.sig on 127.0.0.1, with strong ETags and 304s
// for If-None-Match, as a CDN or an object store would. It counts what it serves.
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface BundleCounts {
  full: number;
  notModified: number;
  sigFull: number;
  sigNotModified: number;
  failed: number;
}

const zero = (): BundleCounts => ({ full: 0, notModified: 0, sigFull: 0, sigNotModified: 0, failed: 0 });
const etagOf = (b: Uint8Array | string) => `"${createHash("sha256").update(b).digest("hex").slice(0, 32)}"`;

export class BundleServer {
  readonly url: string;
  counts: BundleCounts = zero();
  /** When set, every request is answered 503 (an outage). */
  failing = false;
  private module: { bytes: Uint8Array; etag: string } | undefined;
  private sig: { text: string; etag: string } | undefined;
  private readonly server: Server;

  private constructor(server: Server, url: string) {
    this.server = server;
    this.url = url;
  }

  static async start(): Promise<BundleServer> {
    let self: BundleServer | undefined;
    const server = createServer((req, res) => self!.handle(req.url ?? "", req.headers["if-none-match"], res));
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", resolve);
    });
    const { port } = server.address() as AddressInfo;
    self = new BundleServer(server, `http://127.0.0.1:${port}/policy.wasm`);
    return self;
  }

  /** Publishes a module and its signature (null: no .sig, 404). Either may be published alone. */
  publish(bytes: Uint8Array | undefined, signature: string | null | undefined): void {
    if (bytes) this.module = { bytes, etag: etagOf(bytes) };
    if (signature !== undefined) this.sig = signature === null ? undefined : { text: `${signature}\n`, etag: etagOf(signature) };
  }

  resetCounts(): BundleCounts {
    const c = this.counts;
    this.counts = zero();
    return c;
  }

  private handle(path: string, ifNoneMatch: string | undefined, res: import("node:http").ServerResponse): void {
    if (this.failing) {
      this.counts.failed++;
      res.writeHead(503, { "content-type": "text/plain" }).end("outage\n");
      return;
    }
    const isSig = path === "/policy.wasm.sig";
    const entry =
      path === "/policy.wasm"
        ? this.module && { body: this.module.bytes, etag: this.module.etag, type: "application/wasm" }
        : isSig
          ? this.sig && { body: this.sig.text, etag: this.sig.etag, type: "text/plain" }
          : undefined;
    if (!entry) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    if (ifNoneMatch === entry.etag) {
      if (isSig) this.counts.sigNotModified++;
      else this.counts.notModified++;
      res.writeHead(304, { etag: entry.etag }).end();
      return;
    }
    if (isSig) this.counts.sigFull++;
    else this.counts.full++;
    res.writeHead(200, {
      "content-type": entry.type,
      etag: entry.etag,
      "content-length": String(typeof entry.body === "string" ? Buffer.byteLength(entry.body) : entry.body.length),
    });
    res.end(entry.body);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
