// The package's own files, wherever it runs from: source (host/…), built (dist/host/…) or an
// installed copy (node_modules/isoplace/…). Node-only, like host/index.ts; imported by the
// agent, the CLI and `policy build` alike, so it sits beside them rather than in one of them.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, "utf8")).name === "isoplace") return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error("cannot find the isoplace package root (its package.json)");
    dir = up;
  }
}

export const PACKAGE_ROOT = findRoot();
export const ASSEMBLY_DIR = join(PACKAGE_ROOT, "assembly");
export const DEFAULT_POLICY_SOURCE = join(PACKAGE_ROOT, "policies", "default.yaml");
export const DEFAULT_POLICY_MODULE = join(PACKAGE_ROOT, "dist", "policies", "default.wasm");
export const PACKAGE_VERSION: string = JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")).version;
