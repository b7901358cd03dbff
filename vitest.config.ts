import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Two projects: the Node-side suites, and the Workers suites (tests/worker/), which run inside
// real workerd with the Worker of wrangler.toml, so the HTTP contract cases run on both hosts.
export default defineConfig({
  test: {
    // the default report, then one line for each kind of suite skipped for want of Chromium or the peers
    reporters: ["default", "./tests/support/skipped-notice.ts"],
    projects: [
      {
        test: {
          name: "node",
          include: ["tests/**/*.test.ts"],
          exclude: ["tests/worker/**"],
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
    ],
  },
});
