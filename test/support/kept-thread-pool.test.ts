import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The mutation runs' pool (kept-thread-pool.ts), run as Stryker's vitest runner runs it: one vitest
 * instance, one run per mutant (test/fixtures/kept-pool/run.mjs: mutant 1, mutant 2, mutant 2 filtered to
 * test "b"). Each probe test notes its thread, how often its module was evaluated, and its mutant.
 */
function probe(
  env: Record<string, string>,
): { test: string; threadId: number; evaluation: number; mutant: string }[] {
  const dir = mkdtempSync(join(tmpdir(), "orgctl-kept-pool-"));
  const out = join(dir, "probe.jsonl");
  try {
    execFileSync(process.execPath, ["test/fixtures/kept-pool/run.mjs"], {
      env: { ...process.env, ...env, KEPT_POOL_OUT: out },
      stdio: "pipe",
      timeout: 120_000,
    });
    return readFileSync(out, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("the mutation runs' kept thread", () => {
  it("runs every mutant in one thread, imports the code again when the mutant changes, and filters each run", () => {
    const notes = probe({ STRYKER_MUTATOR_WORKER: "0" });
    expect(notes.map((n) => [n.test, n.mutant, n.evaluation])).toEqual([
      ["a", "1", 1],
      ["b", "1", 1],
      ["a", "2", 2],
      ["b", "2", 2],
      // The same mutant again: no new import; the run's own name filter holds.
      ["b", "2", 2],
    ]);
    expect(new Set(notes.map((n) => n.threadId)).size).toBe(1);
  });

  it("is vitest's own thread per run when turned off", () => {
    const notes = probe({ STRYKER_MUTATOR_WORKER: "0", ORGCTL_KEPT_THREADS: "0" });
    expect(notes.map((n) => [n.test, n.mutant, n.evaluation])).toEqual([
      ["a", "1", 1],
      ["b", "1", 1],
      ["a", "2", 1],
      ["b", "2", 1],
      ["b", "2", 1],
    ]);
    expect(new Set(notes.map((n) => n.threadId)).size).toBe(3);
  });
});
