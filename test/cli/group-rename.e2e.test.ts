/** A group renamed in org.yaml (`previously:`) is renamed in the console with its members, then in sync. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { OWNER_TOKEN, OWNER_USER_YAML, startTestConsole, type TestConsole } from "../support/console.js";

const orgYaml = (group: string) => `version: 1
organization:
  name: Example Org
  plan: pro
groups:
${group}
users:
${OWNER_USER_YAML}    groups: [staff]
  - login: bob
    first_name: Bob
    last_name: Baker
    email: bob@console.test
    plan: free
    groups: [staff]
`;

describe("group renames", { timeout: 180_000 }, () => {
  let ts: TestConsole;
  let dir: string;
  beforeAll(async () => {
    ts = await startTestConsole();
    dir = mkdtempSync(join(tmpdir(), "orgctl-rename-"));
  });
  afterAll(async () => {
    await ts?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const cli = (args: string[]) =>
    runCli([...args, "--endpoint", ts.url], { cwd: dir, env: { ORGCTL_TOKEN: OWNER_TOKEN } });

  it("plans a rename, applies it keeping the members, and is then in sync", async () => {
    writeFileSync(join(dir, "org.yaml"), orgYaml("  - name: staff\n    description: Everyone"));
    expect((await cli(["apply", "-f", "org.yaml", "--auto-approve"])).code).toBe(0);
    writeFileSync(
      join(dir, "org.yaml"),
      orgYaml("  - name: team\n    description: Everyone\n    previously: [staff]").replaceAll(
        "groups: [staff]",
        "groups: [team]",
      ),
    );
    const plan = await cli(["plan", "-f", "org.yaml"]);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).toContain("~ rename group staff → team");
    expect(plan.stdout).toContain("~ /name: staff → team");
    expect(plan.stdout).not.toMatch(/delete group|create group|add .* to group/);
    const applied = await cli(["apply", "-f", "org.yaml", "--auto-approve"]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    const team = await ts.api("GET", "/v1/groups/team");
    expect(team.body.members).toEqual(["admin", "bob"]);
    expect((await cli(["plan", "-f", "org.yaml", "--detailed-exitcode"])).code).toBe(0);
  });
});
