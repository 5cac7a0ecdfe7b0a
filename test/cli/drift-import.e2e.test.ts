import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { type CliResult, hasStackTrace, runCli } from "../support/cli.js";
import { OWNER_TOKEN, startTestConsole, type TestConsole } from "../support/console.js";

/** Each test spawns the CLI (up to 60 s a run) several times. */
const E2E = { timeout: 180_000 };

/** Set on a live user through the API; an import must never contain it. */
const SECRET = "Kx9-live-Pa55word-distinctive-e2e7";

async function apiOk(ts: TestConsole, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await ts.api(method, path, body);
  expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
  return res.body;
}

/** A live organization with something of every kind: domain, groups, roles, plans, aliases, profile, disabled. */
async function buildLiveState(ts: TestConsole): Promise<void> {
  await apiOk(ts, "POST", "/v1/domains", { name: "example.org" });
  await apiOk(ts, "POST", "/v1/domains/example.org/verify");
  await apiOk(ts, "POST", "/v1/groups", { name: "staff", description: "Everyone on the payroll" });
  await apiOk(ts, "POST", "/v1/groups", { name: "ops" });
  await apiOk(ts, "POST", "/v1/users", {
    login: "bob",
    email: "bob@example.org",
    first_name: "Bob",
    last_name: "Builder",
    plan: "entry",
    role: "org_admin",
    aliases: ["b@example.org", "bob.builder@console.test"],
    groups: ["staff", "ops"],
    profile: { external_email: "bob@home.example", mobile: "+33 6 12 34 56 78" },
  });
  await apiOk(ts, "PUT", `/v1/users/bob/password`, { password: SECRET, rotation: "2026-q1" });
  await apiOk(ts, "POST", "/v1/users", {
    login: "carol",
    email: "carol@example.org",
    first_name: "Carol",
    last_name: "Counter",
    plan: "pro",
    role: "billing_admin",
    aliases: ["invoices@example.org"],
    groups: ["staff"],
  });
  await apiOk(ts, "POST", "/v1/users", {
    login: "dan",
    email: "dan@console.test",
    first_name: "Dan",
    last_name: "Gone",
    plan: "free",
    role: "member",
    groups: ["staff"],
  });
  await apiOk(ts, "POST", "/v1/users/dan/disable");
  await apiOk(ts, "PUT", "/v1/groups/ops/members/admin");
  await apiOk(ts, "PATCH", "/v1/users/admin", { profile: { postal_address: "1 Main Street" } });
}

describe("orgctl import, plan and drift against a live console", E2E, () => {
  let ts: TestConsole;
  let dir: string;
  let file: string;
  let importResult: CliResult;
  const env = { ORGCTL_TOKEN: OWNER_TOKEN };
  const run = (args: string[]): Promise<CliResult> =>
    runCli([...args, "--endpoint", ts.url], { cwd: dir, env });

  beforeAll(async () => {
    ts = await startTestConsole();
    dir = mkdtempSync(join(tmpdir(), "orgctl-cli-import-"));
    file = join(dir, "imported.yaml");
    await buildLiveState(ts);
    importResult = await run(["import", "--out", file]);
  }, 120_000);
  afterAll(async () => {
    await ts.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes the live state as org.yaml", () => {
    expect(importResult.code, importResult.stderr).toBe(0);
    expect(importResult.stdout).toBe("");
    const doc = parse(readFileSync(file, "utf8"));
    expect(doc.organization).toMatchObject({ name: "Example Org", plan: "pro" });
    // The policy it assumes is written out: users' own personal data is theirs.
    expect(doc.policy).toEqual({
      ignore_profile_fields: ["birth_date", "external_email", "mobile", "photo_url", "postal_address"],
    });
    expect(doc.domains).toEqual([{ name: "example.org" }]);
    expect(doc.groups).toEqual([{ name: "ops" }, { name: "staff", description: "Everyone on the payroll" }]);
    const byLogin = Object.fromEntries(doc.users.map((u: { login: string }) => [u.login, u]));
    expect(Object.keys(byLogin).sort()).toEqual(["admin", "bob", "carol", "dan"]);
    expect(byLogin.admin).toMatchObject({ owner: true, role: "org_admin", groups: ["ops"] });
    expect(byLogin.admin.profile).toEqual({ postal_address: "1 Main Street" });
    expect(byLogin.bob).toMatchObject({
      plan: "entry",
      role: "org_admin",
      aliases: ["b@example.org", "bob.builder@console.test"],
      groups: ["ops", "staff"],
      profile: { external_email: "bob@home.example", mobile: "+33 6 12 34 56 78" },
    });
    expect(byLogin.carol).toMatchObject({
      plan: "pro",
      role: "billing_admin",
      aliases: ["invoices@example.org"],
    });
    expect(byLogin.dan).toMatchObject({ status: "disabled", plan: "free", groups: ["staff"] });
  });

  it("never writes a password, its value or its rotation label", () => {
    const text = readFileSync(file, "utf8");
    expect(text).not.toContain(SECRET);
    expect(text).not.toMatch(/^\s*password:/m);
    expect(text).not.toContain("2026-q1");
    expect(importResult.stderr).not.toContain(SECRET);
  });

  it("refuses to overwrite the file without --overwrite", async () => {
    const before = readFileSync(file, "utf8");
    const result = await run(["import", "--out", file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("orgctl: file_exists: ");
    expect(hasStackTrace(result.stderr)).toBe(false);
    expect(readFileSync(file, "utf8")).toBe(before);
  });

  it("validates offline", async () => {
    const result = await runCli(["validate", "-f", file], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("is valid: 4 users, 2 groups, 1 domain");
  });

  it("plans no changes for the imported file", async () => {
    const result = await run(["plan", "-f", file, "--detailed-exitcode"]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain("No changes");
    expect(result.stdout).not.toMatch(/^\s+[+~-] /m);
    expect(result.stdout + result.stderr).not.toContain(SECRET);
  });

  it("goes to standard output without --out, identical to the file", async () => {
    const result = await run(["import"]);
    expect(result.code, result.stderr).toBe(0);
    // Only the schema reference differs: absolute on stdout, relative to the file with --out.
    const strip = (text: string) => text.replace(/\$schema=\S+/, "$schema=");
    expect(strip(result.stdout)).toBe(strip(readFileSync(file, "utf8")));
    expect(result.stdout).not.toContain(SECRET);
  });

  it("drift: exits 0 when in sync, 2 naming the user after a live change, 0 again once undone", async () => {
    const inSync = await run(["drift", "-f", file]);
    expect(inSync.code, inSync.stdout + inSync.stderr).toBe(0);
    expect(inSync.stdout).toContain("No drift. The console matches org.yaml.");
    expect(inSync.stdout).toMatch(/^orgctl drift for Example Org/);

    await apiOk(ts, "PUT", "/v1/users/carol/plan", { plan: "ultra" });
    const drifted = await run(["drift", "-f", file]);
    expect(drifted.code, drifted.stdout + drifted.stderr).toBe(2);
    const changed = drifted.stdout.split("\n").filter((l) => /^\s+[+~-] /.test(l));
    expect(changed.length, drifted.stdout).toBeGreaterThan(0);
    expect(changed.join("\n")).toContain("carol");
    expect(changed.join("\n")).not.toMatch(/\b(bob|dan)\b/);
    expect(hasStackTrace(drifted.stderr)).toBe(false);

    const json = await run(["drift", "-f", file, "--format", "json"]);
    expect(json.code).toBe(2);
    const keys = JSON.parse(json.stdout).steps.map((s: { key: string }) => s.key);
    expect(keys).toContain("carol");

    // plan agrees: there are changes now.
    const plan = await run(["plan", "-f", file, "--detailed-exitcode"]);
    expect(plan.code, plan.stdout + plan.stderr).toBe(2);

    await apiOk(ts, "PUT", "/v1/users/carol/plan", { plan: "pro" });
    const undone = await run(["drift", "-f", file]);
    expect(undone.code, undone.stdout + undone.stderr).toBe(0);
  });

  it("drift: says live → desired and who changed it, when and through what; a plan error is drift too", async () => {
    await apiOk(ts, "POST", "/v1/users", {
      login: "alice",
      email: "alice@console.test",
      first_name: "Alice",
      last_name: "Admin",
      plan: "entry",
      role: "org_admin",
      password: "alice's own password",
    });
    const login = await ts.api(
      "POST",
      "/v1/sessions",
      { login: "alice", password: "alice's own password" },
      {
        token: null,
      },
    );
    const session = login.body.token as string;
    const edit = await ts.api("PATCH", "/v1/users/bob", { last_name: "Bauer" }, { token: session });
    expect(edit.status, JSON.stringify(edit.body)).toBe(200);
    // alice herself is in the file from now on, so that bob's name is the only drift.
    const withAlice = join(dir, "with-alice.yaml");
    writeFileSync(
      withAlice,
      `${readFileSync(file, "utf8").replace(
        /\nusers:\n/,
        "\nusers:\n  - login: alice\n    first_name: Alice\n    last_name: Admin\n    email: alice@console.test\n    plan: entry\n    role: org_admin\n",
      )}`,
    );
    const text = await run(["drift", "-f", withAlice]);
    expect(text.code, text.stdout + text.stderr).toBe(2);
    expect(text.stdout).toContain("~ /last_name: Bauer → Builder");
    expect(text.stdout).toMatch(/changed by alice \(session\) at \d{4}-\d{2}-\d{2}T[\d:.]+Z: update_user/);
    expect(text.stdout).toContain("Drift: the console differs from org.yaml (0 to create, 1 to update");
    expect(text.stdout).not.toContain(session);

    const json = await run(["drift", "-f", withAlice, "--format", "json"]);
    const step = JSON.parse(json.stdout).steps.find((s: { key: string }) => s.key === "bob");
    expect(step.changes).toEqual([{ path: "/last_name", from: "Bauer", to: "Builder" }]);
    expect(step.attribution).toMatchObject({ by: "alice", via: "session", action: "update_user" });
    const markdown = await run(["drift", "-f", withAlice, "--format", "markdown"]);
    expect(markdown.stdout).toContain("### orgctl drift: 0 to create, 1 to update");
    expect(markdown.stdout).toContain("changed by alice (session)");

    // A difference apply cannot revert (a protected user's email) is drift: exit 2, not 0.
    await apiOk(ts, "PATCH", "/v1/users/bob", { last_name: "Builder" });
    expect((await run(["drift", "-f", withAlice])).code).toBe(0);
    const protectedFile = join(dir, "protected.yaml");
    writeFileSync(
      protectedFile,
      readFileSync(withAlice, "utf8").replace(
        "email: alice@console.test",
        "email: alice.new@console.test\n    protected: true",
      ),
    );
    const blocked = await run(["drift", "-f", protectedFile]);
    expect(blocked.code, blocked.stdout + blocked.stderr).toBe(2);
    expect(blocked.stdout).toContain(
      "0 to create, 0 to update, 0 to delete, 0 to replace, 1 that apply cannot revert",
    );
    expect(blocked.stdout).not.toContain("Plan failed");
  });

  it("a provider alias added in the console: plan warns and goes on, drift reports it (exit 2)", async () => {
    const withAlice = join(dir, "with-alice.yaml");
    expect((await run(["drift", "-f", withAlice])).code).toBe(0);
    await apiOk(ts, "POST", "/v1/users/carol/aliases", {
      address: "carol.forever@console.test",
    });
    // Nothing to apply: plan passes, and says what it cannot revert.
    const plan = await run(["plan", "-f", withAlice, "--detailed-exitcode"]);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).toContain(
      "No changes to apply, but the console differs from org.yaml in 1 way(s) apply cannot revert (see Warnings).",
    );
    expect(plan.stdout).toMatch(/with-alice\.yaml:\d+:\d+ alias_permanent: carol\.forever@console\.test/);
    expect(plan.stdout).toContain(
      "fix: list carol.forever@console.test among carol's aliases in org.yaml: it goes only when carol is deleted",
    );
    expect(plan.stdout).not.toContain("Plan failed");
    const drift = await run(["drift", "-f", withAlice]);
    expect(drift.code, drift.stdout + drift.stderr).toBe(2);
    expect(drift.stdout).toContain("alias_permanent");
  });

  it("drift: exits 1, not 2, when the console cannot be read", async () => {
    const result = await runCli(["drift", "-f", file, "--endpoint", ts.url], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("missing_token");
  });

  it("drift: reports an invalid file with exit 1", async () => {
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "version: 1\norganization:\n  name: X\n  plan: gold\n");
    const result = await run(["drift", "-f", bad]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${bad}:4:9 invalid: org plan gold is not in the catalog`);
    expect(hasStackTrace(result.stderr)).toBe(false);
  });
});
