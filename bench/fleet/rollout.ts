// The staged rollout across a simulated fleet: N agents' real PolicyManagers (each with its own
// node name, so its own bucket) and pollers in one process, against the bundle server or a real
// OCI registry (origins.ts). Three runs, each on a fresh fleet settled on v1:
//   staged — v2 published with a compressed plan (1 % at 0 s, 10 % at 10 s, 50 % at 20 s, 100 %
//            at 30 s by default): the share of agents on v2 just before each next step opens,
//            against the plan and against the share of buckets the step covers; downloads per agent;
//   guard  — a candidate that moves every serverless decision (variants.ts), the same plan and a
//            5 % guard, under live traffic (live-mix.ts) handed to every agent as its app would
//            (manager.observe with the live decision): how many agents adopt it (0 is the goal);
//   halt   — v2 staged again, and after its 10 % step the running module signed again with a
//            higher serial (what `policy halt` writes): adoptions after one poll interval (0 is the goal).
// Used by `npm run bench:fleet` (both origins) and tests/shipping/fleet.test.ts (a small fleet).
import { monitorEventLoopDelay } from "node:perf_hooks";
import { createEngine } from "../../host/engine/engine.ts";
import { PolicyManager } from "../../host/delivery/manager.ts";
import { rolloutBucket, stepFor, type Guard, type Rollout } from "../../host/delivery/rollout.ts";
import type { SigningKey, TrustedKey } from "../../host/delivery/signing.ts";
import { envelopeJson, signModuleStatement } from "../../host/delivery/statement.ts";
import { sha256Hex } from "../../host/engine/digest.ts";
import { liveMix } from "./live-mix.ts";
import { bundleOrigin, registryOrigin, type Origin, type PolledSource } from "./origins.ts";

export interface RolloutOptions {
  registry?: boolean;
  agents: number;
  intervalMs: number;
  jitter: number;
  /** The plan: percents, each step `stepMs` after the one before. */
  percents?: number[];
  stepMs?: number;
  /** When the halt is published, after the plan's start (default: 1.2 steps, after the second step opened). */
  haltAtMs?: number;
  guard?: Guard;
  /** Live requests per agent per second in the guard run. */
  requestsPerAgentPerS?: number;
  modules: { v1: Uint8Array; v2: Uint8Array; moved: Uint8Array };
  key: SigningKey;
  trustedKeys: TrustedKey[];
  log?: (m: string) => void;
}

interface StepFigure {
  percent: number;
  /** When the step opens and when the share was measured, after the plan's start. */
  opensAtMs: number;
  measuredAtMs: number;
  adopted: number;
  adoptedPct: number;
  /** The share of the fleet's buckets the step covers (what the node names hash to). */
  coveredPct: number;
  /** adoptedPct − percent, in points. */
  deviationPts: number;
}

export interface RolloutResult {
  origin: "url" | "registry";
  agents: number;
  intervalMs: number;
  jitter: number;
  plan: { percent: number; afterMs: number }[];
  guard: Guard;
  staged: {
    steps: StepFigure[];
    /** Agents that adopted before their step opened. */
    early: number;
    /** Agents of the later steps (which knew the candidate before their step opened): adoption after the opening, ms (p50, p99, max). */
    adoptionLagMs: { p50: number; p99: number; max: number };
    /** How late this process's timers ran (event-loop delay, ms): a starved simulator shows here, not in a real fleet. */
    loopDelayMs: LoopDelay;
    maxDownloadsPerAgent: number;
    fullDownloads: number;
    pollErrors: number;
    cpuPct: number;
  };
  guarded: {
    adopted: number;
    refused: number;
    pendingAtEnd: number;
    /** Over the refusing agents: shadow decisions each saw (median, min) and the share that changed (median). */
    decisionsMedian: number;
    decisionsMin: number;
    changedShareMedian: number;
    /** The live mix: the share of its requests the candidate changes (decided once, in full). */
    mixChangedShare: number;
    topTransition: string;
    requestsPerAgentPerS: number;
    windowMs: number;
    maxDownloadsPerAgent: number;
    loopDelayMs: LoopDelay;
  };
  halt: {
    haltAtMs: number;
    /** One poll interval plus the largest jitter after the halt was out. */
    graceMs: number;
    adoptedBeforeHalt: number;
    adoptedWithinGrace: number;
    adoptedAfterGrace: number;
    onV1AtEnd: number;
    pendingAtEnd: number;
    windowMs: number;
    loopDelayMs: LoopDelay;
  };
}

interface LoopDelay {
  p99: number;
  max: number;
}

/** The event-loop delay over `run`: how late timers (polls, step openings) ran in this process. */
async function withLoopDelay<T>(run: () => Promise<T>): Promise<T & { loopDelayMs: LoopDelay }> {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  try {
    const r = await run();
    return { ...r, loopDelayMs: { p99: Math.round(h.percentile(99) / 1e5) / 10, max: Math.round(h.max / 1e5) / 10 } };
  } finally {
    h.disable();
  }
}

interface SimAgent {
  name: string;
  bucket: number;
  manager: PolicyManager;
  source?: PolledSource;
  activations: { sha: string; at: number }[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : NaN;
};
const median = (xs: number[]) => quantile(xs, 0.5);
const pct = (n: number, of: number) => Math.round((1000 * n) / of) / 10;

export async function runRollouts(o: RolloutOptions): Promise<RolloutResult> {
  const log = o.log ?? (() => {});
  const percents = o.percents ?? [1, 10, 50, 100];
  const stepMs = o.stepMs ?? 10_000;
  const plan = percents.map((percent, i) => ({ percent, afterMs: i * stepMs }));
  const rollout = (start: number): Rollout => ({
    start: new Date(start).toISOString(),
    steps: plan.map((s) => ({ percent: s.percent, after: s.afterMs / 1000 })),
  });
  const guard: Guard = o.guard ?? { maxChangedShare: 0.05, minShadowDecisions: 50, bake: 5 };
  const grace = o.intervalMs * (1 + o.jitter);
  const shas = { v1: await sha256Hex(o.modules.v1), v2: await sha256Hex(o.modules.v2), moved: await sha256Hex(o.modules.moved) };
  const names = Array.from({ length: o.agents }, (_, i) => `node-${String(i).padStart(4, "0")}`);
  const buckets = await Promise.all(names.map((n) => rolloutBucket(n, "default")));
  const sign = async (bytes: Uint8Array, serial: number, staging: { rollout?: Rollout; guard?: Guard } = {}) =>
    envelopeJson(await signModuleStatement(bytes, [o.key], { serial, ...staging }));

  /** A fresh fleet on v1, polling `server`: every agent has finished one poll. */
  const fleet = async (server: Origin): Promise<SimAgent[]> => {
    await server.publish({ bytes: o.modules.v1, signature: await sign(o.modules.v1, 1) });
    const agents: SimAgent[] = [];
    for (let i = 0; i < o.agents; i++) {
      const manager = await PolicyManager.start({ trustedKeys: o.trustedKeys, builtIn: async () => o.modules.v1, rollout: { nodeName: names[i] } });
      const a: SimAgent = { name: names[i], bucket: buckets[i], manager, activations: [] };
      manager.active.onActivate((act) => a.activations.push({ sha: act.engine.policy.moduleSha256 ?? "", at: Date.now() }));
      agents.push(a);
    }
    await server.warm();
    for (const a of agents) {
      a.source = server.source({ intervalMs: o.intervalMs, jitter: o.jitter, timeoutMs: 30_000, firstDelayMs: Math.random() * grace });
      a.source.start(a.manager);
    }
    while (agents.some((a) => a.source!.stats.polls - a.source!.stats.errors < 1)) await sleep(20);
    return agents;
  };
  const stop = async (agents: SimAgent[]) => {
    for (const a of agents) a.source?.stop();
    await Promise.all(agents.map((a) => a.manager.stop()));
  };
  const origin = () => (o.registry ? registryOrigin() : bundleOrigin());
  const adoptedAt = (a: SimAgent, sha: string) => a.activations.find((x) => x.sha === sha)?.at;

  // ---- staged -------------------------------------------------------------------------------
  const staged: RolloutResult["staged"] = await withLoopDelay(async () => {
    const server = await origin();
    const agents = await fleet(server);
    try {
      const downloads = agents.map((a) => a.source!.stats.downloads);
      const errors = agents.reduce((n, a) => n + a.source!.stats.errors, 0);
      server.resetCounts();
      const start = Date.now() + 200;
      const cpu0 = process.cpuUsage();
      await server.publish({ bytes: o.modules.v2, signature: await sign(o.modules.v2, 2, { rollout: rollout(start) }) });
      log(`rollout (${server.kind}): v2 published with the plan ${plan.map((s) => `${s.percent}%@${s.afterMs / 1000}s`).join(",")}`);
      const steps: StepFigure[] = [];
      for (let k = 0; k < plan.length; k++) {
        const last = k === plan.length - 1;
        // just before the next step opens; after the last, once a poll cycle could have brought it anywhere
        const measuredAtMs = last ? plan[k].afterMs + Math.max(2000, stepMs / 5) : plan[k + 1].afterMs - 500;
        await sleep(start + measuredAtMs - Date.now());
        const adopted = agents.filter((a) => a.manager.active.engine.policy.moduleSha256 === shas.v2).length;
        const covered = buckets.filter((b) => b < plan[k].percent).length;
        const adoptedPct = pct(adopted, o.agents);
        steps.push({
          percent: plan[k].percent,
          opensAtMs: plan[k].afterMs,
          measuredAtMs,
          adopted,
          adoptedPct,
          coveredPct: pct(covered, o.agents),
          deviationPts: Math.round((adoptedPct - plan[k].percent) * 10) / 10,
        });
        log(`rollout (${server.kind}): step ${plan[k].percent}%: ${adopted}/${o.agents} on v2 (${adoptedPct}%; buckets covered ${pct(covered, o.agents)}%)`);
      }
      const cpu = process.cpuUsage(cpu0);
      const planned = { issuedAt: new Date(start).toISOString(), rollout: rollout(start) };
      const early = agents.filter((a) => {
        const at = adoptedAt(a, shas.v2);
        return at !== undefined && at < stepFor(planned, a.bucket).opensAt;
      }).length;
      const lags = agents
        .filter((a) => stepFor(planned, a.bucket).index > 0)
        .map((a) => (adoptedAt(a, shas.v2) ?? NaN) - stepFor(planned, a.bucket).opensAt)
        .filter(Number.isFinite);
      return {
        steps,
        early,
        adoptionLagMs: { p50: quantile(lags, 0.5), p99: quantile(lags, 0.99), max: Math.max(...lags) },
        maxDownloadsPerAgent: Math.max(0, ...agents.map((a, i) => a.source!.stats.downloads - downloads[i])),
        fullDownloads: server.counts.full,
        pollErrors: agents.reduce((n, a) => n + a.source!.stats.errors, 0) - errors,
        cpuPct: Math.round((cpu.user + cpu.system) / 10 / (Date.now() - start)),
      };
    } finally {
      await stop(agents);
      await server.close();
    }
  });

  // ---- guard --------------------------------------------------------------------------------
  const guarded: RolloutResult["guarded"] = await withLoopDelay(async () => {
    const v1 = await createEngine(o.modules.v1),
      candidate = await createEngine(o.modules.moved);
    const requests = liveMix(v1, 2048);
    const live = requests.map((r) => v1.decide(r));
    const mixChanged = requests.filter((r, i) => {
      const code = candidate.placeCode(r);
      return candidate.levelOf(code) !== live[i].level || candidate.runtimeOf(code) !== live[i].runtime;
    }).length;
    const rate = o.requestsPerAgentPerS ?? 20;
    const server = await origin();
    const agents = await fleet(server);
    const tickMs = 50;
    let next = 0,
      carry = 0;
    const driver = setInterval(() => {
      carry += (rate * tickMs) / 1000;
      const perAgent = Math.floor(carry);
      carry -= perAgent;
      for (const a of agents) {
        for (let k = 0; k < perAgent; k++) {
          const i = next++ % requests.length;
          a.manager.observe(requests[i], live[i].level, live[i].runtime);
        }
      }
    }, tickMs);
    try {
      const downloads = agents.map((a) => a.source!.stats.downloads);
      const start = Date.now() + 200;
      await server.publish({ bytes: o.modules.moved, signature: await sign(o.modules.moved, 2, { rollout: rollout(start), guard }) });
      const windowMs = plan.at(-1)!.afterMs + guard.bake * 1000 + 2 * grace + 1000;
      log(
        `rollout (${server.kind}): a candidate that moves every serverless decision published with the plan and the guard; ${rate} live requests per agent per second`,
      );
      await sleep(start + windowMs - Date.now());
      const refused = agents.filter((a) => a.manager.lastError?.reason === "guard");
      const decisions = refused.map((a) => a.manager.lastError!.decisions ?? 0);
      const shares = refused.map((a) => (a.manager.lastError!.changed ?? 0) / Math.max(1, a.manager.lastError!.decisions ?? 0));
      const result = {
        adopted: agents.filter((a) => adoptedAt(a, shas.moved) !== undefined).length,
        refused: refused.length,
        pendingAtEnd: agents.filter((a) => a.manager.status().pending).length,
        decisionsMedian: median(decisions),
        decisionsMin: decisions.length ? Math.min(...decisions) : 0,
        changedShareMedian: Math.round(median(shares) * 1000) / 1000,
        mixChangedShare: Math.round((1000 * mixChanged) / requests.length) / 1000,
        topTransition: refused[0]?.manager.lastError?.transitions?.[0]
          ? `${refused[0].manager.lastError!.transitions![0].from} → ${refused[0].manager.lastError!.transitions![0].to}`
          : "",
        requestsPerAgentPerS: rate,
        windowMs,
        maxDownloadsPerAgent: Math.max(0, ...agents.map((a, i) => a.source!.stats.downloads - downloads[i])),
      };
      log(
        `rollout (${server.kind}): guard: ${result.adopted} adopted, ${result.refused} refused, ${result.pendingAtEnd} still pending; median ${result.decisionsMedian} shadow decisions, ${result.changedShareMedian * 100}% changed`,
      );
      return result;
    } finally {
      clearInterval(driver);
      await stop(agents);
      await server.close();
    }
  });

  // ---- halt ---------------------------------------------------------------------------------
  const halt: RolloutResult["halt"] = await withLoopDelay(async () => {
    const server = await origin();
    const agents = await fleet(server);
    try {
      const start = Date.now() + 200;
      await server.publish({ bytes: o.modules.v2, signature: await sign(o.modules.v2, 2, { rollout: rollout(start) }) });
      await sleep(start + (o.haltAtMs ?? stepMs * 1.2) - Date.now());
      await server.publish({ bytes: o.modules.v1, signature: await sign(o.modules.v1, 3) });
      const haltAt = Date.now();
      log(`rollout (${server.kind}): halt published ${haltAt - start} ms after the plan's start`);
      const windowMs = plan.at(-1)!.afterMs + 2 * grace + 1000;
      await sleep(start + windowMs - Date.now());
      const at = agents.map((a) => adoptedAt(a, shas.v2)).filter((x): x is number => x !== undefined);
      const result = {
        haltAtMs: haltAt - start,
        graceMs: grace,
        adoptedBeforeHalt: at.filter((x) => x <= haltAt).length,
        adoptedWithinGrace: at.filter((x) => x > haltAt && x <= haltAt + grace).length,
        adoptedAfterGrace: at.filter((x) => x > haltAt + grace).length,
        onV1AtEnd: agents.filter((a) => a.manager.active.engine.policy.moduleSha256 === shas.v1).length,
        pendingAtEnd: agents.filter((a) => a.manager.status().pending).length,
        windowMs,
      };
      log(
        `rollout (${server.kind}): halt: ${result.adoptedBeforeHalt} had adopted v2 before it, ${result.adoptedWithinGrace} within one poll interval after, ${result.adoptedAfterGrace} later; ${result.onV1AtEnd} on v1 at the end`,
      );
      return result;
    } finally {
      await stop(agents);
      await server.close();
    }
  });

  return { origin: o.registry ? "registry" : "url", agents: o.agents, intervalMs: o.intervalMs, jitter: o.jitter, plan, guard, staged, guarded, halt };
}
