import { defineConfig } from "vitest/config";
import { CheapFirstSequencer } from "./test/support/cheap-first-sequencer.js";
import { keptThreadsUnderStryker } from "./test/support/kept-thread-pool.js";

/**
 * The planner's unit and property tests only: what `npm run mutation:plan` runs against each mutant.
 * `isolate: false` imports the planner once per run instead of once per test file (the tests share no
 * mutable module state), and the two planner properties run 25 cases each instead of 100
 * (`ORGCTL_PROPERTY_RUNS`, which still wins when set): they are most of the time spent on every mutant the
 * unit tests miss, which keeps the run short on 2 cores.
 */
export default defineConfig({
  // Under Stryker: one worker thread kept across mutants (test/support/kept-thread-pool.ts).
  plugins: [keptThreadsUnderStryker()],
  test: {
    include: ["test/plan/**/*.test.ts"],
    pool: "forks",
    isolate: false,
    // As in vitest.config.ts: compiling the plan schema takes seconds on a loaded machine.
    testTimeout: 30_000,
    env: { ORGCTL_PROPERTY_RUNS: process.env.ORGCTL_PROPERTY_RUNS ?? "25" },
    // Unit tests before properties: a mutant stops at its first failing test (see the sequencer).
    sequence: { sequencer: CheapFirstSequencer },
  },
});
