// The figures in the docs are generated from the JSON files the runs write (scripts/figures.mjs):
// each block must be exactly what its file gives, so no figure is typed by hand.
import { readFileSync } from "node:fs";
import { join } from "node:path";
// @ts-expect-error plain JavaScript module without types
import { headlineBlock } from "../../scripts/figures.mjs";
import { describe, expect, it } from "vitest";
// @ts-expect-error plain JavaScript module without types
import { blocks, figuresBlock, fleetBlock, rewrite } from "../../scripts/figures.mjs";
import { PACKAGE_ROOT } from "../../host/package.ts";

interface Block {
  file: string;
  source: string;
  next: string;
  current: string;
}
const json = (rel: string) => JSON.parse(readFileSync(join(PACKAGE_ROOT, rel), "utf8"));

describe("figures generated from their files", () => {
  it("docs/PERFORMANCE.md's figures block is generated from bench/results.json, one whole run", () => {
    const results = json("bench/results.json");
    expect(results.quick).toBe(false);
    for (const key of ["core", "engineDecide", "engineBaseline", "createEngineCold", "linearMemory", "http", "fleet"]) expect(results).toHaveProperty(key);
    const doc = readFileSync(join(PACKAGE_ROOT, "docs/PERFORMANCE.md"), "utf8");
    expect(rewrite(doc, figuresBlock(results))).toBe(doc);
  });

  it("every generated block (README headline, performance, K3s memory, webhook memory, fleet, registry fleet, staged rollouts, soak, meter, bounds) is what its file gives", () => {
    const all: Block[] = blocks();
    expect(all.map((b) => `${b.file} ← ${b.source}`)).toEqual([
      "README.md ← bench/results.json",
      "docs/PERFORMANCE.md ← bench/results.json",
      "deploy/k3s/README.md ← deploy/k3s/memory-results.json",
      "docs/ADMISSION.md ← deploy/k3s/webhook/memory-results.json",
      "docs/SHIPPING.md ← bench/fleet-results.json",
      "docs/OCI.md ← bench/fleet-registry-results.json",
      "docs/SHIPPING.md ← bench/fleet-results.json",
      "docs/SHIPPING.md ← bench/fleet-registry-results.json",
      "docs/SECURITY.md ← bench/soak-results.json",
      "docs/SECURITY.md ← bench/results.json",
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

  it("README's headline is a few figures of the same run as docs/PERFORMANCE.md's table, each from the file", () => {
    const results = json("bench/results.json");
    const headline: string = headlineBlock(results),
      table: string = figuresBlock(results);
    const size = `${results.moduleBytes.toLocaleString("en")} bytes`;
    expect(headline).toContain(size);
    expect(table).toContain(`**${size}**`);
    expect(headline).toContain(results.generatedAt.slice(0, 10));
    results.moduleBytes += 7;
    results.http.ratio.rps = 0.5;
    const changed: string = headlineBlock(results);
    expect(changed).toContain(`${results.moduleBytes.toLocaleString("en")} bytes`);
    expect(changed).toContain("0.50×");
    delete results.http;
    expect(headlineBlock(results)).not.toMatch(/Hono/);
  });

  it("the OPA rows appear only with the opa section's figures, each from them", () => {
    const results = json("bench/results.json");
    delete results.opa;
    expect(figuresBlock(results)).not.toMatch(/OPA/);
    const side = (rps: number, p99Ms: number, rss: number) => ({
      rps,
      p50Ms: 1,
      p99Ms,
      cpuUsPerRequest: 1,
      rssAfterStartMb: rss,
      peakRssMb: rss + 5,
      startMs: 100,
      startRssMb: rss,
      failed: 0,
      rounds: [rps],
    });
    results.opa = {
      version: "1.22.4",
      equivalence: { spaceSample: 20_000, spaceSize: 1_762_140, mix: 4096, server: 1032, mismatches: 0 },
      decide: { isoplace: { p50Ns: 2500, p99Ns: 7000, meanNs: 3000 }, opaWasm: { p50Ns: 80_000, p99Ns: 200_000, meanNs: 90_000 } },
      module: { isoplaceBytes: 8186, opaWasmBytes: 188_992, opaDataBytes: 7690 },
      instantiate: { isoplaceMs: 0.7, opaWasmMs: 1.7 },
      http: { isoplace: side(9000, 9, 75.9), opa: side(1200, 40, 40.1) },
      ratio: {
        decideP50: 0.031,
        decideP99: 0.035,
        moduleBytes: 0.043,
        instantiate: 0.41,
        rps: 7.5,
        p99: 0.225,
        rssAfterStart: 1.893,
        rssUnderLoad: 1.6,
        start: 3,
      },
    };
    results.targets["opa.ratio.rssAfterStart"] = { label: "", value: 1.893, op: "<=", limit: 1.5, met: false };
    const block = figuresBlock(results);
    expect(block).toMatch(/vs OPA 1\.22\.4 .*25,128 requests decided alike first/);
    expect(block).toMatch(/2\.5 µs vs 80\.0 µs p50: \*\*0\.031×\*\*/);
    expect(block).toMatch(/8,186 vs 188,992 bytes/);
    expect(block).toMatch(/9,000 vs 1,200 req\/s: \*\*7\.50×\*\*/);
    expect(block).toMatch(/after start 75\.9 vs 40\.1 MB: \*\*1\.89×\*\*.*≤ 1\.5× — missed/);
    expect(block).not.toMatch(/log-level error/); // a run before OPA's quiet server was measured
    results.opa.http.opaLogError = side(1500, 30, 40.5);
    results.opa.ratio.rpsLogError = 6;
    expect(figuresBlock(results)).toMatch(
      /9,000 vs 1,200 req\/s: \*\*7\.50×\*\*; p99 9 ms vs 40 ms: \*\*0\.23×\*\*; OPA at `--log-level error` 1,500 req\/s: 6\.00×/,
    );
  });
});
