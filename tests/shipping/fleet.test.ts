// A small fleet: 50 agents' policy pipelines and URL pollers against one bundle server on
// 127.0.0.1. After v2 is published every agent activates it, each downloads it exactly once, and
// the other polls in the window are 304s. (The timing is measured in bench/fleet.ts, not asserted.)
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

it("each agent downloads the new module once; every other poll is a 304", () => {
  expect(result.update.server.full).toBe(AGENTS);
  expect(result.update.server.sigFull).toBe(AGENTS);
  expect(result.update.maxDownloadsPerAgent).toBe(1);
  expect(result.update.server.failed).toBe(0);
  expect(result.update.rejected).toBe(0);
  expect(result.update.server.notModified).toBeGreaterThan(0);
});
