/** A reader that goes away (`orgctl ... --help | head -1`) ends the output quietly: no stack, the command's own exit code. */
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { CLI, CLI_TIMEOUT_MS, ensureBuilt, hasStackTrace } from "../support/cli.js";

/** Runs the CLI with stdout on a pipe that is closed as soon as the first bytes arrive. */
function runIntoClosedPipe(args: string[]): Promise<{ code: number | null; stderr: string }> {
  ensureBuilt();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    child.stdout.once("data", () => child.stdout.destroy());
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

describe("a closed stdout pipe", () => {
  for (const args of [["--help"], ["plan", "--help"], ["invite", "resend", "--help"], ["users", "--help"]]) {
    it(`orgctl ${args.join(" ")} exits 0 with nothing on stderr`, { timeout: CLI_TIMEOUT_MS }, async () => {
      // Repeated: whether the pipe is gone before the last write depends on timing.
      for (let attempt = 0; attempt < 3; attempt++) {
        const result = await runIntoClosedPipe(args);
        expect(hasStackTrace(result.stderr), result.stderr).toBe(false);
        expect(result.stderr).not.toContain("EPIPE");
        expect(result.code).toBe(0);
      }
    });
  }
});
