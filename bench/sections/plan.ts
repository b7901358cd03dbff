// `isoplace plan` over 10,000 workloads (--quick: 500): the built command, end to end — start,
// policy, read, plan, print — with -o json (the CI path) and -o yaml (the GitOps path, which
// writes the changes back into the text), beside the same command over an empty file (what any
// run costs: start and policy); and in this process, the parts: reading the stream, planning the
// workloads, writing the changes back. Target (issue 27): 10,000 workloads planned in ≤ 2 s.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeManifests } from "../../host/cli/manifest-edit.ts";
import { readManifests, type InputProblem } from "../../host/cli/manifests.ts";
import { Planner } from "../../host/k8s/plan.ts";
import { podTemplatePath } from "../../host/k8s/workloads.ts";
import type { Section } from "../section.ts";
import { round } from "../stats.ts";

const KINDS = [
  { apiVersion: "apps/v1", kind: "Deployment", template: "spec.template" },
  { apiVersion: "apps/v1", kind: "StatefulSet", template: "spec.template" },
  { apiVersion: "apps/v1", kind: "DaemonSet", template: "spec.template" },
  { apiVersion: "batch/v1", kind: "Job", template: "spec.template" },
];
const ANNOTATIONS = [
  ["isoplace.io/scenario: edge", "isoplace.io/artifact: wasm"],
  ["isoplace.io/scenario: serverless", "isoplace.io/artifact: container", "isoplace.io/security: zero-trust", 'isoplace.io/max-cold-start-ms: "500"'],
  ["isoplace.io/artifact: container", "isoplace.io/security: multi-tenant,compliance"],
  ["isoplace.io/scenario: microservices"],
  [], // not opted in
];

/** A stream as `helm template` or `kustomize build` prints it: a comment, labels, a pod template with its containers. */
function workloadStream(n: number): string {
  const docs: string[] = [];
  for (let i = 0; i < n; i++) {
    const k = KINDS[i % KINDS.length],
      a = ANNOTATIONS[i % ANNOTATIONS.length];
    docs.push(`# Source: app-${i}/templates/${k.kind.toLowerCase()}.yaml
apiVersion: ${k.apiVersion}
kind: ${k.kind}
metadata:
  name: app-${i}
  namespace: team-${i % 20}
  labels:
    app.kubernetes.io/name: app-${i}
    app.kubernetes.io/part-of: shop
spec:
  selector:
    matchLabels: { app: app-${i} }
  template:
    metadata:
      labels: { app: app-${i} }${a.length ? `\n      annotations:\n${a.map((x) => `        ${x}`).join("\n")}` : ""}
    spec:${i % 7 === 0 ? "\n      runtimeClassName: gvisor" : ""}
      containers:
        - name: app
          image: "registry.example/app:${1 + (i % 9)}.${i % 4}.0"
          ports: [{ containerPort: 8080, name: http }]
          resources:
            requests: { cpu: 100m, memory: 64Mi }
            limits: { memory: 128Mi }
`);
  }
  return docs.join("---\n");
}

/** Spawn to exit of the built command, stdout discarded; ms. */
function timeCommand(main: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [main, ...args], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      const ms = performance.now() - t0;
      if (code !== 0) reject(new Error(`isoplace ${args.join(" ")}: exit ${code}\n${stderr}`));
      else resolve(ms);
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export const planSection: Section = {
  name: "plan",
  title: "isoplace plan over a stream of manifests",
  async run(ctx) {
    const n = ctx.quick ? 500 : 10_000,
      rounds = ctx.quick ? 1 : 5;
    const dir = mkdtempSync(join(tmpdir(), "isoplace-bench-plan-"));
    try {
      const text = workloadStream(n);
      const file = join(dir, "workloads.yaml"),
        empty = join(dir, "empty.yaml");
      writeFileSync(file, text);
      writeFileSync(empty, "");
      const main = join(ctx.root, "dist/host/cli/main.js");
      const classes = ["--runtime-classes", "kata,gvisor,wasmedge"];

      // alternating rounds, so drift falls on each alike
      const json: number[] = [],
        yaml: number[] = [],
        floor: number[] = [];
      for (let r = 0; r < rounds; r++) {
        floor.push(await timeCommand(main, ["plan", "-f", empty, "-o", "json", ...classes]));
        json.push(await timeCommand(main, ["plan", "-f", file, "-o", "json", ...classes]));
        if (r < Math.max(1, rounds - 2)) yaml.push(await timeCommand(main, ["plan", "-f", file, "-o", "yaml", ...classes]));
      }

      // the parts, in this process (the second of two runs: warm code)
      const source = { name: file, text };
      const problems: InputProblem[] = [];
      let readMs = 0,
        planMs = 0,
        writeMs = 0,
        workloads = 0;
      for (let r = 0; r < 2; r++) {
        let t0 = performance.now();
        const m = readManifests(source, problems)!;
        readMs = performance.now() - t0;
        const planner = new Planner(ctx.engine, { runtimeClasses: ["kata", "gvisor", "wasmedge"] });
        t0 = performance.now();
        const planned = m.objects.map((obj) => {
          const template = podTemplatePath(obj.value.apiVersion as string, obj.value.kind as string)!;
          return {
            obj,
            edits: planner.plan({
              kind: obj.value.kind as string,
              namespace: "default",
              name: (obj.value.metadata as { name: string }).name,
              object: obj.value,
              template,
            }).edits,
          };
        });
        planMs = performance.now() - t0;
        workloads = planned.length;
        t0 = performance.now();
        if (
          writeManifests(
            m,
            planned.filter((p) => p.edits.length),
            problems,
          ) === undefined
        )
          throw new Error("plan: the changes could not be written back");
        writeMs = performance.now() - t0;
      }
      if (problems.length || workloads !== n) throw new Error(`plan: ${workloads} of ${n} workloads planned, ${problems.length} problems`);

      const wallMs = median(json);
      return {
        figures: {
          plan: {
            workloads: n,
            bytes: text.length,
            rounds,
            json: { wallMs: round(wallMs, 1), minMs: round(Math.min(...json), 1) },
            yaml: { wallMs: round(median(yaml), 1), minMs: round(Math.min(...yaml), 1) },
            emptyMs: round(median(floor), 1),
            inProcess: { readMs: round(readMs, 1), planMs: round(planMs, 1), writeMs: round(writeMs, 1), planUsPerWorkload: round((planMs * 1000) / n, 2) },
          },
        },
        rows: [
          {
            id: "plan.json.wallMs",
            label: `isoplace plan -o json, ${n.toLocaleString("en")} workloads (${(text.length / 2 ** 20).toFixed(1)} MiB of YAML), spawn to exit`,
            value: wallMs,
            unit: "ms",
            target: { op: "<=", limit: 2000 },
          },
          { id: "plan.emptyMs", label: "the same command over an empty file (start, policy)", value: median(floor), unit: "ms" },
          {
            id: "plan.yaml.wallMs",
            label: `isoplace plan -o yaml, the same ${n.toLocaleString("en")} workloads written back`,
            value: median(yaml),
            unit: "ms",
          },
          { id: "plan.readMs", label: "in process: reading the stream (js-yaml's events: values, lines)", value: readMs, unit: "ms" },
          { id: "plan.writeMs", label: "in process: writing the changes into it (-o yaml: spliced, read back, compared)", value: writeMs, unit: "ms" },
          { id: "plan.planUsPerWorkload", label: "in process: planning one workload (the webhook's Admitter)", value: (planMs * 1000) / n, unit: "µs" },
        ],
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
