import { describe, expect, it } from "vitest";
import {
  type Action,
  type ConsoleState,
  decide,
  hasNoMoreRights,
  PERMISSIONS,
  ROLES,
  type Role,
} from "../../src/domain/index.js";
import {
  as,
  BY_OWNER,
  buildState,
  expectOk,
  expectRefused,
  NOW,
  OWNER,
  SYSTEM,
} from "../support/builders.js";

/** An admin of every role, an automation account of every role, and a disabled one. */
function tokenState(): ConsoleState {
  return buildState({
    users: [
      { login: "oa", role: "org_admin", plan: "pro" },
      { login: "ba", role: "billing_admin", plan: "pro" },
      { login: "ua", role: "user_admin", plan: "pro" },
      { login: "mb", role: "member", plan: "pro" },
      { login: "bot-ba", role: "billing_admin" },
      { login: "bot-ua", role: "user_admin" },
      { login: "bot-oa", role: "org_admin" },
      { login: "bot-off", role: "billing_admin", status: "disabled" },
    ],
  });
}

describe("hasNoMoreRights: a credential may only go to someone who already has every right it carries", () => {
  it("every role has no more rights than itself, and none more than org_admin", () => {
    for (const role of ROLES) {
      expect(hasNoMoreRights(role, role)).toBe(true);
      expect(hasNoMoreRights(role, "org_admin")).toBe(true);
      expect(hasNoMoreRights("member", role)).toBe(true);
    }
  });

  it("the admin roles that are not org_admin are incomparable: each has a right the other lacks", () => {
    const cases: [Role, Role, boolean][] = [
      ["org_admin", "billing_admin", false],
      ["org_admin", "user_admin", false],
      ["org_admin", "member", false],
      // billing_admin tops up, user_admin manages members and groups.
      ["billing_admin", "user_admin", false],
      ["user_admin", "billing_admin", false],
      ["billing_admin", "member", false],
      ["user_admin", "member", false],
    ];
    for (const [role, than, expected] of cases)
      expect([role, than, hasNoMoreRights(role, than)]).toEqual([role, than, expected]);
  });
});

describe("issue_token: who may obtain a credential that acts as a user", () => {
  it("every admin may issue a token for themselves; nothing is written to the records", () => {
    for (const login of ["oa", "ba", "ua", OWNER]) {
      expect(decide(tokenState(), as(login), { op: "issue_token", login }, NOW)).toEqual({
        ok: true,
        effects: [],
        ledger: [],
      });
    }
  });

  it("a member gets no API token, not even for themselves (tokens act as admin users only)", () => {
    const refusal = expectRefused(
      decide(tokenState(), as("mb"), { op: "issue_token", login: "mb" }, NOW),
      "invalid",
    );
    expect(refusal.details).toEqual({ login: "mb" });
    // Nor from the console itself.
    expectRefused(decide(tokenState(), SYSTEM, { op: "issue_token", login: "mb" }, NOW), "invalid");
  });

  it("an org_admin may issue a token for an automation account of any admin role", () => {
    for (const login of ["bot-ba", "bot-ua", "bot-oa", "ba", "ua"]) {
      expectOk(decide(tokenState(), as("oa"), { op: "issue_token", login }, NOW));
    }
  });

  it("a billing_admin or user_admin may not issue a token for anyone else", () => {
    for (const actor of ["ba", "ua"]) {
      for (const login of ["bot-ba", "bot-ua", "mb"]) {
        const refusal = expectRefused(
          decide(tokenState(), as(actor), { op: "issue_token", login }, NOW),
          "forbidden",
        );
        expect(refusal.details).toMatchObject({ action: "issue_token" });
      }
    }
    expectRefused(decide(tokenState(), as("mb"), { op: "issue_token", login: "bot-ba" }, NOW), "forbidden");
  });

  it("nobody but the owner obtains a token that acts as the owner", () => {
    for (const actor of ["oa", "ba", "ua", "mb"]) {
      const refusal = expectRefused(
        decide(tokenState(), as(actor), { op: "issue_token", login: OWNER }, NOW),
        "owner_protected",
      );
      expect(refusal.details).toEqual({ login: OWNER });
    }
    expectOk(decide(tokenState(), BY_OWNER, { op: "issue_token", login: OWNER }, NOW));
  });

  it("a disabled user gets no token, and a member target is refused even for an org_admin", () => {
    expectRefused(
      decide(tokenState(), as("oa"), { op: "issue_token", login: "bot-off" }, NOW),
      "account_disabled",
    );
    expectRefused(
      decide(tokenState(), SYSTEM, { op: "issue_token", login: "bot-off" }, NOW),
      "account_disabled",
    );
    expectRefused(decide(tokenState(), as("oa"), { op: "issue_token", login: "mb" }, NOW), "invalid");
  });

  it("the console itself may issue a token for any admin, the owner included", () => {
    for (const login of [OWNER, "bot-ba", "ua"])
      expectOk(decide(tokenState(), SYSTEM, { op: "issue_token", login }, NOW));
  });

  it("an unknown user is not_found", () => {
    const refusal = expectRefused(
      decide(tokenState(), as("oa"), { op: "issue_token", login: "ghost" }, NOW),
      "not_found",
    );
    expect(refusal.details).toEqual({ login: "ghost" });
  });
});

describe("revoke_token: the same people who may force a logout", () => {
  it("anyone may revoke their own credentials, members included", () => {
    for (const login of ["mb", "ba", OWNER]) {
      expect(decide(tokenState(), as(login), { op: "revoke_token", login }, NOW)).toEqual({
        ok: true,
        effects: [],
        ledger: [],
      });
    }
  });

  it("an org_admin revokes anyone's but the owner's; a user_admin only a member's", () => {
    expectOk(decide(tokenState(), as("oa"), { op: "revoke_token", login: "bot-ba" }, NOW));
    expectOk(decide(tokenState(), as("ua"), { op: "revoke_token", login: "mb" }, NOW));
    expectRefused(decide(tokenState(), as("ua"), { op: "revoke_token", login: "bot-ba" }, NOW), "forbidden");
    expectRefused(decide(tokenState(), as("ba"), { op: "revoke_token", login: "mb" }, NOW), "forbidden");
    expectRefused(decide(tokenState(), as("mb"), { op: "revoke_token", login: "ua" }, NOW), "forbidden");
    const refusal = expectRefused(
      decide(tokenState(), as("oa"), { op: "revoke_token", login: OWNER }, NOW),
      "owner_protected",
    );
    expect(refusal.details).toEqual({ login: OWNER });
  });

  it("the console itself may revoke anyone's; an unknown user is not_found", () => {
    expectOk(decide(tokenState(), SYSTEM, { op: "revoke_token", login: OWNER }, NOW));
    expectRefused(decide(tokenState(), as("oa"), { op: "revoke_token", login: "ghost" }, NOW), "not_found");
  });
});

describe("the console's own rows of the matrix (README, Roles)", () => {
  it.each<[string, string[]]>([
    ["issue_token", ["yes", "no", "no", "no"]],
    ["take_lock", ["yes", "yes", "yes", "no"]],
    ["break_lock", ["yes", "no", "no", "no"]],
    ["read_audit", ["yes", "no", "no", "no"]],
  ])("%s: %j", (action, grants) => {
    expect(ROLES.map((role) => PERMISSIONS[action as Action][role])).toEqual(grants);
  });

  it("the matrix has exactly these actions", () => {
    expect(Object.keys(PERMISSIONS).sort()).toEqual(
      [
        "read",
        "top_up",
        "change_plan",
        "create_user",
        "delete_user",
        "edit_user",
        "change_role",
        "manage_groups",
        "manage_domains",
        "manage_org",
        "change_org_plan",
        "issue_token",
        "take_lock",
        "break_lock",
        "read_audit",
      ].sort(),
    );
  });
});
