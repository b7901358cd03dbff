// Prometheus metrics of the Node agent (prom-client): requests, latency, decisions, policy.
// The per-request series are counted in plain records of our own (one Map lookup and a few
// additions per request) and handed to prom-client when it is scraped (its collect hook):
// prom-client validates and hashes the label set on every inc/observe, even through a child from
// labels(), work a scrape every few seconds needs once and a request needs never. The
// exposition is the same text.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { PolicyInfo } from "../engine/engine.ts";
import type { ResponseEntry } from "../http/types.ts";
import { parseSignedTime } from "../delivery/predicate.ts";

type Labels = Record<string, string>;

/** One (method, route, status) series of the request metrics: its count, latency sum and buckets. */
interface RequestSeries {
  method: string;
  route: string;
  status: number;
  labels: Labels;
  count: number;
  sum: number;
  buckets: Float64Array;
}

/**
 * The request series, found by method, route and status through nested maps: the route and
 * method strings are the app's own constants and the status a small integer, so a request costs
 * three lookups and no key string built (and hashed) per request.
 */
class RequestRecords {
  private readonly index = new Map<string, Map<string, Map<number, RequestSeries>>>();
  readonly all: RequestSeries[] = [];
  readonly bounds: readonly number[];

  constructor(bounds: readonly number[]) {
    this.bounds = bounds;
  }

  private last: RequestSeries | undefined;

  record(method: string, route: string, status: number, seconds: number): void {
    // under load most requests are the last one's series
    const last = this.last;
    const s = last && last.route === route && last.method === method && last.status === status ? last : (this.last = this.find(method, route, status));
    s.count += 1;
    s.sum += seconds;
    // the first bound the value is within (le); beyond the last one only +Inf (= count) counts it
    const b = this.bounds;
    for (let i = 0; i < b.length; i++)
      if (seconds <= b[i]) {
        s.buckets[i] += 1;
        break;
      }
  }

  private find(method: string, route: string, status: number): RequestSeries {
    let byMethod = this.index.get(route);
    if (!byMethod) this.index.set(route, (byMethod = new Map()));
    let byStatus = byMethod.get(method);
    if (!byStatus) byMethod.set(method, (byStatus = new Map()));
    let s = byStatus.get(status);
    if (!s) {
      byStatus.set(
        status,
        (s = { method, route, status, labels: { method, route, status: String(status) }, count: 0, sum: 0, buckets: new Float64Array(this.bounds.length) }),
      );
      this.all.push(s);
    }
    return s;
  }

  /** Hands the records to prom-client's counter and histogram when they are scraped (their collect hooks). */
  expose(counter: Counter<string>, histogram: Histogram<string>): this {
    const records = this;
    (counter as unknown as { collect: () => void }).collect = function (this: Counter<string>) {
      this.reset();
      for (const s of records.all) this.inc(s.labels, s.count);
    };
    (histogram as unknown as { collect: () => void }).collect = function (this: Histogram<string>) {
      records.publish(this);
    };
    return this;
  }

  private publish(h: Histogram<string>): void {
    h.reset();
    for (const s of this.all) h.zero(s.labels);
    // zero() made one entry per label set, in this order: prom-client's own record of a series
    const entries = Object.values((h as unknown as { hashMap: Record<string, { sum: number; count: number; bucketValues: Record<number, number> }> }).hashMap);
    this.all.forEach((s, i) => {
      const e = entries[i];
      e.sum = s.sum;
      e.count = s.count;
      this.bounds.forEach((bound, j) => {
        e.bucketValues[bound] = s.buckets[j];
      });
    });
  }
}

/** A counter with labels recorded here, exposed through prom-client's Counter at scrape time. */
class RecordedCounter {
  private readonly series = new Map<string | null, { labels: Labels; count: number }>();

  constructor(counter: Counter<string>) {
    const self = this;
    (counter as unknown as { collect: () => void }).collect = function (this: Counter<string>) {
      this.reset();
      for (const s of self.series.values()) this.inc(s.labels, s.count);
    };
  }

  inc(key: string | null, labels: () => Labels): void {
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = { labels: labels(), count: 0 }));
    s.count += 1;
  }
}

export const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

export class AgentMetrics {
  readonly registry = new Registry();
  // isoplace_http_requests_total is the latency histogram's count, series by series: one record serves both
  private readonly requests = new RequestRecords(LATENCY_BUCKETS).expose(
    new Counter({
      name: "isoplace_http_requests_total",
      help: "HTTP requests by method, route and status",
      labelNames: ["method", "route", "status"],
      registers: [this.registry],
    }),
    new Histogram({
      name: "isoplace_http_request_duration_seconds",
      help: "HTTP request latency by route and status",
      labelNames: ["method", "route", "status"],
      buckets: LATENCY_BUCKETS,
      registers: [this.registry],
    }),
  );
  private readonly decisions = new RecordedCounter(
    new Counter({
      name: "isoplace_decisions_total",
      help: "Placement decisions by level (none: no feasible level)",
      labelNames: ["level"],
      registers: [this.registry],
    }),
  );
  private infeasibleCount = 0;
  private readonly infeasible = new Counter({
    name: "isoplace_infeasible_decisions_total",
    help: "Decisions with no feasible level",
    registers: [this.registry],
    collect: () => {
      this.infeasible.reset();
      if (this.infeasibleCount) this.infeasible.inc(this.infeasibleCount);
    },
  });
  private readonly policyInfo = new Gauge({
    name: "isoplace_policy_info",
    help: "The active policy (value 1)",
    labelNames: ["name", "version", "sha256"],
    registers: [this.registry],
  });
  readonly activations = new Counter({ name: "isoplace_policy_activations_total", help: "Policies activated", registers: [this.registry] });
  readonly rejections = new Counter({
    name: "isoplace_policy_rejections_total",
    help: "Candidate policies rejected, by the check that failed",
    labelNames: ["reason"],
    registers: [this.registry],
  });
  readonly sourceErrors = new Counter({
    name: "isoplace_policy_source_errors_total",
    help: "Times the policy source could not be read (missing file, unreachable URL)",
    registers: [this.registry],
  });
  // a pending policy's shadow decisions: counted off the answer path, handed over at scrape time
  private shadowCount = 0;
  private readonly shadowDecisions = new Counter({
    name: "isoplace_shadow_decisions_total",
    help: "Live decisions decided again with a pending policy (shadow evaluation)",
    registers: [this.registry],
    collect: () => {
      this.shadowDecisions.reset();
      if (this.shadowCount) this.shadowDecisions.inc(this.shadowCount);
    },
  });
  private readonly shadowChanged = new RecordedCounter(
    new Counter({
      name: "isoplace_shadow_changed_total",
      help: "Shadow decisions whose placement (level/runtime) the pending policy changes, by transition",
      labelNames: ["from", "to"],
      registers: [this.registry],
    }),
  );
  private readonly pendingInfo = new Gauge({
    name: "isoplace_policy_pending_info",
    help: "A policy held until its rollout step opens and its guard speaks (value 1)",
    labelNames: ["name", "version", "serial", "bucket"],
    registers: [this.registry],
  });
  private expiresOf: () => { name: string; version: string; expires?: string } | undefined = () => undefined;
  // labelled, so that a policy without an expiry has no series at all (an unlabelled gauge shows 0)
  private readonly expires: Gauge = new Gauge({
    name: "isoplace_policy_expires_timestamp_seconds",
    help: "When the active policy's signed statement expires, in Unix seconds (no series: it does not expire, or it is the built-in policy)",
    labelNames: ["name", "version"],
    registers: [this.registry],
    collect: () => {
      this.expires.reset();
      const active = this.expiresOf();
      const at = parseSignedTime(active?.expires);
      if (active && at !== null) this.expires.set({ name: active.name, version: active.version }, at / 1000);
    },
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "isoplace_" });
  }

  response(e: ResponseEntry): void {
    this.requests.record(e.method, e.route, e.status, e.ms / 1000);
  }

  decision(level: string | null): void {
    this.decisions.inc(level, () => ({ level: level ?? "none" }));
    if (level === null) this.infeasibleCount += 1;
  }

  shadowDecision(from: string | null, to: string | null): void {
    this.shadowCount += 1;
    if (from !== null && to !== null) this.shadowChanged.inc(`${from}>${to}`, () => ({ from, to }));
  }

  pendingPolicy(p: { name: string; version: string; serial: number; bucket: number } | null): void {
    this.pendingInfo.reset();
    if (p) this.pendingInfo.set({ name: p.name, version: p.version, serial: String(p.serial), bucket: p.bucket.toFixed(2) }, 1);
  }

  /** Where the active policy and its statement's expiry are read from when the metrics are scraped. */
  expiryOf(read: () => { name: string; version: string; expires?: string } | undefined): void {
    this.expiresOf = read;
  }

  policy(info: PolicyInfo): void {
    this.policyInfo.reset();
    this.policyInfo.set({ name: info.name, version: info.version, sha256: info.sha256 }, 1);
  }
}
