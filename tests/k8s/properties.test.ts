// Random annotation sets, valid and invalid, against a real webhook: never a 5xx (nor a 400 for
// a well-formed review), every patch applies and gives a valid pod, never a class outside
// --runtime-classes, and never a pod with an artifact on a runtime that cannot run it.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CatalogueRuntime } from "../../host/engine/catalogue.ts";
import { admit, decodePatch, patched, reviewOf, startTestWebhook, type TestWebhook } from "./support/webhook.ts";

const RUNS = Number(process.env.ISOPLACE_FUZZ_RUNS ?? 120);
let servers: { w: TestWebhook; classes: string[] }[];

beforeAll(async () => {
  const configs = [
    { classes: ["wasmedge", "gvisor", "kata"], mode: "fill" as const },
    { classes: ["gvisor", "kata-fc"], mode: "override" as const },
    { classes: ["wasmtime", "no-such-class"], mode: "advise" as const, denyInfeasible: true },
  ];
  servers = await Promise.all(configs.map(async (c) => ({ classes: c.classes, w: await startTestWebhook({ runtimeClasses: c.classes, mode: c.mode, denyInfeasible: c.denyInfeasible }) })));
});
afterAll(async () => {
  await Promise.all((servers ?? []).map((s) => s.w.close()));
});

const junk = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom("", " ", ",", "1e3", "-1", "NaN", "Infinity", "0x10", "__proto__", "constructor", "边缘", "L4", "64Mi"));
const ids = (...v: string[]) => fc.oneof(fc.constantFrom(...v), junk);
const list = (...v: string[]) => fc.tuple(fc.array(ids(...v), { minLength: 1, maxLength: 3 }), fc.constantFrom(",", ", ")).map(([a, sep]) => a.join(sep));
const num = fc.oneof(fc.integer({ min: 0, max: 100_000 }).map(String), fc.double({ min: 0, max: 6, noNaN: true }).map((n) => n.toFixed(2)), junk);

const annotations = fc.record({
  "isoplace.io/scenario": ids("edge", "microservices", "serverless", "ai-inference", "边缘计算"),
  "isoplace.io/performance": list("fast-cold-start", "high-utilization", "high-network", "high-storage", "low-cpu-overhead", "low-memory-overhead"),
  "isoplace.io/security": list("strongest-isolation", "compliance", "zero-trust", "multi-tenant", "supply-chain"),
  "isoplace.io/cost": list("lowest-infrastructure-cost", "lowest-operations-cost", "lowest-migration-cost", "best-tco"),
  "isoplace.io/artifact": ids("container", "wasm", "vm"),
  "isoplace.io/max-cold-start-ms": num,
  "isoplace.io/max-memory-mb": num,
  "isoplace.io/max-cpu-overhead-pct": num,
  "isoplace.io/min-isolation": num,
  "isoplace.io/level": fc.constantFrom("L1", "L4"),
  "isoplace.io/typo": fc.constant("x"),
  "example.com/other": junk,
}, { requiredKeys: [] });

describe("random annotation sets", () => {
  it("never a 5xx, never a class not given, never an artifact on a runtime that cannot run it", async () => {
    await fc.assert(fc.asyncProperty(
      annotations, fc.constantFrom(undefined, "kata", "gvisor", "wasmedge", "runc-custom"), fc.nat(servers.length - 1), fc.boolean(),
      async (a, runtimeClassName, s, dryRun) => {
        const { w, classes } = servers[s];
        const review = reviewOf({ annotations: a, runtimeClassName, dryRun, uid: `uid-${s}-${JSON.stringify(a).length}` });
        const res = await admit(w, review);
        expect(res.status, res.text).toBe(200);
        const r = res.json.response;
        for (const warning of r.warnings ?? []) expect(warning.length).toBeLessThanOrEqual(120);
        if (!r.allowed) {
          expect([400, 403]).toContain(r.status.code);
          expect(r.status.message).toMatch(/isoplace\.io\/|no feasible level/);
          expect(r.patch).toBeUndefined();
          return;
        }
        const pod = patched(review.request.object, r);
        const ops = decodePatch(r);
        if (ops.some((o) => o.path.startsWith("/spec"))) expect(classes).toContain(pod.spec.runtimeClassName);
        const runtimeId = pod.metadata.annotations?.["isoplace.io/runtime"];
        const artifact = a["isoplace.io/artifact"];
        if (ops.length && runtimeId && artifact && ["container", "wasm", "vm"].includes(artifact.trim())) {
          const runtime = w.webhook.agent.policy.engine.catalogue.runtimes.find((rt) => rt.id === runtimeId) as CatalogueRuntime & { runs?: string[] };
          expect(runtime).toBeDefined();
          // the artifact-aware engine (issue 11) lists what each runtime runs
          if (runtime.runs) expect(runtime.runs).toContain(artifact.trim());
        }
      },
    ), { numRuns: RUNS });
  });
});
