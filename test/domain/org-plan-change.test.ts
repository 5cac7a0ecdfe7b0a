import { describe, expect, it } from "vitest";
import {
  DEFAULT_CATALOG,
  decide,
  fixOf,
  forecastRenewals,
  isAllowed,
  orgPlanRoomDelta,
  REFUSAL_CODES,
  renewalWatermark,
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
  type StateSpec,
  SYSTEM,
  type UserSpec,
} from "../support/builders.js";

/** On NOW (2026-03-01) an org period ending 2026-06-09 has exactly 100 days left. */
const END_100 = "2026-06-09";

const orgState = (orgPlan: string, balance: number, end = END_100, extra: StateSpec = {}) =>
  buildState({ orgPlan, balance, orgPeriod: { start: "2025-06-09", end }, ...extra });

const change = (plan: string) => ({ op: "change_org_plan" as const, plan });

describe("the catalog's org plans carry their yearly fee", () => {
  it("entry 0, pro 12000, ultra 48000 cents", () => {
    expect(DEFAULT_CATALOG.org_plans.map((p) => [p.name, p.price_cents])).toEqual([
      ["entry", 0],
      ["pro", 12000],
      ["ultra", 48000],
    ]);
  });
});

describe("changing the org plan is prorated over the org period's days left", () => {
  it.each([
    // [from, to, period end, wallet movement]
    ["entry", "pro", END_100, -3288], // 12000 * 100 / 365 = 3287.67 → charge 3288 (up)
    ["pro", "entry", END_100, 3287], // refund 3287 (down)
    ["pro", "ultra", END_100, -9864], // 36000 * 100 / 365 = 9863.01 → 9864
    ["ultra", "pro", END_100, 9863],
    ["entry", "ultra", END_100, -13151], // 48000 * 100 / 365 = 13150.68 → 13151
    ["ultra", "entry", END_100, 13150],
    ["entry", "pro", "2026-05-13", -2400], // 73 days: 12000 * 73 / 365 = 2400 exactly
    ["pro", "entry", "2026-05-13", 2400],
    ["pro", "ultra", "2026-03-02", -99], // 1 day: 36000 / 365 = 98.63 → 99
    ["ultra", "pro", "2026-03-02", 98],
  ])("%s → %s with the org period ending %s moves %i cents", (from, to, end, movement) => {
    const s = orgState(from, 20_000, end);
    const before = { ...s.org };
    const { effects, ledger } = expectOk(step(s, BY_OWNER, change(to), NOW));
    expect(ledger).toEqual([
      {
        amount_cents: movement,
        reason: "org_plan_change",
        login: null,
        plan: to,
        memo: `organization: ${from} → ${to}`,
      },
    ]);
    // The period dates do not change; only the plan does.
    expect(effects).toEqual([{ type: "put_org", org: { ...before, plan: to } }]);
    expect(s.balance).toBe(20_000 + movement);
    expect(s.org).toEqual({ ...before, plan: to, revision: before.revision + 1 });
  });

  it("with no day left nothing is charged or refunded", () => {
    const s = orgState("entry", 0, "2026-03-01");
    const { ledger } = expectOk(step(s, BY_OWNER, change("ultra"), NOW));
    expect(ledger).toEqual([]);
    expect(s.org.plan).toBe("ultra");
  });

  it("an unpaid org plan moves no money (its period is not running)", () => {
    const s = buildState({ orgPlan: "pro", balance: 0, orgPeriod: { end: END_100, billing: "unpaid" } });
    expect(expectOk(decide(s, BY_OWNER, change("ultra"), NOW)).ledger).toEqual([]);
  });
});

describe("the new limits apply at once", () => {
  it("after an upgrade a third paid user fits; before it, seat_limit", () => {
    const s = orgState("entry", 100_000, END_100, { users: [{ login: "al", plan: "entry" }] });
    const bob = {
      op: "create_user" as const,
      user: {
        login: "bob",
        email: "bob@console.test",
        first_name: "B",
        last_name: "B",
        plan: "entry",
        role: "member" as const,
      },
    };
    expectRefused(decide(s, BY_OWNER, bob, NOW), "seat_limit");
    expectOk(step(s, BY_OWNER, change("pro"), NOW));
    expectOk(decide(s, BY_OWNER, bob, NOW));
  });
});

describe("a downgrade the organization does not fit is refused (org_plan_limit)", () => {
  const paid = (n: number): UserSpec[] =>
    Array.from({ length: n }, (_, i) => ({ login: `p${i}`, plan: "entry" as const }));
  const free = (n: number): UserSpec[] => Array.from({ length: n }, (_, i) => ({ login: `f${i}` }));

  it("naming the paid seats exactly, as the rule book says: 193 paid seats used, entry allows 2", () => {
    // The owner is on pro: 192 more paid users make 193.
    const s = orgState("ultra", 100_000, END_100, { users: paid(192) });
    const before = structuredClone(s);
    const refusal = expectRefused(step(s, BY_OWNER, change("entry"), NOW), "org_plan_limit");
    expect(refusal.message).toBe(
      "the organization does not fit the entry org plan: 193 paid seats used, entry allows 2; remove users or domains first, or keep a larger org plan",
    );
    expect(refusal.details).toEqual({
      plan: "entry",
      overflows: [{ limit: "paid_seats", used: 193, allowed: 2 }],
    });
    expect(s).toEqual(before);
  });

  it("naming each overflow: paid seats, free seats and custom domains", () => {
    const s = orgState("pro", 100_000, END_100, {
      users: [...paid(2), ...free(3)],
      domains: ["a.example", "b.example"],
    });
    const refusal = expectRefused(decide(s, BY_OWNER, change("entry"), NOW), "org_plan_limit");
    expect(refusal.message).toBe(
      "the organization does not fit the entry org plan: 3 paid seats used, entry allows 2; 3 free seats used, entry allows 2; 2 custom domains used, entry allows 1; remove users or domains first, or keep a larger org plan",
    );
    expect(fixOf(refusal)).toMatch(/remove users or domains/);
  });

  it("exactly at each limit fits", () => {
    const s = orgState("pro", 0, END_100, { users: [...paid(1), ...free(2)], domains: ["a.example"] });
    expectOk(decide(s, BY_OWNER, change("entry"), NOW));
  });

  it("disabled users still hold their seat", () => {
    const s = orgState("pro", 0, END_100, {
      users: [{ login: "d", plan: "entry", status: "disabled" }, ...paid(1)],
    });
    expect(expectRefused(decide(s, BY_OWNER, change("entry"), NOW), "org_plan_limit").message).toContain(
      "3 paid seats used, entry allows 2",
    );
  });

  it("org_plan_limit is a stable refusal code", () => {
    expect(REFUSAL_CODES).toContain("org_plan_limit");
  });
});

describe("an upgrade takes effect only if the wallet can pay", () => {
  it("one cent short is insufficient_funds, like every other charge, and changes nothing", () => {
    const s = orgState("entry", 3287);
    const before = structuredClone(s);
    const refusal = expectRefused(step(s, BY_OWNER, change("pro"), NOW), "insufficient_funds");
    expect(refusal.details).toEqual({ charge_cents: 3288, balance_cents: 3287, short_cents: 1 });
    expect(refusal.message).toBe(
      "moving the organization from entry to pro costs 3288 cents but the wallet holds 3287; top up at least 1 cents",
    );
    expect(s).toEqual(before);
  });

  it("exactly the charge empties the wallet", () => {
    const s = orgState("entry", 3288);
    expectOk(step(s, BY_OWNER, change("pro"), NOW));
    expect(s.balance).toBe(0);
  });
});

describe("who may change the org plan", () => {
  it("an org_admin only: billing_admin, user_admin and member are forbidden", () => {
    expect(
      (["org_admin", "billing_admin", "user_admin", "member"] as const).map((r) =>
        isAllowed(r, "change_org_plan"),
      ),
    ).toEqual([true, false, false, false]);
    const s = orgState("pro", 100_000, END_100, {
      users: [
        { login: "oa", role: "org_admin", plan: "pro" },
        { login: "ba", role: "billing_admin", plan: "pro" },
        { login: "ua", role: "user_admin", plan: "pro" },
        { login: "mm", role: "member" },
      ],
    });
    expectOk(decide(s, as("oa"), change("ultra"), NOW));
    expectOk(decide(s, SYSTEM, change("ultra"), NOW));
    for (const login of ["ba", "ua", "mm"]) {
      const refusal = expectRefused(decide(s, as(login), change("ultra"), NOW), "forbidden");
      expect(refusal.details).toMatchObject({ action: "change_org_plan" });
    }
  });

  it("an unknown org plan is invalid, the current one a conflict", () => {
    const s = orgState("pro", 100_000);
    expect(expectRefused(decide(s, BY_OWNER, change("gold"), NOW), "invalid").message).toBe(
      "org plan gold is not in the catalog; choose one of entry, pro, ultra",
    );
    expectRefused(decide(s, BY_OWNER, change("pro"), NOW), "conflict");
  });
});

describe("the org plan renews like a user plan", () => {
  it("a period that ended is charged, with a ledger entry, and the next period starts where it ended", () => {
    const s = buildState({
      orgPlan: "pro",
      balance: 50_000,
      orgPeriod: { start: "2025-03-01", end: "2026-03-01" },
    });
    const decision = expectOk(renewDue(s, NOW, renewalWatermark(s.users.values(), s.org)));
    expect(decision.ledger).toEqual([
      {
        amount_cents: -12000,
        reason: "renewal",
        login: null,
        plan: "pro",
        memo: "organization on the pro org plan from 2026-03-01",
      },
    ]);
    expect(decision.effects).toEqual([
      { type: "put_org", org: { ...s.org, period_start: "2026-03-01", period_end: "2027-03-01" } },
    ]);
  });

  it("the watermark sees the org's period: without it a due org fee would be skipped", () => {
    const s = buildState({
      orgPlan: "pro",
      balance: 50_000,
      orgPeriod: { start: "2025-03-01", end: "2026-03-01" },
    });
    expect(expectOk(renewDue(s, NOW, renewalWatermark(s.users.values(), s.org))).ledger).toHaveLength(1);
    expect(expectOk(renewDue(s, NOW, renewalWatermark(s.users.values()))).ledger).toHaveLength(0);
  });

  it("a wallet that cannot pay marks the org plan unpaid; once it can, a fresh period starts that day", () => {
    const s = buildState({
      orgPlan: "ultra",
      balance: 100,
      orgPeriod: { start: "2025-03-01", end: "2026-03-01" },
    });
    const first = expectOk(renewDue(s, NOW));
    expect(first.ledger).toEqual([]);
    expect(first.effects).toEqual([{ type: "put_org", org: { ...s.org, billing: "unpaid" } }]);
    const unpaid = { ...s, org: { ...s.org, billing: "unpaid" as const }, balance: 48_000 };
    const later = new Date("2026-04-02T08:00:00Z");
    const second = expectOk(renewDue(unpaid, later, renewalWatermark(unpaid.users.values(), unpaid.org)));
    expect(second.ledger.map((e) => [e.amount_cents, e.memo])).toEqual([
      [-48000, "organization on the ultra org plan from 2026-04-02"],
    ]);
    expect(second.effects).toEqual([
      {
        type: "put_org",
        org: { ...unpaid.org, billing: "ok", period_start: "2026-04-02", period_end: "2027-04-02" },
      },
    ]);
  });

  it("among periods that ended the same day, the org plan is paid first", () => {
    const s = buildState({
      orgPlan: "pro",
      balance: 12_000,
      owner: { plan: "free" },
      users: [{ login: "al", plan: "entry", period_end: "2026-03-01" }],
      orgPeriod: { start: "2025-03-01", end: "2026-03-01" },
    });
    const decision = expectOk(renewDue(s, NOW));
    expect(decision.ledger.map((e) => e.login)).toEqual([null]);
    expect(decision.effects.map((e) => e.type)).toEqual(["put_org", "put_user"]);
    expect(decision.effects[1]).toMatchObject({ type: "put_user", user: { login: "al", billing: "unpaid" } });
  });

  it("the forecast of upcoming renewals includes the org fee (login null), an entry org plan none", () => {
    const s = buildState({ orgPlan: "pro", orgPeriod: { start: "2025-03-20", end: "2026-03-20" } });
    expect(forecastRenewals(s.users.values(), s.catalog, NOW, 30, s.org)).toEqual([
      { login: null, plan: "pro", due: "2026-03-20", amount_cents: 12000, unpaid: false },
    ]);
    expect(forecastRenewals(s.users.values(), s.catalog, NOW, 10, s.org)).toEqual([]);
    const entry = { ...s.org, plan: "entry" };
    expect(forecastRenewals(s.users.values(), s.catalog, NOW, 30, entry)).toEqual([]);
  });
});

describe("the refusals of change_org_plan name what a fix needs", () => {
  const s = () =>
    orgState("pro", 100_000, END_100, {
      users: [
        { login: "ba", role: "billing_admin", plan: "pro" },
        { login: "ua", role: "user_admin", plan: "pro" },
        { login: "mm", role: "member" },
      ],
    });

  it("a member has no admin access at all; an admin of another kind is told only an org_admin may", () => {
    const member = expectRefused(decide(s(), as("mm"), change("ultra"), NOW), "forbidden");
    expect(member.message).toBe("mm is a member and has no admin access");
    expect(member.details).toEqual({ action: "change_org_plan", role: "member" });
    for (const [login, role] of [
      ["ba", "billing_admin"],
      ["ua", "user_admin"],
    ] as const) {
      const refusal = expectRefused(decide(s(), as(login), change("ultra"), NOW), "forbidden");
      expect(refusal.message).toBe(`a ${role} may not change the org plan; only an org_admin may`);
      expect(refusal.details).toEqual({ action: "change_org_plan", role });
    }
  });

  it("an unknown org plan and the current one carry the plan asked for", () => {
    expect(expectRefused(decide(s(), BY_OWNER, change("gold"), NOW), "invalid").details).toEqual({
      plan: "gold",
    });
    const same = expectRefused(decide(s(), BY_OWNER, change("pro"), NOW), "conflict");
    expect(same.message).toBe("the organization is already on the pro org plan");
    expect(same.details).toEqual({ plan: "pro" });
  });

  it("a refund never needs money: a downgrade with an empty wallet refunds", () => {
    const empty = orgState("ultra", 0);
    const { ledger } = expectOk(step(empty, BY_OWNER, change("pro"), NOW));
    expect(ledger.map((e) => e.amount_cents)).toEqual([9863]);
    expect(empty.balance).toBe(9863);
  });
});

describe("orgPlanRoomDelta: the room each counted limit gains or loses (what the planner orders steps by)", () => {
  it.each([
    ["entry", "pro", { paid_seats: 188, free_seats: 8, custom_domains: 2 }],
    ["pro", "entry", { paid_seats: -188, free_seats: -8, custom_domains: -2 }],
    ["pro", "ultra", { paid_seats: 800, free_seats: 0, custom_domains: 7 }],
    ["ultra", "entry", { paid_seats: -988, free_seats: -8, custom_domains: -9 }],
    ["pro", "pro", { paid_seats: 0, free_seats: 0, custom_domains: 0 }],
  ])("%s → %s: %j", (from, to, delta) => {
    expect(orgPlanRoomDelta(DEFAULT_CATALOG, from, to)).toEqual(delta);
  });

  it("a plan the catalog does not have counts as no room at all", () => {
    expect(orgPlanRoomDelta(DEFAULT_CATALOG, "gold", "pro")).toEqual({
      paid_seats: 190,
      free_seats: 10,
      custom_domains: 3,
    });
    expect(orgPlanRoomDelta(DEFAULT_CATALOG, "entry", "gold")).toEqual({
      paid_seats: -2,
      free_seats: -2,
      custom_domains: -1,
    });
  });
});
