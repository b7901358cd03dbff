// The Hono app as a node:http request listener, @hono/node-server loaded with the first request
// that needs it. Importing the adapter reads the web Request and Response globals, which makes
// Node load undici (~14 MB of RSS); the JSON lane (json-lane.ts) answers the JSON operations, the
// probes and /metrics without it, so an agent that only decides never pays for it.
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import type { Hono } from "hono";
import type { AppEnv } from "../http/types.ts";

export function honoListener(app: Hono<AppEnv>): RequestListener {
  let loading: Promise<RequestListener> | undefined;
  const load = async () => (await import("@hono/node-server")).getRequestListener(app.fetch);
  return (req: IncomingMessage, res: ServerResponse) => {
    (loading ??= load()).then(
      (listener) => listener(req, res),
      (err: unknown) => {
        console.error("isoplace: cannot load the HTTP adapter:", err);
        if (!res.headersSent) res.writeHead(500).end();
      },
    );
  };
}
