import { inject, vi } from "vitest";

/*
 * A setup file of the mutation runs (kept-thread-pool.ts): when the thread runs a new mutant, every module
 * but vitest's own is imported again, as in a new thread. Stryker's setup file, which runs before this one,
 * has set the mutant; the test file's imports then evaluate src/ with it active.
 */

type StrykerContext = { mode: string; activeMutant: string | undefined };
const mode = inject("mode" as never) as StrykerContext["mode"];
const activeMutant = inject("activeMutant" as never) as StrykerContext["activeMutant"];
const seen = globalThis as { __orgctlModulesFor?: string | undefined };

if (mode === "mutant" && seen.__orgctlModulesFor !== activeMutant) {
  vi.resetModules();
  seen.__orgctlModulesFor = activeMutant;
}
