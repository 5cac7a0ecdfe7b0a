import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "test/**/*.test.tsx"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // The JSON report lets .ci/run print the runner's own pass/fail counts.
    reporters: ["default", ["json", { outputFile: ".ci/test-results.json" }]],
  },
});
