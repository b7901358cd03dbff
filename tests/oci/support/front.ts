// A reverse proxy on 127.0.0.1 in front of a real registry, for the two registry behaviours no
// registry reachable here shows: a referrers list served in pages (distribution-spec's
// `Link: <…>; rel="next"`), and a referrers endpoint refused with 400/403/405 instead of 404.
// Every other request goes through to the registry unchanged; each referrers request is counted.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type ReferrersMode =
  /** The list in pages of `perPage`, `last` (a digest) at its end, linking on forever when `endless`. */
  { kind: "pages"; perPage: number; endless?: boolean; last?: string } | { kind: "status"; status: number };

export class RegistryFront {
  /** host:port, as written in oci:// references. */
  readonly host: string;
  /** The referrers requests it answered, their paths and queries. */
  readonly referrersAsked: string[] = [];
  private readonly server: Server;
  private readonly target: string;
  private readonly mode: ReferrersMode;

  private constructor(server: Server, target: string, mode: ReferrersMode) {
    this.server = server;
    this.target = target;
    this.mode = mode;
    this.host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  static async start(target: string, mode: ReferrersMode): Promise<RegistryFront> {
    let front: RegistryFront | undefined;
    const server = createServer(
      (req, res) =>
        void front!.handle(req, res).catch((err) => {
          res.statusCode = 502;
          res.end(String(err));
        }),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    front = new RegistryFront(server, target, mode);
    return front;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url!, `http://${this.host}`);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (/^\/v2\/.+\/referrers\/sha256:[a-f0-9]{64}$/.test(url.pathname)) {
      this.referrersAsked.push(url.pathname + url.search);
      if (this.mode.kind === "status")
        return void res.writeHead(this.mode.status, { "content-type": "application/json" }).end('{"errors":[{"code":"UNSUPPORTED"}]}');
      return this.page(url, res, this.mode);
    }
    const headers = Object.fromEntries(
      Object.entries(req.headers)
        .filter(([k]) => k !== "host" && k !== "connection")
        .map(([k, v]) => [k, String(v)]),
    );
    const answer = await fetch(`http://${this.target}${url.pathname}${url.search}`, {
      method: req.method,
      headers,
      body: chunks.length ? Buffer.concat(chunks) : undefined,
      redirect: "manual",
    });
    const out: Record<string, string> = {};
    answer.headers.forEach((v, k) => {
      if (k !== "content-encoding" && k !== "transfer-encoding" && k !== "connection") out[k] = v;
    });
    res.writeHead(answer.status, out).end(Buffer.from(await answer.arrayBuffer()));
  }

  /** The registry's whole list, served `perPage` entries at a time, each page linking the next. */
  private async page(url: URL, res: ServerResponse, { perPage, endless, last }: Extract<ReferrersMode, { kind: "pages" }>): Promise<void> {
    const all = (await (await fetch(`http://${this.target}${url.pathname}`, { headers: { accept: "application/vnd.oci.image.index.v1+json" } })).json()) as {
      manifests: unknown[];
    };
    const page = Number(url.searchParams.get("page") ?? 1);
    // go-containerregistry lists in map order, which changes between requests: pages need one order
    const key = (d: { digest: string }) => `${d.digest === last ? 1 : 0}${d.digest}`;
    const sorted = (all.manifests as { digest: string }[]).sort((a, b) => (key(a) < key(b) ? -1 : 1));
    const manifests = sorted.slice((page - 1) * perPage, page * perPage);
    const more = endless || page * perPage < sorted.length;
    res
      .writeHead(200, {
        "content-type": "application/vnd.oci.image.index.v1+json",
        ...(more ? { link: `<${url.pathname}?page=${page + 1}>; rel="next"` } : {}),
      })
      .end(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests }));
  }
}
