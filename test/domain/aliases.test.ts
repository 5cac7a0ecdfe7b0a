import { describe, expect, it } from "vitest";
import { decide, step } from "../../src/domain/index.js";
import {
  as,
  BY_OWNER,
  buildState,
  expectOk,
  expectRefused,
  NOW,
  newUser,
  OWNER,
  userOf,
} from "../support/builders.js";

const many = (n: number, domain = "example.com") => Array.from({ length: n }, (_, i) => `a${i}@${domain}`);

describe("alias limit by the user's plan", () => {
  it.each([
    ["free", 0],
    ["entry", 10],
    ["pro", 50],
    ["ultra", 100],
  ])("%s allows %i aliases: the last fits, one more is alias_limit", (plan, limit) => {
    const s = buildState({ domains: ["example.com"], users: [{ login: "al", plan, aliases: many(limit) }] });
    const before = structuredClone(s);
    const refusal = expectRefused(
      step(s, BY_OWNER, { op: "add_alias", login: "al", address: "extra@example.com" }, NOW),
      "alias_limit",
    );
    expect(refusal.details).toEqual({ login: "al", limit });
    expect(s).toEqual(before);
    if (limit > 0) {
      const t = buildState({
        domains: ["example.com"],
        users: [{ login: "al", plan, aliases: many(limit - 1) }],
      });
      expectOk(step(t, BY_OWNER, { op: "add_alias", login: "al", address: "extra@example.com" }, NOW));
      expect(userOf(t, "al").aliases).toHaveLength(limit);
    }
  });

  it("at creation: as many aliases as the plan allows, not one more", () => {
    const s = buildState({ domains: ["example.com"] });
    expectRefused(
      decide(
        s,
        BY_OWNER,
        { op: "create_user", user: newUser("al", { plan: "entry", aliases: many(11) }) },
        NOW,
      ),
      "alias_limit",
    );
    expectRefused(
      decide(
        s,
        BY_OWNER,
        { op: "create_user", user: newUser("al", { plan: "free", aliases: many(1) }) },
        NOW,
      ),
      "alias_limit",
    );
    expectOk(
      step(
        s,
        BY_OWNER,
        { op: "create_user", user: newUser("al", { plan: "entry", aliases: many(10) }) },
        NOW,
      ),
    );
    expect(userOf(s, "al").aliases).toEqual(many(10).sort());
  });
});

describe("adding an alias", () => {
  it("normalizes the address, keeps the list sorted and indexes it", () => {
    const s = buildState({
      domains: ["example.com"],
      users: [{ login: "al", plan: "entry", aliases: ["m@example.com"] }],
    });
    const { effects } = expectOk(
      step(s, BY_OWNER, { op: "add_alias", login: "al", address: "  B@Example.COM " }, NOW),
    );
    expect(effects).toEqual([{ type: "put_user", user: { ...userOf(s, "al") } }]);
    expect(userOf(s, "al").aliases).toEqual(["b@example.com", "m@example.com"]);
    expect(s.addresses.get("b@example.com")).toEqual({ login: "al", kind: "alias" });
  });

  it("refuses a duplicate (conflict), another holder's address (address_taken) and an unknown user (not_found)", () => {
    const s = buildState({
      domains: ["example.com"],
      users: [
        { login: "al", plan: "entry", aliases: ["x@example.com"] },
        { login: "bo", plan: "entry" },
      ],
    });
    expectRefused(
      decide(s, BY_OWNER, { op: "add_alias", login: "al", address: "x@example.com" }, NOW),
      "conflict",
    );
    expectRefused(
      decide(s, BY_OWNER, { op: "add_alias", login: "bo", address: "x@example.com" }, NOW),
      "address_taken",
    );
    expectRefused(
      decide(s, BY_OWNER, { op: "add_alias", login: "al", address: "al@console.test" }, NOW),
      "address_taken",
    );
    expectRefused(
      decide(s, BY_OWNER, { op: "add_alias", login: "ghost", address: "y@example.com" }, NOW),
      "not_found",
    );
    expectRefused(
      decide(s, BY_OWNER, { op: "add_alias", login: "al", address: "no-at-sign" }, NOW),
      "invalid",
    );
  });

  it("a user_admin may manage a member's aliases, not an admin's", () => {
    const s = buildState({
      domains: ["example.com"],
      users: [
        { login: "ua", role: "user_admin", plan: "entry" },
        { login: "mb", plan: "entry" },
        { login: "ba", role: "billing_admin", plan: "entry" },
      ],
    });
    expectOk(step(s, as("ua"), { op: "add_alias", login: "mb", address: "mb2@example.com" }, NOW));
    expectRefused(
      decide(s, as("ua"), { op: "add_alias", login: "ba", address: "ba2@example.com" }, NOW),
      "forbidden",
    );
  });
});

describe("removing an alias", () => {
  it("an alias on a custom domain can be removed at any time, and the address is free again", () => {
    const s = buildState({
      domains: ["example.com"],
      users: [
        { login: "al", plan: "entry", aliases: ["sales@example.com", "z@example.com"] },
        { login: "bo", plan: "entry" },
      ],
    });
    const { effects } = expectOk(
      step(s, BY_OWNER, { op: "remove_alias", login: "al", address: "SALES@example.com" }, NOW),
    );
    expect(effects).toEqual([{ type: "put_user", user: { ...userOf(s, "al") } }]);
    expect(userOf(s, "al").aliases).toEqual(["z@example.com"]);
    expect(s.addresses.has("sales@example.com")).toBe(false);
    expectOk(step(s, BY_OWNER, { op: "add_alias", login: "bo", address: "sales@example.com" }, NOW));
    expect(s.addresses.get("sales@example.com")).toEqual({ login: "bo", kind: "alias" });
  });

  it("an alias on the provider domain can never be removed (alias_permanent)", () => {
    const s = buildState({ users: [{ login: "al", plan: "entry", aliases: ["al.x@console.test"] }] });
    const before = structuredClone(s);
    const refusal = expectRefused(
      step(s, BY_OWNER, { op: "remove_alias", login: "al", address: "al.x@console.test" }, NOW),
      "alias_permanent",
    );
    expect(refusal.details).toEqual({ address: "al.x@console.test" });
    expect(s).toEqual(before);
    // Not even by the user themselves (the owner, on their own record).
    const t = buildState({ owner: { aliases: ["boss@console.test"] } });
    expectRefused(
      decide(t, BY_OWNER, { op: "remove_alias", login: OWNER, address: "boss@console.test" }, NOW),
      "alias_permanent",
    );
  });

  it("a provider-domain alias stays until the user is deleted, then it is retired", () => {
    const s = buildState({
      users: [{ login: "al", plan: "entry", aliases: ["al.x@console.test"], status: "disabled" }],
    });
    expectOk(step(s, BY_OWNER, { op: "delete_user", login: "al" }, NOW));
    expect(s.addresses.get("al.x@console.test")).toEqual({ login: "", kind: "retired" });
    expectRefused(
      decide(s, BY_OWNER, { op: "add_alias", login: OWNER, address: "al.x@console.test" }, NOW),
      "address_taken",
    );
  });

  it("removing an alias the user does not have is not_found", () => {
    const s = buildState({ domains: ["example.com"], users: [{ login: "al", plan: "entry" }] });
    expectRefused(
      decide(s, BY_OWNER, { op: "remove_alias", login: "al", address: "x@example.com" }, NOW),
      "not_found",
    );
  });
});
