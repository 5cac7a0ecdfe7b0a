import { describe, expect, it } from "vitest";
import {
  decide,
  type Operation,
  PROFILE_FIELDS,
  type Role,
  SELF_SERVICE_PROFILE_FIELDS,
  step,
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
  snapshot,
  userOf,
} from "../support/builders.js";

/**
 * The rule book: every user may read and update their own *personal data* (external email, mobile, postal
 * address, birth date, photo URL) and change their own password. Names, plan and role are admin fields.
 */
const SAMPLE: Record<(typeof PROFILE_FIELDS)[number], string> = {
  external_email: "me@home.example",
  mobile: "+33 6 12 34 56 78",
  postal_address: "1 rue de la Paix, Paris",
  birth_date: "1990-05-17",
  photo_url: "https://img.example/me.png",
};

const memberState = () =>
  buildState({
    users: [
      { login: "mb", role: "member", first_name: "Mia", last_name: "Berg", profile: { mobile: "1" } },
      { login: "ua", role: "user_admin", plan: "pro" },
    ],
  });

describe("self-service: the personal data fields, each one", () => {
  it("the self-service fields are exactly the rule book's personal data", () => {
    expect([...SELF_SERVICE_PROFILE_FIELDS]).toEqual([
      "external_email",
      "mobile",
      "postal_address",
      "birth_date",
      "photo_url",
    ]);
  });

  it.each(PROFILE_FIELDS)("a member may set and clear their own %s", (field) => {
    const s = memberState();
    expectOk(step(s, as("mb"), { op: "update_user", login: "mb", profile: { [field]: SAMPLE[field] } }, NOW));
    expect(userOf(s, "mb").profile[field]).toBe(SAMPLE[field]);
    expectOk(step(s, as("mb"), { op: "update_user", login: "mb", profile: { [field]: null } }, NOW));
    expect(userOf(s, "mb").profile[field]).toBeUndefined();
    // The names never move through self-service.
    expect(userOf(s, "mb")).toMatchObject({ first_name: "Mia", last_name: "Berg" });
  });

  it.each(PROFILE_FIELDS)("a member may not set another member's %s", (field) => {
    const s = buildState({ users: [{ login: "mb" }, { login: "other" }] });
    expectRefused(
      decide(s, as("mb"), { op: "update_user", login: "other", profile: { [field]: SAMPLE[field] } }, NOW),
      "forbidden",
    );
  });

  it("an unknown or non-string field is invalid, also on oneself", () => {
    const unknown = expectRefused(
      decide(
        memberState(),
        as("mb"),
        { op: "update_user", login: "mb", profile: { nickname: "x" } as never },
        NOW,
      ),
      "invalid",
    );
    expect(unknown.details).toEqual({ field: "nickname" });
    const notString = expectRefused(
      decide(
        memberState(),
        as("mb"),
        { op: "update_user", login: "mb", profile: { mobile: 6 } as never },
        NOW,
      ),
      "invalid",
    );
    expect(notString.details).toEqual({ field: "mobile" });
  });
});

describe("self-service: names, plan and role are admin fields", () => {
  it.each(["first_name", "last_name"] as const)("a member may not change their own %s", (field) => {
    const s = memberState();
    const before = snapshot(s);
    const refusal = expectRefused(
      step(s, as("mb"), { op: "update_user", login: "mb", [field]: "Renamed" }, NOW),
      "forbidden",
    );
    expect(refusal.details).toEqual({ action: "edit_user" });
    expect(s).toEqual(before);
  });

  it.each(["first_name", "last_name"] as const)(
    "personal data sent with a %s is refused as a whole",
    (field) => {
      const s = memberState();
      const before = snapshot(s);
      expectRefused(
        step(
          s,
          as("mb"),
          { op: "update_user", login: "mb", [field]: "Renamed", profile: { mobile: "2" } },
          NOW,
        ),
        "forbidden",
      );
      expect(s).toEqual(before);
    },
  );

  it.each(["first_name", "last_name"] as const)(
    "a user_admin may not change their own %s either",
    (field) => {
      expectRefused(
        decide(memberState(), as("ua"), { op: "update_user", login: "ua", [field]: "X" }, NOW),
        "forbidden",
      );
      expectOk(
        decide(memberState(), as("ua"), { op: "update_user", login: "ua", profile: { mobile: "2" } }, NOW),
      );
    },
  );

  it.each(["first_name", "last_name"] as const)(
    "an admin who may edit the user changes their %s",
    (field) => {
      const s = memberState();
      expectOk(step(s, as("ua"), { op: "update_user", login: "mb", [field]: "Renamed" }, NOW));
      expect(userOf(s, "mb")[field]).toBe("Renamed");
    },
  );

  it("the owner and the console may rename the owner", () => {
    const s = memberState();
    expectOk(step(s, BY_OWNER, { op: "update_user", login: OWNER, last_name: "Self" }, NOW));
    expectOk(step(s, SYSTEM, { op: "update_user", login: OWNER, first_name: "Sys" }, NOW));
    expect(userOf(s, OWNER)).toMatchObject({ first_name: "Sys", last_name: "Self" });
  });
});

describe("change_role", () => {
  const state = () =>
    buildState({
      users: [
        { login: "al", role: "member" },
        { login: "oa", role: "org_admin" },
      ],
    });

  it("an unknown user is not_found and nothing else is looked at", () => {
    const s = state();
    const before = snapshot(s);
    const refusal = expectRefused(
      step(s, BY_OWNER, { op: "change_role", login: "ghost", role: "user_admin" }, NOW),
      "not_found",
    );
    expect(refusal.details).toEqual({ login: "ghost" });
    expect(s).toEqual(before);
  });

  it("an unknown role is invalid and names the roles", () => {
    const s = state();
    const before = snapshot(s);
    const refusal = expectRefused(
      step(s, BY_OWNER, { op: "change_role", login: "al", role: "superuser" as Role }, NOW),
      "invalid",
    );
    expect(refusal.message).toContain("org_admin, billing_admin, user_admin, member");
    expect(s).toEqual(before);
  });

  it.each(["member", "org_admin"] as const)("giving %s the role they already have is a conflict", (role) => {
    const login = role === "member" ? "al" : "oa";
    const refusal = expectRefused(
      decide(state(), BY_OWNER, { op: "change_role", login, role }, NOW),
      "conflict",
    );
    expect(refusal.details).toEqual({ login });
  });

  it("promotes and demotes, changing only the role and the admin count", () => {
    const s = state();
    expectOk(step(s, BY_OWNER, { op: "change_role", login: "al", role: "org_admin" }, NOW));
    expect(userOf(s, "al").role).toBe("org_admin");
    expect(s.counters.active_org_admins).toBe(3);
    expectOk(step(s, BY_OWNER, { op: "change_role", login: "oa", role: "billing_admin" }, NOW));
    expect(s.counters.active_org_admins).toBe(2);
  });
});

describe("an unknown target user is not_found, naming the login, and the state is unchanged", () => {
  const ops: Operation[] = [
    { op: "update_user", login: "ghost", profile: { mobile: "1" } },
    { op: "disable_user", login: "ghost" },
    { op: "enable_user", login: "ghost" },
    { op: "delete_user", login: "ghost" },
    { op: "change_plan", login: "ghost", plan: "pro" },
    { op: "change_role", login: "ghost", role: "member" },
    { op: "set_password", login: "ghost" },
    { op: "logout", login: "ghost" },
    { op: "add_alias", login: "ghost", address: "g@console.test" },
    { op: "remove_alias", login: "ghost", address: "g@console.test" },
    { op: "issue_token", login: "ghost" },
    { op: "revoke_token", login: "ghost" },
    { op: "login", login: "ghost" },
  ];
  it.each(ops)("$op", (operation) => {
    for (const actor of [BY_OWNER, SYSTEM]) {
      const s = buildState();
      const before = snapshot(s);
      const refusal = expectRefused(step(s, actor, operation, NOW), "not_found");
      expect(refusal.details).toEqual({ login: "ghost" });
      expect(s).toEqual(before);
    }
  });
});
