import { defineConfig } from "vitest/config";

/** The fast, pure domain tests only: what `npm run mutation` runs against each mutant of src/domain. */
export default defineConfig({
  test: {
    include: ["test/domain/**/*.test.ts"],
    pool: "forks",
  },
});
