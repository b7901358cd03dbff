import { readFileSync } from "node:fs";
import { join } from "node:path";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

/**
 * `isoplace/…` as an installed copy of this package resolves it on Workers: each entry of
 * package.json's `exports`, by its workerd condition (else its default), to the built file. Vite
 * resolves no package's own name from inside it, as Node and esbuild do.
 */
function packageOnWorkers() {
  const { exports } = JSON.parse(readFileSync(join(import.meta.dirname, "package.json"), "utf8"));
  return Object.entries(exports as Record<string, string | Record<string, string>>).map(([key, target]) => ({
    find: new RegExp(`^isoplace${key.slice(1).replace(/[.]/g, "\\.")}$`),
    replacement: join(import.meta.dirname, typeof target === "string" ? target : (target.workerd ?? target.default)),
  }));
}

// Three projects: the Node-side suites; the Workers suites (tests/worker/), which run inside real
// workerd with the Worker of wrangler.toml, so the HTTP contract cases run on both hosts; and a
// caller's Worker (tests/worker-client/) that reaches the isoplace Worker, bundled as deployed, as
// a second Worker through a service binding.
export default defineConfig({
  test: {
    // the default report, then one line for each kind of suite skipped for want of Chromium or the peers
    reporters: ["default", "./tests/support/skipped-notice.ts"],
    // the console's script is generated from its TypeScript (scripts/console-script.mjs)
    globalSetup: ["./tests/support/console-script.ts"],
    projects: [
      {
        test: {
          name: "node",
          include: ["tests/**/*.test.ts"],
          exclude: ["tests/worker/**", "tests/worker-client/**"],
          environment: "node",
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        plugins: [cloudflareTest({ wrangler: { configPath: "./wrangler.toml" } })],
        test: {
          name: "workers",
          include: ["tests/worker/**/*.test.ts"],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        plugins: [
          cloudflareTest(({ inject }) => {
            const isoplace = inject("isoplaceWorker");
            return {
              wrangler: { configPath: "./tests/worker-client/wrangler.toml" },
              miniflare: {
                bindings: { STALLED_URL: inject("stalledUrl") },
                workers: [
                  {
                    name: "isoplace",
                    compatibilityDate: "2026-08-01",
                    modulesRoot: isoplace.dir,
                    modules: [
                      { type: "ESModule", path: join(isoplace.dir, isoplace.script) },
                      { type: "CompiledWasm", path: join(isoplace.dir, isoplace.wasm) },
                    ],
                  },
                ],
              },
            };
          }),
        ],
        resolve: { alias: packageOnWorkers() },
        test: {
          name: "workers-client",
          include: ["tests/worker-client/**/*.test.ts"],
          globalSetup: ["./tests/worker-client/global-setup.ts"],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
