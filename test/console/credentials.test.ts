/**
 * Who can hold a credential that acts as whom: the token model, token expiry, listing and revoking, the
 * apply lock's secret id, and logins that change nothing org.yaml manages.
 */
import { afterEach, describe, expect, it } from "vitest";
import { OWNER_TOKEN, startTestConsole, type TestConsole } from "../support/console.js";
import {
  actor,
  createUser,
  expectError,
  expectStatus,
  movableClock,
  PASSWORD,
  revisionOf,
  sessionFor,
  tokenFor,
} from "./helpers.js";

const consoles: TestConsole[] = [];
async function start(now?: () => Date): Promise<TestConsole> {
  const ts = await startTestConsole(now ? { now } : {});
  consoles.push(ts);
  return ts;
}
afterEach(async () => {
  await Promise.all(consoles.splice(0).map((c) => c.close()));
});

describe("no credential acts as someone with more rights", () => {
  it("an org_admin cannot obtain a token for the owner, so cannot edit the owner through one", async () => {
    const ts = await start();
    const ops = await actor(ts, "ops", "org_admin");
    const res = await ts.api("POST", "/v1/tokens", { login: "admin" }, { token: ops });
    expectError(res, 403, "owner_protected");
    expect(JSON.stringify(res.body)).not.toMatch(/oct_/);
    // Nothing else opens the owner either.
    expectError(
      await ts.api("PATCH", "/v1/users/admin", { last_name: "Mallory" }, { token: ops }),
      403,
      "owner_protected",
    );
    expectError(
      await ts.api("PUT", "/v1/users/admin/password", { password: "taken over!" }, { token: ops }),
      403,
      "owner_protected",
    );
    // The owner may issue their own.
    expectStatus(await ts.api("POST", "/v1/tokens", { login: "admin" }), 201);
  });

  it("only an org_admin issues tokens for others; every admin issues their own", async () => {
    const ts = await start();
    const billing = await actor(ts, "bill", "billing_admin");
    const users = await actor(ts, "ursula", "user_admin");
    await createUser(ts, "bot", { role: "user_admin" });
    // For themselves: any admin.
    expectStatus(await ts.api("POST", "/v1/tokens", { login: "bill" }, { token: billing }), 201);
    expectStatus(await ts.api("POST", "/v1/tokens", { login: "ursula" }, { token: users }), 201);
    // For someone else: only an org_admin, and a billing_admin may not mint a user_admin's powers.
    expectError(await ts.api("POST", "/v1/tokens", { login: "bot" }, { token: billing }), 403, "forbidden");
    expectError(await ts.api("POST", "/v1/tokens", { login: "bill" }, { token: users }), 403, "forbidden");
    const issued = await ts.api("POST", "/v1/tokens", { login: "bot", name: "ci" });
    expectStatus(issued, 201);
    const me = await ts.api("GET", "/v1/me", undefined, { token: issued.body.token });
    expect(me.body.login).toBe("bot");
  });
});

describe("tokens expire, are listed without secrets, and are revoked", () => {
  it("shows the expiry when issued (90 days by default) and refuses the token after it", async () => {
    const clock = movableClock("2026-03-01T12:00:00Z");
    const ts = await start(clock.now);
    await createUser(ts, "ops", { role: "org_admin", password: PASSWORD });
    const issued = await ts.api("POST", "/v1/tokens", { login: "ops" });
    expectStatus(issued, 201);
    expect(issued.body.expires_at).toBe("2026-05-30T12:00:00.000Z");
    const short = await ts.api("POST", "/v1/tokens", { login: "ops", expires_in_days: 1 });
    expect(short.body.expires_at).toBe("2026-03-02T12:00:00.000Z");
    expectError(await ts.api("POST", "/v1/tokens", { login: "ops", expires_in_days: 366 }), 400, "invalid");
    clock.set("2026-03-02T12:00:00Z");
    expectError(
      await ts.api("GET", "/v1/org", undefined, { token: short.body.token }),
      401,
      "unauthenticated",
    );
    expectStatus(await ts.api("GET", "/v1/org", undefined, { token: issued.body.token }), 200);
    clock.set("2026-05-30T12:00:00Z");
    const expired = await ts.api("GET", "/v1/org", undefined, { token: issued.body.token });
    expectError(expired, 401, "unauthenticated");
    expect(expired.body.error.message).toMatch(/expired/);
  });

  it("lists id, user, name, created, last used and expiry, never the secret; revoking ends it", async () => {
    const clock = movableClock("2026-03-01T12:00:00Z");
    const ts = await start(clock.now);
    const ops = await actor(ts, "ops", "org_admin");
    const session = await sessionFor(ts, "ops");
    clock.set("2026-03-01T12:05:00Z");
    expectStatus(await ts.api("GET", "/v1/org", undefined, { token: ops }), 200);
    const listed = await ts.api("GET", "/v1/tokens?login=ops");
    expectStatus(listed, 200);
    const text = JSON.stringify(listed.body);
    for (const secret of [ops, session, OWNER_TOKEN]) expect(text).not.toContain(secret);
    expect(listed.body.items).toHaveLength(2);
    const api = listed.body.items.find((t: { kind: string }) => t.kind === "api");
    expect(api).toEqual({
      id: expect.stringMatching(/^tok_/),
      login: "ops",
      kind: "api",
      name: "ops-token",
      created_at: "2026-03-01T12:00:00.000Z",
      last_used_at: "2026-03-01T12:05:00.000Z",
      expires_at: "2026-05-30T12:00:00.000Z",
      issued_by: "admin",
    });
    expect(listed.body.next_cursor).toBeNull();
    const revision = await revisionOf(ts);
    expectStatus(await ts.api("DELETE", `/v1/tokens/${api.id}`), 204);
    expectError(await ts.api("GET", "/v1/org", undefined, { token: ops }), 401, "unauthenticated");
    expectError(await ts.api("DELETE", `/v1/tokens/${api.id}`), 404, "not_found");
    expect(await revisionOf(ts)).toBe(revision);
    // The session is still there and can revoke itself.
    const own = (await ts.api("GET", "/v1/tokens", undefined, { token: session })).body.items;
    expect(own.map((t: { kind: string }) => t.kind)).toEqual(["session"]);
    expectStatus(await ts.api("DELETE", `/v1/tokens/${own[0].id}`, undefined, { token: session }), 204);
    expectError(await ts.api("GET", "/v1/me", undefined, { token: session }), 401, "unauthenticated");
  });

  it("another admin neither sees nor revokes the owner's credentials", async () => {
    const ts = await start();
    const ops = await actor(ts, "ops", "org_admin");
    const all = (await ts.api("GET", "/v1/tokens")).body.items as Array<{ id: string; login: string }>;
    const ownerToken = all.find((t) => t.login === "admin")!;
    expect(ownerToken).toMatchObject({ name: "bootstrap", expires_at: null, issued_by: null });
    const seen = (await ts.api("GET", "/v1/tokens", undefined, { token: ops })).body.items as Array<{
      login: string;
    }>;
    expect(seen.map((t) => t.login)).toEqual(["ops"]);
    expectError(
      await ts.api("DELETE", `/v1/tokens/${ownerToken.id}`, undefined, { token: ops }),
      403,
      "owner_protected",
    );
    expectStatus(await ts.api("GET", "/v1/org"), 200);
  });

  it("caps the live API tokens of one user", async () => {
    const ts = await start();
    await createUser(ts, "bot", { role: "user_admin" });
    for (let i = 0; i < 50; i++) expectStatus(await ts.api("POST", "/v1/tokens", { login: "bot" }), 201);
    const refused = await ts.api("POST", "/v1/tokens", { login: "bot" });
    expectError(refused, 422, "token_limit");
    expect(JSON.stringify(refused.body)).not.toMatch(/oct_/);
    expect((await ts.api("GET", "/v1/tokens?login=bot&limit=1000")).body.items).toHaveLength(50);
  });

  it("disabling a user ends their tokens for good, even once enabled again", async () => {
    const ts = await start();
    const token = await actor(ts, "ops", "org_admin");
    expectStatus(await ts.api("POST", "/v1/users/ops/disable"), 200);
    expectStatus(await ts.api("POST", "/v1/users/ops/enable"), 200);
    expectError(await ts.api("GET", "/v1/org", undefined, { token }), 401, "unauthenticated");
    expect((await ts.api("GET", "/v1/tokens?login=ops")).body.items).toEqual([]);
  });
});

describe("logins change nothing org.yaml manages", () => {
  it("does not move the revision, so a saved plan stays fresh", async () => {
    const ts = await start();
    await createUser(ts, "bob", { password: PASSWORD });
    const revision = await revisionOf(ts);
    const first = await ts.api("POST", "/v1/sessions", { login: "bob", password: PASSWORD }, { token: null });
    expectStatus(first, 201);
    await tokenFor(ts, "admin");
    expect(await revisionOf(ts)).toBe(revision);
    // The login itself is recorded.
    const bob = await ts.api("GET", "/v1/users/bob");
    expect(bob.body.status).toBe("active");
    expect(bob.body.last_login_at).toEqual(expect.any(String));
  });
});

describe("the apply lock's id is the holder's secret", () => {
  it("the 423 answer and GET /v1/lock name the holder, and that name takes or releases nothing", async () => {
    const ts = await start();
    const other = await actor(ts, "ops", "org_admin");
    const taken = await ts.api("POST", "/v1/lock", { holder: "ci-1", ttl_seconds: 60 });
    expectStatus(taken, 201);
    const lockId = taken.body.lock_id as string;
    expect(lockId).toMatch(/^lck_.{20,}/);
    const status = await ts.api("GET", "/v1/lock", undefined, { token: other });
    expect(JSON.stringify(status.body)).not.toContain(lockId);
    const busy = await ts.api("POST", "/v1/lock", { holder: "ops", ttl_seconds: 60 }, { token: other });
    expectError(busy, 423, "locked");
    expect(JSON.stringify(busy.body)).not.toContain(lockId);
    // Re-sending the holder's name is no way in.
    const impostor = await ts.api("POST", "/v1/lock", { holder: "ci-1", ttl_seconds: 60 }, { token: other });
    expectError(impostor, 423, "locked");
    expectError(await ts.api("DELETE", "/v1/lock", undefined, { token: other }), 423, "locked");
    expectStatus(
      await ts.api("DELETE", "/v1/lock", undefined, { token: other, headers: { "x-lock-id": lockId } }),
      204,
    );
  });

  it("an org_admin may break a dead holder's lease without its id; nobody else may", async () => {
    const ts = await start();
    const users = await actor(ts, "ursula", "user_admin");
    expectStatus(
      await ts.api("POST", "/v1/lock", { holder: "ci-dead", ttl_seconds: 600 }, { token: users }),
      201,
    );
    expectError(await ts.api("DELETE", "/v1/lock?force=true", undefined, { token: users }), 403, "forbidden");
    expectStatus(await ts.api("DELETE", "/v1/lock?force=true"), 204);
    expect((await ts.api("GET", "/v1/lock")).body).toEqual({ held: false });
    const audit = await ts.api("GET", "/v1/audit?target=lock");
    expect(
      audit.body.items.map(
        (e: { action: string; actor: { login: string } }) => `${e.actor.login} ${e.action}`,
      ),
    ).toEqual(["admin lock_break", "ursula lock_break", "ursula lock_acquire"]);
  });

  it("a retried take with the same credential and key gets the same id; another credential does not", async () => {
    const ts = await start();
    const other = await actor(ts, "ops", "org_admin");
    const key = { "idempotency-key": "orgctl-lock-1" };
    const first = await ts.api("POST", "/v1/lock", { holder: "ci", ttl_seconds: 60 }, { headers: key });
    expectStatus(first, 201);
    const again = await ts.api("POST", "/v1/lock", { holder: "ci", ttl_seconds: 60 }, { headers: key });
    expectStatus(again, 200);
    expect(again.body.lock_id).toBe(first.body.lock_id);
    const stolen = await ts.api(
      "POST",
      "/v1/lock",
      { holder: "ci", ttl_seconds: 60 },
      { token: other, headers: key },
    );
    expectError(stolen, 423, "locked");
    expect(JSON.stringify(stolen.body)).not.toContain(first.body.lock_id);
  });

  it("members may not take it, and the lease is capped at 600 s", async () => {
    const ts = await start();
    const member = await actor(ts, "mia", "member");
    expectError(
      await ts.api("POST", "/v1/lock", { holder: "mia", ttl_seconds: 60 }, { token: member }),
      403,
      "forbidden",
    );
    expectError(await ts.api("POST", "/v1/lock", { holder: "ci", ttl_seconds: 601 }), 400, "invalid");
    expectStatus(await ts.api("POST", "/v1/lock", { holder: "ci", ttl_seconds: 600 }), 201);
  });
});
