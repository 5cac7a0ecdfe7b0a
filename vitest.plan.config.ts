import { defineConfig } from "vitest/config";

/** The planner's unit and property tests only: what `npm run mutation:plan` runs against each mutant. */
export default defineConfig({
  test: {
    include: ["test/plan/**/*.test.ts"],
    pool: "forks",
  },
});
