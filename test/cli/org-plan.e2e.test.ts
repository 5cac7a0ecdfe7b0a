/**
 * organization.plan against the real console (in-process on 127.0.0.1, temporary SQLite), through the built
 * CLI: an upgrade planned before the users that need it and priced to the cent, a downgrade after the removals
 * that make it fit, a downgrade nothing makes fit refused with the exact overflow, and apply then re-plan
 * showing no changes.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Plan } from "../../src/plan/model.js";
import { hasStackTrace, runCli } from "../support/cli.js";
import { OWNER_TOKEN, startTestConsole, type TestConsole } from "../support/console.js";

const E2E = { timeout: 240_000 };
const ORG_STEP = "org/organization:change_org_plan";

const dirs: string[] = [];
const consoles: TestConsole[] = [];
afterAll(async () => {
  for (const ts of consoles) await ts.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function orgYaml(plan: string, users: string[], policy = ""): string {
  const listed = users
    .map(
      (login) => `  - login: ${login}
    first_name: ${login}
    last_name: User
    email: ${login}@console.test
    plan: entry
`,
    )
    .join("");
  return `version: 1
organization:
  name: Example Org
  plan: ${plan}
${policy}users:
  - login: admin
    first_name: Org
    last_name: Owner
    email: admin@console.test
    plan: pro
    role: org_admin
    owner: true
${listed}`;
}

function writeOrg(content: string): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), "orgctl-org-plan-"));
  dirs.push(dir);
  const file = join(dir, "org.yaml");
  writeFileSync(file, content);
  return { dir, file };
}

async function start(options: Parameters<typeof startTestConsole>[0]): Promise<TestConsole> {
  const ts = await startTestConsole(options);
  consoles.push(ts);
  return ts;
}

const cli = (ts: TestConsole, org: { dir: string; file: string }, args: string[]) =>
  runCli([args[0]!, "-f", org.file, "--endpoint", ts.url, ...args.slice(1)], {
    cwd: org.dir,
    env: { ORGCTL_TOKEN: OWNER_TOKEN },
  });

async function planJson(ts: TestConsole, org: { dir: string; file: string }): Promise<Plan> {
  const result = await cli(ts, org, ["plan", "--format", "json"]);
  expect(result.stderr).toBe("");
  return JSON.parse(result.stdout) as Plan;
}

describe("orgctl plan and apply with organization.plan managed", E2E, () => {
  it("upgrade with added users, then a downgrade after the removals; apply then re-plan shows no changes", async () => {
    // The console starts on entry: the owner (pro) uses 1 of its 2 paid seats; the wallet holds €910.00, and
    // the org period runs a whole year from today (the console's clock is pinned), so prices are the full fees.
    const ts = await start({ orgPlan: "entry" });
    const up = writeOrg(orgYaml("pro", ["b1", "b2", "b3"]));
    const plan = await planJson(ts, up);
    expect(plan.errors).toEqual([]);
    expect(plan.steps[0]).toMatchObject({
      id: ORG_STEP,
      summary: "change org plan: entry → pro",
      operation: { op: "change_org_plan", plan: "pro" },
      amount_cents: -12000,
      changes: [{ path: "/plan", from: "entry", to: "pro" }],
    });
    // One new user fits entry's free paid seat; the other two wait for the upgrade.
    const creates = plan.steps.filter((s) => s.action === "create_user");
    expect(creates).toHaveLength(3);
    expect(creates.filter((s) => s.depends_on.includes(ORG_STEP))).toHaveLength(2);
    expect(plan.money).toMatchObject({
      balance_before_cents: 91_000,
      balance_after_cents: 91_000 - 12_000 - 3 * 4200,
      charges_cents: 12_000 + 3 * 4200,
      org_plan: {
        from: "entry",
        to: "pro",
        amount_cents: -12_000,
        yearly_fee_before_cents: 0,
        yearly_fee_after_cents: 12_000,
      },
    });
    const text = await cli(ts, up, ["plan"]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain("~ change org plan: entry → pro");
    expect(text.stdout).toContain(
      "Org plan:        entry → pro, charge €120.00 (yearly fee €0.00 → €120.00)",
    );
    const markdown = await cli(ts, up, ["plan", "--format", "markdown"]);
    expect(markdown.stdout).toContain("org plan entry → pro, charge €120.00");

    const applied = await cli(ts, up, ["apply", "--auto-approve"]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    const org = (await ts.api("GET", "/v1/org")).body;
    expect(org).toMatchObject({ plan: "pro", limits: { paid_seats: 190 } });
    expect((await ts.api("GET", "/v1/wallet")).body.balance_cents).toBe(91_000 - 12_000 - 3 * 4200);
    const again = await cli(ts, up, ["plan", "--detailed-exitcode"]);
    expect(again.code, again.stdout + again.stderr).toBe(0);

    // Down to entry: b2 and b3 go (removed_users: delete), and only then does the organization fit.
    const down = writeOrg(orgYaml("entry", ["b1"], "policy:\n  removed_users: delete\n"));
    const downPlan = await planJson(ts, down);
    expect(downPlan.errors).toEqual([]);
    const orgStep = downPlan.steps.find((s) => s.id === ORG_STEP)!;
    expect(orgStep.depends_on).toEqual(["user/b2:delete_user", "user/b3:delete_user"]);
    const deletes = downPlan.steps.filter((s) => s.action === "delete_user").map((s) => s.index);
    expect(Math.max(...deletes)).toBeLessThan(orgStep.index);
    // The whole year is left: floor(12000 * 365 / 365) = 12000 back, and each deleted entry user's 4200.
    expect(orgStep.amount_cents).toBe(12_000);
    expect(downPlan.money.org_plan).toMatchObject({ from: "pro", to: "entry", amount_cents: 12_000 });
    expect(downPlan.money.refunds_cents).toBe(12_000 + 2 * 4200);
    const downApplied = await cli(ts, down, ["apply", "--auto-approve"]);
    expect(downApplied.code, downApplied.stdout + downApplied.stderr).toBe(0);
    expect((await ts.api("GET", "/v1/org")).body.plan).toBe("entry");
    const ledger = (await ts.api("GET", "/v1/wallet/ledger")).body.items as {
      reason: string;
      amount_cents: number;
    }[];
    expect(ledger.filter((e) => e.reason === "org_plan_change").map((e) => e.amount_cents)).toEqual([
      -12_000, 12_000,
    ]);
    const settled = await cli(ts, down, ["plan", "--detailed-exitcode"]);
    expect(settled.code, settled.stdout + settled.stderr).toBe(0);
  });

  it("a downgrade nothing in the plan makes fit is refused with the exact overflow, and nothing is applied", async () => {
    // 193 paid seats on ultra: the owner and 192 users org.yaml leaves alone (unlisted users: ignore).
    const ts = await start({ orgPlan: "ultra", balanceCents: 2_000_000 });
    for (let i = 0; i < 192; i++) {
      const res = await ts.api("POST", "/v1/users", {
        login: `u${i}`,
        email: `u${i}@console.test`,
        first_name: "U",
        last_name: "Ser",
        plan: "entry",
        role: "member",
      });
      expect(res.status).toBe(201);
    }
    const org = writeOrg(orgYaml("entry", [], "policy:\n  unlisted: { users: ignore }\n"));
    const result = await cli(ts, org, ["plan"]);
    expect(result.code).toBe(1);
    expect(hasStackTrace(result.stdout + result.stderr)).toBe(false);
    expect(result.stdout).toContain(
      "org_plan_limit: step 1 (change org plan: ultra → entry) would be refused: the organization does not fit the entry org plan: 193 paid seats used, entry allows 2; remove users or domains first, or keep a larger org plan",
    );
    const applied = await cli(ts, org, ["apply", "--auto-approve"]);
    expect(applied.code).toBe(1);
    expect((await ts.api("GET", "/v1/org")).body.plan).toBe("ultra");
  });

  it("serve --catalog refuses an org plan with a negative or fractional fee (invalid_catalog)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "orgctl-org-plan-"));
    dirs.push(dir);
    for (const fee of [-1, 1.5, "12000"]) {
      const catalog = {
        plans: [{ name: "free", price_cents: 0, aliases: 0, storage_mb: 500 }],
        org_plans: [{ name: "entry", price_cents: fee, paid_seats: 2, free_seats: 2, custom_domains: 1 }],
      };
      writeFileSync(join(dir, "catalog.json"), JSON.stringify(catalog));
      const result = await runCli(["serve", "--db", "c.db", "--catalog", "catalog.json"], { cwd: dir });
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toContain("orgctl: invalid_catalog: ");
      expect(result.stderr).toContain("price_cents?");
      expect(hasStackTrace(result.stderr)).toBe(false);
    }
  });
});
