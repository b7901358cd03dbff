// A small fleet: 50 agents' policy pipelines and URL pollers against one bundle server on
// 127.0.0.1. After v2 is published every agent activates it and downloads it exactly once; while
// nothing changes, polls cost the server 304s only. (The timing is measured in bench/fleet.ts, not asserted.)
import { join } from "node:path";
import { beforeAll, expect, it } from "vitest";
import { simulateFleet, type FleetResult } from "../../bench/fleet/simulate.ts";
import { build, DEFAULT_VERSION, defaultSource, keyFiles, sign, tempDir, variantSource } from "./support/fixtures.ts";

const AGENTS = 50, V2 = "2025.11.15-2";
let result: FleetResult;

beforeAll(async () => {
  const keys = await keyFiles(join(await tempDir(), "keys"));
  const [v1, v2] = await Promise.all([defaultSource().then(build), variantSource(V2, "K3s + WasmEdge 0.15.0 (v2)").then(build)]);
  result = await simulateFleet({
    agents: AGENTS, kind: "full", intervalMs: 300, jitter: 0.2, builtIn: v1, trustedKeys: keys.trusted,
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
