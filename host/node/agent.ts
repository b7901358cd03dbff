// The Node agent: the Hono app on @hono/node-server, with the node's profile, pino logs,
// Prometheus metrics, sane timeouts and a graceful stop.
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { serve } from "@hono/node-server";
import pino, { type Logger } from "pino";
import type { Engine, NodeProfile } from "../engine/engine.ts";
import { createApp } from "../http/app.ts";
import type { RouteSpec } from "../http/types.ts";
import { loadPolicy } from "../index.ts";
import { ActivePolicy } from "./active.ts";
import { detectRuntimes } from "./detect.ts";
import { AgentMetrics } from "./metrics.ts";

export interface AgentOptions {
  host?: string;
  port?: number;
  /** The node's runtimes (configured). */
  runtimes?: string[];
  /** Probe the machine for runtimes instead. */
  detect?: boolean;
  /** Where the host's file system is mounted for --detect (default /). */
  hostRoot?: string;
  logger?: Logger;
  /** The engine to start with; default: the policy built into the package. */
  engine?: Engine;
  source?: string;
}

export interface Agent {
  url: string;
  port: number;
  server: Server;
  policy: ActivePolicy;
  metrics: AgentMetrics;
  logger: Logger;
  /** Stops accepting, lets in-flight requests finish, then resolves. */
  close(): Promise<void>;
}

export const TIMEOUTS = { headersMs: 10_000, requestMs: 30_000, keepAliveMs: 5_000, drainMs: 10_000 };

export function nodeProfile(o: AgentOptions, engine: Engine, logger: Logger): NodeProfile | undefined {
  if (o.runtimes?.length) {
    logger.info({ runtimes: o.runtimes }, "node profile: configured");
    return { source: "configured", runtimes: o.runtimes };
  }
  if (o.detect) {
    const found = detectRuntimes(engine.catalogue, o.hostRoot ?? "/");
    logger.info({ runtimes: found.runtimes, evidence: found.evidence }, "node profile: detected");
    return { source: "detected", runtimes: found.runtimes };
  }
  logger.info("node profile: none, planning mode (every runtime counted)");
  return undefined;
}

export async function startAgent(o: AgentOptions = {}): Promise<Agent> {
  const logger = o.logger ?? pino({ level: process.env.LOG_LEVEL ?? "info", base: { service: "isoplace" } });
  const engine = o.engine ?? (await loadPolicy());
  const policy = new ActivePolicy(engine, o.source ?? "built-in", nodeProfile(o, engine, logger));
  const metrics = new AgentMetrics();
  metrics.policy(policy.engine.policy);
  policy.onActivate((a) => {
    metrics.policy(a.engine.policy);
    metrics.activations.inc();
  });

  const metricsRoute: RouteSpec = {
    method: "get", path: "/metrics", operationId: "metrics", summary: "Prometheus metrics (Node agent)",
    responses: { 200: { description: "Prometheus text exposition", contentType: "text/plain" } },
    handler: async (c) => c.body(await metrics.registry.metrics(), 200, { "content-type": metrics.registry.contentType }),
  };
  const app = createApp({
    engine: () => policy.engine,
    policyStatus: () => ({ active: { ...policy.activation.engine.policy, activatedAt: policy.activation.activatedAt, source: policy.activation.source }, history: [], lastCheck: null, lastError: null }),
    onResponse: (e) => {
      metrics.response(e);
      // pino owns the key "level"; the placement level is logged as "placement"
      const { level, ...rest } = e;
      logger.info(level === undefined ? rest : { ...rest, placement: level }, "request");
    },
    onDecision: (level) => metrics.decision(level),
    routes: [metricsRoute],
  });

  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({
      fetch: app.fetch, hostname: o.host ?? "127.0.0.1", port: o.port ?? 8787,
      serverOptions: { headersTimeout: TIMEOUTS.headersMs, requestTimeout: TIMEOUTS.requestMs, keepAliveTimeout: TIMEOUTS.keepAliveMs },
    }, () => resolve(s as Server)) as Server;
    s.once("error", reject);
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`;
  logger.info({ url, policy: policy.engine.policy }, "isoplace agent listening");

  let closing: Promise<void> | undefined;
  const close = () => (closing ??= new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    // keep-alive clients that never go idle get cut after the drain window
    setTimeout(() => server.closeAllConnections(), TIMEOUTS.drainMs).unref();
  }));
  return { url, port: address.port, server, policy, metrics, logger, close };
}
