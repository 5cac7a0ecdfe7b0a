import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { hasStackTrace, REPO_ROOT, runCli } from "../support/cli.js";

/** Each test spawns the CLI (up to 60 s a run) several times. */
const E2E = { timeout: 180_000 };

const EXAMPLES = join(REPO_ROOT, "examples");
/** Every folder of examples/ that holds an org.yaml (examples/ci holds pipelines, not an organization). */
const examples = readdirSync(EXAMPLES, { withFileTypes: true })
  .filter((e) => e.isDirectory() && existsSync(join(EXAMPLES, e.name, "org.yaml")))
  .map((e) => e.name)
  .sort();

/** The sandbox's clock, pinned so that the plan's dates (prices, renewals) do not move with the day. */
const NOW = "2026-03-01T12:00:00Z";
/** Given to every password reference an example might have: it must never be printed. */
const SECRET = "Ex4mple-sandbox-secret-b7d2";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Environment variables the example's password references name, each set to SECRET. */
function passwordEnv(yaml: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const match of yaml.matchAll(/\benv:\s*([A-Za-z_][A-Za-z0-9_]*)/g)) env[match[1]!] = SECRET;
  return env;
}

describe("the shipped examples plan cleanly in a fresh sandbox", E2E, () => {
  it("finds the examples", () => {
    expect(examples).toEqual(expect.arrayContaining(["agency", "family", "small-business"]));
  });

  it.each(examples)("examples/%s: plan exits 0, is deterministic, and prints no secret", async (name) => {
    const dir = mkdtempSync(join(tmpdir(), `orgctl-cli-example-${name}-`));
    dirs.push(dir);
    copyFileSync(join(EXAMPLES, name, "org.yaml"), join(dir, "org.yaml"));
    const yaml = readFileSync(join(dir, "org.yaml"), "utf8");
    // A developer's shell (CI unset): these tests check the implicit sandbox next to org.yaml.
    const env = { ORGCTL_NOW: NOW, CI: "", ...passwordEnv(yaml) };

    const first = await runCli(["plan", "-f", "org.yaml"], { cwd: dir, env });
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toMatch(
      /^Plan: \d+ to create, \d+ to update, \d+ to delete, \d+ to replace\. Wallet: €[\d,]+\.\d\d → €[\d,]+\.\d\d /m,
    );
    expect(first.stdout).not.toContain("Plan failed");
    expect(first.stdout).not.toMatch(/^Errors:/m);
    expect(hasStackTrace(first.stderr), first.stderr).toBe(false);
    // A new sandbox, next to org.yaml.
    expect(first.stderr).toContain(
      `orgctl: created the sandbox console at ${join(dir, ".orgctl", "sandbox.db")}`,
    );
    expect(existsSync(join(dir, ".orgctl", "sandbox.db"))).toBe(true);

    const second = await runCli(["plan", "-f", "org.yaml"], { cwd: dir, env });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    // Planning changed nothing: the sandbox is reused, not created again.
    expect(second.stderr).not.toContain("created the sandbox console");

    for (const text of [first.stdout, first.stderr, second.stdout, second.stderr]) {
      expect(text).not.toContain(SECRET);
    }
  });

  it.each(examples)("examples/%s: the JSON plan is byte-identical across runs", async (name) => {
    const dir = mkdtempSync(join(tmpdir(), `orgctl-cli-example-${name}-`));
    dirs.push(dir);
    copyFileSync(join(EXAMPLES, name, "org.yaml"), join(dir, "org.yaml"));
    const env = { ORGCTL_NOW: NOW, CI: "", ...passwordEnv(readFileSync(join(dir, "org.yaml"), "utf8")) };
    const first = await runCli(["plan", "-f", "org.yaml", "--format", "json"], { cwd: dir, env });
    const second = await runCli(["plan", "-f", "org.yaml", "--format", "json"], { cwd: dir, env });
    expect(first.code, first.stderr).toBe(0);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    const plan = JSON.parse(first.stdout);
    expect(plan.errors).toEqual([]);
    expect(plan.steps.length).toBeGreaterThan(0);
  });
});
