import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliResult, hasStackTrace, runCli } from "../support/cli.js";
import { OWNER_TOKEN, OWNER_USER_YAML, startTestConsole, type TestConsole } from "../support/console.js";

/** A saved plan is applied exactly as made, or not at all: never against a console or file that moved on. */

const ORG_YAML = `version: 1
organization:
  name: Example Org
  plan: pro
groups:
  - name: staff
users:
${OWNER_USER_YAML}  - login: erin
    first_name: Erin
    last_name: Moss
    email: erin@console.test
    plan: entry
    groups: [staff]
`;

interface SavedPlan {
  plan_id: string;
  config: { file: string; hash: string };
  console: { revision: number };
  steps: Array<{ id: string }>;
}

describe("orgctl apply PLANFILE refuses a stale plan", () => {
  let ts: TestConsole;
  let dir: string;

  beforeAll(async () => {
    ts = await startTestConsole();
    dir = mkdtempSync(join(tmpdir(), "orgctl-apply-stale-"));
    writeFileSync(join(dir, "org.yaml"), ORG_YAML);
  });
  afterAll(async () => {
    await ts?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const cli = async (args: string[]): Promise<CliResult> => {
    const result = await runCli([...args, "--endpoint", ts.url], {
      cwd: dir,
      env: { ORGCTL_TOKEN: OWNER_TOKEN },
    });
    expect(hasStackTrace(result.stderr), result.stderr).toBe(false);
    return result;
  };
  const savePlan = async (): Promise<SavedPlan> => {
    const result = await cli(["plan", "-f", "org.yaml", "--out", "plan.json"]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    return JSON.parse(readFileSync(join(dir, "plan.json"), "utf8")) as SavedPlan;
  };
  const revision = async () => (await ts.api("GET", "/v1/org")).body.revision as number;
  const users = async () => (await ts.api("GET", "/v1/users")).body;

  it("when the console changed since the plan: exit 1 with both revisions, nothing applied", async () => {
    const plan = await savePlan();
    expect(plan.console.revision).toBe(await revision());
    const created = await ts.api("POST", "/v1/groups", { name: "late-arrival" });
    expect(created.status, JSON.stringify(created.body)).toBeLessThan(300);
    const now = await revision();
    expect(now).toBeGreaterThan(plan.console.revision);
    const usersBefore = await users();

    const result = await cli(["apply", "plan.json"]);
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(result.stderr).toContain(
      `plan is stale: the console changed since it was made (revision ${plan.console.revision} → ${now}); run plan again`,
    );
    expect(await revision()).toBe(now);
    expect(await users()).toEqual(usersBefore);
    // The lock taken for the check is given back.
    expect((await ts.api("GET", "/v1/lock")).body).toEqual({ held: false });
  });

  it("when org.yaml changed since the plan: exit 1, config changed, nothing applied", async () => {
    const plan = await savePlan();
    writeFileSync(join(dir, "org.yaml"), ORG_YAML.replace("last_name: Moss", "last_name: Moss-Hart"));
    const before = await revision();

    const result = await cli(["apply", "plan.json"]);
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(result.stderr).toContain(
      `plan is stale: ${plan.config.file} changed since the plan was made; run plan again`,
    );
    expect(await revision()).toBe(before);
    expect((await ts.api("GET", "/v1/lock")).body).toEqual({ held: false });
  });

  it("a fresh saved plan applies without a prompt (no TTY, no --auto-approve), once", async () => {
    const plan = await savePlan();
    expect(plan.steps.map((s) => s.id)).toEqual(
      expect.arrayContaining(["group/late-arrival:delete_group", "user/erin:create_user"]),
    );
    const result = await cli(["apply", "plan.json"]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain(`Apply done: ${plan.steps.length} done, 0 failed, 0 skipped`);
    const erin = await ts.api("GET", "/v1/users/erin");
    expect(erin.status).toBe(200);
    expect(erin.body.last_name).toBe("Moss-Hart");

    const converged = await cli(["plan", "-f", "org.yaml", "--detailed-exitcode"]);
    expect(converged.code, converged.stdout + converged.stderr).toBe(0);

    // Applying the same file again is refused: its own changes made it stale.
    const twice = await cli(["apply", "plan.json"]);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain(
      `plan is stale: the console changed since it was made (revision ${plan.console.revision} → ${await revision()})`,
    );
  });
});
