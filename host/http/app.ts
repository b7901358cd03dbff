// The HTTP API as a Hono app: runtime-neutral (no Node imports), shared by the Node agent and
// the Worker. Hosts add what is theirs (metrics, policy admin) through options.routes.
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { methodNotAllowed } from "hono/method-not-allowed";
import { InvalidRequestError, PolicyTrapError } from "../engine/errors.ts";
import { BodyProblem, MAX_BODY_BYTES } from "./body.ts";
import { openApiDocument } from "./openapi.ts";
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
    handler: (c) => {
      // one document per active engine (its ids are in it), built on first request
      const engine = c.get("engine");
      let doc = documents.get(engine);
      if (!doc) documents.set(engine, (doc = openApiDocument(routes, engine, API_VERSION)));
      return c.json(doc);
    },
  };
  const documents = new WeakMap<object, Record<string, unknown>>();
  routes.push(openapi);
  // Route labels for logs and metrics: only paths the API has, so a scan cannot blow up cardinality.
  const knownPaths = new Set(routes.map((r) => r.path));

  app.use(async (c, next) => {
    const start = performance.now();
    c.set("engine", options.engine());
    await next();
    if (options.onResponse) {
      const d = c.get("decision");
      options.onResponse({
        method: c.req.method, route: knownPaths.has(c.req.path) ? c.req.path : knownPaths.has(c.req.routePath) ? c.req.routePath : "unmatched",
        status: c.res.status, ms: performance.now() - start,
        ...(d ? { decisionId: d.id, level: d.level } : {}),
      });
    }
  });
  app.use(methodNotAllowed({
    app,
    onMethodNotAllowed: (c, methods) => problemResponse(
      problemOf(405, null, "Method not allowed", `${c.req.method} is not allowed on ${c.req.path}; allowed: ${methods.join(", ")}.`),
      { allow: methods.join(", ") }),
  }));
  // 64 KiB, or the route's own limit (an AdmissionReview carries a whole pod)
  const limit = (maxSize: number) => bodyLimit({
    maxSize,
    onError: () => problemResponse(problemOf(413, "body-too-large", "Body too large", `The body is over ${maxSize} bytes.`)),
  });
  const limits = new Map(routes.filter((r) => r.maxBodyBytes).map((r) => [r.path, limit(r.maxBodyBytes!)]));
  const defaultLimit = limit(MAX_BODY_BYTES);
  app.use((c, next) => (limits.get(c.req.path) ?? defaultLimit)(c, next));

  for (const r of routes) app[r.method](r.path, r.handler);

  app.notFound((c) => problemResponse(problemOf(404, null, "Not found", `No route ${c.req.method} ${c.req.path.slice(0, 200)}; see /openapi.json.`)));
  app.onError((err, c) => {
    if (err instanceof InvalidRequestError) return problemResponse(invalidRequest(err.errors));
    if (err instanceof BodyProblem) return problemResponse(err.problem);
    if (err instanceof PolicyTrapError) return problemResponse(problemOf(500, "policy-trap", "Policy module trapped", "The policy module failed on this request; it has been restarted and the next request is served."));
    console.error(`isoplace: unexpected error on ${c.req.method} ${c.req.path}:`, err);
    return problemResponse(problemOf(500, "internal", "Internal error", "An unexpected error occurred."));
  });
  return app;
}
