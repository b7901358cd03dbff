// The webhook's own metrics, beside the agent's (same registry, same /metrics): admissions by
// outcome, and their latency (parse, decision, patch; not the TLS and HTTP around them, which
// isoplace_http_request_duration_seconds{route="/v1/admission/pods"} has).
import { Counter, Histogram, type Registry } from "prom-client";
import { OUTCOMES, type Outcome } from "../k8s/admit.ts";

export class AdmissionMetrics {
  readonly admissions = new Counter({
    name: "isoplace_admissions_total",
    help: "Pod admissions by outcome (mutated, unchanged, denied, infeasible)",
    labelNames: ["outcome"],
    registers: [],
  });
  readonly latency = new Histogram({
    name: "isoplace_admission_duration_seconds",
    help: "Time to answer one admission review, by outcome",
    labelNames: ["outcome"],
    buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1],
    registers: [],
  });

  constructor() {
    // every outcome present from the start, at 0: a rate() over it needs no first event
    for (const outcome of OUTCOMES) {
      this.admissions.inc({ outcome }, 0);
      this.latency.zero({ outcome });
    }
  }

  /** Registered once the agent's registry exists; counts made before are kept. */
  register(registry: Registry): void {
    registry.registerMetric(this.admissions);
    registry.registerMetric(this.latency);
  }

  observe(outcome: Outcome, ms: number): void {
    this.admissions.inc({ outcome });
    this.latency.observe({ outcome }, ms / 1000);
  }
}
