import { defineConfig } from "vitest/config";
import { CheapFirstSequencer } from "./test/support/cheap-first-sequencer.js";
import { keptThreadsUnderStryker } from "./test/support/kept-thread-pool.js";

/**
 * The fast, pure domain tests only: what `npm run mutation` runs against each mutant of src/domain.
 * `isolate: false` imports src/domain once per run instead of once per test file: the tests share no mutable
 * module state, and Stryker's static mutants (the permission matrix, the catalog, the regexes) each need a
 * whole run, so this is what keeps the mutation run within its time budget.
 */
export default defineConfig({
  // Under Stryker: one worker thread kept across mutants (test/support/kept-thread-pool.ts).
  plugins: [keptThreadsUnderStryker()],
  test: {
    include: ["test/domain/**/*.test.ts"],
    pool: "forks",
    isolate: false,
    // As in vitest.config.ts: the renewal-watermark property takes seconds under Stryker's coverage
    // instrumentation on a loaded machine, past vitest's default 5 s.
    testTimeout: 30_000,
    // Unit tests before properties: a mutant stops at its first failing test (see the sequencer).
    sequence: { sequencer: CheapFirstSequencer },
  },
});
