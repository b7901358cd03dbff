// One soak run: a real agent (`isoplace serve` as a child process on 127.0.0.1, with a data
// dir, a trusted key and an admin token) under concurrent mixed load while good policies are
// swapped in and bad ones uploaded; then a graceful stop. Returns the figures and whether the
// run passed: no failed request, every swap done, every bad module refused with its reason,
// the agent's own counters agreeing, and neither the token nor the private key in its output.
import { randomBytes } from "node:crypto";
import { readFile, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { createEngine } from "../../host/engine/engine.ts";
import { badModules } from "../../tests/hardening/support/bad-modules.ts";
import { spawnAgent, type AgentProcess } from "../../tests/hardening/support/agent-process.ts";
import {
  build,
  DEFAULT_EDGE_STACK,
  DEFAULT_VERSION,
  defaultSource,
  failingSelfTestSource,
  keyFiles,
  signHeader,
  tempDir,
  variantSource,
} from "../../tests/shipping/support/fixtures.ts";
import { startFaults, type GoodModule } from "./faults.ts";
import { startLoad } from "./load.ts";
import { requestMaker } from "./requests.ts";

export interface SoakOptions {
  /** How long the load runs; or, instead, until this much is done (a swap or upload that fails ends it too). */
  length: { seconds: number } | { swaps: number; requests: number };
  connections: number;
  swapMs: number;
  badMs: number;
  log?: (m: string) => void;
}

const V2 = "2025.11.15-soak2",
  V2_STACK = "K3s + WasmEdge 0.15.0 (soak v2)";

const quantile = (sorted: number[], q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN);
const round = (x: number) => Math.round(x * 100) / 100;

export async function runSoak(o: SoakOptions) {
  const log = o.log ?? (() => {});
  const root = await tempDir("isoplace-soak-");
  let agent: AgentProcess | undefined;
  try {
    log("building and signing the policies (cached after the first run)");
    const [keys, untrusted] = await Promise.all([keyFiles(join(root, "keys")), keyFiles(join(root, "untrusted"))]);
    const [v1, v2, selfTestBad] = await Promise.all([
      defaultSource().then(build),
      variantSource(V2, V2_STACK).then(build),
      failingSelfTestSource().then(build),
    ]);
    const good: [GoodModule, GoodModule] = [
      { version: DEFAULT_VERSION, bytes: v1, sign: () => signHeader(v1, keys) },
      { version: V2, bytes: v2, sign: () => signHeader(v2, keys) },
    ];
    const bad = await badModules(v2, selfTestBad, keys, untrusted);
    const catalogue = (await createEngine(v1)).catalogue;
    const privatePem = await readFile(keys.key, "utf8");

    const token = randomBytes(32).toString("hex");
    const tokenFile = join(root, "admin.token");
    await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
    // the agent logs every request: its output is scanned as it comes for the token and the key, not kept
    const secrets = [token, privatePem.split("\n")[1]];
    let carry = "",
      secretSeen = false;
    agent = await spawnAgent(["--data-dir", join(root, "data"), "--trusted-key", keys.pub, "--admin-token-file", tokenFile], {
      keepRequestLogs: false,
      onOutput: (chunk) => {
        const text = carry + chunk;
        if (secrets.some((s) => text.includes(s))) secretSeen = true;
        carry = text.slice(-128);
      },
    });
    log(
      `agent ${agent.url} (pid ${agent.child.pid}) listening after ${agent.startMs.toFixed(0)} ms; ${o.connections} connections for ${"seconds" in o.length ? `${o.length.seconds} s` : `${o.length.swaps} swaps, every bad class and ${o.length.requests} requests`}, a swap every ${o.swapMs} ms, a bad module every ${o.badMs} ms`,
    );

    const load0 = loadavg()[0];
    const started = performance.now();
    const length = o.length;
    let answered = () => {};
    const onAnswer = () => answered();
    const load = startLoad(agent.url, o.connections, requestMaker(catalogue, { [DEFAULT_VERSION]: DEFAULT_EDGE_STACK, [V2]: V2_STACK }), onAnswer);
    const faults = startFaults({ url: agent.url, token, good, bad, swapMs: o.swapMs, badMs: o.badMs, activeVersion: DEFAULT_VERSION, onAnswer });
    if ("seconds" in length) await new Promise((r) => setTimeout(r, length.seconds * 1000));
    else {
      const t = faults.tally;
      const done = () =>
        t.swaps.failed > 0 ||
        t.bad.failures.length > 0 ||
        load.tally.failed > 0 ||
        (t.swaps.done >= length.swaps && load.tally.requests >= length.requests && Object.values(t.bad.byClass).every((c) => c.sent > 0));
      await new Promise<void>((resolve) => {
        answered = () => {
          if (done()) {
            answered = () => {};
            resolve();
          }
        };
      });
    }
    const f = await faults.stop();
    const l = await load.stop();
    const elapsed = (performance.now() - started) / 1000;

    const metrics = await (await fetch(`${agent.url}/metrics`)).text();
    const counter = (re: RegExp) =>
      Number(
        metrics
          .split("\n")
          .find((line) => re.test(line))
          ?.split(" ")
          .at(-1) ?? 0,
      );
    const rejectionsByReason = Object.fromEntries(
      [...new Set(bad.map((b) => b.reason))].map((r) => [r, counter(new RegExp(`^isoplace_policy_rejections_total\\{reason="${r}"\\}`))]),
    );
    const activations = counter(/^isoplace_policy_activations_total /);
    const exit = await agent.kill("SIGTERM");

    const sorted = [...l.latencies].sort((a, b) => a - b);
    const swapSorted = [...f.swapMs].sort((a, b) => a - b);
    const expectedRejections = Object.fromEntries(
      Object.keys(rejectionsByReason).map((r) => [
        r,
        Object.values(f.bad.byClass)
          .filter((c) => c.reason === r)
          .reduce((n, c) => n + c.sent, 0),
      ]),
    );
    const problems = [
      ...(l.failed ? [`${l.failed} failed requests`] : []),
      ...(f.swaps.failed ? [`${f.swaps.failed} failed swaps`] : []),
      ...f.bad.failures,
      ...(activations !== f.swaps.done ? [`the agent counted ${activations} activations, the soak did ${f.swaps.done}`] : []),
      ...(JSON.stringify(rejectionsByReason) !== JSON.stringify(expectedRejections)
        ? [`the agent counted rejections ${JSON.stringify(rejectionsByReason)}, expected ${JSON.stringify(expectedRejections)}`]
        : []),
      ...(exit !== 0 ? [`the agent exited ${exit} on SIGTERM`] : []),
      ...(secretSeen ? ["the admin token or the private key appeared in the agent's output"] : []),
    ];
    return {
      passed: problems.length === 0,
      problems,
      generatedAt: new Date().toISOString(),
      machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? "unknown", loadAverage1mAtStart: round(load0), node: process.version },
      options: { ...o.length, connections: o.connections, swapEveryMs: o.swapMs, badEveryMs: o.badMs },
      agent: { startMs: Math.round(agent.startMs), exitOnSigterm: exit, outputLines: agent.lines(), secretInOutput: secretSeen },
      requests: {
        total: l.requests,
        failed: l.failed,
        failureSamples: l.failures,
        perSecond: Math.round(l.requests / elapsed),
        byRoute: l.byRoute,
        latencyMs: {
          p50: round(quantile(sorted, 0.5)),
          p90: round(quantile(sorted, 0.9)),
          p99: round(quantile(sorted, 0.99)),
          p999: round(quantile(sorted, 0.999)),
          max: round(sorted.at(-1) ?? NaN),
        },
      },
      swaps: {
        ...f.swaps,
        latencyMs: { p50: round(quantile(swapSorted, 0.5)), p99: round(quantile(swapSorted, 0.99)), max: round(swapSorted.at(-1) ?? NaN) },
        agentActivations: activations,
      },
      badUploads: {
        sent: f.bad.sent,
        rejected: f.bad.rejected,
        classesTried: Object.values(f.bad.byClass).filter((c) => c.sent > 0).length,
        classes: bad.length,
        failures: f.bad.failures,
        byClass: f.bad.byClass,
        agentRejectionsByReason: rejectionsByReason,
      },
    };
  } finally {
    await agent?.kill();
    await rm(root, { recursive: true, force: true });
  }
}
