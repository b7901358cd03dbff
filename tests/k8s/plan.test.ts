// `isoplace plan` as a user runs it (a real process of the command): a fixture tree with every
// kind that makes pods, a Helm-like stream on stdin, malformed input named by file, line and
// field, --fail-on, and -o yaml written back with comments and order kept.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Deployment } from "kubernetes-models/apps/v1";
import { Job } from "kubernetes-models/batch/v1";
import { parseAllDocuments } from "yaml";
import { PACKAGE_ROOT } from "../../host/package.ts";
import { agentEntry } from "../hardening/support/agent-process.ts";
import { runChild, type Ran } from "../support/child.ts";

// the built command when it is current (it starts in a fraction of the sources' time), else the sources
const MAIN = agentEntry();
const TREE = "tests/k8s/fixtures/plan/tree";
const CLASSES = ["--runtime-classes", "wasmedge,gvisor,kata"];

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tmp(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), "isoplace-plan-"));
  dirs.push(d);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(d, name), text);
  return d;
}

const plan = (args: string[], input?: string): Promise<Ran> =>
  runChild(process.execPath, [MAIN, "plan", ...args], { cwd: PACKAGE_ROOT, input, timeoutMs: 60_000 });
const json = (r: Ran) => {
  expect(r.code, r.stderr).not.toBe(2);
  return JSON.parse(r.stdout);
};
/** The line `line` (1-based) of a file. */
const lineOf = (file: string, line: number) => readFileSync(join(PACKAGE_ROOT, file), "utf8").split("\n")[line - 1];

describe.concurrent("isoplace plan over a fixture tree", () => {
  it("-R: every kind that makes pods, with its file and line, the webhook's outcome, and the rest counted", async () => {
    const r = await plan(["-f", TREE, "-R", ...CLASSES, "-o", "json"]);
    expect(r.code, r.stderr).toBe(0);
    const { items, summary } = json(r);
    const byName = Object.fromEntries(items.map((i: any) => [`${i.kind}/${i.name}`, i]));
    expect(Object.keys(byName).sort()).toEqual([
      "CronJob/report",
      "DaemonSet/agent",
      "Deployment/thumbnailer",
      "Job/resize",
      "Pod/filter",
      "Pod/probe-*",
      "ReplicaSet/tenant-api",
      "ReplicationController/legacy-web",
      "StatefulSet/store",
    ]);
    // each item's line is where its object starts
    for (const i of items) expect(lineOf(i.file, i.line), `${i.kind}/${i.name}`).toMatch(i.file.endsWith(".json") ? /^ *\{$/ : /^(- )?apiVersion:/);
    expect(byName["Deployment/thumbnailer"]).toMatchObject({
      namespace: "functions",
      file: `${TREE}/apps.yaml`,
      line: 2,
      outcome: "mutated",
      level: "L4",
      runtime: "gvisor",
      runtimeClassName: { before: null, after: "gvisor" },
      denied: null,
    });
    expect(byName["Deployment/thumbnailer"].warnings[0]).toMatch(/^isoplace: RuntimeClass gvisor: L4/);
    expect(byName["Job/resize"]).toMatchObject({ file: `${TREE}/batch/jobs.yaml`, level: "L4", runtimeClassName: { before: null, after: "wasmedge" } });
    // a class the pod names is kept in fill mode, with the webhook's warning
    expect(byName["ReplicaSet/tenant-api"]).toMatchObject({ outcome: "unchanged", level: "L1", runtimeClassName: { before: "gvisor", after: "gvisor" } });
    expect(byName["ReplicaSet/tenant-api"].warnings).toContain("isoplace: the pod names runtimeClassName gvisor; kept (fill mode), the policy chose kata");
    // L3 runs on the default handler: no class, annotations only
    expect(byName["StatefulSet/store"]).toMatchObject({
      namespace: "default",
      outcome: "mutated",
      level: "L3",
      runtime: "containerd",
      runtimeClassName: { before: null, after: null },
    });
    // spec.jobTemplate.spec.template of a CronJob: a VM image has no RuntimeClass here
    expect(byName["CronJob/report"]).toMatchObject({ file: `${TREE}/batch/nightly/cronjob.yml`, outcome: "infeasible", level: null, denied: null });
    expect(byName["CronJob/report"].warnings[0]).toBe("isoplace: no feasible level for analytics/report-*; allowed unchanged");
    // an item of a List in a JSON file, denied as the webhook denies it
    expect(byName["ReplicationController/legacy-web"]).toMatchObject({ file: `${TREE}/legacy.json`, line: 5, outcome: "denied", level: null });
    expect(byName["ReplicationController/legacy-web"].denied).toMatch(
      /^isoplace: invalid annotations on legacy\/legacy-web-\*: isoplace\.io\/scenario: unknown scenario "edg"; allowed: edge/,
    );
    expect(byName["DaemonSet/agent"]).toMatchObject({ outcome: "not-opted-in", level: null, warnings: [], decisionId: null });
    expect(byName["Pod/probe-*"]).toMatchObject({ namespace: "default", outcome: "not-opted-in" });
    expect(summary).toMatchObject({
      workloads: 9,
      files: 6,
      runtimeClassChanges: 3,
      denials: 1,
      outcomes: { mutated: 4, unchanged: 1, denied: 1, infeasible: 1, "not-opted-in": 2 },
      skipped: { ConfigMap: 1, Service: 1, "Deployment.deploy.example.com": 1 },
      policy: { name: "default" },
      mode: "fill",
      runtimeClasses: ["wasmedge", "gvisor", "kata"],
      failOn: [],
      failed: [],
    });
  });

  it("without -R a directory's subdirectories are not read; the table names each workload and ends with the counts", async () => {
    const r = await plan(["-f", TREE, ...CLASSES]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/batch\//);
    expect(r.stdout).toMatch(/^KIND +NAMESPACE +NAME +LEVEL +RUNTIME +RUNTIMECLASS +OUTCOME +LOCATION$/m);
    expect(r.stdout).toMatch(/^Deployment +functions +thumbnailer +L4 +gvisor +– → gvisor +mutated +tests\/k8s\/fixtures\/plan\/tree\/apps\.yaml:2$/m);
    expect(r.stdout).toMatch(/^ReplicaSet +tenants +tenant-api +L1 +kata +gvisor +unchanged /m);
    expect(r.stdout).toMatch(/^ {2}denied: isoplace: invalid annotations on legacy\/legacy-web-\*/m);
    expect(r.stdout.trim().split("\n").at(-1)).toBe(
      "7 workloads in 4 files: 3 mutated (2 RuntimeClass changes), 1 unchanged, 1 denied, 0 infeasible, 2 not opted in; " +
        "3 other objects skipped (ConfigMap 1, Deployment.deploy.example.com 1, Service 1); policy default 2025.11.15-1, mode fill, RuntimeClasses wasmedge, gvisor, kata",
    );
  });

  it("--mode override replaces a class the pod names; advise sets none; -n is the namespace of objects without one", async () => {
    const [override, advise] = await Promise.all([
      plan(["-f", `${TREE}/apps.yaml`, ...CLASSES, "--mode", "override", "-o", "json"]),
      plan(["-f", `${TREE}/apps.yaml`, ...CLASSES, "--mode", "advise", "-n", "shop", "-o", "json"]),
    ]);
    const o = Object.fromEntries(json(override).items.map((i: any) => [i.name, i]));
    expect(o["tenant-api"]).toMatchObject({ outcome: "mutated", runtimeClassName: { before: "gvisor", after: "kata" } });
    expect(o["tenant-api"].warnings).toContain("isoplace: runtimeClassName gvisor replaced by kata (override mode)");
    const a = Object.fromEntries(json(advise).items.map((i: any) => [i.name, i]));
    expect(a.thumbnailer).toMatchObject({ outcome: "mutated", runtimeClassName: { before: null, after: null } });
    expect(a.thumbnailer.warnings).toContain("isoplace: advise mode: runtimeClassName gvisor not set");
    expect(a.store.namespace).toBe("shop");
    expect(json(advise).summary.runtimeClassChanges).toBe(0);
  });

  it("without --runtime-classes: every class the policy names", async () => {
    const { summary } = json(await plan(["-f", `${TREE}/pods.yaml`, "-o", "json"]));
    expect(summary.runtimeClasses).toEqual(expect.arrayContaining(["kata", "wasmedge", "wasmtime", "gvisor"]));
  });
});

// What `helm template` prints: documents introduced by `---` and a `# Source:` comment, empty
// documents where a template rendered nothing, and a List.
const HELM = `---
# Source: shop/templates/serviceaccount.yaml
apiVersion: v1
kind: ServiceAccount
metadata:
  name: shop
---
# Source: shop/templates/empty.yaml
---
# Source: shop/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop-web
  labels:
    helm.sh/chart: shop-0.1.0
spec:
  replicas: 2
  selector:
    matchLabels: { app: shop-web }
  template:
    metadata:
      labels: { app: shop-web }
      annotations:
        isoplace.io/scenario: "edge"
        isoplace.io/artifact: "wasm"
    spec:
      containers:
        - name: web
          image: "registry.example/shop-web:1.0.0"
---
# Source: shop/templates/jobs.yaml
apiVersion: v1
kind: List
items:
  - apiVersion: batch/v1
    kind: Job
    metadata: { name: shop-migrate, namespace: shop }
    spec:
      template:
        metadata:
          annotations: { isoplace.io/scenario: serverless, isoplace.io/artifact: container }
        spec:
          restartPolicy: Never
          containers: [{ name: migrate, image: registry.example/shop-migrate:1.0.0 }]
`;

describe.concurrent("isoplace plan -f - (a Helm-like stream on stdin)", () => {
  it("plans every workload of the stream, named <stdin> with its line; empty documents are no objects", async () => {
    const r = await plan(["-f", "-", ...CLASSES, "-n", "shop", "-o", "json"], HELM);
    expect(r.code, r.stderr).toBe(0);
    const { items, summary } = json(r);
    expect(items.map((i: any) => [i.kind, i.namespace, i.name, i.file, i.line, i.level, i.runtimeClassName.after])).toEqual([
      ["Deployment", "shop", "shop-web", "<stdin>", 11, "L4", "wasmedge"],
      ["Job", "shop", "shop-migrate", "<stdin>", 36, "L4", "gvisor"],
    ]);
    expect(HELM.split("\n")[35]).toBe("  - apiVersion: batch/v1");
    expect(summary).toMatchObject({ workloads: 2, files: 1, skipped: { ServiceAccount: 1 } });
  });

  it("-o yaml writes the stream back: comments, quoting and order kept, runtimeClassName and the output annotations set; planning it again changes nothing", async () => {
    const r = await plan(["-f", "-", ...CLASSES, "-n", "shop", "-o", "yaml"], HELM);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^isoplace: 2 workloads in 1 file: 2 mutated \(2 RuntimeClass changes\)/m);
    const out = r.stdout;
    for (const comment of ["# Source: shop/templates/serviceaccount.yaml", "# Source: shop/templates/empty.yaml", "# Source: shop/templates/jobs.yaml"])
      expect(out).toContain(comment);
    expect(out).toContain(
      '        isoplace.io/scenario: "edge"\n        isoplace.io/artifact: "wasm"\n        isoplace.io/level: L4\n        isoplace.io/runtime: wasmedge\n',
    );
    expect(out).toContain('          image: "registry.example/shop-web:1.0.0"\n      runtimeClassName: wasmedge\n');
    const docs = parseAllDocuments(out).map((d) => d.toJS());
    expect(docs.map((d) => d?.kind ?? null)).toEqual(["ServiceAccount", null, "Deployment", "List"]);
    const deployment = docs[2],
      job = docs[3].items[0];
    expect(Object.keys(deployment)).toEqual(["apiVersion", "kind", "metadata", "spec"]);
    expect(deployment.spec.template.spec.runtimeClassName).toBe("wasmedge");
    expect(job.spec.template.spec.runtimeClassName).toBe("gvisor");
    // objects the API server's schema accepts (kubernetes-models validates against it)
    new Deployment(deployment).validate();
    new Job(job).validate();
    expect(Object.keys(job.spec.template.metadata.annotations)).toEqual([
      "isoplace.io/scenario",
      "isoplace.io/artifact",
      "isoplace.io/level",
      "isoplace.io/runtime",
      "isoplace.io/decision-id",
      "isoplace.io/policy",
    ]);
    expect(job.spec.template.metadata.annotations["isoplace.io/policy"]).toMatch(/^default@/);

    // the GitOps check: the written manifests are what the webhook would leave them
    const again = await plan(["-f", "-", ...CLASSES, "-n", "shop", "-o", "yaml", "--fail-on", "change"], out);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe(out);
    expect(again.stderr).toMatch(/2 workloads in 1 file: 0 mutated \(0 RuntimeClass changes\), 2 unchanged/);
  });

  it("-o yaml of a JSON file stays JSON; a pod without spec gets one", async () => {
    const dir = tmp({
      "pod.json": JSON.stringify({ apiVersion: "v1", kind: "Pod", metadata: { name: "p", annotations: { "isoplace.io/artifact": "wasm" } } }),
    });
    const r = await plan(["-f", join(dir, "pod.json"), ...CLASSES, "-o", "yaml"]);
    expect(r.code, r.stderr).toBe(0);
    const pod = JSON.parse(r.stdout);
    expect(pod.spec).toEqual({ runtimeClassName: "wasmedge" });
    expect(pod.metadata.annotations["isoplace.io/level"]).toBe("L4");
  });
});

describe.concurrent("isoplace plan: bad input is exit 2, naming file, line and field, and nothing is planned", () => {
  it("malformed YAML: the file and the line of the mistake", async () => {
    const dir = tmp({ "bad.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n   annotations: {}\nspec: {}\n" });
    const r = await plan(["-f", join(dir, "bad.yaml"), "-o", "json"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(`isoplace: invalid input (nothing planned):\n  ${join(dir, "bad.yaml")}:5: bad indentation of a mapping entry\n`);
  });

  it("an unterminated flow sequence on stdin: <stdin> and its line", async () => {
    const r = await plan(["-f", "-"], "apiVersion: v1\nkind: Pod\nmetadata: { name: a }\nspec:\n  containers: [{ name: a\n");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^ {2}<stdin>:\d: /m);
  });

  it("fields the webhook cannot read, every one at once: a number as an annotation, no kind, no pod template, no name", async () => {
    const dir = tmp({
      "a.yaml": [
        "apiVersion: apps/v1",
        "kind: Deployment",
        "metadata: { name: web }",
        "spec:",
        "  template:",
        "    metadata:",
        "      annotations:",
        "        isoplace.io/scenario: edge",
        "        isoplace.io/max-memory-mb: 512",
        "    spec: { containers: [] }",
        "---",
        "apiVersion: v1",
        "metadata: { name: kindless }",
        "---",
        "apiVersion: batch/v1",
        "kind: CronJob",
        "metadata: { name: nightly }",
        "spec:",
        "  schedule: '@daily'",
        "  jobTemplate: {}",
        "---",
        "apiVersion: apps/v1",
        "kind: DaemonSet",
        "metadata: { labels: { a: b } }",
        "spec: { template: { spec: {} } }",
        "",
      ].join("\n"),
    });
    const r = await plan(["-f", join(dir, "a.yaml")]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    const f = join(dir, "a.yaml");
    expect(r.stderr).toContain(`${f}:9: spec.template.metadata.annotations["isoplace.io/max-memory-mb"]: must be a string, got a number: quote the value`);
    expect(r.stderr).toContain(`${f}:12: kind: is missing`);
    expect(r.stderr).toContain(`${f}:20: spec.jobTemplate.spec: is missing: a CronJob needs its pod template (spec.jobTemplate.spec.template)`);
    expect(r.stderr).toContain(`${f}:24: metadata.name: is missing`);
  });

  it("YAML 1.1, as Kubernetes reads it: an unquoted yes is a boolean, not a string, whether the output is JSON or YAML", async () => {
    const dir = tmp({
      "p.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    isoplace.io/scenario: edge\n    isoplace.io/artifact: yes\n",
    });
    const [asJson, asYaml] = await Promise.all([plan(["-f", join(dir, "p.yaml"), "-o", "json"]), plan(["-f", join(dir, "p.yaml"), "-o", "yaml"])]);
    for (const r of [asJson, asYaml]) {
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`${join(dir, "p.yaml")}:7: metadata.annotations["isoplace.io/artifact"]: must be a string, got a boolean: quote the value`);
    }
  });

  it("a path that does not exist, and a URL: each named", async () => {
    const r = await plan(["-f", "no/such/dir", "-f", "https://example.com/x.yaml"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no/such/dir: no such file or directory");
    expect(r.stderr).toContain("https://example.com/x.yaml: URLs are not read; pipe them in");
  });

  it("bad flags: each named with what is allowed", async () => {
    const r = await plan(["-f", TREE, "--mode", "force", "-o", "wide", "--fail-on", "deny,drift"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--mode: must be one of fill, override, advise, got "force"');
    expect(r.stderr).toContain('--output: must be one of table, json, yaml, got "wide"');
    expect(r.stderr).toContain('--fail-on: must be a comma-separated list of deny, change, infeasible, got "drift"');
  });
});

describe.concurrent("isoplace plan --fail-on", () => {
  it("deny, change, infeasible: exit 1 saying which and how many; the plan is still printed", async () => {
    const [deny, change, infeasible, all] = await Promise.all([
      plan(["-f", TREE, "-R", ...CLASSES, "--fail-on", "deny"]),
      plan(["-f", TREE, "-R", ...CLASSES, "--fail-on", "change", "-o", "json"]),
      plan(["-f", TREE, "-R", ...CLASSES, "--fail-on", "infeasible"]),
      plan(["-f", TREE, "-R", ...CLASSES, "--fail-on", "deny,change,infeasible", "-o", "json"]),
    ]);
    expect(deny.code).toBe(1);
    expect(deny.stderr).toBe("isoplace: --fail-on deny: 1 workload denied\n");
    expect(deny.stdout).toMatch(/9 workloads in 6 files/);
    expect(change.code).toBe(1);
    expect(change.stderr).toBe("isoplace: --fail-on change: 3 workloads would get another RuntimeClass\n");
    expect(json(change).summary.failed).toEqual(["change"]);
    expect(infeasible.code).toBe(1);
    expect(infeasible.stderr).toBe("isoplace: --fail-on infeasible: 1 workload with no feasible level\n");
    expect(all.code).toBe(1);
    expect(json(all).summary.failed).toEqual(["deny", "change", "infeasible"]);
  });

  it("nothing met: exit 0; --deny-infeasible makes an infeasible pod a denial", async () => {
    const [clean, strict] = await Promise.all([
      plan(["-f", `${TREE}/pods.yaml`, ...CLASSES, "--fail-on", "deny,infeasible"]),
      plan(["-f", `${TREE}/batch`, "-R", ...CLASSES, "--deny-infeasible", "--fail-on", "deny", "-o", "json"]),
    ]);
    expect(clean.code, clean.stderr).toBe(0);
    expect(strict.code).toBe(1);
    const report = json(strict).items.find((i: any) => i.name === "report");
    expect(report).toMatchObject({ outcome: "infeasible", level: null });
    expect(report.denied).toMatch(/^isoplace: no feasible level for analytics\/report-\*: /);
  });
});

const pod = (name: string, annotations = "{ isoplace.io/artifact: wasm }") =>
  `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n  annotations: ${annotations}\nspec:\n  containers: []\n`;

describe.concurrent("isoplace plan -R over symbolic links", () => {
  it("reads each directory and file once: a link back up the tree is no loop, a file linked twice no second copy", async () => {
    const d = tmp({ "a.yaml": pod("a") });
    mkdirSync(join(d, "sub"));
    writeFileSync(join(d, "sub", "b.yaml"), pod("b"));
    symlinkSync("..", join(d, "sub", "up"));
    symlinkSync("../sub", join(d, "sub", "again"));
    symlinkSync("a.yaml", join(d, "also-a.yaml"));
    const r = await plan(["-f", d, "-R", "-o", "json"]);
    expect(r.code, r.stderr).toBe(0);
    const { items, summary } = json(r);
    expect(items.map((i: any) => `${i.name} ${relative(d, i.file)}`)).toEqual(["a a.yaml", "b sub/b.yaml"]);
    expect(summary.files).toBe(2);
  });

  it("a link to nothing is named as such", async () => {
    const d = tmp({ "a.yaml": pod("a") });
    symlinkSync("missing.yaml", join(d, "gone.yaml"));
    const r = await plan(["-f", d]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`isoplace: invalid input (nothing planned):\n  ${join(d, "gone.yaml")}: a symbolic link to nothing (its target does not exist)\n`);
  });
});

// decision ids differ per workload; the rest of what -o yaml writes is exact
const anyId = (text: string) => text.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "ID");

describe.concurrent("isoplace plan -o yaml changes the fields the webhook changes, and nothing else", () => {
  const YAML_IN = `# numbers as written: never read and printed again
apiVersion: v1
kind: Pod
metadata:
  name: p   # the name
  annotations: {isoplace.io/artifact: wasm, deploy.example.com/built: 2024-01-01}
spec:
  terminationGracePeriodSeconds: 9007199254740993
  x-ratio: 1.50
  x-mask: 0x10
  containers:
    - name: a
      image: x
      args: [
        "a",
        "b"
        ]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    metadata:
      annotations:
        isoplace.io/artifact: container
        isoplace.io/level: 'L9'
        note: |
          text

    spec:
      containers: [{name: a, image: x}]
`;
  const YAML_OUT = `# numbers as written: never read and printed again
apiVersion: v1
kind: Pod
metadata:
  name: p   # the name
  annotations: {isoplace.io/artifact: wasm, deploy.example.com/built: 2024-01-01, isoplace.io/level: L4, isoplace.io/runtime: wasmedge, isoplace.io/decision-id: ID, isoplace.io/policy: default@2025.11.15-1}
spec:
  terminationGracePeriodSeconds: 9007199254740993
  x-ratio: 1.50
  x-mask: 0x10
  containers:
    - name: a
      image: x
      args: [
        "a",
        "b"
        ]
  runtimeClassName: wasmedge
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    metadata:
      annotations:
        isoplace.io/artifact: container
        isoplace.io/level: 'L3'
        note: |
          text
        isoplace.io/runtime: containerd
        isoplace.io/decision-id: ID
        isoplace.io/policy: default@2025.11.15-1

    spec:
      containers: [{name: a, image: x}]
`;
  const JSON_IN = `{
  "apiVersion": "v1",
  "kind": "Pod",
  "metadata": {
    "name": "j",
    "annotations": {
      "isoplace.io/artifact": "wasm"
    }
  },
  "spec": {
    "terminationGracePeriodSeconds": 9007199254740993,
    "x": 1.50,
    "containers": []
  }
}
`;
  const JSON_OUT = `{
  "apiVersion": "v1",
  "kind": "Pod",
  "metadata": {
    "name": "j",
    "annotations": {
      "isoplace.io/artifact": "wasm",
      "isoplace.io/level": "L4",
      "isoplace.io/runtime": "wasmedge",
      "isoplace.io/decision-id": "ID",
      "isoplace.io/policy": "default@2025.11.15-1"
    }
  },
  "spec": {
    "terminationGracePeriodSeconds": 9007199254740993,
    "x": 1.50,
    "containers": [],
    "runtimeClassName": "wasmedge"
  }
}
`;

  it("YAML and JSON: each change in its mapping's own style; comments, layout, numbers and dates byte for byte; planning it again changes nothing", async () => {
    const d = tmp({ "a.yaml": YAML_IN, "b.json": JSON_IN });
    const r = await plan(["-f", join(d, "a.yaml"), "-f", join(d, "b.json"), ...CLASSES, "-o", "yaml"]);
    expect(r.code, r.stderr).toBe(0);
    expect(anyId(r.stdout)).toBe(`${YAML_OUT}---\n${JSON_OUT}`);
    const again = await plan(["-f", "-", ...CLASSES, "-o", "yaml", "--fail-on", "change"], r.stdout);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe(r.stdout);
  });

  it("an entry beside a merge key (<<) is added to its mapping; a change an anchor would carry to another field is refused, nothing written", async () => {
    const merged = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: m\n  annotations:\n    <<: {isoplace.io/artifact: wasm}\nspec: {containers: []}\n";
    const shared = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: s\n  annotations: &a\n    isoplace.io/artifact: wasm\n  labels: *a\nspec: {containers: []}\n";
    const [m, s] = await Promise.all([plan(["-f", "-", ...CLASSES, "-o", "yaml"], merged), plan(["-f", "-", ...CLASSES, "-o", "yaml"], shared)]);
    expect(m.code, m.stderr).toBe(0);
    expect(anyId(m.stdout)).toBe(
      merged
        .replace(
          "wasm}\n",
          "wasm}\n    isoplace.io/level: L4\n    isoplace.io/runtime: wasmedge\n    isoplace.io/decision-id: ID\n    isoplace.io/policy: default@2025.11.15-1\n",
        )
        .replace("spec: {containers: []}", "spec: {containers: [], runtimeClassName: wasmedge}"),
    );
    expect(s.code).toBe(2);
    expect(s.stdout).toBe("");
    expect(s.stderr).toContain("<stdin>:1: -o yaml cannot write the webhook's changes to this object without changing other fields too");
  });
});

describe.concurrent("isoplace plan reads YAML as kubectl does (tests/k8s/kube-yaml.test.ts has the scalars)", () => {
  it("a date, a time and 1:20 are strings, a null annotation is empty, a key given twice is its last value", async () => {
    const text = pod(
      "p",
      "\n    isoplace.io/artifact: container\n    deploy.example.com/date: 2024-01-01\n    deploy.example.com/at: 2024-01-01T10:00:00Z\n" +
        "    deploy.example.com/window: 1:20\n    deploy.example.com/none: ~\n    isoplace.io/artifact: wasm",
    );
    const [asJson, asYaml] = await Promise.all([plan(["-f", "-", ...CLASSES, "-o", "json"], text), plan(["-f", "-", ...CLASSES, "-o", "yaml"], text)]);
    expect(json(asJson).items[0]).toMatchObject({ name: "p", level: "L4", runtime: "wasmedge", outcome: "mutated" });
    expect(asYaml.code, asYaml.stderr).toBe(0);
    expect(asYaml.stdout.startsWith(text.slice(0, text.indexOf("spec:")))).toBe(true);
  });

  it("0o17 and 1e3 are numbers to kubectl: a number where a string belongs, named", async () => {
    const r = await plan(
      ["-f", "-", "-o", "json"],
      pod("p", "\n    isoplace.io/artifact: wasm\n    isoplace.io/max-memory-mb: 0o17\n    isoplace.io/max-cold-start-ms: 1e3"),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('<stdin>:7: metadata.annotations["isoplace.io/max-memory-mb"]: must be a string, got a number: quote the value');
    expect(r.stderr).toContain('<stdin>:8: metadata.annotations["isoplace.io/max-cold-start-ms"]: must be a string, got a number: quote the value');
  });

  it("an alias bomb is refused before it is expanded, whatever the output", async () => {
    const levels = [
      "  a0: &a0 [x, x, x, x, x, x, x, x, x]",
      ...Array.from({ length: 8 }, (_, i) => `  a${i + 1}: &a${i + 1} [${Array(9).fill(`*a${i}`).join(", ")}]`),
    ];
    const bomb = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\ndata:\n${levels.join("\n")}\n`;
    for (const r of await Promise.all(["json", "yaml", "table"].map((o) => plan(["-f", "-", "-o", o], bomb)))) {
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("<stdin>:1: the document expands to more than 1,000,000 nodes through its aliases");
    }
  });
});
