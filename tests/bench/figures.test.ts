// The figures in the docs are generated from the JSON files the runs write (scripts/figures.mjs):
// each block must be exactly what its file gives, so no figure is typed by hand.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error plain JavaScript module without types
import { blocks, figuresBlock, fleetBlock, rewrite } from "../../scripts/figures.mjs";
import { PACKAGE_ROOT } from "../../host/node/paths.ts";

interface Block { file: string; source: string; next: string; current: string }
const json = (rel: string) => JSON.parse(readFileSync(join(PACKAGE_ROOT, rel), "utf8"));

describe("figures generated from their files", () => {
  it("README's figures block is generated from bench/results.json, one whole run", () => {
    const results = json("bench/results.json");
    expect(results.quick).toBe(false);
    for (const key of ["core", "engineDecide", "engineBaseline", "createEngineCold", "linearMemory", "http", "fleet"]) expect(results).toHaveProperty(key);
    const readme = readFileSync(join(PACKAGE_ROOT, "README.md"), "utf8");
    expect(rewrite(readme, figuresBlock(results))).toBe(readme);
  });

  it("every generated block (README, K3s memory, fleet, registry fleet, staged rollouts, soak, meter) is what its file gives", () => {
    const all: Block[] = blocks();
    expect(all.map((b) => `${b.file} ← ${b.source}`)).toEqual([
      "README.md ← bench/results.json",
      "deploy/k3s/README.md ← deploy/k3s/memory-results.json",
      "docs/SHIPPING.md ← bench/fleet-results.json",
      "docs/OCI.md ← bench/fleet-registry-results.json",
      "docs/SHIPPING.md ← bench/fleet-results.json",
      "docs/SHIPPING.md ← bench/fleet-registry-results.json",
      "docs/SECURITY.md ← bench/soak-results.json",
      "docs/SECURITY.md ← bench/results.json",
    ]);
    for (const b of all) expect(b.current, `${b.file} differs from ${b.source}: run node scripts/figures.mjs`).toBe(b.next);
  });

  it("bench/fleet-results.json is one run with its machine and load, at both intervals the doc shows", () => {
    const r = json("bench/fleet-results.json");
    expect(r.machine.loadAverage.start).toHaveLength(3);
    expect(Date.parse(r.finishedAt)).toBeGreaterThanOrEqual(Date.parse(r.generatedAt));
    const seen = r.runs.map((x: { intervalMs: number; kind: string }) => `${x.intervalMs} ${x.kind}`).sort();
    expect(seen).toEqual(["1000 full", "1000 signature", "5000 full", "5000 signature"]);
    for (const x of r.runs) expect(typeof x.loadAverage1mAtStart).toBe("number");
  });

  it("a changed figure in a file changes the block (the check can fail)", () => {
    const r = json("bench/fleet-results.json");
    const before = fleetBlock(r);
    r.runs[0].update.convergedMs += 1234;
    expect(fleetBlock(r)).not.toBe(before);
  });
});
