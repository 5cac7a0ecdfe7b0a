import { describe, expect, it } from "vitest";
import { decide, groupsOf, step, type User } from "../../src/domain/index.js";
import {
  as,
  BY_OWNER,
  buildState,
  expectOk,
  expectRefused,
  NOW,
  newUser,
  OWNER,
  recount,
  SYSTEM,
  userOf,
} from "../support/builders.js";

describe("creating a user", () => {
  it("produces the exact record, charge, memberships and address index", () => {
    const s = buildState({
      balance: 10_000,
      domains: ["example.com"],
      groups: [{ name: "eng" }, { name: "ops", members: [OWNER] }],
    });
    const { effects, ledger } = expectOk(
      step(
        s,
        BY_OWNER,
        {
          op: "create_user",
          user: {
            login: "alice",
            email: " Alice@Example.com ",
            first_name: " Alice ",
            last_name: "Martin",
            plan: "entry",
            role: "member",
            password_hash: "scrypt$x",
            profile: { external_email: "alice@home.example", mobile: "" },
            groups: ["ops", "eng", "ops"],
            aliases: ["A.Martin@example.com", "alice.m@console.test"],
          },
        },
        NOW,
      ),
    );
    const alice: User = {
      login: "alice",
      email: "alice@example.com",
      first_name: "Alice",
      last_name: "Martin",
      plan: "entry",
      role: "member",
      status: "active",
      billing: "ok",
      period_start: "2026-03-01",
      period_end: "2027-03-01",
      aliases: ["a.martin@example.com", "alice.m@console.test"],
      profile: { external_email: "alice@home.example" },
      password_set: true,
      password_rotation: null,
      last_login_at: null,
      created_at: "2026-03-01T12:00:00.000Z",
    };
    expect(effects).toEqual([
      { type: "put_user", user: alice },
      { type: "put_record", kind: "groups", record: { name: "eng", description: "", members: ["alice"] } },
      {
        type: "put_record",
        kind: "groups",
        record: { name: "ops", description: "", members: ["alice", OWNER] },
      },
    ]);
    expect(ledger).toEqual([
      {
        amount_cents: -4200,
        reason: "user_created",
        login: "alice",
        plan: "entry",
        memo: "alice on entry, 365 days",
      },
    ]);
    expect(userOf(s, "alice")).toEqual(alice);
    expect(s.balance).toBe(5800);
    expect(groupsOf(s, "alice")).toEqual(["eng", "ops"]);
    expect(s.addresses.get("alice@example.com")).toEqual({ login: "alice", kind: "email" });
    expect(s.addresses.get("a.martin@example.com")).toEqual({ login: "alice", kind: "alias" });
    expect(s.addresses.get("alice.m@console.test")).toEqual({ login: "alice", kind: "alias" });
    expect(s.counters).toEqual({ paid_seats: 2, free_seats: 0, active_org_admins: 1 });
    expect(s.org.revision).toBe(2);
  });

  it("without a password the user is invited, pending until the first login", () => {
    const s = buildState();
    expectOk(step(s, BY_OWNER, { op: "create_user", user: newUser("inv", { password_hash: null }) }, NOW));
    expect(userOf(s, "inv")).toMatchObject({ status: "invited", password_set: false, last_login_at: null });
    const later = new Date("2026-03-05T07:30:00Z");
    const { effects } = expectOk(step(s, SYSTEM, { op: "login", login: "inv" }, later));
    expect(effects).toEqual([{ type: "put_user", user: { ...userOf(s, "inv") } }]);
    expect(userOf(s, "inv")).toMatchObject({ status: "active", last_login_at: "2026-03-05T07:30:00.000Z" });
  });

  it.each([
    ["an unknown plan", { plan: "gold" }],
    ["an unknown role", { role: "root" as never }],
    ["an upper-case login", { login: "Alice" }],
    ["an empty first name", { first_name: "  " }],
    ["an empty last name", { last_name: "" }],
    ["a malformed email", { email: "not-an-address" }],
    ["an unknown profile field", { profile: { shoe_size: "42" } as never }],
  ])("with %s is invalid", (_label, overrides) => {
    const s = buildState();
    const before = structuredClone(s);
    expectRefused(
      step(s, BY_OWNER, { op: "create_user", user: newUser("alice", overrides) }, NOW),
      "invalid",
    );
    expect(s).toEqual(before);
  });

  it("an alias equal to the user's own email is a conflict", () => {
    const s = buildState();
    expectRefused(
      decide(
        s,
        BY_OWNER,
        { op: "create_user", user: newUser("al", { plan: "entry", aliases: ["AL@console.test"] }) },
        NOW,
      ),
      "conflict",
    );
  });
});

describe("identity: login unique, email unique across users and aliases", () => {
  const state = () =>
    buildState({
      domains: ["example.com"],
      users: [{ login: "alice", plan: "entry", aliases: ["team@example.com", "al@console.test"] }],
    });

  it("a second user with the same login is a conflict", () => {
    expectRefused(
      decide(
        state(),
        BY_OWNER,
        { op: "create_user", user: newUser("alice", { email: "other@console.test" }) },
        NOW,
      ),
      "conflict",
    );
  });

  it.each([
    ["another user's email", "alice@console.test"],
    ["another user's email in other case", "ALICE@Console.Test"],
    ["another user's alias", "team@example.com"],
    ["another user's provider alias", "al@console.test"],
  ])("an email that is %s is address_taken", (_label, email) => {
    const refusal = expectRefused(
      decide(state(), BY_OWNER, { op: "create_user", user: newUser("bob", { email }) }, NOW),
      "address_taken",
    );
    expect(refusal.details).toEqual({ address: email.trim().toLowerCase(), holder: "alice" });
  });

  it("an alias that is another user's email or alias is address_taken", () => {
    const s = state();
    expectRefused(
      decide(
        s,
        BY_OWNER,
        { op: "create_user", user: newUser("bob", { plan: "entry", aliases: ["alice@console.test"] }) },
        NOW,
      ),
      "address_taken",
    );
    expectRefused(
      decide(s, BY_OWNER, { op: "add_alias", login: OWNER, address: "alice@console.test" }, NOW),
      "address_taken",
    );
    expectRefused(
      decide(s, BY_OWNER, { op: "add_alias", login: OWNER, address: "Team@example.com" }, NOW),
      "address_taken",
    );
  });

  it("a fresh email and login are accepted", () => {
    expectOk(decide(state(), BY_OWNER, { op: "create_user", user: newUser("bob") }, NOW));
  });

  it("there is no operation that changes a login or an email: update_user ignores them", () => {
    const s = state();
    const op = {
      op: "update_user",
      login: "alice",
      first_name: "Al",
      email: "x@console.test",
      login2: "x",
    } as never;
    expectOk(step(s, BY_OWNER, op, NOW));
    expect(userOf(s, "alice")).toMatchObject({
      login: "alice",
      email: "alice@console.test",
      first_name: "Al",
    });
  });
});

describe("retired addresses: a deleted user's provider addresses can never be used again", () => {
  it("email and provider aliases are retired; custom-domain addresses are freed", () => {
    const s = buildState({
      domains: ["example.com"],
      users: [
        {
          login: "alice",
          plan: "entry",
          status: "disabled",
          aliases: ["al@console.test", "team@example.com"],
        },
      ],
    });
    const { effects } = expectOk(step(s, BY_OWNER, { op: "delete_user", login: "alice" }, NOW));
    expect(effects).toContainEqual({
      type: "delete_user",
      login: "alice",
      retire: ["alice@console.test", "al@console.test"],
    });
    expect(s.addresses.get("alice@console.test")).toEqual({ login: "", kind: "retired" });
    expect(s.addresses.get("al@console.test")).toEqual({ login: "", kind: "retired" });
    expect(s.addresses.has("team@example.com")).toBe(false);

    expectRefused(decide(s, BY_OWNER, { op: "create_user", user: newUser("alice") }, NOW), "address_taken");
    expectRefused(
      decide(s, BY_OWNER, { op: "create_user", user: newUser("bob", { email: "al@console.test" }) }, NOW),
      "address_taken",
    );
    expectRefused(
      decide(s, BY_OWNER, { op: "add_alias", login: OWNER, address: "alice@console.test" }, NOW),
      "address_taken",
    );
    // The login itself is free again, with a new address; the custom alias can be reused.
    expectOk(
      step(s, BY_OWNER, { op: "create_user", user: newUser("alice", { email: "alice2@console.test" }) }, NOW),
    );
    expectOk(step(s, BY_OWNER, { op: "add_alias", login: OWNER, address: "team@example.com" }, NOW));
  });

  it("retired addresses given to the builder are refused too", () => {
    const s = buildState({ retired: ["gone@console.test"] });
    expectRefused(
      decide(s, BY_OWNER, { op: "create_user", user: newUser("bob", { email: "gone@console.test" }) }, NOW),
      "address_taken",
    );
  });
});

describe("status: invited, active, disabled", () => {
  it("disabling an active user revokes every credential; enabling makes them active again", () => {
    const s = buildState({ users: [{ login: "al", plan: "entry" }] });
    const { effects } = expectOk(step(s, BY_OWNER, { op: "disable_user", login: "al" }, NOW));
    expect(effects).toEqual([
      { type: "put_user", user: userOf(s, "al") },
      { type: "revoke_tokens", login: "al" },
    ]);
    expect(userOf(s, "al").status).toBe("disabled");
    expectRefused(decide(s, BY_OWNER, { op: "disable_user", login: "al" }, NOW), "conflict");
    expectOk(step(s, BY_OWNER, { op: "enable_user", login: "al" }, NOW));
    expect(userOf(s, "al").status).toBe("active");
    expectRefused(decide(s, BY_OWNER, { op: "enable_user", login: "al" }, NOW), "conflict");
  });

  it("enabling a disabled user who never had a password nor logged in makes them invited again", () => {
    const s = buildState({ users: [{ login: "inv", status: "invited" }] });
    expectOk(step(s, BY_OWNER, { op: "disable_user", login: "inv" }, NOW));
    expectOk(step(s, BY_OWNER, { op: "enable_user", login: "inv" }, NOW));
    expect(userOf(s, "inv").status).toBe("invited");
  });

  it("a disabled user cannot log in; an enabled one can", () => {
    const s = buildState({ users: [{ login: "al", status: "disabled" }] });
    const before = structuredClone(s);
    expectRefused(step(s, SYSTEM, { op: "login", login: "al" }, NOW), "account_disabled");
    expectRefused(step(s, as("al"), { op: "login", login: "al" }, NOW), "account_disabled");
    expect(s).toEqual(before);
    expectOk(step(s, BY_OWNER, { op: "enable_user", login: "al" }, NOW));
    expectOk(step(s, as("al"), { op: "login", login: "al" }, NOW));
    expect(userOf(s, "al")).toMatchObject({ status: "active", last_login_at: "2026-03-01T12:00:00.000Z" });
  });

  it("nobody logs in as someone else, not even the owner", () => {
    const s = buildState({ users: [{ login: "al", status: "invited" }] });
    expectRefused(step(s, as("owner"), { op: "login", login: "al" }, NOW), "forbidden");
    expect(userOf(s, "al").status).toBe("invited");
  });

  it("logging in an unknown user is not_found", () => {
    expectRefused(decide(buildState(), SYSTEM, { op: "login", login: "ghost" }, NOW), "not_found");
  });

  it("force logout revokes all of a user's sessions and changes no record", () => {
    const s = buildState({ users: [{ login: "al" }] });
    const before = structuredClone(s);
    const { effects, ledger } = expectOk(step(s, BY_OWNER, { op: "logout", login: "al" }, NOW));
    expect(effects).toEqual([{ type: "revoke_sessions", login: "al" }]);
    expect(ledger).toEqual([]);
    expect(s.users).toEqual(before.users);
  });

  it("setting a password is write-only: the record only knows that one is set", () => {
    const s = buildState({ users: [{ login: "inv", status: "invited" }] });
    expectOk(step(s, BY_OWNER, { op: "set_password", login: "inv" }, NOW));
    expect(userOf(s, "inv")).toMatchObject({ password_set: true, status: "invited" });
    expect(JSON.stringify(userOf(s, "inv"))).not.toMatch(/hash/);
  });
});

describe("editing personal data", () => {
  it("a string sets a field, null clears it, other fields stay", () => {
    const s = buildState({
      users: [{ login: "al", profile: { mobile: "1", photo_url: "https://x/p.png" } }],
    });
    expectOk(
      step(
        s,
        BY_OWNER,
        { op: "update_user", login: "al", profile: { mobile: null, postal_address: "1 rue X" } },
        NOW,
      ),
    );
    expect(userOf(s, "al").profile).toEqual({ photo_url: "https://x/p.png", postal_address: "1 rue X" });
  });

  it("an unknown field or an empty name is invalid", () => {
    const s = buildState({ users: [{ login: "al" }] });
    expectRefused(
      decide(s, BY_OWNER, { op: "update_user", login: "al", profile: { password: "x" } as never }, NOW),
      "invalid",
    );
    expectRefused(decide(s, BY_OWNER, { op: "update_user", login: "al", last_name: " " }, NOW), "invalid");
    expectRefused(
      decide(s, BY_OWNER, { op: "update_user", login: "ghost", last_name: "X" }, NOW),
      "not_found",
    );
  });
});

describe("deleting a user", () => {
  it.each(["active", "invited"] as const)(
    "an %s user must be disabled first (must_disable_first)",
    (status) => {
      const s = buildState({ users: [{ login: "al", plan: "pro", status }] });
      const before = structuredClone(s);
      const refusal = expectRefused(
        step(s, BY_OWNER, { op: "delete_user", login: "al" }, NOW),
        "must_disable_first",
      );
      expect(refusal.details).toEqual({ login: "al" });
      expect(s).toEqual(before);
    },
  );

  it("refunds floor(price * days_left / 365) of the unused period", () => {
    // pro 9000, 100 days left on 2026-03-01: 9000 * 100 / 365 = 2465.75 → 2465
    const s = buildState({
      balance: 1000,
      users: [{ login: "al", plan: "pro", status: "disabled", period_end: "2026-06-09" }],
    });
    const { ledger } = expectOk(step(s, BY_OWNER, { op: "delete_user", login: "al" }, NOW));
    expect(ledger).toEqual([
      { amount_cents: 2465, reason: "user_deleted", login: "al", plan: "pro", memo: "unused period of al" },
    ]);
    expect(s.balance).toBe(3465);
  });

  it.each([
    ["entry", "2027-01-01", 3521], // 4200 * 306 / 365 = 3521.09
    ["ultra", "2026-03-02", 82], // 30000 * 1 / 365 = 82.19
    ["ultra", "2027-03-01", 30000], // full period left
    ["pro", "2026-03-01", 0], // period ends today
    ["free", "2027-01-01", 0],
  ])("%s ending %s refunds %i", (plan, period_end, refund) => {
    const s = buildState({ balance: 0, users: [{ login: "al", plan, status: "disabled", period_end }] });
    const { ledger } = expectOk(step(s, BY_OWNER, { op: "delete_user", login: "al" }, NOW));
    expect(ledger.map((e) => e.amount_cents)).toEqual(refund > 0 ? [refund] : []);
    expect(s.balance).toBe(refund);
  });

  it("an unpaid user is not refunded", () => {
    const s = buildState({
      balance: 0,
      users: [{ login: "al", plan: "pro", status: "disabled", billing: "unpaid", period_end: "2026-06-09" }],
    });
    const { ledger } = expectOk(step(s, BY_OWNER, { op: "delete_user", login: "al" }, NOW));
    expect(ledger).toEqual([]);
    expect(s.balance).toBe(0);
  });

  it("removes memberships and aliases, revokes sessions, frees the seat", () => {
    const s = buildState({
      domains: ["example.com"],
      users: [
        { login: "al", plan: "entry", status: "disabled", aliases: ["x@example.com"] },
        { login: "bo" },
      ],
      groups: [
        { name: "eng", members: ["al", "bo"] },
        { name: "ops", members: ["al"] },
        { name: "hr", members: ["bo"] },
      ],
    });
    const { effects } = expectOk(step(s, BY_OWNER, { op: "delete_user", login: "al" }, NOW));
    expect(effects).toEqual([
      { type: "put_record", kind: "groups", record: { name: "eng", description: "", members: ["bo"] } },
      { type: "put_record", kind: "groups", record: { name: "ops", description: "", members: [] } },
      { type: "delete_user", login: "al", retire: ["al@console.test"] },
      { type: "revoke_sessions", login: "al" },
    ]);
    expect(s.users.has("al")).toBe(false);
    expect(groupsOf(s, "al")).toEqual([]);
    expect(s.groups.get("hr")?.members).toEqual(["bo"]);
    expect(s.addresses.has("x@example.com")).toBe(false);
    expect(s.counters).toEqual(recount(s));
    expect(s.counters).toEqual({ paid_seats: 1, free_seats: 1, active_org_admins: 1 });
  });

  it("deletion cannot be undone: a second delete is not_found", () => {
    const s = buildState({ users: [{ login: "al", status: "disabled" }] });
    expectOk(step(s, BY_OWNER, { op: "delete_user", login: "al" }, NOW));
    expectRefused(decide(s, BY_OWNER, { op: "delete_user", login: "al" }, NOW), "not_found");
    expectRefused(decide(s, BY_OWNER, { op: "enable_user", login: "al" }, NOW), "not_found");
  });

  it("replacing a user (new email) is create + disable + delete of the old one", () => {
    const s = buildState({
      balance: 0,
      users: [{ login: "al", plan: "entry", role: "user_admin", period_end: "2027-03-01" }],
      groups: [{ name: "eng", members: ["al"] }],
    });
    expectOk(step(s, BY_OWNER, { op: "top_up", amount_cents: 4200, method: "test" }, NOW));
    expectOk(
      step(
        s,
        BY_OWNER,
        { op: "create_user", user: newUser("al2", { plan: "entry", role: "user_admin", groups: ["eng"] }) },
        NOW,
      ),
    );
    expectOk(step(s, BY_OWNER, { op: "disable_user", login: "al" }, NOW));
    expectOk(step(s, BY_OWNER, { op: "delete_user", login: "al" }, NOW));
    expect(s.groups.get("eng")?.members).toEqual(["al2"]);
    expect(s.balance).toBe(4200); // the old user's full period came back
    expect(s.addresses.get("al@console.test")?.kind).toBe("retired");
  });
});
