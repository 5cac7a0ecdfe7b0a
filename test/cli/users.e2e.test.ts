/**
 * orgctl users, invite resend, and the read-only facts of import, plan and drift [RI], through the built CLI
 * against the real console (in-process, 127.0.0.1, temporary SQLite) whose clock the test moves.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { planSchemaErrors } from "../../src/plan/plan-schema.js";
import { movableClock, PASSWORD, sessionFor } from "../console/helpers.js";
import { type CliResult, hasStackTrace, runCli } from "../support/cli.js";
import { OWNER_TOKEN, startTestConsole, type TestConsole } from "../support/console.js";

const E2E = { timeout: 180_000 };

async function apiOk(ts: TestConsole, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await ts.api(method, path, body);
  expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
  return res.body;
}

const user = (login: string, plan: string, role = "member") => ({
  login,
  email: `${login}@console.test`,
  first_name: login,
  last_name: "Test",
  plan,
  role,
});

describe("orgctl users and invitations against a live console", E2E, () => {
  let ts: TestConsole;
  let dir: string;
  const clock = movableClock("2026-03-01T12:00:00Z");
  const env = { ORGCTL_TOKEN: OWNER_TOKEN };
  const run = (args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> =>
    runCli([...args, "--endpoint", ts.url], { cwd: dir, env: { ...env, ...extraEnv } });
  const clean = (result: CliResult) => {
    expect(hasStackTrace(result.stderr)).toBe(false);
    expect(result.stdout + result.stderr).not.toContain(OWNER_TOKEN);
    expect(result.stdout + result.stderr).not.toContain(PASSWORD);
  };

  beforeAll(async () => {
    ts = await startTestConsole({ now: clock.now, orgPlan: "ultra" });
    dir = mkdtempSync(join(tmpdir(), "orgctl-cli-users-"));
    // 2026-03-01: olga (pro) logs in once; pete (entry) and fay (free) are invited and never come.
    await apiOk(ts, "POST", "/v1/users", { ...user("olga", "pro"), password: PASSWORD });
    await sessionFor(ts, "olga");
    await apiOk(ts, "POST", "/v1/users", user("pete", "entry"));
    await apiOk(ts, "POST", "/v1/users", user("fay", "free"));
    await apiOk(ts, "POST", "/v1/users", { ...user("max", "ultra", "org_admin"), password: PASSWORD });
    // 2026-06-30: max logs in; 2026-07-01 (122 days after the start): the reports are made.
    clock.set("2026-06-30T09:15:00Z");
    await sessionFor(ts, "max");
    clock.set("2026-07-01T12:00:00Z");
  }, 120_000);
  afterAll(async () => {
    await ts.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("users --format json lists every user sorted, with yearly cost, and the seats to review with their savings", async () => {
    const result = await run(["users", "--format", "json"]);
    clean(result);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ as_of: "2026-07-01", inactive_days: 90, org_plan: "ultra" });
    expect(
      report.users.map((u: Record<string, unknown>) => [
        u.login,
        u.plan,
        u.role,
        u.status,
        u.last_login_at,
        u.invited_at,
        u.yearly_cost_cents,
      ]),
    ).toEqual([
      ["admin", "pro", "org_admin", "active", null, null, 9000],
      ["fay", "free", "member", "invited", null, "2026-03-01T12:00:00.000Z", 0],
      ["max", "ultra", "org_admin", "active", "2026-06-30T09:15:00.000Z", null, 30000],
      ["olga", "pro", "member", "active", "2026-03-01T12:00:00.000Z", null, 9000],
      ["pete", "entry", "member", "invited", null, "2026-03-01T12:00:00.000Z", 4200],
    ]);
    expect(report.yearly_cost_cents).toBe(52200);
    expect(
      report.recommendations.map((r: Record<string, unknown>) => [
        r.kind,
        r.login,
        r.days,
        r.yearly_savings_cents,
      ]),
    ).toEqual([
      ["stale_invitation", "fay", 122, 0],
      ["inactive_paid_seat", "olga", 122, 9000],
      ["stale_invitation", "pete", 122, 4200],
    ]);
    expect(report.yearly_savings_cents).toBe(13200);
    expect(report.yearly_savings).toBe("€132.00");
    // Deterministic: the same console state gives the same bytes.
    expect((await run(["users", "--format", "json"])).stdout).toBe(result.stdout);
  });

  it("users --inactive-days moves the threshold; text and markdown say the same", async () => {
    const late = await run(["users", "--inactive-days", "123"]);
    expect(late.code, late.stderr).toBe(0);
    expect(late.stdout).toContain(
      "No paid seat without a login for 123 days, and no invitation pending that long.",
    );
    const text = await run(["users", "--inactive-days", "122"]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/\n {2}olga +pro +member +active +2026-03-01 12:00Z +€90\.00\n/);
    expect(text.stdout).toContain("pending since 2026-03-01 12:00Z");
    expect(text.stdout).toContain("Yearly cost: €522.00 for 5 user(s)");
    expect(text.stdout).toContain("Downgrading or removing them would save €132.00 a year.");
    const markdown = await run(["users", "--format", "markdown"]);
    expect(markdown.code, markdown.stderr).toBe(0);
    expect(markdown.stdout).toContain("| olga | pro | member | active | 2026-03-01 12:00Z | €90.00 |");
    expect(markdown.stdout).toContain(
      "| pete | entry | invitation pending since 2026-03-01 (122 days) | remove | €42.00 |",
    );
  });

  it("refuses bad flags and a member's token with exit 1 and a code", async () => {
    for (const args of [
      ["users", "--inactive-days", "0"],
      ["users", "--inactive-days", "ninety"],
      ["users", "--format", "xml"],
    ]) {
      const result = await run(args);
      clean(result);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^orgctl: invalid_flag: /);
    }
  });

  it("import writes last logins and pending invitations as comments; planning that file changes nothing", async () => {
    const file = join(dir, "org.yaml");
    const imported = await run(["import", "--out", file, "--overwrite"]);
    expect(imported.code, imported.stderr).toBe(0);
    const text = readFileSync(file, "utf8");
    expect(text).toContain("  # read-only: last login 2026-03-01 12:00Z\n  - login: olga\n");
    expect(text).toContain("  # read-only: invitation pending since 2026-03-01 12:00Z\n  - login: pete\n");
    expect(text).toContain("  # read-only: never logged in\n  - login: admin\n");

    const plan = await run(["plan", "-f", file, "--detailed-exitcode"]);
    clean(plan);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).toContain("No changes.");
    // The seat review is a section, not steps, before the money; the summary line stays last.
    expect(plan.stdout).toMatch(
      /Seats to review \(no login, or an invitation pending, for 90 days or more\):\n/,
    );
    expect(plan.stdout).toMatch(
      / {2}olga +pro +last login 2026-03-01, 122 days ago +downgrade or remove +€90\.00\n/,
    );
    expect(plan.stdout).toContain("Downgrading or removing them would save €132.00 a year.");
    expect(plan.stdout.indexOf("Seats to review")).toBeLessThan(plan.stdout.indexOf("Money (EUR"));
    expect(plan.stdout.trimEnd().split("\n").at(-1)).toMatch(/^No changes\./);

    const json = await run(["plan", "-f", file, "--format", "json"]);
    expect(json.code, json.stderr).toBe(0);
    expect(json.stdout).not.toContain('olga", "days');
    expect(Object.keys(JSON.parse(json.stdout))).not.toContain("recommendations");
    expect(Object.keys(JSON.parse(json.stdout))).not.toContain("facts");

    const markdown = await run(["plan", "-f", file, "--format", "markdown"]);
    expect(markdown.code, markdown.stderr).toBe(0);
    expect(markdown.stdout).toContain("<details><summary>Seats to review: €132.00 a year (3)</summary>");

    const quiet = await run(["plan", "-f", file, "--inactive-days", "365"]);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stdout).not.toContain("Seats to review");

    // A plan that already deletes olga does not recommend her seat again.
    const desired = parse(text) as { policy: Record<string, unknown>; users: { login: string }[] };
    desired.policy.removed_users = "delete";
    desired.users = desired.users.filter((u) => u.login !== "olga");
    const without = join(dir, "without-olga.yaml");
    writeFileSync(without, stringify(desired));
    const deleting = await run(["plan", "-f", without]);
    expect(deleting.code, deleting.stderr).toBe(0);
    expect(deleting.stdout).toContain("- delete user olga");
    expect(deleting.stdout).toContain("Downgrading or removing them would save €42.00 a year.");
    expect(deleting.stdout).not.toMatch(/ {2}olga +pro +last login/);
  });

  it("drift reports each user's last login and pending invitations as read-only facts, and exits 0 in sync", async () => {
    const file = join(dir, "drift.yaml");
    expect((await run(["import", "--out", file, "--overwrite"])).code).toBe(0);
    const drift = await run(["drift", "-f", file]);
    clean(drift);
    expect(drift.code, drift.stdout + drift.stderr).toBe(0);
    expect(drift.stdout).toContain("Logins (read-only facts, not drift):");
    expect(drift.stdout).toMatch(/ {2}max +active +2026-06-30 09:15Z\n/);
    expect(drift.stdout).toMatch(/ {2}fay +invited +pending since 2026-03-01 12:00Z\n/);
    const markdown = await run(["drift", "-f", file, "--format", "markdown"]);
    expect(markdown.code).toBe(0);
    expect(markdown.stdout).toContain(
      "<details><summary>Logins, read-only (5 users, 2 invitations pending)</summary>",
    );
    expect(markdown.stdout).toContain("| pete | invited | pending since 2026-03-01 12:00Z |");
    const json = await run(["drift", "-f", file, "--format", "json"]);
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report.steps).toEqual([]);
    expect(report.facts.users).toEqual([
      { login: "admin", status: "active", last_login_at: null, invited_at: null },
      { login: "fay", status: "invited", last_login_at: null, invited_at: "2026-03-01T12:00:00.000Z" },
      { login: "max", status: "active", last_login_at: "2026-06-30T09:15:00.000Z", invited_at: null },
      { login: "olga", status: "active", last_login_at: "2026-03-01T12:00:00.000Z", invited_at: null },
      { login: "pete", status: "invited", last_login_at: null, invited_at: "2026-03-01T12:00:00.000Z" },
    ]);
    expect(planSchemaErrors(report)).toEqual([]);
  });

  it("invite resend sends a pending invitation again, once per 10 minutes, and refuses others with exit 1", async () => {
    clock.set("2026-07-01T12:00:00Z");
    const sent = await run(["invite", "resend", "pete"]);
    clean(sent);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toBe(`Invitation to pete sent again at 2026-07-01T12:00:00.000Z on ${ts.url}\n`);
    const after = JSON.parse((await run(["users", "--format", "json"])).stdout);
    expect(after.users.find((u: { login: string }) => u.login === "pete").invited_at).toBe(
      "2026-07-01T12:00:00.000Z",
    );
    expect(after.recommendations.map((r: { login: string }) => r.login)).toEqual(["fay", "olga"]);

    const again = await run(["invite", "resend", "pete"]);
    clean(again);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^orgctl: conflict: .*send it again in 10 minute\(s\)/);
    const active = await run(["invite", "resend", "olga"]);
    expect(active.code).toBe(1);
    expect(active.stderr).toContain("olga is active, not invited");
    const unknown = await run(["invite", "resend", "nobody"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("not_found");
    const bad = await run(["invite", "resend", "Bad!"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^orgctl: invalid_login: /);
  });

  it("refuses a member's token with exit 1 (members have no admin access)", async () => {
    // Last: olga's login moves her last login.
    const member = await sessionFor(ts, "olga");
    const refused = await run(["users"], { ORGCTL_TOKEN: member });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("forbidden");
    expect(refused.stderr).not.toContain(member);
  });

  it("--help tells the flags and exit codes", async () => {
    const users = await runCli(["users", "--help"]);
    expect(users.code).toBe(0);
    for (const text of ["--inactive-days <n>", "--format <format>", "--endpoint <url>", "Exit codes:"]) {
      expect(users.stdout).toContain(text);
    }
    const resend = await runCli(["invite", "resend", "--help"]);
    expect(resend.code).toBe(0);
    expect(resend.stdout).toContain("Usage: orgctl invite resend [options] <login>");
    expect(resend.stdout).toContain("at most once every 10 minutes");
    const plan = await runCli(["plan", "--help"]);
    expect(plan.stdout).toContain("--inactive-days <n>");
    const top = await runCli(["--help"]);
    expect(top.stdout).toMatch(/users \[options\]/);
    expect(top.stdout).toMatch(/invite/);
  });
});
