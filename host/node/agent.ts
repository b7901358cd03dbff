// The Node agent: the Hono app on @hono/node-server, with the node's profile, pino logs,
// Prometheus metrics, sane timeouts and a graceful stop; its policy comes through the
// PolicyManager (data directory, watched file, polled URL, admin PUT, rollback).
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { serve } from "@hono/node-server";
import pino, { type Logger } from "pino";
import type { Engine, NodeProfile } from "../engine/engine.ts";
import { createApp } from "../http/app.ts";
import type { RouteSpec } from "../http/types.ts";
import { readDefaultModule } from "../index.ts";
import type { TrustedKey } from "../policy/signing.ts";
import type { ActivePolicy } from "./active.ts";
import { detectRuntimes } from "./detect.ts";
import { stdoutDestination } from "./log-destination.ts";
import { PolicyManager } from "./manager.ts";
import { AgentMetrics } from "./metrics.ts";
import { FileSource } from "./source-file.ts";
import { UrlSource, type UrlSourceOptions } from "./source-url.ts";
import { PolicyStore } from "./store.ts";

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
  /** Where the policy comes from besides the built-in default: a file (watched) or an http(s) URL (polled). */
  policy?: string;
  /** Public keys whose signatures the agent accepts (several at once while a key is rotated). */
  trustedKeys?: TrustedKey[];
  /** Where the active policy and the previous ones are kept (persisted across restarts). */
  dataDir?: string;
  /** Enables PUT /v1/policy and POST /v1/policy/rollback with this bearer token. */
  adminToken?: string;
  /** URL polling: interval, jitter, backoff, timeout. */
  poll?: Pick<UrlSourceOptions, "intervalMs" | "jitter" | "maxBackoffMs" | "timeoutMs" | "firstDelayMs">;
  /** File watching: debounce after a change event and the fallback poll period. */
  watch?: { debounceMs?: number; pollMs?: number };
  /** The built-in policy module's bytes (trusted as the agent's own code); default: the package's default policy. */
  builtIn?: () => Promise<Uint8Array>;
  /** More routes, served and documented like the API's own (for embedding; the bench's baseline route). */
  routes?: RouteSpec[];
}

export interface Agent {
  url: string;
  port: number;
  server: Server;
  policy: ActivePolicy;
  manager: PolicyManager;
  /** The --policy source, when there is one. */
  source?: FileSource | UrlSource;
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

export const isUrl = (s: string) => /^https?:\/\//i.test(s);

export async function startAgent(o: AgentOptions = {}): Promise<Agent> {
  // Logs go out asynchronously, a turn's lines in one write (log-destination.ts); close() makes
  // them synchronous, so the lines of a stop are never lost.
  const destination = o.logger ? undefined : stdoutDestination();
  const logger = o.logger ?? pino({ level: process.env.LOG_LEVEL ?? "info", base: { service: "isoplace" } }, destination!.stream);
  const metrics = new AgentMetrics();
  let manager: PolicyManager | undefined;
  const source = o.policy === undefined ? undefined
    : isUrl(o.policy) ? new UrlSource({ url: o.policy, manager: () => manager, logger, ...o.poll })
    : new FileSource({ path: o.policy, manager: () => manager, logger, ...o.watch });
  manager = await PolicyManager.start({
    trustedKeys: o.trustedKeys ?? [],
    builtIn: o.builtIn ?? readDefaultModule,
    node: (engine) => nodeProfile(o, engine, logger),
    store: o.dataDir ? new PolicyStore(o.dataDir) : undefined,
    metrics, logger,
  }, source instanceof FileSource ? () => source.readCandidate() : undefined);
  const policy = manager.active;
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
  // the admin routes (and the answer schemas they document) load only when they are enabled
  const admin = o.adminToken ? (await import("./admin.ts")).adminRoutes(() => manager, o.adminToken) : [];
  const routes = [metricsRoute, ...admin, ...(o.routes ?? [])];
  const app = createApp({
    engine: () => policy.engine,
    ready: () => manager.ready,
    policyStatus: () => manager.status(),
    onResponse: (e) => {
      metrics.response(e);
      // pino owns the key "level"; the placement level is logged as "placement"
      const { level, ...rest } = e;
      logger.info(level === undefined ? rest : { ...rest, placement: level }, "request");
    },
    onDecision: (level) => metrics.decision(level),
    routes,
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
  logger.info({ url, policy: policy.engine.policy, source: policy.activation.source, admin: Boolean(o.adminToken) }, "isoplace agent listening");
  source?.start();

  let closing: Promise<void> | undefined;
  const close = () => (closing ??= new Promise<void>((resolve) => {
    source?.stop();
    server.close(() => void manager.idle().then(() => destination?.stop()).then(() => resolve()));
    server.closeIdleConnections();
    // keep-alive clients that never go idle get cut after the drain window
    setTimeout(() => server.closeAllConnections(), TIMEOUTS.drainMs).unref();
  }));
  return { url, port: address.port, server, policy, manager, source, metrics, logger, close };
}
