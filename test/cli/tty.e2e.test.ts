import { spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CLI, ensureBuilt, REPO_ROOT } from "../support/cli.js";

// A real terminal: `script` (util-linux, on every Debian) runs the CLI on a pseudo-terminal, so stdin and
// stdout are TTYs and apply shows its ink prompt and progress view, as it does for a person.
const strip = (text: string) =>
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing terminal escape sequences
  text.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, "").replace(/\r/g, "");

function withoutCi(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { CI: _ci, ...rest } = env;
  return rest;
}

function runOnTty(args: string[], cwd: string, answer: string | null, extraEnv: Record<string, string> = {}) {
  const command = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  const child = spawn("script", ["-qfec", command, "/dev/null"], {
    cwd,
    // A person's terminal: no CI variable (apply treats CI as never interactive).
    env: {
      ...withoutCi(process.env),
      NO_COLOR: "1",
      COLUMNS: "120",
      LINES: "50",
      TERM: "xterm-256color",
      ...extraEnv,
    },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let output = "";
  let answered = false;
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
    if (!answered && answer !== null && strip(output).includes('Only "yes" is accepted')) {
      answered = true;
      setTimeout(() => child.stdin.write(answer), 200);
    }
  });
  return new Promise<{ code: number | null; output: string }>((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output: strip(output) });
    });
  });
}

describe("apply on a terminal", () => {
  it("in a CI job, refuses to ask even on a terminal, and names --auto-approve", {
    timeout: 90_000,
  }, async () => {
    const dir = fresh();
    const { code, output } = await runOnTty(["apply", "-f", "org.yaml"], dir, null, { CI: "true" });
    expect(output).toContain("--auto-approve");
    expect(code).toBe(1);
  });

  ensureBuilt();
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  const fresh = () => {
    const dir = mkdtempSync(join(tmpdir(), "orgctl-tty-"));
    dirs.push(dir);
    copyFileSync(join(REPO_ROOT, "examples", "family", "org.yaml"), join(dir, "org.yaml"));
    return dir;
  };

  it("asks for confirmation, then shows the progress view and the summary", { timeout: 90_000 }, async () => {
    const dir = fresh();
    const { code, output } = await runOnTty(["apply", "-f", "org.yaml"], dir, "yes\r");
    expect(output).toContain("Apply these 12 changes to Smith Family?");
    expect(output).toMatch(/█+ 12\/12/);
    expect(output).toMatch(/✓ # ?\d+ \+ add domain smith-family\.example/);
    expect(output).toContain("Apply done: 12 done, 0 failed, 0 skipped of 12.");
    expect(code).toBe(0);
  });

  it("changes nothing when the answer is not yes", { timeout: 90_000 }, async () => {
    const dir = fresh();
    const { code, output } = await runOnTty(["apply", "-f", "org.yaml"], dir, "no\r");
    expect(output).toContain("Apply cancelled; nothing was changed.");
    expect(code).toBe(1);
    const again = await runOnTty(["plan", "-f", "org.yaml", "--detailed-exitcode"], dir, null);
    expect(again.code).toBe(2);
  });
});
