/**
 * The audit log: every change, login, credential and lock action, and every refused authenticated request,
 * written with the change, readable by org_admins only, filtered and paged, and free of secrets.
 */
import { afterEach, describe, expect, it } from "vitest";
import { OWNER_TOKEN, startTestConsole, type TestConsole } from "../support/console.js";
import { actor, createUser, expectError, expectStatus, PASSWORD, revisionOf } from "./helpers.js";

const consoles: TestConsole[] = [];
async function start(): Promise<TestConsole> {
  const ts = await startTestConsole({ now: "2026-03-01T12:00:00Z" });
  consoles.push(ts);
  return ts;
}
afterEach(async () => {
  await Promise.all(consoles.splice(0).map((c) => c.close()));
});

interface Entry {
  id: number;
  at: string;
  actor: {
    kind: string;
    login: string | null;
    credential: { id: string; kind: string; name: string } | null;
  };
  action: string;
  target: string;
  fields: string[];
  outcome: "ok" | "refused";
  code: string | null;
  message: string | null;
  idempotency_key: string | null;
  revision: number;
}

async function auditOf(ts: TestConsole, query = ""): Promise<Entry[]> {
  const entries: Entry[] = [];
  let cursor: string | null = null;
  do {
    const sep = query ? "&" : "";
    const res = await ts.api("GET", `/v1/audit?limit=2${sep}${query}${cursor ? `&cursor=${cursor}` : ""}`);
    expectStatus(res, 200);
    entries.push(...(res.body.items as Entry[]));
    cursor = res.body.next_cursor as string | null;
  } while (cursor);
  return entries;
}

describe("the audit log", () => {
  it("records a change with its actor, credential, target, fields, key and the revision it made", async () => {
    const ts = await start();
    await createUser(ts, "tom");
    const ops = await actor(ts, "ops", "org_admin");
    const res = await ts.api(
      "PATCH",
      "/v1/users/tom",
      { last_name: "Green", profile: { mobile: "+33600000000" } },
      { token: ops, headers: { "idempotency-key": "edit-tom-1" } },
    );
    expectStatus(res, 200);
    const revision = await revisionOf(ts);
    const [latest] = await auditOf(ts, "target=user/tom&action=update_user");
    const tokenId = (await ts.api("GET", "/v1/tokens?login=ops")).body.items[0].id;
    expect(latest).toEqual({
      id: expect.any(Number),
      at: "2026-03-01T12:00:00.000Z",
      actor: { kind: "user", login: "ops", credential: { id: tokenId, kind: "api", name: "ops-token" } },
      action: "update_user",
      target: "user/tom",
      fields: ["/last_name", "/profile/mobile"],
      outcome: "ok",
      code: null,
      message: null,
      idempotency_key: "edit-tom-1",
      revision,
    });
  });

  it("records logins, failed logins, token issue and revoke, lock take and release, and refusals", async () => {
    const ts = await start();
    await createUser(ts, "bob", { role: "user_admin", password: PASSWORD });
    expectStatus(
      await ts.api("POST", "/v1/sessions", { login: "bob", password: PASSWORD }, { token: null }),
      201,
    );
    expectError(
      await ts.api("POST", "/v1/sessions", { login: "bob", password: "not it at all" }, { token: null }),
      401,
      "unauthenticated",
    );
    const issued = await ts.api("POST", "/v1/tokens", { login: "bob", name: "ci" });
    expectStatus(await ts.api("DELETE", `/v1/tokens/${issued.body.id}`), 204);
    const lock = await ts.api("POST", "/v1/lock", { holder: "ci", ttl_seconds: 60 });
    expectStatus(
      await ts.api("DELETE", "/v1/lock", undefined, { headers: { "x-lock-id": lock.body.lock_id } }),
      204,
    );
    // Refused: by the rules, by the role check of a read, and a 404.
    expectError(await ts.api("POST", "/v1/users/admin/disable"), 403, "self_action");
    const member = await actor(ts, "mia", "member");
    expectError(await ts.api("GET", "/v1/users", undefined, { token: member }), 403, "forbidden");
    expectError(await ts.api("GET", "/v1/users/ghost"), 404, "not_found");

    const entries = await auditOf(ts);
    const summary = entries
      .map(
        (e) =>
          `${e.actor.login ?? e.actor.kind} ${e.action} ${e.target} ${e.outcome}${e.code ? ` ${e.code}` : ""}`,
      )
      .reverse();
    expect(summary).toEqual([
      "system bootstrap user/admin ok",
      "admin create_user user/bob ok",
      "bob login user/bob ok",
      "anonymous login user/bob refused unauthenticated",
      "admin issue_token user/bob ok",
      "admin revoke_token user/bob ok",
      "admin lock_acquire lock ok",
      "admin lock_release lock ok",
      "admin disable_user user/admin refused self_action",
      "admin create_user user/mia ok",
      "mia login user/mia ok",
      "mia get /v1/users /v1/users refused forbidden",
      "admin get /v1/users/ghost /v1/users/ghost refused not_found",
    ]);
    const issue = entries.find((e) => e.action === "issue_token")!;
    expect(issue.fields).toEqual([`/tokens/${issued.body.id}`]);
    const login = entries.find((e) => e.action === "login" && e.outcome === "ok" && e.actor.login === "bob")!;
    expect(login.actor.credential).toMatchObject({ kind: "session", id: expect.stringMatching(/^ses_/) });
  });

  it("never holds a secret", async () => {
    const ts = await start();
    const secretPassword = "Correct-Horse-Battery-Staple-42";
    await createUser(ts, "bob", { role: "user_admin", password: secretPassword });
    expectStatus(await ts.api("PUT", "/v1/users/bob/password", { password: `${secretPassword}!` }), 204);
    await ts.api("POST", "/v1/sessions", { login: "bob", password: secretPassword }, { token: null });
    const session = await ts.api(
      "POST",
      "/v1/sessions",
      { login: "bob", password: `${secretPassword}!` },
      {
        token: null,
      },
    );
    const issued = await ts.api("POST", "/v1/tokens", { login: "bob" });
    const lock = await ts.api("POST", "/v1/lock", { holder: "ci", ttl_seconds: 60 });
    const text = JSON.stringify(await auditOf(ts));
    for (const secret of [
      secretPassword,
      session.body.token,
      issued.body.token,
      lock.body.lock_id,
      OWNER_TOKEN,
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('"/password"');
  });

  it("a refused change leaves no ok entry: the entry and the change are one transaction", async () => {
    const ts = await start();
    await createUser(ts, "bot", { role: "user_admin" });
    for (let i = 0; i < 50; i++) expectStatus(await ts.api("POST", "/v1/tokens", { login: "bot" }), 201);
    expectError(await ts.api("POST", "/v1/tokens", { login: "bot" }), 422, "token_limit");
    const issues = await auditOf(ts, "action=issue_token");
    expect(issues.filter((e) => e.outcome === "ok")).toHaveLength(50);
    expect(issues.filter((e) => e.outcome === "refused").map((e) => e.code)).toEqual(["token_limit"]);
    // Every ok change entry names a revision the org really went through, in order.
    const changes = (await auditOf(ts)).filter((e) => e.outcome === "ok").reverse();
    const revisions = changes.map((e) => e.revision);
    expect([...revisions].sort((a, b) => a - b)).toEqual(revisions);
    expect(revisions.at(-1)).toBe(await revisionOf(ts));
  });

  it("is for org_admins only, and filters by actor, target and time", async () => {
    const ts = await start();
    const users = await actor(ts, "ursula", "user_admin");
    const billing = await actor(ts, "bill", "billing_admin");
    expectError(await ts.api("GET", "/v1/audit", undefined, { token: users }), 403, "forbidden");
    expectError(await ts.api("GET", "/v1/audit", undefined, { token: billing }), 403, "forbidden");
    await createUser(ts, "mia", {}, users);
    const byUrsula = await auditOf(ts, "actor=ursula");
    expect(byUrsula.map((e) => `${e.action} ${e.target} ${e.outcome} ${e.code}`)).toEqual([
      "create_user user/mia ok null",
      "read_audit audit refused forbidden",
    ]);
    expect((await auditOf(ts, "since=2026-03-01T12:00:01Z")).length).toBe(0);
    expect((await auditOf(ts, "until=2026-03-01T12:00:00Z")).length).toBe(0);
    expect((await auditOf(ts, "since=2026-03-01T12:00:00Z")).length).toBeGreaterThan(3);
    expectError(await ts.api("GET", "/v1/audit?since=yesterday"), 400, "invalid");
    expectError(await ts.api("GET", "/v1/audit?actor=Not%20A%20Login"), 400, "invalid");
  });
});
