import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasStackTrace, runCli } from "../support/cli.js";
import { startTestConsole, type TestConsole } from "../support/console.js";

/** `orgctl owner-token`: the console operator gives a partner-created organization's owner a first token. */
describe("orgctl owner-token", () => {
  let ts: TestConsole;
  const env = { ORGCTL_NOW: "2026-03-01T12:00:00Z" };

  beforeAll(async () => {
    ts = await startTestConsole({ partnerOrg: true });
    const created = await ts.api("POST", "/v1/orgs", {
      slug: "client-a",
      name: "Client A",
      plan: "pro",
      owner: { login: "boss", first_name: "Ann", last_name: "Boss", email: "boss-client-a@console.test" },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
  });
  afterAll(async () => ts.close());

  it("prints a token that acts as the owner, in the owner's organization only, while the console runs", async () => {
    const run = await runCli(["owner-token", "--db", ts.dbPath, "--org", "client-a", "--name", "first"], {
      env,
    });
    expect(run.code, run.stderr).toBe(0);
    const token = run.stdout.trim();
    expect(token).toMatch(/^oct_\S{20,}$/);
    expect(run.stdout).toBe(`${token}\n`);
    expect(run.stderr).toMatch(
      /issued API token tok_\w+ \(first\) for boss, the owner of client-a; it expires 2026-05-30/,
    );
    expect(run.stderr).not.toContain(token);
    const org = await ts.api("GET", "/v1/org", undefined, { token });
    expect(org.status).toBe(200);
    expect(org.body).toMatchObject({ name: "Client A", owner: "boss" });
    expect((await ts.api("GET", "/v1/me", undefined, { token })).body).toMatchObject({
      login: "boss",
      owner: true,
    });
    // The owner acts as the owner in their own organization, and in no other.
    expect((await ts.api("GET", "/v1/orgs/client-a/users/boss", undefined, { token })).status).toBe(200);
    expect((await ts.api("GET", "/v1/orgs/example-org/users", undefined, { token })).status).toBe(404);
    // The organization's audit log records the issue, by the system, with the token's id and never its secret.
    const audit = await ts.api("GET", "/v1/orgs/client-a/audit?action=issue_token");
    expect(audit.status).toBe(200);
    expect(audit.body.items).toEqual([
      expect.objectContaining({ action: "issue_token", target: "user/boss", outcome: "ok" }),
    ]);
    expect(JSON.stringify(audit.body)).not.toContain(token);
    const listed = await ts.api("GET", "/v1/tokens", undefined, { token });
    expect(listed.body.items).toEqual([expect.objectContaining({ login: "boss", name: "first" })]);
    expect(JSON.stringify(listed.body)).not.toContain(token);
  });

  it("refuses an unknown organization, a missing database and a bad lifetime plainly, creating nothing", async () => {
    const unknown = await runCli(["owner-token", "--db", ts.dbPath, "--org", "nope"], { env });
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toBe("");
    expect(unknown.stderr).toContain("unknown_org");
    expect(unknown.stderr).toContain("organizations here: client-a, example-org");
    const missing = join(ts.dir, "missing.db");
    const none = await runCli(["owner-token", "--db", missing, "--org", "client-a"], { env });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("no_database");
    expect(existsSync(missing)).toBe(false);
    const long = await runCli(
      ["owner-token", "--db", ts.dbPath, "--org", "client-a", "--expires-in-days", "999"],
      {
        env,
      },
    );
    expect(long.code).toBe(1);
    expect(long.stderr).toContain("invalid_flag");
    for (const result of [unknown, none, long]) expect(hasStackTrace(result.stderr)).toBe(false);
  });
});
