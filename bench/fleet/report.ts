// The fleet simulation's figures in words and as bench rows.
import type { Row } from "../section.ts";
import type { RolloutResult } from "./rollout.ts";
import type { FleetResult } from "./simulate.ts";

const ms = (x: number) => (Number.isFinite(x) ? `${Math.round(x)} ms` : "not converged");

export function describeFleet(r: FleetResult): string {
  const lines = [
    `fleet (${r.kind} agents${r.origin === "registry" ? ", OCI registry" : ""}): ${r.agents} agents, poll every ${r.intervalMs} ms + up to ${Math.round(r.jitter * 100)}% jitter, module ${r.moduleBytes} bytes; setup ${ms(r.setupMs)}`,
  ];
  for (const [name, p] of [
    ["initial (first polls spread over a cycle)", r.startup],
    ["update (v2 published)", r.update],
  ] as const) {
    lines.push(
      `  ${name}: ${p.converged}/${r.agents} in ${ms(p.convergedMs)} (p50 ${ms(p.p50Ms)}, p95 ${ms(p.p95Ms)}); ` +
        `in ${ms(p.windowMs)} the server sent ${p.server.full} modules, ${p.server.notModified} 304s, ${p.server.sigFull} signatures; ` +
        `≤ ${p.maxDownloadsPerAgent} download(s) per agent; ${p.rejected} rejected; ${p.pollErrors} failed polls; simulator CPU ${p.cpuPct}% of a core` +
        (r.origin === "registry" ? `; the push took ${ms(p.publishMs)} (not counted)` : ""),
    );
  }
  lines.splice(
    2,
    0,
    `  steady (nothing new): in ${ms(r.steady.windowMs)} the server sent ${r.steady.server.notModified} 304s and ${r.steady.server.full} modules`,
  );
  lines.push(
    `  target ≤ ${ms(r.targetMs)} (one interval + jitter): ${r.update.convergedMs <= r.targetMs ? "met" : "NOT met"}; ` +
      `≤ 1 download per agent per version: ${r.update.maxDownloadsPerAgent <= 1 ? "met" : "NOT met"}`,
  );
  return lines.join("\n");
}

export function fleetRows(r: FleetResult): Row[] {
  const id = (s: string) => `fleet.${r.kind}.${s}`;
  const p = r.update;
  return [
    {
      id: id("convergenceMs"),
      label: `${r.agents} ${r.kind} agents: all on v2 after publish`,
      value: Math.round(p.convergedMs),
      unit: "ms",
      target: { op: "<=", limit: r.targetMs },
      note: `poll ${r.intervalMs} ms + ${Math.round(r.jitter * 100)}% jitter`,
    },
    { id: id("p50Ms"), label: `${r.kind}: median agent on v2`, value: Math.round(p.p50Ms), unit: "ms" },
    {
      id: id("cpuPct"),
      label: `${r.kind}: simulator CPU while publishing`,
      value: p.cpuPct,
      unit: "% core",
      note: "near 100: the one process is the bottleneck",
    },
    {
      id: id("downloadsPerAgent"),
      label: `${r.kind}: module downloads per agent (max)`,
      value: p.maxDownloadsPerAgent,
      unit: "",
      target: { op: "<=", limit: 1 },
    },
    { id: id("fullDownloads"), label: `${r.kind}: full downloads (server)`, value: p.server.full, unit: "" },
    {
      id: id("notModified"),
      label: `${r.kind}: 304s (server) while publishing`,
      value: p.server.notModified,
      unit: "",
      note: `over ${Math.round(p.windowMs)} ms`,
    },
    {
      id: id("steadyNotModified"),
      label: `${r.kind}: 304s (server) in a poll cycle, nothing new`,
      value: r.steady.server.notModified,
      unit: "",
      note: `${r.steady.server.full} full, over ${Math.round(r.steady.windowMs)} ms`,
    },
  ];
}

/** The staged-rollout runs in words. */
export function describeRollout(r: RolloutResult): string {
  const s = r.staged,
    g = r.guarded,
    h = r.halt;
  return [
    `rollout (${r.origin === "registry" ? "OCI registry" : "URL"}): ${r.agents} agents, poll every ${r.intervalMs} ms + up to ${Math.round(r.jitter * 100)}% jitter, plan ${r.plan.map((p) => `${p.percent}%@${p.afterMs / 1000}s`).join(",")}`,
    `  staged: ${s.steps.map((x) => `${x.percent}% → ${x.adoptedPct}% on v2 (${x.deviationPts >= 0 ? "+" : ""}${x.deviationPts} points; buckets ${x.coveredPct}%)`).join("; ")}; ${s.early} early; later steps adopted ${s.adoptionLagMs.p50} ms after opening (p99 ${s.adoptionLagMs.p99}, max ${s.adoptionLagMs.max}); ≤ ${s.maxDownloadsPerAgent} download(s) per agent; ${s.pollErrors} failed polls; event-loop delay p99 ${s.loopDelayMs.p99} ms, max ${s.loopDelayMs.max} ms`,
    `  guard (max ${r.guard.maxChangedShare * 100}% of ≥ ${r.guard.minShadowDecisions}, bake ${r.guard.bake} s; the candidate changes ${Math.round(g.mixChangedShare * 1000) / 10}% of the live mix): ${g.adopted} adopted, ${g.refused} refused, ${g.pendingAtEnd} pending; median ${g.decisionsMedian} shadow decisions (min ${g.decisionsMin}), ${Math.round(g.changedShareMedian * 1000) / 10}% changed; ${g.topTransition}`,
    `  halt at ${h.haltAtMs} ms: ${h.adoptedBeforeHalt} had adopted, ${h.adoptedWithinGrace} adopted within one interval + jitter (${h.graceMs} ms), ${h.adoptedAfterGrace} after; ${h.onV1AtEnd} on v1 at the end, ${h.pendingAtEnd} pending`,
  ].join("\n");
}
