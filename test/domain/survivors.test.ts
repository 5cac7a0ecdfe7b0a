import { describe, expect, it } from "vitest";
import {
  applyDecision,
  cloneState,
  decide,
  isPaidPlan,
  isValidDomainName,
  renewDue,
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
  SYSTEM,
  userOf,
} from "../support/builders.js";

/** Tests written from the mutation report (test/domain/MUTATION.md). */
describe("rules the first mutation run showed unpinned", () => {
  it("cloneState copies every record", () => {
    const s = buildState({ users: [{ login: "al" }] });
    expect(cloneState(s)).toEqual(s);
  });

  it("a recovered unpaid user's charge is taken before the next one is looked at", () => {
    const s = buildState({
      balance: 4200,
      users: [
        { login: "a", plan: "entry", period_end: "2026-01-01", billing: "unpaid" },
        { login: "b", plan: "entry", period_end: "2026-01-02", billing: "unpaid" },
      ],
    });
    const { effects, ledger } = expectOk(renewDue(s, NOW));
    expect(ledger.map((e) => e.login)).toEqual(["a"]);
    applyDecision(s, effects, ledger);
    expect([userOf(s, "a").billing, userOf(s, "b").billing, s.balance]).toEqual(["ok", "unpaid", 0]);
  });

  it("a free user needs no paid seat, even when the paid seats are over the limit", () => {
    const s = buildState({
      orgPlan: "entry",
      owner: { plan: "entry" },
      users: [
        { login: "p1", plan: "entry" },
        { login: "p2", plan: "entry" },
      ],
    });
    expect(s.counters.paid_seats).toBe(3);
    expectOk(decide(s, BY_OWNER, { op: "create_user", user: newUser("fr") }, NOW));
  });

  it("a paid user needs no free seat, even when the free seats are over the limit", () => {
    const s = buildState({
      orgPlan: "entry",
      owner: { plan: "free" },
      users: [{ login: "f1" }, { login: "f2" }],
    });
    expect(s.counters.free_seats).toBe(3);
    expectOk(decide(s, BY_OWNER, { op: "create_user", user: newUser("pd", { plan: "entry" }) }, NOW));
  });

  it("a billing_admin may not rename a group", () => {
    const s = buildState({ users: [{ login: "ba", role: "billing_admin" }], groups: [{ name: "eng" }] });
    expectRefused(decide(s, as("ba"), { op: "rename_group", name: "eng", to: "dev" }, NOW), "forbidden");
  });

  it("the console itself sets passwords and logs users out", () => {
    const s = buildState({ users: [{ login: "al" }] });
    expectOk(step(s, SYSTEM, { op: "set_password", login: "al" }, NOW));
    expectOk(step(s, SYSTEM, { op: "logout", login: "al" }, NOW));
  });

  it("messages list the choices", () => {
    const role = expectRefused(
      decide(
        buildState(),
        BY_OWNER,
        { op: "create_user", user: newUser("al", { role: "boss" as never }) },
        NOW,
      ),
      "invalid",
    );
    expect(role.message).toContain("org_admin, billing_admin, user_admin, member");
    const field = expectRefused(
      decide(
        buildState(),
        BY_OWNER,
        { op: "update_user", login: "owner", profile: { nick: "x" } as never },
        NOW,
      ),
      "invalid",
    );
    expect(field.message).toContain("external_email, mobile, postal_address, birth_date, photo_url");
    const scope = expectRefused(
      decide(
        buildState({ users: [{ login: "ua", role: "user_admin" }] }),
        as("ua"),
        { op: "top_up", amount_cents: 1, method: "test" },
        NOW,
      ),
      "forbidden",
    );
    expect(scope.message).toBe("a user_admin may not top up");
  });

  it("too many aliases at creation names the user and the limit", () => {
    const refusal = expectRefused(
      decide(
        buildState(),
        BY_OWNER,
        { op: "create_user", user: newUser("al", { aliases: ["x@console.test"] }) },
        NOW,
      ),
      "alias_limit",
    );
    expect(refusal.details).toEqual({ login: "al", limit: 0 });
  });

  it("an unknown plan is not paid", () => {
    expect(isPaidPlan(buildState().catalog, "nope")).toBe(false);
  });

  it("a domain name of 254 characters made of valid labels is refused", () => {
    const name254 = `${"a".repeat(63)}.${"a".repeat(63)}.${"a".repeat(63)}.${"a".repeat(59)}.ab`;
    expect(name254.length).toBe(254);
    expect(isValidDomainName(name254)).toBe(false);
    expect(isValidDomainName(name254.slice(1))).toBe(true);
  });
});
