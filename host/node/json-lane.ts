// The agent's JSON lane: the routes that are JSON operations (POST /v1/decide, /v1/decide/batch,
// /v1/rank, the webhook's admission route; GET /healthz, /readyz, /metrics, /v1/levels,
// /v1/scenarios, /v1/policy) served straight from node:http, every other request handed to the
// Hono app (hono-listener.ts). Only the routing and the writing are the lane's: the handling itself
// (limits, body, problems, log/metrics entry, last resort) is json-operation.ts's, the app's too.
// What the lane leaves out is the web Request, Context and Response that Hono's adapter builds
// for every request. It is why the app may have no middleware (app.ts).
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { JsonRoute, type JsonReply } from "../http/json-operation.ts";
import type { AppOptions, RouteSpec } from "../http/types.ts";
import { incomingBody } from "./incoming-body.ts";

const reply: JsonReply<ServerResponse> = {
  send(res, status, type, text) {
    // a client gone mid-body gets no answer; its request is still counted and logged
    if (res.destroyed) return;
    res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(text) });
    res.end(text);
  },
  abort(res) {
    if (res.destroyed || res.writableEnded) return;
    if (!res.headersSent) res.writeHead(500).end();
    else res.destroy();
  },
};

/** A request listener serving `routes`' JSON operations itself and everything else through `fallback` (the app's). */
export function jsonLane(routes: RouteSpec[], options: Pick<AppOptions, "engine" | "onResponse">, fallback: RequestListener): RequestListener {
  // by method, then by the exact path: a query string, a trailing slash or an absolute-form URL is the app's to answer
  const lanes = new Map<string, Map<string, JsonRoute>>();
  for (const r of routes) {
    if (!r.json || r.handler) continue;
    const route = new JsonRoute(r, options, "node");
    if (!lanes.has(route.method)) lanes.set(route.method, new Map());
    lanes.get(route.method)!.set(route.path, route);
  }
  return (req: IncomingMessage, res: ServerResponse) => {
    const route = lanes.get(req.method!)?.get(req.url!);
    if (!route) return fallback(req, res);
    route.serve(incomingBody, req, reply, res);
  };
}
