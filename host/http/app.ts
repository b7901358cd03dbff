// The HTTP API as a Hono app: runtime-neutral (no Node imports), shared by the Node agent and
// the Worker. Hosts add what is theirs (metrics, policy admin) through options.routes.
import { Hono } from "hono";
import { InvalidRequestError, PolicyTrapError } from "../engine/errors.ts";
import { BodyProblem, MAX_BODY_BYTES, declaredLength, tooLarge } from "./body.ts";
import { invalidRequest, problemOf, problemResponse } from "./problem.ts";
import { coreRoutes } from "./routes.ts";
import type { AppEnv, AppOptions, RouteSpec } from "./types.ts";

export const API_VERSION = "1.0.0";

export function createApp(options: AppOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const routes: RouteSpec[] = [...coreRoutes(options), ...(options.routes ?? [])];
  const openapi: RouteSpec = {
    method: "get", path: "/openapi.json", operationId: "openapi", summary: "This document",
    responses: { 200: { description: "OpenAPI 3.1" } },
    handler: async (c) => {
      // one document per active engine (its ids are in it), built on first request; the
      // generator is loaded then too, as no decision needs it
      const engine = c.get("engine");
      let doc = documents.get(engine);
      if (!doc) {
        const { openApiDocument } = await import("./openapi.ts");
        documents.set(engine, (doc = openApiDocument(routes, engine, API_VERSION)));
      }
      return c.json(doc);
    },
  };
  const documents = new WeakMap<object, Record<string, unknown>>();
  routes.push(openapi);
  // Route labels for logs and metrics: only paths the API has, so a scan cannot blow up cardinality.
  const knownPaths = new Set(routes.map((r) => r.path));

  // Body limits per route (a route's maxBodyBytes, else 64 KiB), checked against the declared
  // Content-Length before any handler runs (so 413 comes before 415 or 401, as a body-limit
  // middleware would answer); bodies without one are counted as they are read (body.ts).
  const limits = new Map(routes.filter((r) => r.maxBodyBytes !== undefined).map((r) => [`${r.method.toUpperCase()} ${r.path}`, r.maxBodyBytes!]));
  const onResponse = options.onResponse;

  // The one middleware every request passes: the engine for this request, the size check, and
  // the log/metrics entry when the answer is ready.
  app.use(async (c, next) => {
    const start = performance.now();
    c.set("engine", options.engine());
    const method = c.req.method;
    if (method !== "GET" && method !== "HEAD") {
      const limit = limits.get(`${method} ${c.req.path}`) ?? MAX_BODY_BYTES;
      const declared = declaredLength(c);
      if (declared !== undefined && declared > limit) c.res = problemResponse(tooLarge(limit));
      else {
        if (limit !== MAX_BODY_BYTES) c.set("bodyLimit", limit);
        await next();
      }
    } else await next();
    if (onResponse) {
      const d = c.get("decision");
      const path = c.req.path;
      onResponse({
        method, route: knownPaths.has(path) ? path : knownPaths.has(c.req.routePath) ? c.req.routePath : "unmatched",
        status: c.res.status, ms: performance.now() - start,
        ...(d ? { decisionId: d.id, level: d.level } : {}),
      });
    }
  });

  for (const r of routes) app[r.method](r.path, r.handler);

  // A known path with another method is 405 with Allow (a GET route also answers HEAD); checked
  // only here, when no route matched, instead of in a middleware on every request.
  const allowed = new Map<string, string[]>();
  for (const r of routes) {
    const methods = allowed.get(r.path) ?? [];
    methods.push(r.method.toUpperCase(), ...(r.method === "get" ? ["HEAD"] : []));
    allowed.set(r.path, methods);
  }
  app.notFound((c) => {
    const methods = allowed.get(c.req.path);
    if (methods && !methods.includes(c.req.method)) {
      return problemResponse(
        problemOf(405, null, "Method not allowed", `${c.req.method} is not allowed on ${c.req.path}; allowed: ${methods.join(", ")}.`),
        { allow: methods.join(", ") });
    }
    return problemResponse(problemOf(404, null, "Not found", `No route ${c.req.method} ${c.req.path.slice(0, 200)}; see /openapi.json.`));
  });
  app.onError((err, c) => {
    if (err instanceof InvalidRequestError) return problemResponse(invalidRequest(err.errors));
    if (err instanceof BodyProblem) return problemResponse(err.problem);
    if (err instanceof PolicyTrapError) return problemResponse(problemOf(500, "policy-trap", "Policy module trapped", "The policy module failed on this request; it has been restarted and the next request is served."));
    console.error(`isoplace: unexpected error on ${c.req.method} ${c.req.path}:`, err);
    return problemResponse(problemOf(500, "internal", "Internal error", "An unexpected error occurred."));
  });
  return app;
}
