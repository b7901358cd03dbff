// The agent's per-request series are counted outside prom-client and handed to it when scraped
// (host/node/metrics.ts): the exposition must be the text prom-client's own inc/observe make.
import { Counter, Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { AgentMetrics, LATENCY_BUCKETS } from "../../host/node/metrics.ts";
import type { ResponseEntry } from "../../host/http/types.ts";

/** The same metrics fed the plain way, for comparison. */
function plain() {
  const registry = new Registry();
  const requests = new Counter({
    name: "isoplace_http_requests_total",
    help: "HTTP requests by method, route and status",
    labelNames: ["method", "route", "status"],
    registers: [registry],
  });
  const latency = new Histogram({
    name: "isoplace_http_request_duration_seconds",
    help: "HTTP request latency by route and status",
    labelNames: ["method", "route", "status"],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const decisions = new Counter({
    name: "isoplace_decisions_total",
    help: "Placement decisions by level (none: no feasible level)",
    labelNames: ["level"],
    registers: [registry],
  });
  const infeasible = new Counter({ name: "isoplace_infeasible_decisions_total", help: "Decisions with no feasible level", registers: [registry] });
  return {
    registry,
    response(e: ResponseEntry) {
      const labels = { method: e.method, route: e.route, status: String(e.status) };
      requests.inc(labels);
      latency.observe(labels, e.ms / 1000);
    },
    decision(level: string | null) {
      decisions.inc({ level: level ?? "none" });
      if (level === null) infeasible.inc();
    },
  };
}

const NAMES = ["isoplace_http_requests_total", "isoplace_http_request_duration_seconds", "isoplace_decisions_total", "isoplace_infeasible_decisions_total"];
const text = async (r: Registry) => (await Promise.all(NAMES.map((n) => r.getSingleMetricAsString(n)))).join("\n");

describe("agent metrics", () => {
  it("expose what prom-client's own inc/observe expose, scrape after scrape", async () => {
    const ours = new AgentMetrics(),
      theirs = plain();
    expect(await text(ours.registry)).toBe(await text(theirs.registry));
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const routes = ["/v1/decide", "/v1/levels", "unmatched"],
      statuses = [200, 400, 404, 415],
      levels = ["L0", "L3", "L4", null];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 500; i++) {
        // latencies across every bucket, exactly on a bound now and then, beyond the last one too
        const ms = rnd() < 0.1 ? LATENCY_BUCKETS[Math.floor(rnd() * LATENCY_BUCKETS.length)] * 1000 : rnd() ** 4 * 2000;
        const e: ResponseEntry = { method: rnd() < 0.8 ? "POST" : "GET", route: routes[Math.floor(rnd() * 3)], status: statuses[Math.floor(rnd() * 4)], ms };
        ours.response(e);
        theirs.response(e);
        const level = levels[Math.floor(rnd() * 4)];
        ours.decision(level);
        theirs.decision(level);
      }
      expect(await text(ours.registry)).toBe(await text(theirs.registry));
    }
    expect(await ours.registry.metrics()).toMatch(/isoplace_process_cpu_seconds_total/);
  });
});
