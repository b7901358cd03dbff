// The HTTP API as a Hono app: runtime-neutral (no Node imports), shared by the Node agent and
// the Worker. Hosts add what is theirs (metrics, policy admin) through options.routes, and how
// their runtime's requests are read through options.body (Hono's adapters keep that per runtime).
//
// NO MIDDLEWARE ON THIS APP (app.use, or anything every request passes through besides `wrap`):
// the Node agent serves the JSON operations (json: routes) without the app, in its JSON lane
// (host/node/json-lane.ts), so a middleware here would not run for them there. What every
// request needs goes in `wrap` and, for the JSON operations, in json-operation.ts, which both
// adapters call. tests/node/json-lane.test.ts compares the two paths on every contract case and
// fails when the app holds anything but one handler per route.
import { Hono, type Context, type Handler } from "hono";
import { loadValidation, withValidation } from "../engine/validation.ts";
import { MAX_BODY_BYTES, declaredTooLarge, webBody } from "./body.ts";
import { problemForError } from "./failure.ts";
import { JsonRoute, type JsonReply } from "./json-operation.ts";
import { problemOf, problemResponse } from "./problem.ts";
import { coreRoutes } from "./routes.ts";
import { responseEntry } from "./response-entry.ts";
import type { AppEnv, AppOptions, RouteSpec } from "./types.ts";

/** The API's routes and the host's (options.routes): what createApp serves, less /openapi.json. */
export const apiRoutes = (options: AppOptions): RouteSpec[] => [...coreRoutes(options), ...(options.routes ?? [])];

export function createApp(options: AppOptions, api: RouteSpec[] = apiRoutes(options)): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const routes = [...api];
  const openapi: RouteSpec = {
    method: "get",
    path: "/openapi.json",
    operationId: "openapi",
    summary: "This document",
    responses: { 200: { description: "OpenAPI 3.1" } },
    handler: async (c) => {
      // one document per active engine (its ids are in it), built on first request; the
      // generator is loaded then too, as no decision needs it
      const engine = c.get("engine");
      let doc = documents.get(engine);
      if (!doc) {
        const [{ openApiDocument }] = await Promise.all([import("./openapi.ts"), loadValidation()]);
        documents.set(engine, (doc = openApiDocument(routes, engine, options.version ?? "unversioned")));
      }
      return c.json(doc);
    },
  };
  const documents = new WeakMap<object, Record<string, unknown>>();
  routes.push(openapi);
  // Route labels for logs and metrics: only paths the API has, so a scan cannot blow up cardinality.
  const knownPaths = new Set(routes.map((r) => r.path));
  const observe = options.onResponse;
  const engine = options.engine;

  const body = options.body ?? webBody;

  // Each route's handler wrapped once, here, with what every request needs: the engine for this
  // request, the size check (a route's maxBodyBytes, else 64 KiB, against the declared
  // Content-Length before any handler runs, so 413 comes before 415 or 401; bodies without one
  // are counted as they are read), problems for errors, and the log/metrics entry. Not a
  // middleware: with one handler per route Hono calls it directly instead of composing a chain of
  // promises for every request. A JSON operation's handling is all in json-operation.ts.
  const wrap = (r: RouteSpec): Handler<AppEnv> => {
    if (!r.handler) return jsonHandler(new JsonRoute(r, options), body);
    const { path, handler } = r;
    const limit = r.method === "get" ? undefined : (r.maxBodyBytes ?? MAX_BODY_BYTES);
    return async (c) => {
      const start = observe ? performance.now() : 0;
      c.set("engine", engine());
      let res: Response;
      try {
        const tooLarge = limit === undefined ? undefined : declaredTooLarge(body, c, limit);
        if (tooLarge) res = problemResponse(tooLarge.problem);
        else {
          if (limit !== undefined) c.set("body", body);
          // a route without a body runs again if it needed the request schemas before they were loaded
          res = await (limit === undefined ? withValidation(() => handler(c)) : handler(c));
        }
      } catch (err) {
        res = errorResponse(err, c);
      }
      if (observe) observe(responseEntry(c.req.method, path, res.status, start, c.get("decision")));
      return res;
    };
  };
  for (const r of routes) app[r.method](r.path, wrap(r));

  // A known path with another method is 405 with Allow (a GET route also answers HEAD); checked
  // only here, when no route matched, instead of in a middleware on every request.
  const allowed = new Map<string, string[]>();
  for (const r of routes) {
    const methods = allowed.get(r.path) ?? [];
    methods.push(r.method.toUpperCase(), ...(r.method === "get" ? ["HEAD"] : []));
    allowed.set(r.path, methods);
  }
  app.notFound((c) => {
    const start = observe ? performance.now() : 0;
    const path = c.req.path;
    const methods = allowed.get(path);
    const res =
      methods && !methods.includes(c.req.method)
        ? problemResponse(problemOf(405, null, "Method not allowed", `${c.req.method} is not allowed on ${path}; allowed: ${methods.join(", ")}.`), {
            allow: methods.join(", "),
          })
        : problemResponse(problemOf(404, null, "Not found", `No route ${c.req.method} ${path.slice(0, 200)}; see /openapi.json.`));
    if (observe) observe(responseEntry(c.req.method, knownPaths.has(path) ? path : "unmatched", res.status, start));
    return res;
  });
  app.onError(errorResponse);
  return app;
}

const errorResponse = (err: unknown, c: Context<AppEnv>): Response => problemResponse(problemForError(err, c.req.method, c.req.path));

/** The app's answers to a JSON operation: a web Response, to the promise its handler returns. */
const webReply: JsonReply<(res: Response) => void> = {
  send: (resolve, status, type, text) => resolve(new Response(text, { status, headers: { "content-type": type } })),
  abort: (resolve) => resolve(new Response(null, { status: 500 })),
};

/** A JSON operation served by the app: all of it in json-operation.ts, read with the runtime's body reader. */
const jsonHandler =
  (route: JsonRoute, body: NonNullable<AppOptions["body"]>): Handler<AppEnv> =>
  (c) =>
    new Promise<Response>((resolve) => route.serve(body, c, webReply, resolve));
