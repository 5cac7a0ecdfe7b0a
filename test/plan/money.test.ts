import { describe, expect, it } from "vitest";
import { buildState } from "../support/builders.js";
import { desiredOrg, desiredOwner, desiredUser, liveView, planFor } from "../support/plan-builders.js";

/** Built users' periods end 2027-01-01: 306 days are left on NOW (2026-03-01). */
const PRO_REFUND_306 = Math.floor((9000 * 306) / 365); // 7545
const ENTRY_REFUND_306 = Math.floor((4200 * 306) / 365); // 3521

const summary = (plan: ReturnType<typeof planFor>) =>
  plan.steps.map((s) => ({
    index: s.index,
    id: s.id,
    amount: s.amount_cents,
    after: s.balance_after_cents,
    deps: s.depends_on,
  }));

describe("creating users", () => {
  it("charges the full yearly period of the plan, in exact cents", () => {
    const live = buildState({ balance: 100_000 });
    const plan = planFor(
      desiredOrg({ users: [desiredOwner(), desiredUser("bob", { plan: "pro" })] }),
      liveView(live),
    );
    expect(plan.errors).toEqual([]);
    expect(summary(plan)).toEqual([
      { index: 1, id: "user/bob:create_user", amount: -9000, after: 91_000, deps: [] },
    ]);
    expect(plan.steps[0]).toMatchObject({
      action: "create_user",
      kind: "user",
      key: "bob",
      symbol: "+",
      destructive: false,
      operation: {
        op: "create_user",
        user: {
          login: "bob",
          email: "bob@console.test",
          first_name: "First",
          last_name: "bob",
          plan: "pro",
          role: "member",
        },
      },
    });
    expect(plan.money).toMatchObject({
      currency: "EUR",
      balance_before_cents: 100_000,
      balance_after_cents: 91_000,
      charges_cents: 9000,
      refunds_cents: 0,
      lowest_balance_cents: 91_000,
      shortfall_cents: 0,
      priced_on: "2026-03-01",
    });
  });

  it("charges nothing for a free user, and prices each paid plan from the catalog", () => {
    const live = buildState({ balance: 50_000 });
    const plan = planFor(
      desiredOrg({
        users: [
          desiredOwner(),
          desiredUser("ann", { plan: "free" }),
          desiredUser("ben", { plan: "entry" }),
          desiredUser("cid", { plan: "ultra" }),
        ],
      }),
      liveView(live),
    );
    expect(plan.errors).toEqual([]);
    expect(summary(plan)).toEqual([
      { index: 1, id: "user/ann:create_user", amount: 0, after: 50_000, deps: [] },
      { index: 2, id: "user/ben:create_user", amount: -4200, after: 45_800, deps: [] },
      { index: 3, id: "user/cid:create_user", amount: -30_000, after: 15_800, deps: [] },
    ]);
    expect(plan.money.charges_cents).toBe(34_200);
    expect(plan.money.lowest_balance_cents).toBe(15_800);
  });
});

describe("changing plans", () => {
  it("prorates over the days left: a charge rounds up, a refund rounds down", () => {
    const live = buildState({
      balance: 10_000,
      users: [
        { login: "up", plan: "entry" },
        { login: "down", plan: "pro" },
      ],
    });
    const plan = planFor(
      desiredOrg({
        users: [desiredOwner(), desiredUser("down", { plan: "entry" }), desiredUser("up", { plan: "pro" })],
      }),
      liveView(live),
    );
    // (9000 - 4200) * 306 / 365 = 4024.1…: the upgrade costs 4025, the downgrade gives back 4024.
    // The downgrade (it frees money) runs first.
    expect(summary(plan)).toEqual([
      { index: 1, id: "user/down:change_plan", amount: 4024, after: 14_024, deps: [] },
      { index: 2, id: "user/up:change_plan", amount: -4025, after: 9999, deps: [] },
    ]);
    expect(plan.money).toMatchObject({ charges_cents: 4025, refunds_cents: 4024, balance_after_cents: 9999 });
  });
});

describe("deleting users (policy removed_users: delete)", () => {
  it("disables then deletes, refunding the unused period rounded down", () => {
    const live = buildState({
      balance: 1000,
      users: [
        { login: "bob", plan: "pro" },
        { login: "eve", plan: "entry", status: "disabled" },
      ],
    });
    const plan = planFor(desiredOrg({ policy: { removed_users: "delete" } }), liveView(live));
    expect(plan.errors).toEqual([]);
    expect(summary(plan)).toEqual([
      // eve is already disabled: no disable step, the delete needs nothing first, and a refund goes first.
      { index: 1, id: "user/eve:delete_user", amount: ENTRY_REFUND_306, after: 1000 + 3521, deps: [] },
      { index: 2, id: "user/bob:disable_user", amount: 0, after: 1000 + 3521, deps: [] },
      {
        index: 3,
        id: "user/bob:delete_user",
        amount: PRO_REFUND_306,
        after: 1000 + 3521 + 7545,
        deps: ["user/bob:disable_user"],
      },
    ]);
    expect(plan.steps.map((s) => [s.symbol, s.destructive])).toEqual([
      ["-", true],
      ["-", true],
      ["-", true],
    ]);
    expect(plan.money.refunds_cents).toBe(11_066);
    // Two users deleted (bob's disable is part of his deletion, not a change of its own).
    expect(plan.counts).toMatchObject({ create: 0, update: 0, delete: 2, replace: 0 });
  });

  it("under the default policy (disable) only disables, and leaves already-disabled users alone", () => {
    const live = buildState({
      users: [
        { login: "bob", plan: "pro" },
        { login: "eve", plan: "entry", status: "disabled" },
      ],
    });
    const plan = planFor(desiredOrg(), liveView(live));
    expect(summary(plan)).toEqual([
      { index: 1, id: "user/bob:disable_user", amount: 0, after: 100_000, deps: [] },
    ]);
  });

  it("runs the refund before the charge that needs it, so a wallet too small for the create still works", () => {
    // 2000 cents cannot pay a pro user (9000); deleting bob gives back 7545 first.
    const live = buildState({ balance: 2000, users: [{ login: "bob", plan: "pro" }] });
    const plan = planFor(
      desiredOrg({
        policy: { removed_users: "delete" },
        users: [desiredOwner(), desiredUser("carol", { plan: "pro" })],
      }),
      liveView(live),
    );
    expect(plan.errors).toEqual([]);
    expect(summary(plan)).toEqual([
      { index: 1, id: "user/bob:disable_user", amount: 0, after: 2000, deps: [] },
      { index: 2, id: "user/bob:delete_user", amount: 7545, after: 9545, deps: ["user/bob:disable_user"] },
      { index: 3, id: "user/carol:create_user", amount: -9000, after: 545, deps: ["user/bob:delete_user"] },
    ]);
    expect(plan.money).toMatchObject({
      balance_before_cents: 2000,
      balance_after_cents: 545,
      charges_cents: 9000,
      refunds_cents: 7545,
      lowest_balance_cents: 545,
      shortfall_cents: 0,
    });
  });
});

describe("the lowest balance is kept as high as it can be", () => {
  // A delete only becomes ready after its disable; it must still run before an affordable create that was
  // ready all along, so that carol's charge does not dip the wallet to 1000 first.
  it("runs a refund that is ready after its disable before an affordable charge", () => {
    const live = buildState({ balance: 10_000, users: [{ login: "bob", plan: "pro" }] });
    const plan = planFor(
      desiredOrg({
        policy: { removed_users: "delete" },
        users: [desiredOwner(), desiredUser("carol", { plan: "pro" })],
      }),
      liveView(live),
    );
    expect(plan.steps.map((s) => s.id)).toEqual([
      "user/bob:disable_user",
      "user/bob:delete_user",
      "user/carol:create_user",
    ]);
    expect(plan.money.lowest_balance_cents).toBe(10_000 + 7545 - 9000);
    // The wallet could pay carol without the refund: her creation does not depend on it.
    expect(plan.steps.map((s) => s.depends_on)).toEqual([[], ["user/bob:disable_user"], []]);
  });
});

describe("a wallet that cannot pay", () => {
  it("says how much is missing, at which step, and what to top up", () => {
    const live = buildState({ balance: 5000 });
    const plan = planFor(
      desiredOrg({
        organization: { name: "Renamed Org" },
        users: [desiredOwner(), desiredUser("bob", { plan: "pro" })],
      }),
      liveView(live),
    );
    expect(plan.steps.map((s) => s.id)).toEqual(["org/organization:update_org"]);
    expect(plan.errors).toEqual([
      {
        code: "insufficient_funds",
        message:
          "wallet short by €40.00 at step 2 (create user bob <bob@console.test> on pro as member (invited))",
        fix: "top up at least €40.00",
        step_id: "user/bob:create_user",
      },
    ]);
    expect(plan.money.shortfall_cents).toBe(4000);
  });

  it("counts the whole plan's shortfall, not only the first step that fails", () => {
    const live = buildState({ balance: 5000 });
    const plan = planFor(
      desiredOrg({
        users: [desiredOwner(), desiredUser("bob", { plan: "pro" }), desiredUser("cat", { plan: "entry" })],
      }),
      liveView(live),
    );
    // cat (4200) fits, bob (9000) does not; 13200 - 5000 = 8200 is missing in all.
    expect(plan.steps.map((s) => s.id)).toEqual(["user/cat:create_user"]);
    expect(plan.errors.map((e) => [e.code, e.step_id, e.fix])).toEqual([
      ["insufficient_funds", "user/bob:create_user", "top up at least €82.00"],
    ]);
    expect(plan.errors[0]!.message).toMatch(/^wallet short by €82\.00 at step 2 \(create user bob /);
    expect(plan.money.shortfall_cents).toBe(8200);
  });

  it("says each step's own gap, and the whole plan's in the fix", () => {
    const live = buildState({ balance: 5000 });
    const plan = planFor(
      desiredOrg({
        users: [desiredOwner(), desiredUser("bob", { plan: "pro" }), desiredUser("dan", { plan: "pro" })],
      }),
      liveView(live),
    );
    expect(plan.errors.map((e) => [e.step_id, e.message.split(" at step")[0], e.fix])).toEqual([
      [
        "user/bob:create_user",
        "wallet short by €40.00",
        "top up at least €130.00: what the whole plan lacks, not only this step",
      ],
      [
        "user/dan:create_user",
        "wallet short by €40.00",
        "top up at least €130.00: what the whole plan lacks, not only this step",
      ],
    ]);
    expect(plan.money.shortfall_cents).toBe(13000);
  });

  it("respects policy.min_balance_cents: the wallet may not go below it", () => {
    const desired = (balance: number) =>
      planFor(
        desiredOrg({
          policy: { min_balance_cents: 3000 },
          users: [desiredOwner(), desiredUser("bob", { plan: "pro" })],
        }),
        liveView(buildState({ balance })),
      );
    const exact = desired(12_000);
    expect(exact.errors).toEqual([]);
    expect(exact.steps.map((s) => [s.id, s.balance_after_cents])).toEqual([["user/bob:create_user", 3000]]);
    expect(exact.money).toMatchObject({
      min_balance_cents: 3000,
      balance_after_cents: 3000,
      lowest_balance_cents: 3000,
    });

    const oneShort = desired(11_999);
    expect(oneShort.steps).toEqual([]);
    expect(oneShort.errors).toEqual([
      {
        code: "insufficient_funds",
        message:
          "wallet short by €0.01 at step 1 (create user bob <bob@console.test> on pro as member (invited)) (keeping the policy minimum of €30.00)",
        fix: "top up at least €0.01",
        step_id: "user/bob:create_user",
      },
    ]);
    expect(oneShort.money.shortfall_cents).toBe(1);
    expect(oneShort.money.balance_after_cents).toBe(11_999);
  });
});

describe("costs and renewals", () => {
  it("reports the yearly cost before and after the plan", () => {
    const live = buildState({
      users: [
        { login: "bob", plan: "pro" },
        { login: "eve", plan: "entry" },
        { login: "fay", plan: "free" },
      ],
    });
    const plan = planFor(
      desiredOrg({
        policy: { removed_users: "delete" },
        users: [
          desiredOwner(),
          desiredUser("eve", { plan: "ultra" }),
          desiredUser("fay"),
          desiredUser("gil", { plan: "entry" }),
        ],
      }),
      liveView(live),
    );
    expect(plan.errors).toEqual([]);
    // The pro org plan's fee 12000 + owner pro 9000 + bob pro 9000 + eve entry 4200 = 34200; after: the org
    // plan 12000 + owner 9000 + eve 30000 + gil 4200.
    expect(plan.money.yearly_cost_before_cents).toBe(34_200);
    expect(plan.money.yearly_cost_after_cents).toBe(55_200);
  });

  it("forecasts the renewals due within 30 days of the console's day, on the state after the plan", () => {
    const live = buildState({
      users: [
        { login: "bob", plan: "pro", period_end: "2026-03-20" },
        { login: "cat", plan: "entry", period_end: "2026-03-31" },
        { login: "dan", plan: "entry", period_end: "2026-04-01" },
        { login: "eli", plan: "free", period_end: "2026-03-10" },
        { login: "gone", plan: "ultra", period_end: "2026-03-05" },
      ],
    });
    const keep = ["bob", "cat", "dan", "eli"].map((login) =>
      desiredUser(login, { plan: live.users.get(login)!.plan }),
    );
    const plan = planFor(
      desiredOrg({ policy: { removed_users: "delete" }, users: [desiredOwner(), ...keep] }),
      liveView(live),
    );
    expect(plan.errors).toEqual([]);
    expect(plan.money.renewals_horizon_days).toBe(30);
    expect(plan.money.renewals_due).toEqual([
      { login: "bob", plan: "pro", due: "2026-03-20", amount_cents: 9000, unpaid: false },
      { login: "cat", plan: "entry", due: "2026-03-31", amount_cents: 4200, unpaid: false },
    ]);
    // gone is deleted by the plan: refunded (4 days left of ultra), and no longer renewed.
    expect(plan.steps.find((s) => s.id === "user/gone:delete_user")?.amount_cents).toBe(
      Math.floor((30_000 * 4) / 365),
    );
  });
});
