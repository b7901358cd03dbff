// A small fleet: 50 agents' policy pipelines and URL pollers against one bundle server on
// 127.0.0.1. After v2 is published every agent activates it and downloads it exactly once; while
// nothing changes, polls cost the server 304s only. A staged rollout across 40 agents: the plan,
// the guard and a halt hold (the shares and timings are measured in bench/fleet.ts, not asserted).
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runRollouts, type RolloutResult } from "../../bench/fleet/rollout.ts";
import { simulateFleet, type FleetResult } from "../../bench/fleet/simulate.ts";
import { serverlessMovedSource } from "../../bench/fleet/variants.ts";
import { build, DEFAULT_VERSION, defaultSource, keyFiles, sign, tempDir, variantSource } from "./support/fixtures.ts";

const AGENTS = 50,
  V2 = "2025.11.15-2";
let result: FleetResult;

beforeAll(async () => {
  const keys = await keyFiles(join(await tempDir(), "keys"));
  const [v1, v2] = await Promise.all([defaultSource().then(build), variantSource(V2, "K3s + WasmEdge 0.15.0 (v2)").then(build)]);
  result = await simulateFleet({
    agents: AGENTS,
    kind: "full",
    intervalMs: 300,
    jitter: 0.2,
    builtIn: v1,
    trustedKeys: keys.trusted,
    // v1 is served signed: the agents activate it from the URL (a new activation, not the built-in)
    v1: { bytes: v1, signature: await sign(v1, keys), version: DEFAULT_VERSION },
    v2: { bytes: v2, signature: await sign(v2, keys), version: V2 },
    timeoutMs: 20_000,
  });
}, 60_000);

it(`all ${AGENTS} agents converge on the published version`, () => {
  expect(result.startup.converged).toBe(AGENTS);
  expect(result.update.converged).toBe(AGENTS);
  expect(Number.isFinite(result.update.convergedMs)).toBe(true);
});

it("each agent downloads the new module once", () => {
  const figures = JSON.stringify(result.update);
  expect(result.update.server.full, figures).toBe(AGENTS);
  expect(result.update.server.sigFull, figures).toBe(AGENTS);
  expect(result.update.maxDownloadsPerAgent, figures).toBe(1);
  expect(result.update.server.failed, figures).toBe(0);
  expect(result.update.rejected, figures).toBe(0);
});

it("a poll cycle with nothing new costs the server only 304s", () => {
  const figures = JSON.stringify(result.steady);
  expect(result.steady.server.full, figures).toBe(0);
  expect(result.steady.server.sigFull, figures).toBe(0);
  expect(result.steady.server.notModified, figures).toBeGreaterThan(0);
});

describe("a staged rollout across a small fleet (bench/fleet/rollout.ts)", () => {
  let r: RolloutResult;
  beforeAll(async () => {
    const keys = await keyFiles(join(await tempDir(), "rollout-keys"));
    const [v1, v2, moved] = await Promise.all([
      defaultSource().then(build),
      variantSource(V2, "K3s + WasmEdge 0.15.0 (v2)").then(build),
      serverlessMovedSource("2025.11.15-moved").then(build),
    ]);
    r = await runRollouts({
      agents: 40,
      intervalMs: 300,
      jitter: 0.2,
      percents: [10, 50, 100],
      stepMs: 2000,
      guard: { maxChangedShare: 0.05, minShadowDecisions: 20, bake: 1 },
      requestsPerAgentPerS: 40,
      modules: { v1, v2, moved },
      key: keys.signer,
      trustedKeys: keys.trusted,
    });
  }, 120_000);

  it("staged: nobody adopts before its step opens, everybody in the end, one download each", () => {
    const figures = JSON.stringify(r.staged);
    expect(r.staged.early, figures).toBe(0);
    expect(r.staged.steps.at(-1)!.adopted, figures).toBe(40);
    for (const s of r.staged.steps) expect(s.adopted, figures).toBeLessThanOrEqual(Math.round((s.coveredPct * 40) / 100));
    expect(r.staged.maxDownloadsPerAgent, figures).toBe(1);
  });

  it("guard: a candidate that moves every serverless decision is adopted by no agent, refused by all", () => {
    const figures = JSON.stringify(r.guarded);
    expect(r.guarded.adopted, figures).toBe(0);
    expect(r.guarded.refused, figures).toBe(40);
    expect(r.guarded.topTransition).toBe("L4/wasmedge → L3/containerd");
  });

  it("halt: no agent adopts after one poll interval, all are back on v1", () => {
    const figures = JSON.stringify(r.halt);
    expect(r.halt.adoptedAfterGrace, figures).toBe(0);
    expect(r.halt.onV1AtEnd, figures).toBe(40);
    expect(r.halt.pendingAtEnd, figures).toBe(0);
  });
});
