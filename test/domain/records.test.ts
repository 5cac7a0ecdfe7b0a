import { describe, expect, it } from "vitest";
import {
  applyDecision,
  cloneState,
  countersOf,
  decide,
  groupsOf,
  indexAddresses,
  routedAddresses,
  step,
} from "../../src/domain/index.js";
import {
  as,
  BY_OWNER,
  buildState,
  expectOk,
  expectRefused,
  makeUser,
  NOW,
  newUser,
  OWNER,
  recount,
  SYSTEM,
  snapshot,
  userOf,
} from "../support/builders.js";

describe("the records the rule engine keeps (model.ts)", () => {
  it("cloneState is a snapshot: writing to the copy, org included, never reaches the original", () => {
    const s = buildState({ users: [{ login: "al" }], groups: [{ name: "eng" }], domains: ["example.com"] });
    const before = snapshot(s);
    const copy = cloneState(s);
    copy.org.name = "Changed";
    copy.balance = 1;
    copy.users.delete("al");
    copy.groups.clear();
    copy.domains.clear();
    copy.addresses.clear();
    copy.counters.free_seats = 99;
    expect(s).toEqual(before);
    expect(copy.catalog).toBe(s.catalog);
  });

  it("indexAddresses: emails and aliases name their user; retired addresses name nobody", () => {
    const al = makeUser({ login: "al", aliases: ["b@console.test", "a@console.test"] });
    const index = indexAddresses([al], ["old@console.test"]);
    expect([...index.entries()].sort()).toEqual([
      ["a@console.test", { login: "al", kind: "alias" }],
      ["al@console.test", { login: "al", kind: "email" }],
      ["b@console.test", { login: "al", kind: "alias" }],
      ["old@console.test", { login: "", kind: "retired" }],
    ]);
  });

  it("groupsOf lists a user's groups by name", () => {
    const s = buildState({
      users: [{ login: "al" }],
      groups: [
        { name: "zeta", members: ["al"] },
        { name: "alpha", members: ["al", OWNER] },
        { name: "mid", members: [OWNER] },
      ],
    });
    expect(groupsOf(s, "al")).toEqual(["alpha", "zeta"]);
    expect(groupsOf(s, "nobody")).toEqual([]);
  });

  it("countersOf counts paid and free seats and active org_admins only", () => {
    const users = [
      makeUser({ login: "a", role: "org_admin", plan: "pro" }),
      makeUser({ login: "b", role: "org_admin", plan: "free", status: "disabled" }),
      makeUser({ login: "c", role: "org_admin", plan: "free", status: "invited" }),
      makeUser({ login: "d", role: "user_admin", plan: "entry" }),
    ];
    expect(countersOf(buildState().catalog, users)).toEqual({
      paid_seats: 2,
      free_seats: 2,
      active_org_admins: 1,
    });
  });
});

describe("effects keep the indexes and counters in step with the records", () => {
  it("a removed alias leaves the index; an address another user now holds stays theirs", () => {
    const s = buildState({
      domains: ["example.com"],
      users: [{ login: "al", plan: "entry", aliases: ["x@example.com"] }],
    });
    expectOk(step(s, BY_OWNER, { op: "remove_alias", login: "al", address: "x@example.com" }, NOW));
    expect(s.addresses.has("x@example.com")).toBe(false);
    expectOk(step(s, BY_OWNER, { op: "add_alias", login: OWNER, address: "x@example.com" }, NOW));
    // Re-writing al (a rename) must not take the address from its new holder.
    expectOk(step(s, BY_OWNER, { op: "update_user", login: "al", first_name: "Al" }, NOW));
    expect(s.addresses.get("x@example.com")).toEqual({ login: OWNER, kind: "alias" });
  });

  it("an unindex of a stale record keeps the address that another user holds", () => {
    const s = buildState({
      domains: ["example.com"],
      users: [
        { login: "al", plan: "entry" },
        { login: "bo", plan: "entry" },
      ],
    });
    // A stale record of al that still lists an address bo holds now.
    s.users.set("al", { ...userOf(s, "al"), aliases: ["x@example.com"] });
    s.addresses.set("x@example.com", { login: "bo", kind: "alias" });
    applyDecision(s, [{ type: "put_user", user: { ...userOf(s, "al"), aliases: [] } }], []);
    expect(s.addresses.get("x@example.com")).toEqual({ login: "bo", kind: "alias" });
  });

  it("deleting an unknown user changes nothing but the revision", () => {
    const s = buildState();
    const before = snapshot(s);
    applyDecision(s, [{ type: "delete_user", login: "ghost", retire: ["ghost@console.test"] }], []);
    expect({ ...s, org: before.org }).toEqual(before);
    expect(s.org.revision).toBe(before.org.revision + 1);
  });

  it("applyDecision moves the revision once unless told not to, and adds the ledger to the balance", () => {
    const s = buildState({ balance: 100 });
    applyDecision(s, [], [{ amount_cents: -30, reason: "renewal", login: null, plan: null, memo: "" }]);
    expect([s.balance, s.org.revision]).toEqual([70, 2]);
    applyDecision(s, [], [{ amount_cents: 5, reason: "top_up", login: null, plan: null, memo: "" }], false);
    expect([s.balance, s.org.revision]).toEqual([75, 2]);
  });

  it("counters follow a plan change, a role change, disabling and deleting", () => {
    const s = buildState({
      balance: 1_000_000,
      users: [
        { login: "al", plan: "free", role: "org_admin" },
        { login: "bo", plan: "entry" },
      ],
    });
    expectOk(step(s, BY_OWNER, { op: "change_plan", login: "al", plan: "pro" }, NOW));
    expectOk(step(s, BY_OWNER, { op: "change_role", login: "bo", role: "org_admin" }, NOW));
    expectOk(step(s, BY_OWNER, { op: "disable_user", login: "al" }, NOW));
    expect(s.counters).toEqual({ paid_seats: 3, free_seats: 0, active_org_admins: 2 });
    expectOk(step(s, BY_OWNER, { op: "delete_user", login: "al" }, NOW));
    expect(s.counters).toEqual(recount(s));
    expect(s.counters).toEqual({ paid_seats: 2, free_seats: 0, active_org_admins: 2 });
  });
});

describe("rules that were not pinned elsewhere", () => {
  it("a password rotation label is kept with a password and dropped without one", () => {
    const s = buildState();
    expectOk(step(s, BY_OWNER, { op: "create_user", user: newUser("al", { password_rotation: "r1" }) }, NOW));
    expect(userOf(s, "al").password_rotation).toBe("r1");
    expectOk(
      step(
        s,
        BY_OWNER,
        { op: "create_user", user: newUser("bo", { password_hash: null, password_rotation: "r1" }) },
        NOW,
      ),
    );
    expect(userOf(s, "bo")).toMatchObject({
      password_rotation: null,
      status: "invited",
      password_set: false,
    });
    expectOk(step(s, BY_OWNER, { op: "set_password", login: "al", rotation: "r2" }, NOW));
    expect(userOf(s, "al").password_rotation).toBe("r2");
    expectOk(step(s, BY_OWNER, { op: "set_password", login: "al" }, NOW));
    expect(userOf(s, "al").password_rotation).toBeNull();
  });

  it("enabling a user who logged in once but has no password makes them active", () => {
    const s = buildState({
      users: [
        { login: "al", status: "disabled", password_set: false, last_login_at: "2026-01-05T00:00:00.000Z" },
      ],
    });
    expectOk(step(s, BY_OWNER, { op: "enable_user", login: "al" }, NOW));
    expect(userOf(s, "al").status).toBe("active");
  });

  it("logging in makes an invited user active and records the time", () => {
    const s = buildState({ users: [{ login: "al", status: "invited" }] });
    const { effects } = expectOk(step(s, SYSTEM, { op: "login", login: "al" }, NOW));
    expect(effects).toEqual([{ type: "put_user", user: userOf(s, "al") }]);
    expect(userOf(s, "al")).toMatchObject({ status: "active", last_login_at: "2026-03-01T12:00:00.000Z" });
  });

  it("a disabled user who logs in is told they cannot log in, not that they cannot act", () => {
    const s = buildState({ users: [{ login: "al", status: "disabled" }] });
    const refusal = expectRefused(decide(s, as("al"), { op: "login", login: "al" }, NOW), "account_disabled");
    expect(refusal.message).toContain("cannot log in");
  });

  it("moving a paid user to another paid plan needs no new seat, even with every paid seat taken", () => {
    const s = buildState({
      orgPlan: "entry",
      owner: { plan: "entry" },
      users: [{ login: "al", plan: "entry" }],
    });
    expect(s.counters.paid_seats).toBe(2);
    expectOk(step(s, BY_OWNER, { op: "change_plan", login: "al", plan: "pro" }, NOW));
    expect(s.counters.paid_seats).toBe(2);
  });

  it("moving a paid user to free frees a paid seat and takes a free one", () => {
    const s = buildState({
      orgPlan: "entry",
      owner: { plan: "entry" },
      users: [{ login: "al", plan: "entry" }],
    });
    expectOk(step(s, BY_OWNER, { op: "change_plan", login: "al", plan: "free" }, NOW));
    expect(s.counters).toMatchObject({ paid_seats: 1, free_seats: 1 });
    expectOk(step(s, BY_OWNER, { op: "create_user", user: newUser("bo", { plan: "entry" }) }, NOW));
  });

  it("a retired address on a custom domain does not keep the domain in use", () => {
    const s = buildState({ domains: ["example.com"], retired: ["gone@example.com"] });
    expectOk(step(s, BY_OWNER, { op: "delete_domain", name: "example.com" }, NOW));
  });

  it("an address on a sub-domain does not keep the parent domain in use", () => {
    const s = buildState({
      domains: ["example.com", "sub.example.com"],
      users: [{ login: "al", email: "al@sub.example.com" }],
    });
    expectOk(step(s, BY_OWNER, { op: "delete_domain", name: "example.com" }, NOW));
  });

  it("a group renamed keeps its description and members and leaves its old name free", () => {
    const s = buildState({
      users: [{ login: "al" }],
      groups: [{ name: "eng", description: "Engineering", members: ["al"] }],
    });
    const { effects } = expectOk(step(s, BY_OWNER, { op: "rename_group", name: "eng", to: "dev" }, NOW));
    expect(effects).toEqual([
      { type: "delete_record", kind: "groups", name: "eng" },
      {
        type: "put_record",
        kind: "groups",
        record: { name: "dev", description: "Engineering", members: ["al"] },
      },
    ]);
    expect([...s.groups.keys()]).toEqual(["dev"]);
    expectRefused(decide(s, BY_OWNER, { op: "rename_group", name: "eng", to: "x" }, NOW), "not_found");
  });
});

describe("more self-service and ordering", () => {
  it("a member may log themselves out", () => {
    const s = buildState({ users: [{ login: "mb" }] });
    expect(expectOk(decide(s, as("mb"), { op: "logout", login: "mb" }, NOW)).effects).toEqual([
      { type: "revoke_sessions", login: "mb" },
    ]);
  });

  it("aliases given at creation are stored lower-case, once each, sorted", () => {
    const s = buildState();
    expectOk(
      step(
        s,
        BY_OWNER,
        {
          op: "create_user",
          user: newUser("al", {
            plan: "entry",
            aliases: ["Z@console.test", "a@console.test", "z@console.test"],
          }),
        },
        NOW,
      ),
    );
    expect(userOf(s, "al").aliases).toEqual(["a@console.test", "z@console.test"]);
  });

  it("an alias added sorts before the ones the user has", () => {
    const s = buildState({ users: [{ login: "al", plan: "entry", aliases: ["m@console.test"] }] });
    expectOk(step(s, BY_OWNER, { op: "add_alias", login: "al", address: "b@console.test" }, NOW));
    expect(userOf(s, "al").aliases).toEqual(["b@console.test", "m@console.test"]);
  });

  it("a retired support@ routes to the owner again", () => {
    const s = buildState({ domains: ["example.com"], retired: ["support@example.com"] });
    expect(routedAddresses(s, "example.com")["support@example.com"]).toBe(OWNER);
  });
});
