import { readFileSync, statSync } from "node:fs";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * Runs the cheap test files first and the property files (those calling `fc.assert`) last, smallest first
 * within each. The mutation runs use it: Stryker stops a mutant's run at the first failing test, and vitest's
 * own order (longest first) would run the properties, seconds each, before the unit tests that kill most
 * mutants in milliseconds. Only the order changes, never which tests run.
 */
export class CheapFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const cost = new Map(
      files.map((f) => [
        f.moduleId,
        [readFileSync(f.moduleId, "utf8").includes("fc.assert") ? 1 : 0, statSync(f.moduleId).size] as const,
      ]),
    );
    return [...files].sort((a, b) => {
      const [pa, sa] = cost.get(a.moduleId)!;
      const [pb, sb] = cost.get(b.moduleId)!;
      return pa - pb || sa - sb || a.moduleId.localeCompare(b.moduleId);
    });
  }
}
