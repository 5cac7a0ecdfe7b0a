import { describe, expect, it } from "vitest";
import { decide, invitedSince, RESEND_INTERVAL_MINUTES, step } from "../../src/domain/index.js";
import {
  as,
  BY_OWNER,
  buildState,
  expectOk,
  expectRefused,
  makeUser,
  NOW,
  SYSTEM,
} from "../support/builders.js";

const state = () =>
  buildState({
    users: [
      { login: "inv", status: "invited", plan: "entry" },
      { login: "inv-admin", status: "invited", role: "billing_admin" },
      { login: "act" },
      { login: "off", status: "disabled" },
      { login: "ua", role: "user_admin" },
      { login: "ba", role: "billing_admin" },
      { login: "mem" },
    ],
  });
const resend = (login: string) => ({ op: "resend_invitation" as const, login });
const minutesLater = (n: number) => new Date(NOW.getTime() + n * 60_000);

describe("invitedSince", () => {
  it("is when the pending invitation last went: the last resend, else the creation; null unless invited", () => {
    const invited = makeUser({ login: "a", status: "invited" });
    expect(invitedSince(invited)).toBe(invited.created_at);
    expect(invitedSince({ ...invited, invited_at: "2026-02-03T04:05:06.000Z" })).toBe(
      "2026-02-03T04:05:06.000Z",
    );
    expect(invitedSince({ ...invited, status: "active", invited_at: "2026-02-03T04:05:06.000Z" })).toBeNull();
    expect(invitedSince(makeUser({ login: "b", status: "disabled" }))).toBeNull();
  });
});

describe("resend_invitation", () => {
  it("records when the invitation went again, and nothing else (no money, no revision move in the console)", () => {
    const s = state();
    const before = s.users.get("inv")!;
    const { effects, ledger } = expectOk(step(s, BY_OWNER, resend("inv"), NOW));
    expect(effects).toEqual([{ type: "put_user", user: { ...before, invited_at: NOW.toISOString() } }]);
    expect(ledger).toEqual([]);
    expect(invitedSince(s.users.get("inv")!)).toBe(NOW.toISOString());
  });

  it("allows one resend per RESEND_INTERVAL_MINUTES, counting from the last resend", () => {
    const s = state();
    expectOk(step(s, BY_OWNER, resend("inv"), NOW));
    const early = expectRefused(
      decide(s, BY_OWNER, resend("inv"), minutesLater(RESEND_INTERVAL_MINUTES - 1)),
      "conflict",
    );
    expect(early.message).toBe(
      "the invitation to inv was resent less than 10 minutes ago; send it again in 1 minute(s)",
    );
    expect(early.details).toMatchObject({ retry_after_seconds: 60 });
    expectOk(decide(s, BY_OWNER, resend("inv"), minutesLater(RESEND_INTERVAL_MINUTES)));
  });

  it("is refused for a user who is not invited, or does not exist", () => {
    const s = state();
    expect(expectRefused(decide(s, BY_OWNER, resend("act"), NOW), "conflict").message).toBe(
      "act is active, not invited: only a pending invitation can be sent again",
    );
    expectRefused(decide(s, BY_OWNER, resend("off"), NOW), "conflict");
    expectRefused(decide(s, BY_OWNER, resend("owner"), NOW), "conflict");
    expectRefused(decide(s, BY_OWNER, resend("ghost"), NOW), "not_found");
  });

  it("follows who may create the user: org_admin anyone, user_admin members, not billing_admin or member", () => {
    const s = state();
    expectOk(decide(s, as("ua"), resend("inv"), NOW));
    expect(expectRefused(decide(s, as("ua"), resend("inv-admin"), NOW), "forbidden").message).toBe(
      "a user_admin may not invite users who are not plain members",
    );
    expect(expectRefused(decide(s, as("ba"), resend("inv"), NOW), "forbidden").message).toBe(
      "a billing_admin may not invite users",
    );
    expectRefused(decide(s, as("mem"), resend("inv"), NOW), "forbidden");
    expectOk(decide(s, BY_OWNER, resend("inv-admin"), NOW));
    expectOk(decide(s, SYSTEM, resend("inv-admin"), NOW));
  });
});

describe("the refusals of resend_invitation carry what a client shows and fixes by", () => {
  it("a member has no admin access; other admins are told which users they may not invite", () => {
    const s = state();
    const member = expectRefused(decide(s, as("mem"), resend("inv"), NOW), "forbidden");
    expect(member.message).toBe("mem is a member and has no admin access");
    expect(member.details).toEqual({ action: "invite" });
    expect(expectRefused(decide(s, as("ba"), resend("inv"), NOW), "forbidden").details).toEqual({
      action: "invite",
      role: "billing_admin",
    });
    expect(expectRefused(decide(s, as("ua"), resend("inv-admin"), NOW), "forbidden").details).toEqual({
      action: "invite",
      role: "user_admin",
    });
  });

  it("not_found names the login, conflict the login and its status", () => {
    const s = state();
    const missing = expectRefused(decide(s, BY_OWNER, resend("ghost"), NOW), "not_found");
    expect(missing.message).toBe("user ghost does not exist");
    expect(missing.details).toEqual({ login: "ghost" });
    expect(expectRefused(decide(s, BY_OWNER, resend("off"), NOW), "conflict").details).toEqual({
      login: "off",
      status: "disabled",
    });
  });
});
