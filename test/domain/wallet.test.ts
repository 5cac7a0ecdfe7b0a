import { describe, expect, it } from "vitest";
import { decide, MAX_TOP_UP_CENTS, step } from "../../src/domain/index.js";
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

describe("top-up", () => {
  it("an org_admin tops up with method test: one ledger entry, balance grows by the amount", () => {
    const s = buildState({ balance: 1234 });
    const { effects, ledger } = expectOk(
      step(s, BY_OWNER, { op: "top_up", amount_cents: 5000, method: "test" }, NOW),
    );
    expect(effects).toEqual([]);
    expect(ledger).toEqual([
      { amount_cents: 5000, reason: "top_up", login: null, plan: null, memo: "top-up (test)" },
    ]);
    expect(s.balance).toBe(6234);
    expect(s.org.revision).toBe(2);
  });

  it("a billing_admin may top up; a user_admin and a member may not", () => {
    const s = buildState({
      balance: 0,
      users: [
        { login: "ba", role: "billing_admin" },
        { login: "ua", role: "user_admin" },
        { login: "mb", role: "member" },
      ],
    });
    const op = { op: "top_up", amount_cents: 100, method: "test" } as const;
    expectRefused(step(s, as("ua"), op, NOW), "forbidden");
    expectRefused(step(s, as("mb"), op, NOW), "forbidden");
    expect(s.balance).toBe(0);
    expectOk(step(s, as("ba"), op, NOW));
    expect(s.balance).toBe(100);
  });

  it.each([0, -100, 10.5, Number.NaN, MAX_TOP_UP_CENTS + 1])("amount %s is invalid", (amount) => {
    const s = buildState({ balance: 0 });
    expectRefused(step(s, BY_OWNER, { op: "top_up", amount_cents: amount, method: "test" }, NOW), "invalid");
    expect(s.balance).toBe(0);
  });

  it("the largest allowed top-up is accepted", () => {
    const s = buildState({ balance: 0 });
    expectOk(step(s, BY_OWNER, { op: "top_up", amount_cents: MAX_TOP_UP_CENTS, method: "test" }, NOW));
    expect(s.balance).toBe(MAX_TOP_UP_CENTS);
  });

  it.each(["card", "paypal", "cash"])(
    "the reference console refuses method %s with payment_failed",
    (method) => {
      const s = buildState({ balance: 0 });
      expectRefused(step(s, BY_OWNER, { op: "top_up", amount_cents: 100, method }, NOW), "payment_failed");
      expect(s.balance).toBe(0);
    },
  );
});

describe("the balance never goes below zero", () => {
  it("creating a paid user with exactly the price leaves 0", () => {
    const s = buildState({ balance: 4200 });
    const { ledger } = expectOk(
      step(s, BY_OWNER, { op: "create_user", user: newUser("al", { plan: "entry" }) }, NOW),
    );
    expect(ledger).toEqual([
      {
        amount_cents: -4200,
        reason: "user_created",
        login: "al",
        plan: "entry",
        memo: "al on entry, 365 days",
      },
    ]);
    expect(s.balance).toBe(0);
  });

  it("creating a paid user one cent short is refused with insufficient_funds and changes nothing", () => {
    const s = buildState({ balance: 4199 });
    const before = structuredClone(s);
    const refusal = expectRefused(
      step(s, BY_OWNER, { op: "create_user", user: newUser("al", { plan: "entry" }) }, NOW),
      "insufficient_funds",
    );
    expect(refusal.details).toEqual({ charge_cents: 4200, balance_cents: 4199, short_cents: 1 });
    expect(s).toEqual(before);
  });

  it("says how much is missing, and after that top-up the same operation passes", () => {
    const s = buildState({ balance: 1000 });
    const op = { op: "create_user", user: newUser("al", { plan: "ultra" }) } as const;
    const refusal = expectRefused(decide(s, BY_OWNER, op, NOW), "insufficient_funds");
    const short = refusal.details?.short_cents as number;
    expect(short).toBe(29000);
    expectOk(step(s, BY_OWNER, { op: "top_up", amount_cents: short, method: "test" }, NOW));
    expectOk(step(s, BY_OWNER, op, NOW));
    expect(s.balance).toBe(0);
  });

  it("the console itself (system actor) is held to the same rule", () => {
    const s = buildState({ balance: 0 });
    expectRefused(
      decide(s, SYSTEM, { op: "create_user", user: newUser("al", { plan: "pro" }) }, NOW),
      "insufficient_funds",
    );
  });

  it("a free user costs nothing and writes no ledger entry, even with an empty wallet", () => {
    const s = buildState({ balance: 0 });
    const { ledger } = expectOk(step(s, BY_OWNER, { op: "create_user", user: newUser("fr") }, NOW));
    expect(ledger).toEqual([]);
    expect(s.balance).toBe(0);
  });
});

describe("creating a paid user charges one full period from the creation day", () => {
  it.each([
    ["entry", 4200],
    ["pro", 9000],
    ["ultra", 30000],
  ])("%s costs %i and the period is 2026-03-01 → 2027-03-01", (plan, price) => {
    const s = buildState({ balance: 50_000 });
    const { ledger } = expectOk(step(s, BY_OWNER, { op: "create_user", user: newUser("al", { plan }) }, NOW));
    expect(ledger.map((e) => e.amount_cents)).toEqual([-price]);
    expect(s.balance).toBe(50_000 - price);
    expect(userOf(s, "al")).toMatchObject({
      period_start: "2026-03-01",
      period_end: "2027-03-01",
      billing: "ok",
    });
  });

  it("the balance is the sum of the ledger over a sequence of operations", () => {
    const s = buildState({ balance: 0 });
    const movements: number[] = [];
    const run = (op: Parameters<typeof step>[2]) => {
      const { ledger } = expectOk(step(s, BY_OWNER, op, NOW));
      for (const e of ledger) movements.push(e.amount_cents);
    };
    run({ op: "top_up", amount_cents: 20_000, method: "test" });
    run({ op: "create_user", user: newUser("al", { plan: "entry" }) });
    run({ op: "change_plan", login: "al", plan: "pro" });
    run({ op: "disable_user", login: "al" });
    run({ op: "delete_user", login: "al" });
    // 20000 - 4200 - 4800 (365 days left) + 9000 (full refund on day one)
    expect(movements).toEqual([20_000, -4200, -4800, 9000]);
    expect(s.balance).toBe(20_000);
  });
});
