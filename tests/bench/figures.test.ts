// README's Performance table is generated from bench/results.json (scripts/figures.mjs): the
// block in README.md must be exactly what the file gives, so no figure is typed by hand.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error plain JavaScript module without types
import { figuresBlock, rewrite } from "../../scripts/figures.mjs";
import { PACKAGE_ROOT } from "../../host/node/paths.ts";

describe("README figures", () => {
  it("README's figures block is generated from bench/results.json, one whole run", () => {
    const results = JSON.parse(readFileSync(join(PACKAGE_ROOT, "bench/results.json"), "utf8"));
    expect(results.quick).toBe(false);
    for (const key of ["core", "engineDecide", "engineBaseline", "createEngineCold", "linearMemory", "http", "fleet"]) expect(results).toHaveProperty(key);
    const readme = readFileSync(join(PACKAGE_ROOT, "README.md"), "utf8");
    expect(rewrite(readme, figuresBlock(results))).toBe(readme);
  });
});
