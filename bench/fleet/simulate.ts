// The fleet simulation: N agents' pollers in one process against one bundle server on 127.0.0.1
// (URL sources) or, with `registry`, a real OCI registry (OCI sources; origins.ts). The fleet first converges on v1 (first polls spread over one cycle); then v2 is published and the
// run measures how long until every agent has it, and what the server served meanwhile (full
// downloads vs 304s). Two kinds of agent:
//   full      — each poller feeds a real PolicyManager: signature, ABI, compile, self-test, swap.
//   signature — each poller feeds a stand-in that checks the signed statement and records the
//               module: the poll protocol alone. In one process the full pipeline's CPU (a few ms
//               per agent) is paid N times on one core, which a real fleet pays once per node, in
//               parallel; this mode shows the protocol's convergence without that artefact.
// Used by `npm run bench:fleet`, the bench's fleet section, and tests/shipping/fleet.test.ts.
import { sha256Hex } from "../../host/engine/engine.ts";
import { PolicyManager, type PolicyError } from "../../host/delivery/manager.ts";
import type { TrustedKey } from "../../host/delivery/signing.ts";
import { envelopesOf, type Delivery, type OfferResult, type PolicySink } from "../../host/delivery/source.ts";
import type { StoredEntry } from "../../host/delivery/state.ts";
import { verifyStatement } from "../../host/delivery/statement.ts";
import type { BundleCounts } from "./bundle-server.ts";
import { bundleOrigin, registryOrigin, type PolledSource } from "./origins.ts";

export type AgentKind = "full" | "signature";

export interface FleetOptions {
  agents: number;
  kind: AgentKind;
  intervalMs: number;
  /** Fraction of the interval added at random to each poll's wait. */
  jitter: number;
  builtIn: Uint8Array;
  v1: { bytes: Uint8Array; signature: string; version: string };
  v2: { bytes: Uint8Array; signature: string; version: string };
  trustedKeys: TrustedKey[];
  /** Poll a real OCI registry (Debian's docker-registry) instead of the bundle server. */
  registry?: boolean;
  /** Give up waiting for convergence after this long (default: 5 intervals + 30 s). */
  timeoutMs?: number;
  log?: (message: string) => void;
}

interface Phase {
  /** From the start (or the publish) until the last agent had the version active. */
  convergedMs: number;
  /** Time until each agent had it: median and 95th percentile. */
  p50Ms: number;
  p95Ms: number;
  converged: number;
  /** Agents that refused a candidate in this phase (e.g. a module and a .sig fetched across a publish). */
  rejected: number;
  /** How long the server's counts cover: until convergence, and at least one full poll cycle. */
  windowMs: number;
  server: BundleCounts;
  /** Module downloads in this phase: the most any one agent made. */
  maxDownloadsPerAgent: number;
  /** Polls that failed on the agents' side (timeouts, refused connections) in this phase. */
  pollErrors: number;
  /** This process's CPU over the phase, in % of one core: near 100 the simulator itself is the bottleneck. */
  cpuPct: number;
  /** How long publishing took (the registry push; 0 for the bundle server), before the phase's clock starts. */
  publishMs: number;
}

export interface FleetResult {
  /** What the agents polled: "url" (the bundle server) or "registry" (an OCI registry). */
  origin: "url" | "registry";
  agents: number;
  kind: AgentKind;
  intervalMs: number;
  jitter: number;
  /** The target: one interval plus the largest jitter. */
  targetMs: number;
  moduleBytes: number;
  setupMs: number;
  startup: Phase;
  /** One poll cycle with nothing new published: what an idle fleet costs the server. */
  steady: { windowMs: number; server: BundleCounts };
  update: Phase;
}

interface SimAgent {
  sink: PolicySink;
  activeSha(): string | undefined;
  lastError(): PolicyError | null;
  idle(): Promise<void>;
}

/** The signature-only stand-in for an agent's PolicyManager. */
class SignatureSink implements PolicySink {
  active: string | undefined;
  lastErr: PolicyError | null = null;
  private readonly keys: TrustedKey[];
  constructor(keys: TrustedKey[], active: string) {
    this.keys = keys;
    this.active = active;
  }
  async offer(c: Delivery): Promise<OfferResult> {
    const sha = await sha256Hex(c.bytes);
    let refused: OfferResult | undefined;
    for (const envelope of envelopesOf(c)) {
      const check = await verifyStatement(envelope, this.keys);
      if (!check.ok) refused = this.reject(c.source, check.reason, check.message);
      else if (check.statement.moduleSha256 !== sha) refused = this.reject(c.source, "digest", "the statement is for other bytes");
      else return this.take(sha);
    }
    return refused!;
  }
  private take(sha: string): OfferResult {
    const status = sha === this.active ? "unchanged" : "activated";
    this.active = sha;
    return { status, policy: { moduleSha256: sha } as StoredEntry };
  }
  reject(_source: string, reason: string, message: string): OfferResult {
    this.lastErr = { at: new Date().toISOString(), reason, message };
    return { status: "rejected", reason, message };
  }
  tag(): undefined {
    return undefined;
  }
  noteCheck(): void {}
  noteSourceError(_source: string, message: string): void {
    this.lastErr = { at: new Date().toISOString(), reason: "source", message };
  }
}

const quantile = (sorted: number[], q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN);

async function makeAgent(o: FleetOptions, builtInSha: string): Promise<SimAgent> {
  if (o.kind === "signature") {
    const s = new SignatureSink(o.trustedKeys, builtInSha);
    return { sink: s, activeSha: () => s.active, lastError: () => s.lastErr, idle: async () => {} };
  }
  const m = await PolicyManager.start({ trustedKeys: o.trustedKeys, builtIn: async () => o.builtIn });
  return { sink: m, activeSha: () => m.active.engine.policy.moduleSha256, lastError: () => m.lastError, idle: () => m.idle() };
}

export async function simulateFleet(o: FleetOptions): Promise<FleetResult> {
  const log = o.log ?? (() => {});
  const server = o.registry ? await registryOrigin() : await bundleOrigin();
  const sources: PolledSource[] = [];
  try {
    await server.publish(o.v1);
    const t0 = performance.now();
    const builtInSha = await sha256Hex(o.builtIn);
    const agents: SimAgent[] = [];
    for (let i = 0; i < o.agents; i++) agents.push(await makeAgent(o, builtInSha));
    const setupMs = performance.now() - t0;
    log(`fleet: ${o.agents} ${o.kind} agents started on the built-in policy in ${Math.round(setupMs)} ms`);

    // An agent has reached a phase's goal when its active module is the published one and its
    // poller has completed a successful poll since the phase began (at start the built-in may already be v1).
    const phase = async (target: Uint8Array, minWindowMs: number, start: () => void | Promise<void>): Promise<Phase> => {
      const sha = await sha256Hex(target);
      const at: number[] = new Array(o.agents).fill(NaN);
      const downloads = sources.map((s) => s.stats.downloads);
      const okPolls = () => sources.map((s) => s.stats.polls - s.stats.errors);
      const polls = okPolls();
      const pollErrors = sources.reduce((n, s) => n + s.stats.errors, 0);
      const errors = agents.map((a) => a.lastError());
      server.resetCounts();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await start();
      // timed from the moment the version is out: a registry push takes several requests, and
      // agents see the tag move only with the last one (the bundle server publishes at once)
      const t = performance.now();
      const publishMs = t - t0;
      const timeout = o.timeoutMs ?? o.intervalMs * 5 + 30_000;
      for (;;) {
        const now = performance.now() - t;
        agents.forEach((a, i) => {
          if (Number.isNaN(at[i]) && a.activeSha() === sha && sources[i].stats.polls - sources[i].stats.errors > (polls[i] ?? 0)) at[i] = now;
        });
        if ((!at.some(Number.isNaN) && now >= minWindowMs) || now > timeout) break;
        await new Promise((r) => setTimeout(r, 5));
      }
      // let the offers in flight land, so the counts cover the whole phase
      await Promise.all(agents.map((a) => a.idle()));
      const windowMs = performance.now() - t;
      const cpu = process.cpuUsage(cpu0);
      const done = at.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
      return {
        convergedMs: done.length === o.agents ? done[done.length - 1] : NaN,
        p50Ms: quantile(done, 0.5),
        p95Ms: quantile(done, 0.95),
        converged: done.length,
        rejected: agents.filter((a, i) => a.lastError() !== errors[i] && a.lastError()?.reason !== "source").length,
        windowMs,
        server: server.counts,
        maxDownloadsPerAgent: Math.max(0, ...sources.map((s, i) => s.stats.downloads - (downloads[i] ?? 0))),
        pollErrors: sources.reduce((n, s) => n + s.stats.errors, 0) - pollErrors,
        cpuPct: Math.round((cpu.user + cpu.system) / 10 / windowMs),
        publishMs,
      };
    };

    // the first fetch in a process loads the HTTP client: not part of any agent's poll
    await server.warm();
    const startup = await phase(o.v1.bytes, 0, () => {
      for (const a of agents) {
        // agents of a running fleet started at unrelated times: each poller's first poll is at a
        // random point of one poll cycle (a fleet-wide restart bunches them instead; the jitter
        // then spreads them out over a few cycles)
        const s = server.source({
          intervalMs: o.intervalMs,
          jitter: o.jitter,
          timeoutMs: 30_000,
          firstDelayMs: Math.random() * o.intervalMs * (1 + o.jitter),
        });
        sources.push(s);
        s.start(a.sink);
      }
    });
    log(
      `fleet: startup: ${startup.converged}/${o.agents} on ${o.v1.version} after ${Math.round(startup.convergedMs)} ms; server ${JSON.stringify(startup.server)}`,
    );

    // steady state: a full poll round on v1 (which also leaves each poller at a random point of its cycle)
    server.resetCounts();
    const ts = performance.now();
    await new Promise((r) => setTimeout(r, o.intervalMs * (1 + o.jitter)));
    const steady = { windowMs: performance.now() - ts, server: server.counts };
    log(`fleet: steady: in ${Math.round(steady.windowMs)} ms the server sent ${steady.server.notModified} 304s and ${steady.server.full} modules`);
    const update = await phase(o.v2.bytes, o.intervalMs * (1 + o.jitter), () => server.publish(o.v2));
    log(
      `fleet: update: ${update.converged}/${o.agents} on ${o.v2.version} after ${Math.round(update.convergedMs)} ms; server ${JSON.stringify(update.server)}`,
    );

    return {
      origin: server.kind,
      agents: o.agents,
      kind: o.kind,
      intervalMs: o.intervalMs,
      jitter: o.jitter,
      targetMs: o.intervalMs * (1 + o.jitter),
      moduleBytes: o.v2.bytes.length,
      setupMs,
      startup,
      steady,
      update,
    };
  } finally {
    for (const s of sources) s.stop();
    await server.close();
  }
}
