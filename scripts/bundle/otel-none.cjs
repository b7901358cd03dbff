// In the Node bundle only (scripts/bundle.mjs aliases "@opentelemetry/api" here): prom-client
// requires the OpenTelemetry API at load for one thing, exemplars on its CPU counter (read only
// when enableExemplars is set, which the agent never does). Loading the real API (~50 modules,
// its global registration) cost start time and memory for nothing. What is read through it
// answers as the real API does with no SDK registered: no active span.
"use strict";
module.exports = {
  context: { active: () => undefined },
  trace: { getSpan: () => undefined },
};
