// Pod creation through the real kube-apiserver (and etcd) of `npm run peers`, with and without
// the admission webhook, in one run on one server: the same opted-in pod created in a namespace
// the webhook's configuration selects (the API server calls `isoplace webhook`, applies its patch
// and the RuntimeClass plugin's overhead) and in one it does not (the same request, no call).
// 8 clients at once over keep-alive HTTPS, interleaved rounds; the webhook adds the difference.
// Targets (issue 23): ≤ 1.5 ms added at p50, ≤ 5 ms at p99. For scale only (another machine,
// another tool): Kyverno v1.18.1's own benchmark reports 103–144 ms p99 for pod admission at
// 10 virtual users on a 32-vCPU KinD cluster (docs/ADMISSION.md).
import { CONTROL_PLANE_PEERS } from "../../tests/k8s-e2e/support/control-plane.ts";
import { installWebhook, MODE_LABEL, namespace, OPTED_IN, pod, startCluster, webhookActive } from "../../tests/k8s-e2e/support/cluster.ts";
import { missingPeers } from "../../tests/support/peers.ts";
import type { Section } from "../section.ts";
import { round, summarise } from "../stats.ts";

const CLIENTS = 8;
const WITH = "placed",
  WITHOUT = "unplaced";

export const apiserverSection: Section = {
  name: "apiserver",
  title: "Pod creation through a real kube-apiserver",
  async run(ctx) {
    const missing = missingPeers(...CONTROL_PLANE_PEERS);
    if (missing.length) throw new Error(`the apiserver section needs ${missing.join(", ")} in .peers/bin: npm run peers`);
    const c = await startCluster("bench-apiserver");
    let hook: Awaited<ReturnType<typeof installWebhook>> | undefined;
    try {
      hook = await installWebhook(c, { mode: "fill" });
      await Promise.all([namespace(c.cp, WITH, { [MODE_LABEL]: "fill" }), namespace(c.cp, WITHOUT)]);
      await webhookActive(c.cp, WITH);
      const version = (await c.cp.api("GET", "/version")).json;

      let n = 0;
      /** `count` creates in `ns` by CLIENTS clients at once: each create's milliseconds. */
      const round_ = async (ns: string, count: number): Promise<number[]> => {
        const out: number[] = [];
        let started = 0;
        const client = async () => {
          while (started < count) {
            started++;
            const t0 = performance.now();
            const r = await c.cp.api("POST", `/api/v1/namespaces/${ns}/pods`, pod(`p-${n++}`, OPTED_IN));
            const ms = performance.now() - t0;
            if (r.status !== 201) throw new Error(`create in ${ns}: ${r.status} ${r.text.slice(0, 300)}`);
            const placed = Boolean(r.json.metadata.annotations?.["isoplace.io/decision-id"]);
            if (placed !== (ns === WITH)) throw new Error(`a pod in ${ns} was ${placed ? "" : "not "}placed`);
            out.push(ms);
          }
        };
        await Promise.all(Array.from({ length: CLIENTS }, client));
        return out;
      };

      const rounds = ctx.quick ? 2 : 5,
        perRound = ctx.quick ? 20 : 120;
      await round_(WITH, ctx.quick ? 8 : 40); // warm up both paths (connections, caches)
      await round_(WITHOUT, ctx.quick ? 8 : 40);
      ctx.log(`apiserver: ${rounds} A/B rounds of ${perRound} pod creates per side, ${CLIENTS} clients, kube-apiserver ${version.gitVersion}`);
      const a: number[] = [],
        b: number[] = [];
      for (let i = 0; i < rounds; i++) {
        a.push(...(await round_(WITH, perRound)));
        b.push(...(await round_(WITHOUT, perRound)));
      }
      const withHook = summarise(a),
        without = summarise(b);
      const addedP50 = withHook.p50 - without.p50,
        addedP99 = withHook.p99 - without.p99;
      const admissions = await hook.admissions();
      return {
        figures: {
          apiserver: {
            withWebhook: { p50Ms: round(withHook.p50, 2), p99Ms: round(withHook.p99, 2), creates: withHook.n },
            withoutWebhook: { p50Ms: round(without.p50, 2), p99Ms: round(without.p99, 2), creates: without.n },
            addedMs: { p50: round(addedP50, 2), p99: round(addedP99, 2) },
            clients: CLIENTS,
            rounds,
            createsPerRound: perRound,
            webhookAdmissions: admissions,
            kubernetes: version.gitVersion,
            method:
              "the same opted-in pod created through kube-apiserver (etcd --unsafe-no-fsync, no nodes) in a namespace the webhook's configuration selects and in one it does not; 8 clients over keep-alive HTTPS with a bearer token; interleaved rounds; `isoplace webhook` (dist, fill mode, info logs) as in deploy/k3s/webhook",
          },
        },
        rows: [
          {
            id: "apiserver.withWebhook.p50Ms",
            label: `pod create with the webhook (${CLIENTS} clients)`,
            value: withHook.p50,
            unit: "ms",
            note: `p99 ${round(withHook.p99, 2)} ms, ${withHook.n} creates`,
          },
          {
            id: "apiserver.withoutWebhook.p50Ms",
            label: "pod create, namespace not sent",
            value: without.p50,
            unit: "ms",
            note: `p99 ${round(without.p99, 2)} ms, ${without.n} creates`,
          },
          { id: "apiserver.addedMs.p50", label: "added by the webhook, p50", value: addedP50, unit: "ms", target: { op: "<=", limit: 1.5 } },
          { id: "apiserver.addedMs.p99", label: "added by the webhook, p99", value: addedP99, unit: "ms", target: { op: "<=", limit: 5 } },
        ],
      };
    } finally {
      await hook?.child.stop("SIGTERM");
      await c.stop();
    }
  },
};
