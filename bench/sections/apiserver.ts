// Pod creation through the real kube-apiserver (and etcd) of `npm run peers`, with and without
// the admission webhook, in one run on one server: the same opted-in pod created in a namespace
// the webhook's configuration selects (the API server calls `isoplace webhook`, applies its patch
// and the RuntimeClass plugin's overhead) and in one it does not (the same request, no call).
// 8 clients at once over keep-alive HTTPS, interleaved rounds; the webhook adds the difference.
// Targets (issue 23): ≤ 1.5 ms added at p50, ≤ 5 ms at p99. For scale only (another machine,
// another tool): Kyverno v1.18.1's own benchmark reports 103–144 ms p99 for pod admission at
// 10 virtual users on a 32-vCPU KinD cluster (docs/ADMISSION.md).
import { readFileSync } from "node:fs";
import { CONTROL_PLANE_PEERS } from "../../tests/k8s-e2e/support/control-plane.ts";
import { installWebhook, MODE_LABEL, namespace, OPTED_IN, pod, startCluster, webhookActive } from "../../tests/k8s-e2e/support/cluster.ts";
import { missingPeers } from "../../tests/support/peers.ts";
import type { Section } from "../section.ts";
import { round, summarise } from "../stats.ts";

const CLIENTS = 8;

/** A process's CPU time so far (utime + stime), in ms. */
function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
}

/** kube-apiserver's own count and summed seconds of its calls to the webhook `name` (its admission metrics). */
function webhookCalls(metrics: string, name: string): { count: number; seconds: number } {
  const out = { count: 0, seconds: 0 };
  for (const line of metrics.split("\n")) {
    if (!line.startsWith("apiserver_admission_webhook_admission_duration_seconds_") || !line.includes(`name="${name}"`)) continue;
    const value = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (line.startsWith("apiserver_admission_webhook_admission_duration_seconds_count")) out.count += value;
    else if (line.startsWith("apiserver_admission_webhook_admission_duration_seconds_sum")) out.seconds += value;
  }
  return out;
}
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
      /** `count` creates in `ns` by `clients` clients at once: each create's milliseconds. */
      const round_ = async (ns: string, count: number, clients = CLIENTS): Promise<number[]> => {
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
        await Promise.all(Array.from({ length: clients }, client));
        return out;
      };
      // where the time goes: each process's CPU per create on each side, and the API server's own timing of its webhook calls
      const processes = { apiserver: c.cp.apiserver.process.pid!, etcd: c.cp.etcd.process.pid!, webhook: hook.child.process.pid! };
      type Cpu = Record<keyof typeof processes, number>;
      const cpuNow = (): Cpu => ({ apiserver: cpuMs(processes.apiserver), etcd: cpuMs(processes.etcd), webhook: cpuMs(processes.webhook) });
      const cpu = { [WITH]: { apiserver: 0, etcd: 0, webhook: 0 }, [WITHOUT]: { apiserver: 0, etcd: 0, webhook: 0 } } as Record<string, Cpu>;
      const measured = async (ns: string, count: number): Promise<number[]> => {
        const before = cpuNow();
        const ms = await round_(ns, count);
        const after = cpuNow();
        for (const k of Object.keys(processes) as (keyof Cpu)[]) cpu[ns][k] += after[k] - before[k];
        return ms;
      };
      const hookName: string = hook.configuration.webhooks[0].name;
      const calls = async () => webhookCalls((await c.cp.api("GET", "/metrics")).text, hookName);

      const rounds = ctx.quick ? 2 : 5,
        perRound = ctx.quick ? 20 : 120;
      await round_(WITH, ctx.quick ? 8 : 40); // warm up both paths (connections, caches)
      await round_(WITHOUT, ctx.quick ? 8 : 40);
      ctx.log(`apiserver: ${rounds} A/B rounds of ${perRound} pod creates per side, ${CLIENTS} clients, kube-apiserver ${version.gitVersion}`);
      const a: number[] = [],
        b: number[] = [];
      const calls0 = await calls();
      for (let i = 0; i < rounds; i++) {
        a.push(...(await measured(WITH, perRound)));
        b.push(...(await measured(WITHOUT, perRound)));
      }
      const calls1 = await calls();
      const seenByApiserverMs = ((calls1.seconds - calls0.seconds) * 1000) / (calls1.count - calls0.count);
      // one client: the added latency where nothing queues for the two cores
      const single = { with: [] as number[], without: [] as number[] };
      for (let i = 0; i < (ctx.quick ? 1 : 3); i++) {
        single.with.push(...(await round_(WITH, perRound / 2, 1)));
        single.without.push(...(await round_(WITHOUT, perRound / 2, 1)));
      }
      const withHook = summarise(a),
        without = summarise(b);
      const perCreate = (ns: string) =>
        Object.fromEntries(Object.entries(cpu[ns]).map(([k, v]) => [k, round(v / (ns === WITH ? withHook.n : without.n), 3)])) as Cpu;
      const cpuWith = perCreate(WITH),
        cpuWithout = perCreate(WITHOUT);
      const oneClient = {
        p50: round(summarise(single.with).p50 - summarise(single.without).p50, 2),
        withP50Ms: round(summarise(single.with).p50, 2),
        withoutP50Ms: round(summarise(single.without).p50, 2),
      };
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
            cpuMsPerCreate: { withWebhook: cpuWith, withoutWebhook: cpuWithout },
            webhookCallMsSeenByApiserver: round(seenByApiserverMs, 2),
            oneClientAddedMs: oneClient,
            kubernetes: version.gitVersion,
            method:
              "the same opted-in pod created through kube-apiserver (etcd --unsafe-no-fsync, no nodes) in a namespace the webhook's configuration selects and in one it does not; 8 clients over keep-alive HTTPS with a bearer token; interleaved rounds; `isoplace webhook` (dist, fill mode, info logs) as in deploy/k3s/webhook; CPU per create: each process's utime+stime over its side's rounds (10 ms ticks) / creates; the webhook call as kube-apiserver times it: its apiserver_admission_webhook_admission_duration_seconds sum / count over the rounds with the webhook; one client: 3 more rounds a side of half as many creates, one at a time",
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
          {
            id: "apiserver.webhookCallMsSeenByApiserver",
            label: "the webhook call as kube-apiserver times it (mean)",
            value: seenByApiserverMs,
            unit: "ms",
            note: `CPU per create with / without the webhook: kube-apiserver ${cpuWith.apiserver} / ${cpuWithout.apiserver} ms, etcd ${cpuWith.etcd} / ${cpuWithout.etcd} ms, the webhook ${cpuWith.webhook} ms`,
          },
          {
            id: "apiserver.oneClientAddedMs.p50",
            label: "added by the webhook, p50, one client",
            value: oneClient.p50,
            unit: "ms",
            note: `${oneClient.withP50Ms} vs ${oneClient.withoutP50Ms} ms`,
          },
        ],
      };
    } finally {
      await hook?.child.stop("SIGTERM");
      await c.stop();
    }
  },
};
