/**
 * Resending a pending invitation [RI], over a real socket: who may (the role check is the rule engine's), whom
 * for (only `invited` users), how often (once per RESEND_INTERVAL_MINUTES), what it records (`invited_at`, an
 * audit entry, no revision), and JSON errors for every refusal.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startTestConsole, type TestConsole } from "../support/console.js";
import {
  actor,
  createUser,
  expectError,
  expectStatus,
  movableClock,
  PASSWORD,
  revisionOf,
  sessionFor,
} from "./helpers.js";

const consoles: TestConsole[] = [];
afterEach(async () => {
  await Promise.all(consoles.splice(0).map((c) => c.close()));
});

async function start() {
  const clock = movableClock("2026-03-01T12:00:00Z");
  const ts = await startTestConsole({ now: clock.now, orgPlan: "ultra", balanceCents: 1_000_000 });
  consoles.push(ts);
  return { ts, clock };
}

describe("POST /v1/users/{login}/invitation", () => {
  it("resends a pending invitation, records when, moves no revision and is audited", async () => {
    const { ts, clock } = await start();
    const bob = await createUser(ts, "bob", { profile: { external_email: "bob@example.net" } });
    expect(bob).toMatchObject({ status: "invited", invited_at: "2026-03-01T12:00:00.000Z" });
    const revision = await revisionOf(ts);

    clock.set("2026-03-20T08:00:00Z");
    const res = await ts.api("POST", "/v1/users/bob/invitation", undefined, {
      headers: { "idempotency-key": "resend-bob-1" },
    });
    expectStatus(res, 200);
    expect(res.body).toMatchObject({
      login: "bob",
      status: "invited",
      invited_at: "2026-03-20T08:00:00.000Z",
    });
    expect(await revisionOf(ts)).toBe(revision);
    expect((await ts.api("GET", "/v1/users/bob")).body.invited_at).toBe("2026-03-20T08:00:00.000Z");

    // The same key replays the answer with no second effect, even later.
    clock.set("2026-03-20T09:00:00Z");
    const replay = await ts.api("POST", "/v1/users/bob/invitation", undefined, {
      headers: { "idempotency-key": "resend-bob-1" },
    });
    expectStatus(replay, 200);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect((await ts.api("GET", "/v1/users/bob")).body.invited_at).toBe("2026-03-20T08:00:00.000Z");

    const audit = await ts.api("GET", "/v1/audit?action=resend_invitation");
    expectStatus(audit, 200);
    expect(audit.body.items).toEqual([
      expect.objectContaining({
        action: "resend_invitation",
        target: "user/bob",
        fields: ["/invited_at"],
        outcome: "ok",
        idempotency_key: "resend-bob-1",
      }),
    ]);
    // Personal data and secrets stay out of the audit log.
    expect(JSON.stringify(audit.body)).not.toContain("bob@example.net");
  });

  it("refuses a second resend within 10 minutes, saying how long to wait, and audits the refusal", async () => {
    const { ts, clock } = await start();
    await createUser(ts, "bob");
    // The first invitation went at creation; a resend right away is allowed.
    expectStatus(await ts.api("POST", "/v1/users/bob/invitation"), 200);
    clock.set("2026-03-01T12:04:00Z");
    const early = await ts.api("POST", "/v1/users/bob/invitation");
    expectError(early, 409, "conflict");
    expect(early.body.error.message).toMatch(/send it again in 6 minute/);
    expect(early.body.error.details).toMatchObject({ login: "bob", retry_after_seconds: 360 });
    clock.set("2026-03-01T12:10:00Z");
    expectStatus(await ts.api("POST", "/v1/users/bob/invitation"), 200);
    const refused = await ts.api("GET", "/v1/audit?action=resend_invitation");
    expect(
      refused.body.items.map((e: { outcome: string; code: string | null }) => [e.outcome, e.code]),
    ).toEqual([
      ["ok", null],
      ["refused", "conflict"],
      ["ok", null],
    ]);
  });

  it("refuses users who are not invited (409), unknown users (404), with JSON errors", async () => {
    const { ts } = await start();
    await createUser(ts, "act", { password: PASSWORD });
    await createUser(ts, "gone");
    expectStatus(await ts.api("POST", "/v1/users/gone/disable"), 200);
    const active = await ts.api("POST", "/v1/users/act/invitation");
    expectError(active, 409, "conflict");
    expect(active.body.error.message).toBe(
      "act is active, not invited: only a pending invitation can be sent again",
    );
    expectError(await ts.api("POST", "/v1/users/gone/invitation"), 409, "conflict");
    expectError(await ts.api("POST", "/v1/users/admin/invitation"), 409, "conflict");
    expectError(await ts.api("POST", "/v1/users/nobody/invitation"), 404, "not_found");
    expectError(await ts.api("POST", "/v1/users/Not%20A%20Login/invitation"), 404, "not_found");
    // The route takes no body.
    expectError(await ts.api("POST", "/v1/users/act/invitation", { to: "x@example.net" }), 400, "invalid");
  });

  it("lets who may invite resend: org_admin anyone, user_admin members only, nobody else", async () => {
    const { ts } = await start();
    await createUser(ts, "newbie");
    await createUser(ts, "newadmin", { role: "billing_admin" });
    const users = await actor(ts, "ursula", "user_admin");
    const billing = await actor(ts, "bill", "billing_admin");
    await createUser(ts, "mem", { password: PASSWORD });
    const member = await sessionFor(ts, "mem");
    const ops = await actor(ts, "ops", "org_admin");

    expectError(
      await ts.api("POST", "/v1/users/newbie/invitation", undefined, { token: member }),
      403,
      "forbidden",
    );
    const byBilling = await ts.api("POST", "/v1/users/newbie/invitation", undefined, { token: billing });
    expectError(byBilling, 403, "forbidden");
    expect(byBilling.body.error.message).toBe("a billing_admin may not invite users");
    const overReach = await ts.api("POST", "/v1/users/newadmin/invitation", undefined, { token: users });
    expectError(overReach, 403, "forbidden");
    expect(overReach.body.error.message).toBe("a user_admin may not invite users who are not plain members");
    expectStatus(await ts.api("POST", "/v1/users/newbie/invitation", undefined, { token: users }), 200);
    expectStatus(await ts.api("POST", "/v1/users/newadmin/invitation", undefined, { token: ops }), 200);
    expectError(
      await ts.api("POST", "/v1/users/newbie/invitation", undefined, { token: null }),
      401,
      "unauthenticated",
    );
  });

  it("shows no invitation once the user has logged in", async () => {
    const { ts } = await start();
    await createUser(ts, "bob");
    expectStatus(await ts.api("PUT", "/v1/users/bob/password", { password: PASSWORD }), 204);
    await sessionFor(ts, "bob");
    const bob = (await ts.api("GET", "/v1/users/bob")).body;
    expect(bob).toMatchObject({
      status: "active",
      invited_at: null,
      last_login_at: "2026-03-01T12:00:00.000Z",
    });
  });
});
