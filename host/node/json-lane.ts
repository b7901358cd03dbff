// The agent's JSON lane: the routes that are JSON operations (POST /v1/decide, /v1/decide/batch,
// /v1/rank, the webhook's admission route) served straight from node:http, every other request
// handed to the Hono app. The same route table, the same body rules (readIncomingJsonThen: 413 by
// Content-Length first, 415 before reading, the route's limit while reading, malformed JSON),
// the same problems (problemForError) and the same log/metrics entry as the app; what it leaves
// out is the web Request, Context and Response that Hono's adapter builds for every request —
// about 10 µs of a ~40 µs request on a 2-core node (bench/: the http section's floors).
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { withValidation } from "../engine/validation.ts";
import { MAX_BODY_BYTES, readIncomingJsonThen } from "../http/body.ts";
import { problemForError } from "../http/failure.ts";
import { PROBLEM_CONTENT_TYPE } from "../http/problem.ts";
import { responseEntry } from "../http/response-entry.ts";
import type { AppOptions, JsonCall, JsonOperation, RouteSpec } from "../http/types.ts";

interface Lane { path: string; method: string; operation: JsonOperation; limit: number }

const JSON_TYPE = "application/json";

/** A request listener serving `routes`' JSON operations itself and everything else through `fallback` (the app's). */
export function jsonLane(routes: RouteSpec[], options: Pick<AppOptions, "engine" | "onResponse">, fallback: RequestListener): RequestListener {
  // by method, then by the exact path: a query string, a trailing slash or an absolute-form URL is the app's to answer
  const lanes = new Map<string, Map<string, Lane>>();
  for (const r of routes) {
    if (!r.json || r.handler || r.method === "get") continue;
    const method = r.method.toUpperCase();
    if (!lanes.has(method)) lanes.set(method, new Map());
    lanes.get(method)!.set(r.path, { path: r.path, method, operation: r.json, limit: r.maxBodyBytes ?? MAX_BODY_BYTES });
  }
  const { engine, onResponse: observe } = options;

  // Callbacks, not async/await: one request is one body read, one operation and one write, and
  // an operation only returns a promise when it must wait (a batch, or the request schemas still loading).
  function serve(lane: Lane, req: IncomingMessage, res: ServerResponse): void {
    const start = observe ? performance.now() : 0;
    const call: JsonCall = { engine: engine() };
    const answer = (status: number, type: string, text: string) => {
      // a client gone mid-body gets no answer, but its request is still counted and logged
      if (!res.destroyed) {
        res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(text) });
        res.end(text);
      }
      if (observe) observe(responseEntry(lane.method, lane.path, status, start, call.decision));
    };
    const fail = (err: unknown) => {
      const problem = problemForError(err, lane.method, lane.path);
      answer(problem.status, PROBLEM_CONTENT_TYPE, JSON.stringify(problem));
    };
    const respond = (err: unknown, body?: unknown) => {
      if (err) return fail(err);
      let result: unknown;
      try {
        result = withValidation(() => lane.operation(body, call));
      } catch (e) {
        return fail(e);
      }
      if (result instanceof Promise) result.then(ok, fail).catch(lastGuard(lane, res));
      else ok(result);
    };
    const ok = (result: unknown) => answer(200, JSON_TYPE, JSON.stringify(result));
    readIncomingJsonThen(req, lane.limit, (err, body) => {
      // the body's callback runs in a stream event: nothing may throw out of it
      try {
        respond(err, body);
      } catch (e) {
        lastGuard(lane, res)(e);
      }
    });
  }

  return (req, res) => {
    const lane = lanes.get(req.method!)?.get(req.url!);
    if (!lane) return fallback(req, res);
    serve(lane, req, res);
  };
}

/** serve() answers every error itself; this is the last guard (a throwing log hook), never a crash. */
const lastGuard = (lane: Lane, res: ServerResponse) => (err: unknown) => {
  console.error(`isoplace: unexpected error on ${lane.method} ${lane.path}:`, err);
  if (!res.headersSent && !res.destroyed) res.writeHead(500).end();
};
