// The admission webhook behind a real kube-apiserver (and etcd), pods created with the real
// kubectl: the MutatingWebhookConfiguration of deploy/k3s/webhook as the server evaluates it
// (matchConditions, namespaceSelector, reinvocationPolicy, dry run), the JSON Patch as the server
// applies it, the RuntimeClass admission plugin over the classes of deploy/, and what kubectl
// shows of warnings and denials. One webhook process per mode, each for its own namespace.
import { createServer } from "node:https";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { parseAllDocuments } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { havePeers, needsPeers } from "../support/peers.ts";
import { pollOtherProcess } from "../support/poll.ts";
import { installWebhook, MODE_LABEL, namespace, OPTED_IN, pod, startCluster, webhookActive, type Cluster, type Installed } from "./support/cluster.ts";
import { CONTROL_PLANE_PEERS } from "./support/control-plane.ts";
import { argOf, RUNTIME_CLASS_FILES } from "./support/webhook.ts";

const MODES = ["fill", "override", "advise"] as const;
/** A multi-tenant service in a container image: a VM per pod, L1 on Kata (docs/ADMISSION.md's example). */
const TENANT = { "isoplace.io/artifact": "container", "isoplace.io/security": "multi-tenant,compliance" };
const runtimeClasses = () =>
  RUNTIME_CLASS_FILES.flatMap((f) => parseAllDocuments(readFileSync(f, "utf8")).map((d) => d.toJS())).filter((d) => d?.kind === "RuntimeClass");

describe.skipIf(!havePeers(...CONTROL_PLANE_PEERS))(needsPeers("the webhook behind a real kube-apiserver", ...CONTROL_PLANE_PEERS), () => {
  let c: Cluster;
  const hooks = {} as Record<(typeof MODES)[number], Installed>;

  beforeAll(async () => {
    c = await startCluster("e2e-admission");
    await Promise.all([
      ...MODES.map(async (mode) => {
        hooks[mode] = await installWebhook(c, { mode });
        await namespace(c.cp, mode, { [MODE_LABEL]: mode });
      }),
      // the namespaces the configuration excludes, labelled as if they opted in
      ...["kube-system", "isoplace"].map((ns) => namespace(c.cp, ns, { [MODE_LABEL]: "fill" })),
    ]);
    await Promise.all(MODES.map((mode) => webhookActive(c.cp, mode)));
  }, 240_000);

  afterAll(async () => {
    await Promise.all(MODES.map((m) => hooks[m]?.child.stop("SIGTERM")));
    await c?.stop();
  }, 60_000);

  const create = (ns: string, p: unknown, ...flags: string[]) => c.cp.kubectl(["create", "-n", ns, "-o", "json", "-f", "-", ...flags], JSON.stringify(p));
  const get = async (ns: string, name: string) => JSON.parse(await c.cp.kubectlOk(["get", "pod", "-n", ns, name, "-o", "json"]));
  /** The webhook's audit lines for a pod, once there are `count` (its log is written out in batches, a moment after the answer). */
  const auditOf = async (w: Installed, ns: string, name: string, count = 1) => {
    const mine = (l: string) => l.includes('"msg":"admission"') && l.includes(`"pod":"${ns}/${name}"`);
    await w.child.waitForLine((l) => mine(l) && w.child.lines.filter(mine).length >= count, `${count} admission lines for ${ns}/${name}`);
    return w.audit().filter((a) => a.pod === `${ns}/${name}`);
  };

  it("every class the Deployment's --runtime-classes may pick exists as a RuntimeClass in deploy/, and the server has them", async () => {
    const picked = argOf(c.rendered.args, "--runtime-classes").split(",");
    const inDeploy = runtimeClasses().map((r) => r.metadata.name);
    expect(inDeploy).toEqual(expect.arrayContaining(picked));
    const served = (await c.cp.kubectlOk(["get", "runtimeclass", "-o", "jsonpath={.items[*].metadata.name}"])).split(" ");
    expect(served).toEqual(expect.arrayContaining(picked));
  });

  it("fill: the pod gets the policy's RuntimeClass and the four output annotations; the RuntimeClass plugin then adds the class's overhead and node selector", async () => {
    const r = await create("fill", pod("tenant-api", TENANT));
    expect(r.code, r.stderr).toBe(0);
    const created = JSON.parse(r.stdout);
    const kata = runtimeClasses().find((rc) => rc.metadata.name === "kata");
    expect(created.spec.runtimeClassName).toBe("kata");
    expect(created.spec.overhead).toEqual(kata.overhead.podFixed);
    expect(created.spec.nodeSelector).toEqual(kata.scheduling.nodeSelector);
    // the RuntimeClass plugin runs again after the webhook's patch and changes the pod, so the
    // server calls the webhook again (reinvocationPolicy IfNeeded), with a uid of its own: the
    // second call changes nothing and keeps the first decision's id
    const [audit, again] = await auditOf(hooks.fill, "fill", "tenant-api", 2);
    expect(audit).toMatchObject({ outcome: "mutated", placement: "L1", runtimeClassName: "kata", dryRun: false });
    expect(again).toMatchObject({ outcome: "unchanged", decisionId: audit.decisionId });
    expect(again.uid).not.toBe(audit.uid);
    expect(created.metadata.annotations).toMatchObject({
      ...TENANT,
      "isoplace.io/level": "L1",
      "isoplace.io/runtime": audit.runtime,
      "isoplace.io/decision-id": audit.decisionId,
      "isoplace.io/policy": expect.stringMatching(/^default@/),
    });
    // what was stored is what was answered
    expect((await get("fill", "tenant-api")).spec).toMatchObject({ runtimeClassName: "kata", overhead: kata.overhead.podFixed });
  });

  it("fill: a pod that names another class keeps it, and kubectl shows the webhook's warning", async () => {
    const r = await create("fill", pod("named-gvisor", TENANT, { runtimeClassName: "gvisor" }));
    expect(r.code, r.stderr).toBe(0);
    const created = JSON.parse(r.stdout);
    expect(created.spec.runtimeClassName).toBe("gvisor");
    expect(created.spec.overhead).toBeUndefined();
    expect(r.stderr).toMatch(/^Warning: isoplace: the pod names runtimeClassName gvisor; kept \(fill mode\), the policy chose kata$/m);
    expect(await auditOf(hooks.fill, "fill", "named-gvisor")).toMatchObject([{ outcome: "unchanged", runtimeClassName: "kata" }]);
  });

  it("override: the pod's class is replaced, and the RuntimeClass plugin applies the new class's overhead and scheduling", async () => {
    const r = await create("override", pod("was-gvisor", TENANT, { runtimeClassName: "gvisor" }));
    expect(r.code, r.stderr).toBe(0);
    const created = JSON.parse(r.stdout);
    const kata = runtimeClasses().find((rc) => rc.metadata.name === "kata");
    expect(created.spec).toMatchObject({ runtimeClassName: "kata", overhead: kata.overhead.podFixed, nodeSelector: kata.scheduling.nodeSelector });
    expect(r.stderr).toMatch(/Warning: isoplace: runtimeClassName gvisor replaced by kata \(override mode\)/);
    expect(created.metadata.annotations["isoplace.io/level"]).toBe("L1");
  });

  it("override: from a class with its own overhead (kata-fc) to another (kata): the server admits the pod with the new class's overhead", async () => {
    const r = await create("override", pod("was-kata-fc", TENANT, { runtimeClassName: "kata-fc" }));
    expect(r.code, r.stderr).toBe(0);
    const created = JSON.parse(r.stdout);
    const kata = runtimeClasses().find((rc) => rc.metadata.name === "kata");
    expect(created.spec).toMatchObject({ runtimeClassName: "kata", overhead: kata.overhead.podFixed, nodeSelector: kata.scheduling.nodeSelector });
  });

  it("advise: the class is never set or changed; the output annotations and a warning say what the policy chose", async () => {
    const r = await create("advise", pod("advised", TENANT));
    expect(r.code, r.stderr).toBe(0);
    const created = JSON.parse(r.stdout);
    expect(created.spec.runtimeClassName).toBeUndefined();
    expect(created.spec.overhead).toBeUndefined();
    expect(created.metadata.annotations).toMatchObject({ "isoplace.io/level": "L1", "isoplace.io/decision-id": expect.any(String) });
    expect(r.stderr).toMatch(/Warning: isoplace: advise mode: runtimeClassName kata not set/);
    const kept = JSON.parse((await create("advise", pod("advised-gvisor", TENANT, { runtimeClassName: "gvisor" }))).stdout);
    expect(kept.spec.runtimeClassName).toBe("gvisor");
  });

  it("a pod without isoplace.io/ annotations is never sent (matchConditions): the webhook's admission counter does not move", async () => {
    const before = await hooks.fill.admissions();
    const r = await create("fill", pod("plain", { "app.kubernetes.io/name": "plain" }));
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).spec.runtimeClassName).toBeUndefined();
    expect(r.stderr).toBe("");
    expect(await hooks.fill.admissions()).toBe(before);
    // …while an annotated pod in the same namespace is: the counter is live
    await create("fill", pod("annotated", OPTED_IN));
    expect(await hooks.fill.admissions()).toBe(before + 1);
  });

  it("the excluded namespaces (kube-system, isoplace) are not sent, even for an annotated pod", async () => {
    const before = await hooks.fill.admissions();
    for (const ns of ["kube-system", "isoplace"]) {
      const r = await create(ns, pod("annotated", TENANT));
      expect(r.code, r.stderr).toBe(0);
      const created = JSON.parse(r.stdout);
      expect(created.spec.runtimeClassName).toBeUndefined();
      expect(created.metadata.annotations["isoplace.io/decision-id"]).toBeUndefined();
    }
    expect(await hooks.fill.admissions()).toBe(before);
  });

  it("a denial reaches kubectl naming the annotation and the allowed ids; no pod is created", async () => {
    const r = await create("fill", pod("bad-security", { "isoplace.io/security": "bulletproof" }));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /admission webhook "pods\.isoplace\.io" denied the request: isoplace: invalid annotations on fill\/bad-security: isoplace\.io\/security/,
    );
    expect(r.stderr).toMatch(/bulletproof/);
    expect(r.stderr).toMatch(/zero-trust/); // one of the allowed ids, listed
    const got = await c.cp.kubectl(["get", "pod", "-n", "fill", "bad-security"]);
    expect(got.stderr).toMatch(/NotFound/);
  });

  it("kubectl create --dry-run=server gets the same decision and leaves nothing behind", async () => {
    const dry = await create("fill", pod("dry", TENANT), "--dry-run=server");
    expect(dry.code, dry.stderr).toBe(0);
    const answered = JSON.parse(dry.stdout);
    expect(answered.spec).toMatchObject({ runtimeClassName: "kata", overhead: expect.any(Object) });
    expect(answered.metadata.annotations["isoplace.io/level"]).toBe("L1");
    expect(await auditOf(hooks.fill, "fill", "dry", 2)).toMatchObject([
      { dryRun: true, outcome: "mutated", runtimeClassName: "kata", decisionId: answered.metadata.annotations["isoplace.io/decision-id"] },
      { dryRun: true, outcome: "unchanged" },
    ]);
    expect((await c.cp.kubectl(["get", "pod", "-n", "fill", "dry"])).stderr).toMatch(/NotFound/);
    // the real create: the same decision as the dry run
    const real = JSON.parse((await create("fill", pod("dry", TENANT))).stdout);
    expect(real.spec.runtimeClassName).toBe(answered.spec.runtimeClassName);
    expect(real.metadata.annotations["isoplace.io/level"]).toBe(answered.metadata.annotations["isoplace.io/level"]);
    expect(real.metadata.annotations["isoplace.io/runtime"]).toBe(answered.metadata.annotations["isoplace.io/runtime"]);
  });

  it("reinvocation: a second webhook that changes the pod after ours gets ours called again, and the answer is stable", async () => {
    // a tiny mutating webhook of the test's own: labels every pod it is sent, once
    let labelled = 0;
    const labeler = createServer({ cert: readFileSync(c.certs.cert), key: readFileSync(c.certs.key) }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (d) => chunks.push(d));
      req.on("end", () => {
        const review = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        const labels = review.request.object.metadata.labels ?? {};
        const patch = labels["e2e.isoplace.io/labelled"] ? undefined : [{ op: "add", path: "/metadata/labels/e2e.isoplace.io~1labelled", value: "yes" }];
        if (patch) labelled++;
        res.setHeader("content-type", "application/json");
        res.end(
          JSON.stringify({
            apiVersion: "admission.k8s.io/v1",
            kind: "AdmissionReview",
            response: {
              uid: review.request.uid,
              allowed: true,
              ...(patch ? { patchType: "JSONPatch", patch: Buffer.from(JSON.stringify(patch)).toString("base64") } : {}),
            },
          }),
        );
      });
    });
    await new Promise<void>((resolve) => labeler.listen(0, "127.0.0.1", resolve));
    try {
      const port = (labeler.address() as AddressInfo).port;
      // named to sort after ours: the server calls configurations in name order
      await c.cp.kubectlOk(
        ["apply", "-f", "-"],
        JSON.stringify({
          apiVersion: "admissionregistration.k8s.io/v1",
          kind: "MutatingWebhookConfiguration",
          metadata: { name: "zz-e2e-labeler" },
          webhooks: [
            {
              name: "labeler.e2e.isoplace.io",
              admissionReviewVersions: ["v1"],
              sideEffects: "None",
              failurePolicy: "Fail",
              timeoutSeconds: 5,
              reinvocationPolicy: "Never",
              clientConfig: { url: `https://127.0.0.1:${port}/`, caBundle: c.certs.caBundle },
              rules: [{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"] }],
              namespaceSelector: { matchLabels: { "e2e.isoplace.io/labeler": "on" } },
            },
          ],
        }),
      );
      await namespace(c.cp, "reinvoke", { [MODE_LABEL]: "fill", "e2e.isoplace.io/labeler": "on" });
      // the labeler is active once a dry run comes back labelled
      let i = 0,
        last = "";
      await pollOtherProcess(
        async () => {
          const r = await c.cp.api("POST", "/api/v1/namespaces/reinvoke/pods?dryRun=All", pod(`probe-${i++}`, OPTED_IN));
          last = r.text.slice(0, 300);
          return r.json?.metadata?.labels?.["e2e.isoplace.io/labelled"] && r.json.metadata.annotations?.["isoplace.io/decision-id"];
        },
        { ms: 30_000, everyMs: 100, what: "the labeler called", last: () => last },
      );
      const r = await create("reinvoke", pod("relabelled", TENANT));
      expect(r.code, r.stderr).toBe(0);
      const created = JSON.parse(r.stdout);
      expect(created.metadata.labels["e2e.isoplace.io/labelled"]).toBe("yes");
      expect(created.spec.runtimeClassName).toBe("kata");
      const calls = await auditOf(hooks.fill, "reinvoke", "relabelled", 2);
      expect(calls.map((a) => a.outcome)).toEqual(["mutated", "unchanged"]); // called again, nothing more to change
      expect(calls[1].decisionId).toBe(calls[0].decisionId);
      expect(created.metadata.annotations["isoplace.io/decision-id"]).toBe(calls[0].decisionId);
      expect(labelled).toBeGreaterThan(0);
    } finally {
      await c.cp.kubectl(["delete", "mutatingwebhookconfiguration", "zz-e2e-labeler"]);
      await new Promise((resolve) => labeler.close(resolve));
    }
  });
});
