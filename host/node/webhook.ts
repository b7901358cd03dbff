// The admission webhook server: the agent (policy delivery, signature checks, hot swap, /metrics,
// /healthz, /readyz, logs, graceful stop) on node:https, with POST /v1/admission/pods added and
// its certificate re-read when the files change.
import { createServer, type Server as HttpsServer } from "node:https";
import pino from "pino";
import { loadValidation } from "../engine/validation.ts";
import { clusterRuntimes, type Mode } from "../k8s/admit.ts";
import { admissionRoute } from "../k8s/route.ts";
import { startAgent, type Agent, type AgentOptions } from "./agent.ts";
import { stdoutDestination } from "./log-destination.ts";
import { WEBHOOK_LIMITS } from "./server-limits.ts";
import { CertificateFiles } from "./tls.ts";
import { AdmissionMetrics } from "./webhook-metrics.ts";

/** The agent's own options for policy delivery and serving, and the webhook's. */
export interface WebhookOptions
  extends Pick<
    AgentOptions,
    | "host"
    | "port"
    | "policy"
    | "requirePolicy"
    | "trustedKeys"
    | "dataDir"
    | "logger"
    | "watch"
    | "builtIn"
    | "poll"
    | "sourceOptions"
    | "limits"
    | "nodeName"
    | "rolloutBucket"
    | "now"
    | "shadow"
  > {
  tlsCert: string;
  tlsKey: string;
  /** The cluster's RuntimeClasses (names as in the policy's runtimeClassName). */
  runtimeClasses?: string[];
  mode?: Mode;
  denyInfeasible?: boolean;
  /** The certificate files' fallback poll period. */
  tlsPollMs?: number;
}

export interface Webhook {
  url: string;
  port: number;
  server: HttpsServer;
  agent: Agent;
  certificates: CertificateFiles;
  metrics: AdmissionMetrics;
  close(): Promise<void>;
}

export async function startWebhook(o: WebhookOptions): Promise<Webhook> {
  // the agent's asynchronous stdout destination (two lines per admission: the request and the audit line)
  const destination = o.logger ? undefined : stdoutDestination();
  const logger = o.logger ?? pino({ level: process.env.LOG_LEVEL ?? "info", base: { service: "isoplace-webhook" } }, destination!.stream);
  const certificates = new CertificateFiles({ certFile: o.tlsCert, keyFile: o.tlsKey, pollMs: o.tlsPollMs, logger });
  const pair = await certificates.load();
  const runtimeClasses = o.runtimeClasses ?? [];
  const metrics = new AdmissionMetrics();
  let manager: Agent["manager"] | undefined;
  const route = admissionRoute({
    runtimeClasses,
    mode: o.mode,
    denyInfeasible: o.denyInfeasible,
    onAdmission: (a, ms, dryRun) => {
      metrics.observe(a.outcome, ms);
      // a pending policy decides the same request in the shadow (the replicas stage a rollout as the agents do)
      if (a.decision) manager?.observe(a.input, a.decision.level, a.decision.runtime);
      // the audit line: one per admission (the request line beside it has the route and status)
      logger.info(
        {
          uid: a.response.uid,
          pod: a.pod,
          outcome: a.outcome,
          dryRun,
          ...(a.decision
            ? { decisionId: a.decision.id, placement: a.decision.level, runtime: a.decision.runtime, runtimeClassName: a.decision.runtimeClassName }
            : {}),
          ...(a.response.status ? { denied: a.response.status.message } : {}),
        },
        "admission",
      );
    },
  });
  await loadValidation(); // every admission parses its review with zod: loaded before the first
  const agent = await startAgent({
    host: o.host ?? "0.0.0.0",
    port: o.port ?? 8443,
    logger,
    logDestination: destination,
    policy: o.policy,
    requirePolicy: o.requirePolicy,
    trustedKeys: o.trustedKeys,
    dataDir: o.dataDir,
    watch: o.watch,
    builtIn: o.builtIn,
    poll: o.poll,
    sourceOptions: o.sourceOptions,
    scope: "cluster",
    limits: { ...WEBHOOK_LIMITS, ...o.limits },
    nodeName: o.nodeName,
    rolloutBucket: o.rolloutBucket,
    now: o.now,
    shadow: o.shadow,
    routes: [route],
    server: { createServer, options: { cert: pair.cert, key: pair.key }, scheme: "https" },
  });
  manager = agent.manager;
  metrics.register(agent.metrics.registry);
  const server = agent.server as unknown as HttpsServer;
  certificates.watch(server);
  const engine = agent.policy.engine;
  const known = new Set(engine.catalogue.runtimes.map((r) => r.runtimeClassName).filter(Boolean));
  const unknown = runtimeClasses.filter((c) => !known.has(c));
  // the webhook has no node: every pod is placed among the cluster's runtimes
  logger.info(
    {
      scope: "cluster",
      clusterRuntimes: clusterRuntimes(engine, runtimeClasses),
      runtimeClasses,
      mode: o.mode ?? "fill",
      denyInfeasible: Boolean(o.denyInfeasible),
    },
    "admission webhook ready",
  );
  if (unknown.length) logger.warn({ unknown, known: [...known] }, "--runtime-classes names classes the policy does not use; they are ignored");
  return {
    url: agent.url,
    port: agent.port,
    server,
    agent,
    certificates,
    metrics,
    close: async () => {
      certificates.stop();
      await agent.close();
    },
  };
}
