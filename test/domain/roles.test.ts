import { describe, expect, it } from "vitest";
import {
  type Action,
  type ConsoleState,
  decide,
  isAllowed,
  type Operation,
  PERMISSIONS,
  ROLES,
  type Role,
  step,
} from "../../src/domain/index.js";
import {
  as,
  BY_OWNER,
  buildState,
  expectOk,
  expectRefused,
  NOW,
  newUser,
  OWNER,
  SYSTEM,
  userOf,
} from "../support/builders.js";

type Grant = "yes" | "no" | "members";

/** The rule book's table, transcribed literally (columns: org_admin, billing_admin, user_admin, member). */
const RULE_BOOK: Record<string, [Grant, Grant, Grant, Grant]> = {
  "read org, users, groups, domains": ["yes", "yes", "yes", "no"],
  "read wallet and ledger": ["yes", "yes", "yes", "no"],
  "top up wallet, change a user's plan": ["yes", "yes", "no", "no"],
  "create / delete users": ["yes", "no", "members", "no"],
  "edit profile, password, aliases, disable, enable, force logout": ["yes", "no", "members", "no"],
  "change a user's role (promote/demote)": ["yes", "no", "no", "no"],
  "manage groups and any user's memberships": ["yes", "no", "yes", "no"],
  "manage domains, org settings": ["yes", "no", "no", "no"],
};

const ROW_ACTIONS: Record<string, Action[]> = {
  "read org, users, groups, domains": ["read"],
  "read wallet and ledger": ["read"],
  "top up wallet, change a user's plan": ["top_up", "change_plan"],
  "create / delete users": ["create_user", "delete_user"],
  "edit profile, password, aliases, disable, enable, force logout": ["edit_user"],
  "change a user's role (promote/demote)": ["change_role"],
  "manage groups and any user's memberships": ["manage_groups"],
  // Changing the org plan is an org setting [MF]: "an org_admin may change the organization plan".
  "manage domains, org settings": ["manage_domains", "manage_org", "change_org_plan"],
};

const ACTOR_OF: Record<Role, string> = {
  org_admin: "oa",
  billing_admin: "ba",
  user_admin: "ua",
  member: "mb",
};

/** Active target `t-<role>` and disabled target `d-<role>` for every role; each has a removable alias. */
function matrixState(): ConsoleState {
  return buildState({
    balance: 1_000_000,
    domains: ["example.com", { name: "pending.test", status: "pending" }],
    users: [
      { login: "oa", role: "org_admin", plan: "pro" },
      { login: "ba", role: "billing_admin", plan: "pro" },
      { login: "ua", role: "user_admin", plan: "pro" },
      { login: "mb", role: "member", plan: "pro" },
      ...ROLES.flatMap((role) => [
        { login: `t-${role}`, role, plan: "entry", aliases: [`t-${role}.x@example.com`] },
        { login: `d-${role}`, role, plan: "entry", status: "disabled" as const },
      ]),
    ],
    groups: [
      { name: "eng", members: ["t-member"] },
      { name: "ops", members: [] },
    ],
  });
}

/** Every operation of a row; `targeted` operations are tried against a target of every role. */
const OPS: { row: string; targeted: boolean; ops: (targetRole: Role) => Operation[] }[] = [
  {
    row: "top up wallet, change a user's plan",
    targeted: false,
    ops: () => [{ op: "top_up", amount_cents: 1000, method: "test" }],
  },
  {
    row: "top up wallet, change a user's plan",
    targeted: true,
    ops: (r) => [{ op: "change_plan", login: `t-${r}`, plan: "pro" }],
  },
  {
    row: "create / delete users",
    targeted: true,
    ops: (r) => [
      { op: "create_user", user: newUser("fresh", { role: r }) },
      { op: "delete_user", login: `d-${r}` },
    ],
  },
  {
    row: "edit profile, password, aliases, disable, enable, force logout",
    targeted: true,
    ops: (r) => [
      { op: "update_user", login: `t-${r}`, first_name: "Renamed" },
      { op: "update_user", login: `t-${r}`, profile: { mobile: "+33 6 00 00 00 00" } },
      { op: "set_password", login: `t-${r}` },
      { op: "add_alias", login: `t-${r}`, address: `t-${r}.y@example.com` },
      { op: "remove_alias", login: `t-${r}`, address: `t-${r}.x@example.com` },
      { op: "disable_user", login: `t-${r}` },
      { op: "enable_user", login: `d-${r}` },
      { op: "logout", login: `t-${r}` },
    ],
  },
  {
    row: "change a user's role (promote/demote)",
    targeted: true,
    ops: (r) => [{ op: "change_role", login: `t-${r}`, role: r === "member" ? "billing_admin" : "member" }],
  },
  {
    row: "manage groups and any user's memberships",
    targeted: false,
    ops: () => [
      { op: "create_group", name: "new-group", description: "New" },
      { op: "update_group", name: "eng", description: "Engineering" },
      { op: "delete_group", name: "ops" },
      { op: "add_member", group: "ops", login: "t-member" },
      { op: "remove_member", group: "eng", login: "t-member" },
      { op: "add_member", group: "ops", login: "t-org_admin" },
    ],
  },
  {
    row: "manage domains, org settings",
    targeted: false,
    ops: () => [
      { op: "create_domain", name: "new.test", verification_token: "tok" },
      { op: "verify_domain", name: "pending.test" },
      { op: "delete_domain", name: "pending.test" },
      { op: "update_org", name: "Renamed Org" },
      { op: "change_org_plan", plan: "ultra" },
    ],
  },
];

const ROLE_INDEX: Record<Role, number> = { org_admin: 0, billing_admin: 1, user_admin: 2, member: 3 };

describe("role × action matrix", () => {
  it("PERMISSIONS is exactly the rule book's table", () => {
    for (const [row, grants] of Object.entries(RULE_BOOK)) {
      for (const action of ROW_ACTIONS[row] ?? []) {
        for (const role of ROLES) {
          expect(PERMISSIONS[action][role], `${action} for ${role}`).toBe(grants[ROLE_INDEX[role]]);
        }
      }
    }
  });

  it("read org, users, groups, domains, wallet and ledger: every admin role, never a member", () => {
    expect(ROLES.map((r) => isAllowed(r, "read"))).toEqual([true, true, true, false]);
  });

  for (const { row, targeted, ops } of OPS) {
    const grants = RULE_BOOK[row]!;
    for (const actorRole of ROLES) {
      const grant = grants[ROLE_INDEX[actorRole]];
      for (const targetRole of targeted ? ROLES : (["member"] as const)) {
        const allowed = grant === "yes" || (grant === "members" && targetRole === "member");
        for (const op of ops(targetRole)) {
          const on = targeted ? ` on a ${targetRole}` : "";
          it(`${actorRole} ${allowed ? "may" : "may not"} ${op.op}${on} (${row})`, () => {
            const state = matrixState();
            const before = structuredClone(state);
            const decision = step(state, as(ACTOR_OF[actorRole]), op, NOW);
            if (allowed) {
              expectOk(decision);
              expect(state.org.revision).toBe(before.org.revision + 1);
            } else {
              expectRefused(decision, "forbidden");
              expect(state).toEqual(before);
            }
          });
        }
      }
    }
  }

  it("the owner, an org_admin, may do every action of the table on any target", () => {
    for (const { targeted, ops } of OPS) {
      for (const targetRole of targeted ? ROLES : (["member"] as const)) {
        for (const op of ops(targetRole)) expectOk(decide(matrixState(), BY_OWNER, op, NOW));
      }
    }
  });

  it("a user_admin keeps a member a member: creating an admin is forbidden, a member is allowed", () => {
    const state = matrixState();
    for (const role of ["org_admin", "billing_admin", "user_admin"] as const) {
      expectRefused(
        decide(state, as("ua"), { op: "create_user", user: newUser("x", { role }) }, NOW),
        "forbidden",
      );
    }
    const { effects } = expectOk(
      step(state, as("ua"), { op: "create_user", user: newUser("x", { role: "member" }) }, NOW),
    );
    expect(effects[0]).toMatchObject({ type: "put_user", user: { login: "x", role: "member" } });
    expect(userOf(state, "x").role).toBe("member");
  });

  it("an unknown acting user is forbidden", () => {
    expectRefused(
      decide(matrixState(), as("ghost"), { op: "top_up", amount_cents: 100, method: "test" }, NOW),
      "forbidden",
    );
  });
});

describe("self-service", () => {
  const state = () =>
    buildState({ users: [{ login: "mb", role: "member", plan: "entry", profile: { mobile: "1" } }] });

  it("a member may update their own personal data", () => {
    const s = state();
    expectOk(
      step(
        s,
        as("mb"),
        { op: "update_user", login: "mb", profile: { mobile: "2", birth_date: "1990-01-01" } },
        NOW,
      ),
    );
    expect(userOf(s, "mb").profile).toEqual({ mobile: "2", birth_date: "1990-01-01" });
  });

  it("a member may change their own password", () => {
    const s = buildState({ users: [{ login: "mb", status: "invited", password_set: false }] });
    expectOk(step(s, as("mb"), { op: "set_password", login: "mb" }, NOW));
    expect(userOf(s, "mb").password_set).toBe(true);
  });

  it("a member may not edit another user's personal data", () => {
    const s = buildState({ users: [{ login: "mb" }, { login: "other" }] });
    expectRefused(
      decide(s, as("mb"), { op: "update_user", login: "other", profile: { mobile: "2" } }, NOW),
      "forbidden",
    );
    expectRefused(decide(s, as("mb"), { op: "set_password", login: "other" }, NOW), "forbidden");
  });

  it("a member may not rename themselves (names are admin fields)", () => {
    expectRefused(
      decide(state(), as("mb"), { op: "update_user", login: "mb", first_name: "X" }, NOW),
      "forbidden",
    );
  });

  it("a member may not change their own plan or role", () => {
    expectRefused(
      decide(state(), as("mb"), { op: "change_plan", login: "mb", plan: "pro" }, NOW),
      "forbidden",
    );
    expectRefused(
      decide(state(), as("mb"), { op: "change_role", login: "mb", role: "org_admin" }, NOW),
      "forbidden",
    );
  });
});

describe("self_action: nobody may delete, disable, re-plan or re-role themselves", () => {
  const state = () =>
    buildState({
      users: [
        { login: "oa", role: "org_admin", plan: "entry" },
        { login: "ba", role: "billing_admin", plan: "entry" },
      ],
    });

  it.each([
    ["oa", { op: "disable_user", login: "oa" }],
    ["oa", { op: "delete_user", login: "oa" }],
    ["oa", { op: "change_plan", login: "oa", plan: "pro" }],
    ["oa", { op: "change_role", login: "oa", role: "member" }],
    ["ba", { op: "change_plan", login: "ba", plan: "pro" }],
    [OWNER, { op: "disable_user", login: OWNER }],
    [OWNER, { op: "delete_user", login: OWNER }],
    [OWNER, { op: "change_plan", login: OWNER, plan: "ultra" }],
    [OWNER, { op: "change_role", login: OWNER, role: "billing_admin" }],
  ] as [string, Operation][])("%s: %o → self_action", (login, op) => {
    const s = state();
    const before = structuredClone(s);
    expectRefused(step(s, as(login), op, NOW), "self_action");
    expect(s).toEqual(before);
  });

  it("the same operations on another user are allowed", () => {
    const s = state();
    expectOk(step(s, BY_OWNER, { op: "change_plan", login: "oa", plan: "pro" }, NOW));
    expectOk(step(s, as("ba"), { op: "change_plan", login: "oa", plan: "ultra" }, NOW));
    expectOk(step(s, as("oa"), { op: "change_role", login: "ba", role: "member" }, NOW));
    expectOk(step(s, as("oa"), { op: "disable_user", login: "ba" }, NOW));
    expectOk(step(s, as("oa"), { op: "delete_user", login: "ba" }, NOW));
    expect(userOf(s, "oa").plan).toBe("ultra");
    expect(s.users.has("ba")).toBe(false);
  });
});

describe("last_org_admin: at least one active org_admin at all times", () => {
  it("the console itself may not disable or demote the only active org_admin", () => {
    const s = buildState({ users: [{ login: "mb" }] });
    const before = structuredClone(s);
    expectRefused(step(s, SYSTEM, { op: "disable_user", login: OWNER }, NOW), "last_org_admin");
    expectRefused(
      step(s, SYSTEM, { op: "change_role", login: OWNER, role: "member" }, NOW),
      "last_org_admin",
    );
    expect(s).toEqual(before);
  });

  it("an invited or disabled org_admin does not count", () => {
    const s = buildState({
      users: [
        { login: "inv", role: "org_admin", status: "invited" },
        { login: "off", role: "org_admin", status: "disabled" },
      ],
    });
    expect(s.counters.active_org_admins).toBe(1);
    expectRefused(decide(s, SYSTEM, { op: "disable_user", login: OWNER }, NOW), "last_org_admin");
  });

  it("another admin may not disable or demote the last active org_admin", () => {
    // The owner is disabled; `solo` is the only active org_admin; `inv` (invited org_admin) acts.
    const s = buildState({
      owner: { status: "disabled" },
      users: [
        { login: "solo", role: "org_admin", plan: "entry" },
        { login: "inv", role: "org_admin", status: "invited" },
      ],
    });
    expect(s.counters.active_org_admins).toBe(1);
    expectRefused(decide(s, as("inv"), { op: "disable_user", login: "solo" }, NOW), "last_org_admin");
    expectRefused(
      decide(s, as("inv"), { op: "change_role", login: "solo", role: "user_admin" }, NOW),
      "last_org_admin",
    );
  });

  it("with two active org_admins one may be disabled or demoted, then the other is the last", () => {
    const s = buildState({
      users: [
        { login: "oa", role: "org_admin" },
        { login: "ob", role: "org_admin" },
      ],
    });
    expect(s.counters.active_org_admins).toBe(3);
    expectOk(step(s, BY_OWNER, { op: "disable_user", login: "oa" }, NOW));
    expect(s.counters.active_org_admins).toBe(2);
    expectOk(step(s, BY_OWNER, { op: "change_role", login: "ob", role: "member" }, NOW));
    expect(s.counters.active_org_admins).toBe(1);
    expect(userOf(s, "oa").status).toBe("disabled");
    expect(userOf(s, "ob").role).toBe("member");
    expectRefused(decide(s, SYSTEM, { op: "disable_user", login: OWNER }, NOW), "last_org_admin");
    // Re-enabling and promoting give the org its admins back.
    expectOk(step(s, BY_OWNER, { op: "enable_user", login: "oa" }, NOW));
    expectOk(step(s, BY_OWNER, { op: "change_role", login: "ob", role: "org_admin" }, NOW));
    expect(s.counters.active_org_admins).toBe(3);
  });

  it("demoting a disabled org_admin is allowed even when only one other is active", () => {
    const s = buildState({ users: [{ login: "off", role: "org_admin", status: "disabled" }] });
    expectOk(step(s, BY_OWNER, { op: "change_role", login: "off", role: "member" }, NOW));
    expect(userOf(s, "off").role).toBe("member");
  });
});

describe("owner_protected: no other admin may edit, disable, delete or force-log-out the owner", () => {
  const state = (ownerStatus: "active" | "disabled" = "active") =>
    buildState({
      domains: ["example.com"],
      owner: { status: ownerStatus, aliases: ["boss@example.com"] },
      users: [{ login: "oa", role: "org_admin", plan: "pro" }],
    });

  it.each([
    { op: "update_user", login: OWNER, first_name: "X" },
    { op: "update_user", login: OWNER, profile: { mobile: "0" } },
    { op: "set_password", login: OWNER },
    { op: "logout", login: OWNER },
    { op: "add_alias", login: OWNER, address: "chief@example.com" },
    { op: "remove_alias", login: OWNER, address: "boss@example.com" },
    { op: "disable_user", login: OWNER },
    { op: "change_role", login: OWNER, role: "member" },
  ] as Operation[])("another org_admin: %o → owner_protected", (op) => {
    const s = state();
    const before = structuredClone(s);
    expectRefused(step(s, as("oa"), op, NOW), "owner_protected");
    expect(s).toEqual(before);
  });

  it("another org_admin may not enable or delete a disabled owner", () => {
    const s = state("disabled");
    expectRefused(decide(s, as("oa"), { op: "enable_user", login: OWNER }, NOW), "owner_protected");
    expectRefused(decide(s, as("oa"), { op: "delete_user", login: OWNER }, NOW), "owner_protected");
  });

  it("the owner may edit their own record", () => {
    const s = state();
    expectOk(step(s, BY_OWNER, { op: "update_user", login: OWNER, first_name: "Boss" }, NOW));
    expectOk(step(s, BY_OWNER, { op: "set_password", login: OWNER }, NOW));
    expectOk(step(s, BY_OWNER, { op: "add_alias", login: OWNER, address: "chief@example.com" }, NOW));
    expectOk(step(s, BY_OWNER, { op: "remove_alias", login: OWNER, address: "boss@example.com" }, NOW));
    expectOk(step(s, BY_OWNER, { op: "logout", login: OWNER }, NOW));
    expect(userOf(s, OWNER)).toMatchObject({ first_name: "Boss", aliases: ["chief@example.com"] });
  });

  it("the same edits on a non-owner org_admin are allowed", () => {
    const s = state();
    expectOk(step(s, BY_OWNER, { op: "update_user", login: "oa", first_name: "X" }, NOW));
    expectOk(step(s, BY_OWNER, { op: "logout", login: "oa" }, NOW));
    expectOk(step(s, BY_OWNER, { op: "disable_user", login: "oa" }, NOW));
    expectOk(step(s, BY_OWNER, { op: "enable_user", login: "oa" }, NOW));
    expectOk(step(s, BY_OWNER, { op: "change_role", login: "oa", role: "member" }, NOW));
    expect(userOf(s, "oa")).toMatchObject({ first_name: "X", status: "active", role: "member" });
  });
});

describe("a disabled admin cannot act", () => {
  it("any operation from a disabled actor is refused with account_disabled", () => {
    const s = buildState({
      users: [{ login: "oa", role: "org_admin", status: "disabled" }, { login: "mb" }],
    });
    expectRefused(
      decide(s, as("oa"), { op: "top_up", amount_cents: 100, method: "test" }, NOW),
      "account_disabled",
    );
    expectRefused(decide(s, as("oa"), { op: "disable_user", login: "mb" }, NOW), "account_disabled");
  });
});
