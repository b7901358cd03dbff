import { defineConfig } from "vitest/config";

// Node-side suites. (The Workers project, running the HTTP contract suite inside workerd, is
// added beside this one.)
export default defineConfig({
  test: {
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
    ],
  },
});
