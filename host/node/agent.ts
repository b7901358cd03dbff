// The Node agent: the Hono app on node:http behind the JSON lane, with the node's profile, pino logs,
// Prometheus metrics, sane timeouts and a graceful stop; its policy comes through the
// PolicyManager (data directory, watched file, polled URL, admin PUT, rollback). Its server's
// limits hold: header and request timeouts checked every second, and a cap on connections.
import type { AddressInfo } from "node:net";
import { createServer as createHttpServer, type Server, type ServerOptions } from "node:http";
import { hostname } from "node:os";
import type { createServer as createHttpsServer, ServerOptions as HttpsServerOptions } from "node:https";
import pino, { type Logger } from "pino";
import type { Engine, NodeProfile } from "../engine/engine.ts";
import { deferValidation, loadValidation } from "../engine/validation.ts";
import { apiRoutes, createApp } from "../http/app.ts";
import { TextAnswer } from "../http/json-operation.ts";
import type { AppOptions, RouteSpec } from "../http/types.ts";
import { readDefaultModule } from "../index.ts";
import type { ActivePolicy } from "../delivery/active.ts";
import { PolicyManager } from "../delivery/manager.ts";
import type { PollOptions } from "../delivery/poller.ts";
import type { TrustedKey } from "../delivery/signing.ts";
import type { PolicySource, SourceContext } from "../delivery/source.ts";
import { detectRuntimes, redetectOnActivate } from "./detect.ts";
import { PACKAGE_VERSION } from "../package.ts";
import { honoListener } from "./hono-listener.ts";
import { honoIncomingBody } from "./incoming-body.ts";
import { jsonLane } from "./json-lane.ts";
import { stdoutDestination, type LogDestination } from "./log-destination.ts";
import { AgentMetrics } from "./metrics.ts";
import { pinoRequestLog, requestLog } from "./request-log.ts";
import { sourceFor } from "./sources.ts";
import { SERVER_LIMITS, TIMEOUT_CHECK_MS, type ServerLimits } from "./server-limits.ts";
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
  /** The destination `logger` writes to, when it is the agent's own kind (log-destination.ts): request lines are written to it directly and it is flushed at close. */
  logDestination?: LogDestination;
  /** Where the policy comes from besides the built-in default: a file (watched), an http(s) URL (polled), any registered scheme. */
  policy?: string;
  /** "cluster": the agent has no node of its own (the admission webhook: each request names the cluster's runtimes). */
  scope?: "node" | "cluster";
  /** Not ready (GET /readyz 503) until a policy from `policy` is active (restored from the data directory counts). */
  requirePolicy?: boolean;
  /** Public keys whose signatures the agent accepts (several at once while a key is rotated). */
  trustedKeys?: TrustedKey[];
  /** Where the active policy and the previous ones are kept (persisted across restarts). */
  dataDir?: string;
  /** Enables PUT /v1/policy and POST /v1/policy/rollback with this bearer token. */
  adminToken?: string;
  /** URL polling: interval, jitter, backoff, timeout. */
  poll?: PollOptions;
  /** File watching: debounce after a change event and the fallback poll period. */
  watch?: { debounceMs?: number; pollMs?: number };
  /** The built-in policy module's bytes (trusted as the agent's own code); default: the package's default policy. */
  builtIn?: () => Promise<Uint8Array>;
  /** The clock statements' expiry and rollout plans are judged by (default: the system clock). */
  now?: () => Date;
  /** This node's name, hashed with a policy's name into its rollout bucket (default: the hostname). */
  nodeName?: string;
  /** A rollout bucket pinned (0 ≤ bucket < 100; 0: the first canary), instead of the node name's. */
  rolloutBucket?: number;
  /** A pending policy: the share of wall time its shadow evaluation may take, and how often it is looked at again (ms). */
  shadow?: { budgetShare?: number; reviewEveryMs?: number };
  /** Source-specific settings (e.g. registry credentials for oci://). */
  sourceOptions?: SourceContext["options"];
  /** More routes, served and documented like the API's own (for embedding; the bench's baseline route). */
  routes?: RouteSpec[];
  /** Another server than node:http (the webhook's node:https): its createServer and options. */
  server?: { createServer: typeof createHttpsServer; options: HttpsServerOptions; scheme: "https" };
  /** Header and request timeouts and the connection cap (default SERVER_LIMITS). */
  limits?: Partial<ServerLimits>;
  /** false: the JSON operations through the Hono app like every other route, not the JSON lane (json-lane.ts) that serves them by default. */
  jsonLane?: boolean;
}

export interface Agent {
  url: string;
  port: number;
  server: Server;
  policy: ActivePolicy;
  manager: PolicyManager;
  /** The --policy source, when there is one. */
  source?: PolicySource;
  metrics: AgentMetrics;
  logger: Logger;
  /** Stops accepting, lets in-flight requests finish, then resolves. */
  close(): Promise<void>;
}

const TIMEOUTS = { keepAliveMs: 5_000, drainMs: 10_000 };

export function nodeProfile(o: AgentOptions, engine: Pick<Engine, "catalogue">, logger: Logger, why?: string): NodeProfile | undefined {
  if (o.scope === "cluster") return undefined;
  if (o.runtimes?.length) {
    logger.info({ runtimes: o.runtimes }, "node profile: configured");
    return { source: "configured", runtimes: o.runtimes };
  }
  if (o.detect) {
    const found = detectRuntimes(engine.catalogue, o.hostRoot ?? "/");
    logger.info({ runtimes: found.runtimes, evidence: found.evidence, ...(why ? { why } : {}) }, "node profile: detected");
    if (!found.runtimes.length) {
      // still ready: the agent answers, truly, that nothing can be placed on this node
      logger.warn(
        { hostRoot: o.hostRoot ?? "/", looked: lookedFor(engine.catalogue) },
        '--detect found no runtime: every decision is "none" until one is installed (or --runtimes names them); check --host-root and the mounts',
      );
    }
    return { source: "detected", runtimes: found.runtimes };
  }
  logger.info("node profile: none, planning mode (every runtime counted)");
  return undefined;
}

/** What --detect looks for, per runtime: its device, sockets and binaries. */
function lookedFor(c: Pick<Engine, "catalogue">["catalogue"]): Record<string, string[]> {
  return Object.fromEntries(
    c.runtimes
      .filter((r) => r.detect)
      .map((r) => [r.id, [r.detect!.device, ...(r.detect!.socket ?? []), ...(r.detect!.binary ?? [])].filter((x): x is string => !!x)]),
  );
}

/**
 * Readiness with --require-policy: not ready until a policy from the source is active (at start,
 * restored from the data directory, or delivered later); from then on ready, whatever replaces it.
 */
function requiredPolicy(policy: ActivePolicy, source: PolicySource, logger: Logger): { ready(): boolean; detail(): string } {
  let arrived = policy.activation.source === source.key;
  if (!arrived)
    logger.info({ source: source.key }, "not ready until a policy from the source is active (--require-policy); the built-in policy answers meanwhile");
  policy.onActivate((a) => {
    if (arrived || a.source !== source.key) return;
    arrived = true;
    logger.info({ source: source.key, policy: a.engine.policy }, "ready: the policy from the source is active");
  });
  return {
    ready: () => arrived,
    detail: () => `Waiting for a policy from ${source.key} (--require-policy); GET /v1/policy shows the last check and error.`,
  };
}

export async function startAgent(o: AgentOptions = {}): Promise<Agent> {
  // Logs go out asynchronously, lines collected for up to 20 ms (log-destination.ts); close() makes
  // them synchronous, so the lines of a stop are never lost.
  const destination = o.logger ? o.logDestination : stdoutDestination();
  const logger = o.logger ?? pino({ level: process.env.LOG_LEVEL ?? "info", base: { service: "isoplace" } }, destination!.stream);
  // zod and the request schemas are loaded after the agent listens (the first decision does not need them)
  deferValidation();
  const metrics = new AgentMetrics();
  const source = o.policy === undefined ? undefined : sourceFor(o.policy, { logger, poll: o.poll, watch: o.watch, options: o.sourceOptions });
  const manager = await PolicyManager.start(
    {
      trustedKeys: o.trustedKeys ?? [],
      builtIn: o.builtIn ?? readDefaultModule,
      node: (engine) => nodeProfile(o, engine, logger),
      store: o.dataDir ? new PolicyStore(o.dataDir) : undefined,
      metrics,
      logger,
      now: o.now,
      rollout: { nodeName: o.nodeName ?? hostname(), bucket: o.rolloutBucket },
      shadowBudget: o.shadow?.budgetShare,
      reviewEveryMs: o.shadow?.reviewEveryMs,
    },
    source,
  );
  const policy = manager.active;
  metrics.policy(policy.engine.policy);
  metrics.expiryOf(() => manager.status().active as { name: string; version: string; expires?: string });
  policy.onActivate((a) => {
    metrics.policy(a.engine.policy);
    metrics.activations.inc();
  });
  if (o.detect && !o.runtimes?.length) redetectOnActivate(policy, (catalogue) => nodeProfile(o, { catalogue }, logger, "new detect rules"));
  const required = o.requirePolicy && source ? requiredPolicy(policy, source, logger) : undefined;

  const metricsRoute: RouteSpec = {
    method: "get",
    path: "/metrics",
    operationId: "metrics",
    summary: "Prometheus metrics (Node agent)",
    responses: { 200: { description: "Prometheus text exposition", contentType: "text/plain" } },
    json: async () => new TextAnswer(metrics.registry.contentType, await metrics.registry.metrics()),
  };
  // the admin routes load only when they are enabled
  const admin = o.adminToken ? (await import("./admin.ts")).adminRoutes(() => manager, o.adminToken) : [];
  const routes = [metricsRoute, ...admin, ...(o.routes ?? [])];
  // the request line as pino writes it, built directly when the logger and its stream are ours
  const logRequest = destination ? requestLog(logger, (line) => destination.stream.write(line)) : pinoRequestLog(logger);
  const appOptions: AppOptions = {
    engine: () => policy.engine,
    ready: required ? () => manager.ready && required.ready() : () => manager.ready,
    notReadyDetail: required?.detail,
    policyStatus: () => manager.status(),
    onResponse: (e) => {
      metrics.response(e);
      logRequest(e);
    },
    onDecision: (d, request) => {
      metrics.decision(d.level);
      manager.observe(request, d.level, d.runtime);
    },
    routes,
    body: honoIncomingBody,
    version: PACKAGE_VERSION,
  };
  const api = apiRoutes(appOptions);
  const app = createApp(appOptions, api);
  const createServer = (o.server?.createServer ?? createHttpServer) as typeof createHttpServer;
  const limits: ServerLimits = { ...SERVER_LIMITS, ...o.limits };

  const serverOptions: ServerOptions = {
    ...o.server?.options,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: TIMEOUTS.keepAliveMs,
    connectionsCheckingInterval: TIMEOUT_CHECK_MS,
  };
  // the app's listener behind the JSON lane, which serves the JSON operations itself
  const appListener = honoListener(app);
  const listener = o.jsonLane === false ? appListener : jsonLane(api, appOptions, appListener);
  const server = await new Promise<Server>((resolve, reject) => {
    const s = createServer(serverOptions, listener);
    s.maxConnections = limits.maxConnections;
    s.once("error", reject);
    s.listen(o.port ?? 8787, o.host ?? "127.0.0.1", () => resolve(s));
  }).catch(async (err) => {
    // nothing listens: let the process end (the caller says why)
    await manager.idle();
    await destination?.stop();
    throw err;
  });
  const address = server.address() as AddressInfo;
  const url = `${o.server?.scheme ?? "http"}://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`;
  logger.info({ url, policy: policy.engine.policy, source: policy.activation.source, admin: Boolean(o.adminToken), limits }, "isoplace agent listening");
  source?.start(manager);
  // the request schemas a second after listening (a request that needs them sooner loads them itself)
  setTimeout(() => void loadValidation(), 1000).unref();

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= new Promise<void>((resolve) => {
      source?.stop();
      server.close(
        () =>
          void manager
            .idle()
            .then(() => manager.stop())
            .then(() => destination?.stop())
            .then(() => resolve()),
      );
      server.closeIdleConnections();
      // keep-alive clients that never go idle get cut after the drain window
      setTimeout(() => server.closeAllConnections(), TIMEOUTS.drainMs).unref();
    }));
  return { url, port: address.port, server, policy, manager, source, metrics, logger, close };
}
