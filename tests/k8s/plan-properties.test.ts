// For random annotated workloads, `isoplace plan` decides what the webhook decides. Both sides are
// real processes of the command (built, when current): three `isoplace webhook` processes (HTTPS on 127.0.0.1,
// one per mode and set of classes) answer an AdmissionReview for each workload's pod, and for
// each of them an `isoplace plan -o json` and an `-o yaml` run (stdin) plan the same workloads as
// one multi-document stream. Per workload: the same denial, warnings, level, runtime and
// RuntimeClass; and the manifest `-o yaml` writes holds the pod the webhook's patch gives (bar
// the decision id, which each derives its own way).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments, stringify } from "yaml";
import { PACKAGE_ROOT } from "../../host/package.ts";
import { agentEntry } from "../hardening/support/agent-process.ts";
import { runChild, spawnChild, type Child } from "../support/child.ts";
import { annotations, validAnnotations } from "./support/annotations.ts";
import { call, certificates, patched, reviewOf } from "./support/webhook.ts";

const CLI = agentEntry();
// each run plans 10 to 40 workloads in six processes
const RUNS = Math.max(4, Math.round(Number(process.env.ISOPLACE_FUZZ_RUNS ?? 120) / 20));

const CONFIGS = [
  { classes: ["wasmedge", "gvisor", "kata"], mode: "fill" },
  { classes: ["gvisor", "kata-fc"], mode: "override" },
  { classes: ["wasmtime", "no-such-class"], mode: "advise", denyInfeasible: true },
];
const flagsOf = (c: (typeof CONFIGS)[number]) => [
  "--runtime-classes",
  c.classes.join(","),
  "--mode",
  c.mode,
  ...(c.denyInfeasible ? ["--deny-infeasible"] : []),
];

interface Webhook {
  child: Child;
  port: number;
}
let dir: string,
  ca: Buffer,
  webhooks: Webhook[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "isoplace-plan-props-"));
  const files = await certificates(dir);
  ca = (await import("node:fs")).readFileSync(files.caCert);
  webhooks = await Promise.all(
    CONFIGS.map(async (c) => {
      // up to 40 reviews at once, each on its own connection: more than the webhook's default cap (16)
      const child = spawnChild(
        process.execPath,
        [CLI, "webhook", "--host", "127.0.0.1", "--port", "0", "--tls-cert", files.cert, "--tls-key", files.key, "--max-connections", "64", ...flagsOf(c)],
        { cwd: PACKAGE_ROOT, keep: (l) => !l.includes('"msg":"admission"') && !l.includes('"msg":"request"') },
      );
      const line = await child.waitForLine(/agent listening/, "the webhook listening", 60_000);
      return { child, port: Number(new URL(JSON.parse(line).url).port) };
    }),
  );
}, 120_000);
afterAll(async () => {
  await Promise.all(webhooks.map((w) => w.child.stop("SIGTERM")));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const TEMPLATE_AT: Record<string, { apiVersion: string; path: string[] }> = {
  Pod: { apiVersion: "v1", path: [] },
  ReplicationController: { apiVersion: "v1", path: ["spec", "template"] },
  Deployment: { apiVersion: "apps/v1", path: ["spec", "template"] },
  ReplicaSet: { apiVersion: "apps/v1", path: ["spec", "template"] },
  StatefulSet: { apiVersion: "apps/v1", path: ["spec", "template"] },
  DaemonSet: { apiVersion: "apps/v1", path: ["spec", "template"] },
  Job: { apiVersion: "batch/v1", path: ["spec", "template"] },
  CronJob: { apiVersion: "batch/v1", path: ["spec", "jobTemplate", "spec", "template"] },
};

const workload = fc.record({
  kind: fc.constantFrom(...Object.keys(TEMPLATE_AT)),
  name: fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/),
  namespace: fc.option(fc.constantFrom("apps", "edge", "tenants"), { nil: undefined }),
  annotations: fc.oneof({ arbitrary: validAnnotations, weight: 3 }, { arbitrary: annotations, weight: 1 }),
  runtimeClassName: fc.option(fc.constantFrom("kata", "gvisor", "wasmedge", "runc-custom"), { nil: undefined }),
});
type Generated = typeof workload extends fc.Arbitrary<infer T> ? T : never;

const templateOf = (w: Generated) => ({
  metadata: { labels: { app: w.name }, annotations: w.annotations },
  spec: { ...(w.runtimeClassName ? { runtimeClassName: w.runtimeClassName } : {}), containers: [{ name: "app", image: "registry.example/app:1.0" }] },
});

/** The manifest: a Pod as is, any other kind with the pod template where that kind keeps it. */
function manifestOf(w: Generated): Record<string, any> {
  const { apiVersion, path } = TEMPLATE_AT[w.kind];
  const metadata = { name: w.name, ...(w.namespace ? { namespace: w.namespace } : {}) };
  const t = templateOf(w);
  if (path.length === 0) return { apiVersion, kind: w.kind, metadata: { ...metadata, annotations: w.annotations }, spec: t.spec };
  let inner: Record<string, unknown> = t;
  for (let i = path.length - 1; i > 0; i--) inner = { [path[i]]: inner };
  return { apiVersion, kind: w.kind, metadata, [path[0]]: inner };
}

/** The pod the API server sends the webhook: the template's, named by its controller. */
function podOf(w: Generated): Record<string, any> {
  if (w.kind === "Pod") return manifestOf(w);
  const t = templateOf(w);
  return { apiVersion: "v1", kind: "Pod", metadata: { ...t.metadata, generateName: `${w.name}-` }, spec: t.spec };
}

const templateIn = (m: Record<string, any>, kind: string) => TEMPLATE_AT[kind].path.reduce((o, k) => o[k], m);
const withoutDecisionId = (a: Record<string, string> | undefined) => {
  if (!a) return a;
  const { "isoplace.io/decision-id": id, ...rest } = a;
  return { ...rest, ...(id === undefined ? {} : { "isoplace.io/decision-id": "(some id)" }) };
};

describe("plan decides what the webhook decides (random annotated workloads, real processes on both sides)", () => {
  it("the same denial, warnings, level, runtime and RuntimeClass; -o yaml writes the pod the webhook's patch gives", async () => {
    const outcomes: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(fc.array(workload, { minLength: 10, maxLength: 40 }), async (ws) => {
        const stream = ws.map((w) => stringify(manifestOf(w), { version: "1.1" })).join("---\n");
        await Promise.all(
          CONFIGS.map(async (config, c) => {
            const [asJson, asYaml, answers] = await Promise.all([
              runChild(process.execPath, [CLI, "plan", "-f", "-", "-o", "json", ...flagsOf(config)], { cwd: PACKAGE_ROOT, input: stream }),
              runChild(process.execPath, [CLI, "plan", "-f", "-", "-o", "yaml", ...flagsOf(config)], { cwd: PACKAGE_ROOT, input: stream }),
              Promise.all(
                ws.map(async (w, i) => {
                  const review = reviewOf({ uid: `plan-${i}`, namespace: w.namespace ?? "default" }, podOf(w));
                  const res = await call(webhooks[c].port, ca, "POST", "/v1/admission/pods", review);
                  expect(res.status, res.text).toBe(200);
                  return { review, response: res.json.response };
                }),
              ),
            ]);
            expect(asJson.code, asJson.stderr).toBe(0);
            expect(asYaml.code, asYaml.stderr).toBe(0);
            const { items } = JSON.parse(asJson.stdout);
            const written = parseAllDocuments(asYaml.stdout, { version: "1.1" }).map((d) => d.toJS());
            expect(items).toHaveLength(ws.length);
            expect(written).toHaveLength(ws.length);
            ws.forEach((w, i) => {
              const item = items[i],
                { review, response: r } = answers[i];
              const what = `${w.kind} ${JSON.stringify(w.annotations)} class ${w.runtimeClassName} (${config.mode}, ${config.classes})`;
              expect(item.denied, what).toBe(r.allowed ? null : r.status.message);
              expect(item.warnings, what).toEqual(r.warnings ?? []);
              expect(item.level ?? "none", what).toBe(r.auditAnnotations?.level ?? "none");
              expect(item.runtime ?? "none", what).toBe(r.auditAnnotations?.runtime ?? "none");
              const pod = patched(review.request.object, r);
              expect(item.runtimeClassName, what).toEqual({ before: w.runtimeClassName ?? null, after: pod.spec?.runtimeClassName ?? null });
              expect(item.outcome === "mutated", what).toBe(r.patch !== undefined);
              const t = templateIn(written[i], w.kind);
              expect(withoutDecisionId(t.metadata.annotations), what).toEqual(withoutDecisionId(pod.metadata.annotations));
              expect(t.spec, what).toEqual(pod.spec);
              const key = `${config.mode} ${item.outcome}${item.runtimeClassName.before !== item.runtimeClassName.after ? " (class changed)" : ""}`;
              outcomes[key] = (outcomes[key] ?? 0) + 1;
            });
          }),
        );
      }),
      { numRuns: RUNS, endOnFailure: true },
    ); // no shrinking: each run is six processes, and the message names the workload
    console.log(`plan = webhook, random workloads compared in ${RUNS} runs, by mode and outcome: ${JSON.stringify(outcomes)}`);
  }, 600_000);
});
