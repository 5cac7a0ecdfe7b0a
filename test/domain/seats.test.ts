import { describe, expect, it } from "vitest";
import { DEFAULT_CATALOG, decide, findOrgPlan, step } from "../../src/domain/index.js";
import {
  BY_OWNER,
  buildState,
  expectOk,
  expectRefused,
  NOW,
  newUser,
  recount,
  type UserSpec,
} from "../support/builders.js";

const filler = (prefix: string, n: number, plan: string): UserSpec[] =>
  Array.from({ length: n }, (_, i) => ({ login: `${prefix}${i}`, plan }));

describe("org plan limits (catalog)", () => {
  it("match the rule book", () => {
    expect(DEFAULT_CATALOG.org_plans).toEqual([
      { name: "entry", price_cents: 0, paid_seats: 2, free_seats: 2, custom_domains: 1 },
      { name: "pro", price_cents: 12000, paid_seats: 190, free_seats: 10, custom_domains: 3 },
      { name: "ultra", price_cents: 48000, paid_seats: 990, free_seats: 10, custom_domains: 10 },
    ]);
    expect(DEFAULT_CATALOG.plans).toEqual([
      { name: "free", price_cents: 0, aliases: 0, storage_mb: 500 },
      { name: "entry", price_cents: 4200, aliases: 10, storage_mb: 5_000 },
      { name: "pro", price_cents: 9000, aliases: 50, storage_mb: 20_000 },
      { name: "ultra", price_cents: 30000, aliases: 100, storage_mb: 50_000 },
    ]);
    expect(DEFAULT_CATALOG.period_days).toBe(365);
    expect(DEFAULT_CATALOG.currency).toBe("EUR");
  });
});

describe("paid and free seats", () => {
  for (const orgPlan of ["entry", "pro", "ultra"]) {
    const spec = findOrgPlan(DEFAULT_CATALOG, orgPlan)!;

    it(`${orgPlan}: the last paid seat (${spec.paid_seats}) can be taken, the next is seat_limit`, () => {
      // The owner (pro) holds one paid seat.
      const s = buildState({ orgPlan, balance: 100_000, users: filler("p", spec.paid_seats - 2, "entry") });
      expect(s.counters.paid_seats).toBe(spec.paid_seats - 1);
      expectOk(step(s, BY_OWNER, { op: "create_user", user: newUser("last", { plan: "entry" }) }, NOW));
      expect(s.counters.paid_seats).toBe(spec.paid_seats);
      const before = structuredClone(s);
      const refusal = expectRefused(
        step(s, BY_OWNER, { op: "create_user", user: newUser("over", { plan: "entry" }) }, NOW),
        "seat_limit",
      );
      expect(refusal.details).toEqual({ seats: spec.paid_seats, used: spec.paid_seats, kind: "paid" });
      expect(s).toEqual(before);
      // Free seats are counted apart: a free user still fits.
      expectOk(step(s, BY_OWNER, { op: "create_user", user: newUser("free0") }, NOW));
    });

    it(`${orgPlan}: the last free seat (${spec.free_seats}) can be taken, the next is seat_limit`, () => {
      const s = buildState({ orgPlan, users: filler("f", spec.free_seats - 1, "free") });
      expectOk(step(s, BY_OWNER, { op: "create_user", user: newUser("last") }, NOW));
      expect(s.counters.free_seats).toBe(spec.free_seats);
      const refusal = expectRefused(
        decide(s, BY_OWNER, { op: "create_user", user: newUser("over") }, NOW),
        "seat_limit",
      );
      expect(refusal.details).toEqual({ seats: spec.free_seats, used: spec.free_seats, kind: "free" });
    });
  }

  it("disabled and invited users still hold their seat until deleted", () => {
    const s = buildState({
      orgPlan: "entry",
      users: [
        { login: "off", plan: "entry", status: "disabled" },
        { login: "inv", plan: "free", status: "invited" },
        { login: "inv2", plan: "free", status: "disabled" },
      ],
    });
    expect(s.counters).toEqual({ paid_seats: 2, free_seats: 2, active_org_admins: 1 });
    expectRefused(
      decide(s, BY_OWNER, { op: "create_user", user: newUser("x", { plan: "pro" }) }, NOW),
      "seat_limit",
    );
    expectRefused(decide(s, BY_OWNER, { op: "create_user", user: newUser("x") }, NOW), "seat_limit");
    // Deleting the disabled paid user frees a paid seat.
    expectOk(step(s, BY_OWNER, { op: "delete_user", login: "off" }, NOW));
    expect(s.counters.paid_seats).toBe(1);
    expectOk(step(s, BY_OWNER, { op: "create_user", user: newUser("x", { plan: "pro" }) }, NOW));
    expect(s.counters).toEqual(recount(s));
  });

  it("a plan change from free to paid needs a paid seat; from paid to free needs a free seat", () => {
    const s = buildState({
      orgPlan: "entry",
      users: [
        { login: "paid", plan: "entry" },
        { login: "free1", plan: "free" },
        { login: "free2", plan: "free" },
      ],
    });
    expect(s.counters).toMatchObject({ paid_seats: 2, free_seats: 2 });
    const up = expectRefused(
      decide(s, BY_OWNER, { op: "change_plan", login: "free1", plan: "entry" }, NOW),
      "seat_limit",
    );
    expect(up.details).toMatchObject({ kind: "paid" });
    const down = expectRefused(
      decide(s, BY_OWNER, { op: "change_plan", login: "paid", plan: "free" }, NOW),
      "seat_limit",
    );
    expect(down.details).toMatchObject({ kind: "free" });
    // Paid to paid keeps the seat.
    expectOk(step(s, BY_OWNER, { op: "change_plan", login: "paid", plan: "pro" }, NOW));
    expect(s.counters).toMatchObject({ paid_seats: 2, free_seats: 2 });
    // Once a free seat is released, the paid user may move to free, which frees a paid seat.
    expectOk(step(s, BY_OWNER, { op: "disable_user", login: "free2" }, NOW));
    expectOk(step(s, BY_OWNER, { op: "delete_user", login: "free2" }, NOW));
    expectOk(step(s, BY_OWNER, { op: "change_plan", login: "paid", plan: "free" }, NOW));
    expect(s.counters).toMatchObject({ paid_seats: 1, free_seats: 2 });
    expectOk(step(s, BY_OWNER, { op: "change_plan", login: "free1", plan: "entry" }, NOW));
    expect(s.counters).toEqual({ paid_seats: 2, free_seats: 1, active_org_admins: 1 });
    expect(s.counters).toEqual(recount(s));
  });
});
