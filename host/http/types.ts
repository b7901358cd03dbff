// What the HTTP app shares with its hosts (Node agent, Worker): options, the per-request
// context, and the route description that both registers a handler and documents it.
import type { Context } from "hono";
import type { z } from "zod";
import type { PolicyStatusView } from "../delivery/manager.ts";
import type { Engine } from "../engine/engine.ts";
import type { BodyReader } from "./body.ts";

export interface DecisionLog {
  id: string;
  level: string | null;
}

export type AppEnv = {
  Variables: {
    /** The engine this request runs on, read once when it arrives: a policy swap never changes it mid-request. */
    engine: Engine;
    decision?: DecisionLog;
    /** The runtime's body reader (AppOptions.body), set by the app for a route with a body and a handler of its own (readBody). */
    body?: BodyReader<Context<AppEnv>>;
  };
};

export interface ResponseEntry {
  method: string;
  route: string;
  status: number;
  ms: number;
  decisionId?: string;
  level?: string | null;
  /** The adapter that served a JSON operation when it was not the app ("node": the agent's JSON lane). */
  via?: string;
}

export interface AppOptions {
  /** The active engine. Called once per request. */
  engine: () => Engine;
  /** Whether a verified policy is active (GET /readyz). Default: always. */
  ready?: () => boolean;
  /** What GET /readyz's 503 says when not ready (default: no verified policy is active yet). */
  notReadyDetail?: () => string;
  /** GET /v1/policy. Default: the active engine's policy, built in, no history. */
  policyStatus?: () => PolicyStatusView;
  /** Called once per response (logging, metrics). */
  onResponse?: (entry: ResponseEntry) => void;
  /** Called once per decision, batch items included (metrics, and the shadow evaluation of a pending policy), with the request decided. */
  onDecision?: (decision: { level: string | null; runtime: string | null }, request: unknown) => void;
  /** Routes a host adds (e.g. /metrics on Node, the policy admin routes). */
  routes?: RouteSpec[];
  /** How the runtime's requests are read (host/node/incoming-body.ts on Node). Default: the web Request's stream. */
  body?: BodyReader<Context<AppEnv>>;
  /** The package's version, /openapi.json's info.version: the host gives it (package.json's, read by the agent, bundled into the Worker). Default: "unversioned". */
  version?: string;
}

interface BodySpec {
  contentType: string;
  schema: (engine: Engine) => z.ZodType | Record<string, unknown>;
}
/** An answer schema of host/http/schemas.ts, by name: that module is loaded with /openapi.json, not at start. */
export type SchemaName = keyof typeof import("./schemas.ts");
export interface ResponseSpec {
  description: string;
  schema?: z.ZodType | SchemaName;
  contentType?: string;
}

/** What a JSON operation gets besides the body: the request's engine, and where it notes its decision (for the log line). */
export interface JsonCall {
  engine: Engine;
  decision?: DecisionLog;
}

/**
 * A route whose whole work is JSON in, JSON out (200): the body, read and parsed by the host
 * (content type, size limit and malformed JSON answered as problems), is handed over and the value
 * returned is the answer (a TextAnswer for another type); errors (InvalidRequestError,
 * ProblemError …) become problems. A GET operation gets no body. Hono runs it through a handler
 * (createApp), the Node agent straight from node:http (host/node/json-lane.ts), both through
 * json-operation.ts.
 */
export type JsonOperation = (body: unknown, call: JsonCall) => unknown;

export interface RouteSpec {
  method: "get" | "post" | "put";
  path: string;
  summary: string;
  operationId: string;
  body?: BodySpec;
  /** The largest body this route takes (default: the API's 64 KiB, body.ts MAX_BODY_BYTES), checked before its handler or operation runs. */
  maxBodyBytes?: number;
  query?: Record<string, { description: string; schema: (engine: Engine) => z.ZodType; required?: boolean }>;
  headers?: Record<string, { description: string; required?: boolean }>;
  security?: boolean;
  responses: Record<number, ResponseSpec>;
  /** The route's work as a JSON operation: a handler is made from it. */
  json?: JsonOperation;
  /** The route's handler (required unless `json` is given). */
  handler?: (c: Context<AppEnv>) => Response | Promise<Response>;
}
