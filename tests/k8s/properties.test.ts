// Random annotation sets, valid and invalid, against a real webhook: never a 5xx (nor a 400 for
// a well-formed review), every patch applies and gives a valid pod, never a class outside
// --runtime-classes, and never a pod with an artifact on a runtime that cannot run it.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { annotations, validAnnotations } from "./support/annotations.ts";
import { admit, decodePatch, patched, reviewOf, startTestWebhook, type TestWebhook } from "./support/webhook.ts";

const RUNS = Number(process.env.ISOPLACE_FUZZ_RUNS ?? 120);
let servers: { w: TestWebhook; classes: string[] }[];

beforeAll(async () => {
  const configs = [
    { classes: ["wasmedge", "gvisor", "kata"], mode: "fill" as const },
    { classes: ["gvisor", "kata-fc"], mode: "override" as const },
    { classes: ["wasmtime", "no-such-class"], mode: "advise" as const, denyInfeasible: true },
  ];
  servers = await Promise.all(
    configs.map(async (c) => ({
      classes: c.classes,
      w: await startTestWebhook({ runtimeClasses: c.classes, mode: c.mode, denyInfeasible: c.denyInfeasible }),
    })),
  );
});
afterAll(async () => {
  await Promise.all((servers ?? []).map((s) => s.w.close()));
});

describe("random annotation sets", () => {
  it("never a 5xx, never a class not given, never an artifact on a runtime that cannot run it", async () => {
    let artifactsPlaced = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(annotations, validAnnotations),
        fc.constantFrom(undefined, "kata", "gvisor", "wasmedge", "runc-custom"),
        fc.nat(servers.length - 1),
        fc.boolean(),
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
            const runtime = w.webhook.agent.policy.engine.catalogue.runtimes.find((rt) => rt.id === runtimeId);
            expect(runtime?.runs).toContain(artifact.trim());
            artifactsPlaced++;
          }
        },
      ),
      { numRuns: RUNS },
    );
    // the artifact rule was put to the test, not skipped by every random case
    expect(artifactsPlaced).toBeGreaterThan(0);
  });
});
