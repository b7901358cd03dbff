// Prometheus metrics of the Node agent (prom-client): requests, latency, decisions, policy.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { PolicyInfo } from "../engine/engine.ts";
import type { ResponseEntry } from "../http/types.ts";

export class AgentMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({ name: "isoplace_http_requests_total", help: "HTTP requests by method, route and status", labelNames: ["method", "route", "status"], registers: [this.registry] });
  private readonly latency = new Histogram({
    name: "isoplace_http_request_duration_seconds", help: "HTTP request latency by route and status", labelNames: ["method", "route", "status"],
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1], registers: [this.registry],
  });
  private readonly decisions = new Counter({ name: "isoplace_decisions_total", help: "Placement decisions by level (none: no feasible level)", labelNames: ["level"], registers: [this.registry] });
  private readonly infeasible = new Counter({ name: "isoplace_infeasible_decisions_total", help: "Decisions with no feasible level", registers: [this.registry] });
  private readonly policyInfo = new Gauge({ name: "isoplace_policy_info", help: "The active policy (value 1)", labelNames: ["name", "version", "sha256"], registers: [this.registry] });
  readonly activations = new Counter({ name: "isoplace_policy_activations_total", help: "Policies activated", registers: [this.registry] });
  readonly rejections = new Counter({ name: "isoplace_policy_rejections_total", help: "Candidate policies rejected, by the check that failed", labelNames: ["reason"], registers: [this.registry] });
  readonly sourceErrors = new Counter({ name: "isoplace_policy_source_errors_total", help: "Times the policy source could not be read (missing file, unreachable URL)", registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "isoplace_" });
  }

  // Label children bound once per label set: prom-client otherwise hashes the label object on
  // every inc/observe. Bounded like the labels themselves (known routes, statuses, methods, levels).
  private readonly bound = new Map<string, { requests: { inc(): void }; latency: { observe(v: number): void } }>();
  private readonly byLevel = new Map<string | null, { inc(): void }>();

  response(e: ResponseEntry): void {
    const key = `${e.method} ${e.route} ${e.status}`;
    let children = this.bound.get(key);
    if (!children) {
      const labels = { method: e.method, route: e.route, status: String(e.status) };
      this.bound.set(key, (children = { requests: this.requests.labels(labels), latency: this.latency.labels(labels) }));
    }
    children.requests.inc();
    children.latency.observe(e.ms / 1000);
  }

  decision(level: string | null): void {
    let child = this.byLevel.get(level);
    if (!child) this.byLevel.set(level, (child = this.decisions.labels({ level: level ?? "none" })));
    child.inc();
    if (level === null) this.infeasible.inc();
  }

  policy(info: PolicyInfo): void {
    this.policyInfo.reset();
    this.policyInfo.set({ name: info.name, version: info.version, sha256: info.sha256 }, 1);
  }
}
