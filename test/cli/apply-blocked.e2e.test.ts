/**
 * Apply with steps blocked on domain verification: it does everything it can, lists what waits and for which
 * domain, and exits 2, not 0: the console does not match org.yaml yet.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasStackTrace, runCli } from "../support/cli.js";
import { OWNER_TOKEN, OWNER_USER_YAML, startTestConsole, type TestConsole } from "../support/console.js";

const ORG_YAML = `version: 1
organization:
  name: Example Org
  plan: pro
domains:
  - name: wait.example
groups:
  - name: staff
users:
${OWNER_USER_YAML}  - login: bob
    first_name: Bob
    last_name: Waiting
    email: bob@wait.example
    plan: free
`;

describe("apply with steps that wait for DNS", { timeout: 180_000 }, () => {
  let ts: TestConsole;
  let dir: string;
  beforeAll(async () => {
    ts = await startTestConsole({ verifier: "dns", resolveTxt: async () => [] });
    dir = mkdtempSync(join(tmpdir(), "orgctl-apply-blocked-"));
    writeFileSync(join(dir, "org.yaml"), ORG_YAML);
  });
  afterAll(async () => {
    await ts?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const cli = (args: string[]) =>
    runCli([...args, "--endpoint", ts.url], { cwd: dir, env: { ORGCTL_TOKEN: OWNER_TOKEN } });

  it("does the rest, lists the blocked steps and exits 2", async () => {
    const result = await cli(["apply", "-f", "org.yaml", "--auto-approve"]);
    expect(result.code, result.stdout + result.stderr).toBe(2);
    expect(hasStackTrace(result.stderr)).toBe(false);
    expect(result.stdout).toContain("Apply done:");
    expect(result.stdout).toContain("Blocked: 2 step(s) wait for domain verification");
    expect(result.stdout).toMatch(
      /… create user bob <bob@wait\.example>.* \(waits for wait\.example's TXT record\)/,
    );
    expect((await ts.api("GET", "/v1/groups/staff")).status).toBe(200);
    expect((await ts.api("GET", "/v1/users/bob")).status).toBe(404);
  });

  it("says so in JSON too, and again when only blocked steps are left", async () => {
    const result = await cli(["apply", "-f", "org.yaml", "--auto-approve", "--format", "json"]);
    expect(result.code, result.stdout + result.stderr).toBe(2);
    const lines = result.stdout.split("\n").filter((l) => l.trim() !== "");
    const summary = JSON.parse(lines.at(-1)!);
    expect(summary).toMatchObject({ type: "summary", status: "done", total: 0 });
    expect(summary.blocked).toEqual([
      {
        id: "domain/wait.example:verify_domain",
        summary: "verify domain wait.example",
        domain: "wait.example",
      },
      {
        id: "user/bob:create_user",
        summary: expect.stringContaining("create user bob"),
        domain: "wait.example",
      },
    ]);
  });
});
