import { defineConfig } from "vitest/config";

/**
 * The planner's unit and property tests only: what `npm run mutation:plan` runs against each mutant.
 * `isolate: false` imports the planner once per run instead of once per test file (the tests share no
 * mutable module state), and the two planner properties run 25 cases each instead of 100
 * (`ORGCTL_PROPERTY_RUNS`, which still wins when set): they are most of the time spent on every mutant the
 * unit tests miss, which keeps the run short on 2 cores.
 */
export default defineConfig({
  test: {
    include: ["test/plan/**/*.test.ts"],
    pool: "forks",
    isolate: false,
    env: { ORGCTL_PROPERTY_RUNS: process.env.ORGCTL_PROPERTY_RUNS ?? "25" },
  },
});
