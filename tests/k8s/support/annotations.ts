// Random isoplace.io/ annotation sets for the property tests: `annotations`, valid and invalid
// (known ids and junk, lists, numbers in every form, an output annotation given as input, an
// unknown isoplace.io/ key and another prefix's key), mostly denied; `validAnnotations`, known
// ids and numbers only, mostly decided.
import fc from "fast-check";

const junk = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom("", " ", ",", "1e3", "-1", "NaN", "Infinity", "0x10", "__proto__", "constructor", "边缘", "L4", "64Mi"),
);
const ids = (...v: string[]) => fc.oneof(fc.constantFrom(...v), junk);
const list = (...v: string[]) => fc.tuple(fc.array(ids(...v), { minLength: 1, maxLength: 3 }), fc.constantFrom(",", ", ")).map(([a, sep]) => a.join(sep));
const num = fc.oneof(
  fc.integer({ min: 0, max: 100_000 }).map(String),
  fc.double({ min: 0, max: 6, noNaN: true }).map((n) => n.toFixed(2)),
  junk,
);

const SCENARIOS = ["edge", "microservices", "serverless", "ai-inference", "边缘计算"];
const PERFORMANCE = ["fast-cold-start", "high-utilization", "high-network", "high-storage", "low-cpu-overhead", "low-memory-overhead"];
const SECURITY = ["strongest-isolation", "compliance", "zero-trust", "multi-tenant", "supply-chain"];
const COST = ["lowest-infrastructure-cost", "lowest-operations-cost", "lowest-migration-cost", "best-tco"];

export const annotations = fc.record(
  {
    "isoplace.io/scenario": ids(...SCENARIOS),
    "isoplace.io/performance": list(...PERFORMANCE),
    "isoplace.io/security": list(...SECURITY),
    "isoplace.io/cost": list(...COST),
    "isoplace.io/artifact": ids("container", "wasm", "vm"),
    "isoplace.io/max-cold-start-ms": num,
    "isoplace.io/max-memory-mb": num,
    "isoplace.io/max-cpu-overhead-pct": num,
    "isoplace.io/min-isolation": num,
    "isoplace.io/level": fc.constantFrom("L1", "L4"),
    "isoplace.io/typo": fc.constant("x"),
    "example.com/other": junk,
  },
  { requiredKeys: [] },
);

const known = (v: string[]) => fc.subarray(v, { minLength: 1, maxLength: 3 }).map((a) => a.join(","));
export const validAnnotations = fc.record(
  {
    "isoplace.io/scenario": fc.constantFrom(...SCENARIOS),
    "isoplace.io/performance": known(PERFORMANCE),
    "isoplace.io/security": known(SECURITY),
    "isoplace.io/cost": known(COST),
    "isoplace.io/artifact": fc.constantFrom("container", "wasm", "vm"),
    "isoplace.io/max-cold-start-ms": fc.integer({ min: 0, max: 5000 }).map(String),
    "isoplace.io/max-memory-mb": fc.integer({ min: 0, max: 512 }).map(String),
    "isoplace.io/max-cpu-overhead-pct": fc.integer({ min: 0, max: 30 }).map(String),
    "isoplace.io/min-isolation": fc.integer({ min: 1, max: 5 }).map(String),
    "isoplace.io/level": fc.constantFrom("L1", "L4"),
  },
  { requiredKeys: [] },
);
