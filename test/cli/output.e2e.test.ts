/**
 * orgctl exits as soon as a command is done (it does not wait for the event loop to empty), so it must flush
 * its output first: on a pipe, Node writes what the pipe takes and queues the rest. And ORGCTL_TIMING adds
 * one line on stderr, never anything to the output.
 */
import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, ensureBuilt, REPO_ROOT, runCli } from "../support/cli.js";

const E2E = { timeout: 180_000 };
/** Linux's default pipe buffer: an output larger than this cannot be written in one go. */
const PIPE_BUFFER = 64 * 1024;

let dir: string;

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), "orgctl-output-"));
  cpSync(join(REPO_ROOT, "examples", "agency"), dir, { recursive: true });
  rmSync(join(dir, ".orgctl"), { recursive: true, force: true });
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs the CLI with stdout on a pipe that nobody reads for `holdMs`, then reads all of it. */
function runWithSlowReader(args: string[], holdMs: number): Promise<{ code: number | null; stdout: Buffer }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: "1", ORGCTL_ENDPOINT: "", CI: "" },
      stdio: ["ignore", "pipe", "ignore"],
    });
    const chunks: Buffer[] = [];
    child.stdout.pause();
    setTimeout(() => {
      child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
      child.stdout.resume();
    }, holdMs);
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout: Buffer.concat(chunks) }));
  });
}

describe("output", E2E, () => {
  it("a plan larger than the pipe's buffer reaches a reader that starts late, whole", async () => {
    const sandbox = join(dir, ".orgctl", "sandbox.db");
    const { code, stdout } = await runWithSlowReader(
      ["plan", "-f", "org.yaml", "--sandbox", sandbox, "--format", "json"],
      3000,
    );
    expect(code).toBe(0);
    expect(stdout.length).toBeGreaterThan(PIPE_BUFFER);
    const plan = JSON.parse(stdout.toString("utf8")) as { steps: unknown[] };
    expect(plan.steps.length).toBeGreaterThan(300);
  });

  it("ORGCTL_TIMING=1 writes one timing line on stderr and leaves the output as it was", async () => {
    const sandbox = join(dir, ".orgctl", "timing.db");
    const plain = await runCli(["plan", "-f", "org.yaml", "--sandbox", sandbox], { cwd: dir });
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stderr).not.toContain("orgctl timing");
    const timedRun = await runCli(["plan", "-f", "org.yaml", "--sandbox", sandbox], {
      cwd: dir,
      env: { ORGCTL_TIMING: "1" },
    });
    expect(timedRun.code, timedRun.stderr).toBe(0);
    expect(timedRun.stdout).toBe(plain.stdout);
    const lines = timedRun.stderr.split("\n").filter((l) => l.startsWith("orgctl timing: "));
    expect(lines).toHaveLength(1);
    const timing = JSON.parse(lines[0]!.slice("orgctl timing: ".length)) as Record<string, number>;
    expect(timing).toMatchObject({ requests: 8 });
    for (const key of ["load_ms", "open_ms", "read_ms", "plan_cpu_ms", "total_ms", "max_rss_mb"]) {
      expect(timing[key], key).toBeGreaterThan(0);
    }
  });
});
