// The HTTP API as a Hono app: runtime-neutral (no Node imports), shared by the Node agent and
// the Worker. Hosts add what is theirs (metrics, policy admin) through options.routes.
import { Hono, type Context, type Handler } from "hono";
import { loadValidation, withValidation } from "../engine/validation.ts";
import { MAX_BODY_BYTES, declaredLength, readJson, tooLarge } from "./body.ts";
import { problemForError } from "./failure.ts";
import { problemOf, problemResponse } from "./problem.ts";
import { coreRoutes } from "./routes.ts";
import { responseEntry } from "./response-entry.ts";
import type { AppEnv, AppOptions, JsonCall, JsonOperation, RouteSpec } from "./types.ts";

/** The package's version (package.json's, which tests/http/openapi.test.ts holds it to): /openapi.json's info.version. */
export const API_VERSION = "0.1.0";

/** The API's routes and the host's (options.routes): what createApp serves, less /openapi.json. */
export const apiRoutes = (options: AppOptions): RouteSpec[] => [...coreRoutes(options), ...(options.routes ?? [])];

export function createApp(options: AppOptions, api: RouteSpec[] = apiRoutes(options)): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const routes = [...api];
  const openapi: RouteSpec = {
    method: "get", path: "/openapi.json", operationId: "openapi", summary: "This document",
    responses: { 200: { description: "OpenAPI 3.1" } },
    handler: async (c) => {
      // one document per active engine (its ids are in it), built on first request; the
      // generator is loaded then too, as no decision needs it
      const engine = c.get("engine");
      let doc = documents.get(engine);
      if (!doc) {
        const [{ openApiDocument }] = await Promise.all([import("./openapi.ts"), loadValidation()]);
        documents.set(engine, (doc = openApiDocument(routes, engine, API_VERSION)));
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

  // Each route's handler wrapped once, here, with what every request needs: the engine for this
  // request, the size check (a route's maxBodyBytes, else 64 KiB, against the declared
  // Content-Length before any handler runs, so 413 comes before 415 or 401, as a body-limit
  // middleware would answer; bodies without one are counted as they are read, body.ts), problems
  // for errors, and the log/metrics entry. Not a middleware: with one handler per route Hono calls
  // it directly instead of composing a chain of promises for every request.
  const wrap = (r: RouteSpec): Handler<AppEnv> => {
    const { path } = r;
    const handler = r.handler ?? jsonHandler(r.json!);
    const limit = r.method === "get" ? undefined : r.maxBodyBytes ?? MAX_BODY_BYTES;
    return async (c) => {
      const start = observe ? performance.now() : 0;
      c.set("engine", engine());
      let res: Response;
      try {
        const declared = limit === undefined ? undefined : declaredLength(c);
        if (declared !== undefined && declared > limit!) res = problemResponse(tooLarge(limit!));
        else {
          if (limit !== undefined && limit !== MAX_BODY_BYTES) c.set("bodyLimit", limit);
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
    const res = methods && !methods.includes(c.req.method)
      ? problemResponse(
        problemOf(405, null, "Method not allowed", `${c.req.method} is not allowed on ${path}; allowed: ${methods.join(", ")}.`),
        { allow: methods.join(", ") })
      : problemResponse(problemOf(404, null, "Not found", `No route ${c.req.method} ${path.slice(0, 200)}; see /openapi.json.`));
    if (observe) observe(responseEntry(c.req.method, knownPaths.has(path) ? path : "unmatched", res.status, start));
    return res;
  });
  app.onError(errorResponse);
  return app;
}

const errorResponse = (err: unknown, c: Context<AppEnv>): Response => problemResponse(problemForError(err, c.req.method, c.req.path));

/** A JSON operation's handler: the body read as JSON (readJson), the answer sent as JSON. */
function jsonHandler(operation: JsonOperation): NonNullable<RouteSpec["handler"]> {
  return async (c) => {
    const call: JsonCall = { engine: c.get("engine") };
    const body = await readJson(c);
    const answer = await withValidation(() => operation(body, call));
    if (call.decision) c.set("decision", call.decision);
    return c.json(answer as object);
  };
}

