/**
 * Apply's steps run without TurboFan (src/cli/apply-tiering.ts): the flag takes effect when set at run time,
 * in a process that has already started. Checked in a child process, since the flag is global to its V8.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";

const MODULE = pathToFileURL(
  join(import.meta.dirname, "..", "..", "dist", "src", "cli", "apply-tiering.js"),
).href;

/** Runs a hot function two million times, after keepStepsOnBaselineTiers() or not; the tier it ends on. */
function tierOfHotFunction(baseline: boolean): string {
  const script = `
    const { keepStepsOnBaselineTiers } = await import(${JSON.stringify(MODULE)});
    if (${baseline}) keepStepsOnBaselineTiers();
    function step(i) { return (i * 31) ^ (i >> 3); }
    let sum = 0;
    for (let i = 0; i < 2_000_000; i++) sum += step(i);
    // Bit 4 of the status: the function runs TurboFan's code.
    process.stdout.write((eval("%GetOptimizationStatus(step)") & 16) !== 0 ? "turbofan" : "baseline");
  `;
  return execFileSync(
    process.execPath,
    ["--allow-natives-syntax", "--no-concurrent-recompilation", "--input-type=module", "-e", script],
    { encoding: "utf8" },
  );
}

describe("apply's steps on V8's baseline tiers", () => {
  it("a function that would be optimized by TurboFan stays on the baseline tiers once the flag is set", () => {
    expect(tierOfHotFunction(false)).toBe("turbofan");
    expect(tierOfHotFunction(true)).toBe("baseline");
  });
});
