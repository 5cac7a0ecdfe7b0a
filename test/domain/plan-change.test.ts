import { describe, expect, it } from "vitest";
import { decide, step } from "../../src/domain/index.js";
import { as, BY_OWNER, buildState, expectOk, expectRefused, NOW, userOf } from "../support/builders.js";

/** On NOW (2026-03-01) a period ending 2026-06-09 has exactly 100 days left. */
const END_100 = "2026-06-09";

const state = (plan: string, balance: number, period_end = END_100, extra: object = {}) =>
  buildState({ balance, users: [{ login: "al", plan, period_end, ...extra }] });

describe("changing a user's plan is prorated over the days left", () => {
  it.each([
    // [from, to, period end, wallet movement]
    ["entry", "pro", END_100, -1316], // 4800 * 100 / 365 = 1315.07 → charge 1316 (up)
    ["pro", "entry", END_100, 1315], // refund 1315 (down)
    ["free", "ultra", END_100, -8220], // 30000 * 100 / 365 = 8219.18 → 8220
    ["ultra", "free", END_100, 8219],
    ["pro", "ultra", END_100, -5754], // 21000 * 100 / 365 = 5753.42 → 5754
    ["ultra", "pro", END_100, 5753],
    ["entry", "pro", "2026-05-13", -960], // 73 days: 4800 * 73 / 365 = 960 exactly
    ["pro", "entry", "2026-05-13", 960],
    ["entry", "ultra", "2026-03-02", -71], // 1 day: 25800 / 365 = 70.68 → 71
    ["ultra", "entry", "2026-03-02", 70],
  ])("%s → %s with period ending %s moves %i cents", (from, to, end, movement) => {
    const s = state(from, 10_000, end);
    const before = userOf(s, "al");
    const { effects, ledger } = expectOk(
      step(s, BY_OWNER, { op: "change_plan", login: "al", plan: to }, NOW),
    );
    expect(ledger).toEqual([
      { amount_cents: movement, reason: "plan_change", login: "al", plan: to, memo: `al: ${from} → ${to}` },
    ]);
    expect(effects).toEqual([{ type: "put_user", user: { ...before, plan: to } }]);
    expect(s.balance).toBe(10_000 + movement);
    // The period dates do not change.
    expect(userOf(s, "al")).toEqual({ ...before, plan: to });
  });

  it("with no day left nothing is charged or refunded", () => {
    const s = state("entry", 0, "2026-03-01");
    const { ledger } = expectOk(step(s, BY_OWNER, { op: "change_plan", login: "al", plan: "ultra" }, NOW));
    expect(ledger).toEqual([]);
    expect(s.balance).toBe(0);
    expect(userOf(s, "al").plan).toBe("ultra");
  });

  it("on the creation day the whole difference is charged", () => {
    const s = state("entry", 4800, "2027-03-01");
    expectOk(step(s, BY_OWNER, { op: "change_plan", login: "al", plan: "pro" }, NOW));
    expect(s.balance).toBe(0);
  });
});

describe("a plan change takes effect only if the wallet can pay", () => {
  it("one cent short is insufficient_funds and changes nothing", () => {
    const s = state("entry", 1315);
    const before = structuredClone(s);
    const refusal = expectRefused(
      step(s, BY_OWNER, { op: "change_plan", login: "al", plan: "pro" }, NOW),
      "insufficient_funds",
    );
    expect(refusal.details).toEqual({ charge_cents: 1316, balance_cents: 1315, short_cents: 1 });
    expect(s).toEqual(before);
  });

  it("exactly enough leaves the wallet at zero", () => {
    const s = state("entry", 1316);
    expectOk(step(s, BY_OWNER, { op: "change_plan", login: "al", plan: "pro" }, NOW));
    expect(s.balance).toBe(0);
  });

  it("a downgrade (refund) needs no money", () => {
    const s = state("pro", 0);
    expectOk(step(s, BY_OWNER, { op: "change_plan", login: "al", plan: "entry" }, NOW));
    expect(s.balance).toBe(1315);
  });
});

describe("plan change refusals", () => {
  it("same plan is a conflict, an unknown plan invalid, an unknown user not_found", () => {
    const s = state("entry", 10_000);
    expectRefused(decide(s, BY_OWNER, { op: "change_plan", login: "al", plan: "entry" }, NOW), "conflict");
    expectRefused(decide(s, BY_OWNER, { op: "change_plan", login: "al", plan: "gold" }, NOW), "invalid");
    expectRefused(decide(s, BY_OWNER, { op: "change_plan", login: "ghost", plan: "pro" }, NOW), "not_found");
  });

  it("a downgrade to a plan with fewer aliases than the user has is alias_limit", () => {
    const aliases = Array.from({ length: 11 }, (_, i) => `a${i}@console.test`);
    const s = state("pro", 10_000, END_100, { aliases });
    const refusal = expectRefused(
      decide(s, BY_OWNER, { op: "change_plan", login: "al", plan: "entry" }, NOW),
      "alias_limit",
    );
    expect(refusal.details).toEqual({ login: "al", limit: 10 });
    expectRefused(decide(s, BY_OWNER, { op: "change_plan", login: "al", plan: "free" }, NOW), "alias_limit");
    expectOk(decide(s, BY_OWNER, { op: "change_plan", login: "al", plan: "ultra" }, NOW));
  });

  it("only org_admin and billing_admin change plans; nobody changes their own", () => {
    const s = buildState({
      balance: 10_000,
      users: [
        { login: "al", plan: "entry", period_end: END_100 },
        { login: "ba", role: "billing_admin", plan: "entry" },
        { login: "ua", role: "user_admin" },
      ],
    });
    expectRefused(decide(s, as("ua"), { op: "change_plan", login: "al", plan: "pro" }, NOW), "forbidden");
    expectRefused(decide(s, as("al"), { op: "change_plan", login: "al", plan: "pro" }, NOW), "forbidden");
    expectRefused(decide(s, as("ba"), { op: "change_plan", login: "ba", plan: "pro" }, NOW), "self_action");
    expectOk(step(s, as("ba"), { op: "change_plan", login: "al", plan: "pro" }, NOW));
    expect(s.balance).toBe(10_000 - 1316);
  });
});
