import { describe, expect, it } from "vitest";
import { applyDecision, renewDue } from "../../src/domain/index.js";
import { buildState, expectOk, NOW, TODAY, userOf } from "../support/builders.js";

/**
 * The rule (README, "Renewals"): due users are charged in the order of the end of their period, then by
 * login; a user who missed several periods is brought up to date before the next user is charged. The wallet
 * pays a renewal it holds exactly.
 */
describe("renewDue: the order in which renewals are charged when money runs short", () => {
  it("a renewal the wallet holds exactly is paid and leaves the wallet at zero", () => {
    const s = buildState({ balance: 9000, users: [{ login: "al", plan: "pro", period_end: "2026-02-20" }] });
    const { effects, ledger } = expectOk(renewDue(s, NOW));
    expect(ledger.map((e) => [e.login, e.amount_cents])).toEqual([["al", -9000]]);
    applyDecision(s, effects, ledger);
    expect(s.balance).toBe(0);
    expect(userOf(s, "al")).toMatchObject({ billing: "ok", period_end: "2027-02-20" });
  });

  it("an unpaid user recovers when the wallet holds exactly the price", () => {
    const s = buildState({
      balance: 4200,
      users: [{ login: "al", plan: "entry", period_end: "2026-02-20", billing: "unpaid" }],
    });
    const { effects, ledger } = expectOk(renewDue(s, NOW));
    expect(ledger.map((e) => [e.login, e.amount_cents, e.memo])).toEqual([
      ["al", -4200, `al on entry from ${TODAY}`],
    ]);
    applyDecision(s, effects, ledger);
    expect(s.balance).toBe(0);
    expect(userOf(s, "al")).toMatchObject({ billing: "ok", period_start: TODAY, period_end: "2027-03-01" });
  });

  it("an unpaid user stays unpaid one cent short, and nothing is written", () => {
    const s = buildState({
      balance: 4199,
      users: [{ login: "al", plan: "entry", period_end: "2026-02-20", billing: "unpaid" }],
    });
    expect(renewDue(s, NOW)).toEqual({ ok: true, effects: [], ledger: [] });
  });

  it("periods that end the same day are charged by login, whatever the order of the records", () => {
    const s = buildState({
      balance: 9000,
      users: [
        { login: "zoe", plan: "pro", period_end: "2026-02-20" },
        { login: "amy", plan: "pro", period_end: "2026-02-20" },
      ],
    });
    const { effects, ledger } = expectOk(renewDue(s, NOW));
    expect(ledger.map((e) => e.login)).toEqual(["amy"]);
    expect(effects.map((e) => (e.type === "put_user" ? [e.user.login, e.user.billing] : e.type))).toEqual([
      ["amy", "ok"],
      ["zoe", "unpaid"],
    ]);
  });

  it("the earlier period end is charged first, whatever the order of the records and the price", () => {
    const s = buildState({
      balance: 9000,
      users: [
        { login: "a-late", plan: "entry", period_end: "2026-02-25" },
        { login: "z-early", plan: "pro", period_end: "2026-02-10" },
      ],
    });
    const { ledger, effects } = expectOk(renewDue(s, NOW));
    expect(ledger.map((e) => e.login)).toEqual(["z-early"]);
    applyDecision(s, effects, ledger);
    expect(userOf(s, "a-late").billing).toBe("unpaid");
    expect(s.balance).toBe(0);
  });

  it("a user who missed several periods is brought up to date before the next user is charged", () => {
    const s = buildState({
      balance: 8400,
      users: [
        // Two periods due: 2025-01-15 and 2026-01-15.
        { login: "old", plan: "entry", period_end: "2025-01-15" },
        { login: "new", plan: "entry", period_end: "2025-06-01" },
      ],
    });
    const { ledger, effects } = expectOk(renewDue(s, NOW));
    expect(ledger.map((e) => e.memo)).toEqual([
      "old on entry from 2025-01-15",
      "old on entry from 2026-01-15",
    ]);
    applyDecision(s, effects, ledger);
    expect(userOf(s, "old")).toMatchObject({ billing: "ok", period_end: "2027-01-15" });
    expect(userOf(s, "new")).toMatchObject({ billing: "unpaid", period_end: "2025-06-01" });
  });

  it("a user whose money runs out half-way through missed periods keeps the last paid period and is unpaid", () => {
    const s = buildState({
      balance: 5000,
      users: [{ login: "al", plan: "entry", period_end: "2025-01-15" }],
    });
    const { ledger, effects } = expectOk(renewDue(s, NOW));
    expect(ledger.map((e) => e.memo)).toEqual(["al on entry from 2025-01-15"]);
    applyDecision(s, effects, ledger);
    expect(s.balance).toBe(800);
    expect(userOf(s, "al")).toMatchObject({
      billing: "unpaid",
      period_start: "2025-01-15",
      period_end: "2026-01-15",
    });
  });

  it("after a renewal the wallet cannot pay, a later one that still fits is charged", () => {
    const s = buildState({
      balance: 5000,
      users: [
        { login: "big", plan: "pro", period_end: "2026-02-10" },
        { login: "small", plan: "entry", period_end: "2026-02-20" },
      ],
    });
    const { ledger, effects } = expectOk(renewDue(s, NOW));
    expect(ledger.map((e) => [e.login, e.amount_cents])).toEqual([["small", -4200]]);
    applyDecision(s, effects, ledger);
    expect(userOf(s, "big").billing).toBe("unpaid");
    expect(s.balance).toBe(800);
  });

  it("a user whose period ends tomorrow is not due; one that ended today is", () => {
    const s = buildState({
      balance: 100_000,
      users: [
        { login: "today", plan: "entry", period_end: TODAY },
        { login: "tomorrow", plan: "entry", period_end: "2026-03-02" },
      ],
    });
    const { ledger } = expectOk(renewDue(s, NOW));
    expect(ledger.map((e) => e.login)).toEqual(["today"]);
  });

  it("a free user with an empty wallet is renewed for nothing and never marked unpaid", () => {
    const s = buildState({ balance: 0, users: [{ login: "fr", plan: "free", period_end: "2026-02-01" }] });
    const { ledger, effects } = expectOk(renewDue(s, NOW));
    expect(ledger).toEqual([]);
    applyDecision(s, effects, ledger);
    expect(userOf(s, "fr")).toMatchObject({
      billing: "ok",
      period_start: "2026-02-01",
      period_end: "2027-02-01",
    });
  });

  it("an unpaid free user (a plan moved to free) comes back to ok with a fresh period and no ledger entry", () => {
    const s = buildState({
      balance: 0,
      users: [{ login: "fr", plan: "free", period_end: "2026-02-01", billing: "unpaid" }],
    });
    const { ledger, effects } = expectOk(renewDue(s, NOW));
    expect(ledger).toEqual([]);
    applyDecision(s, effects, ledger);
    expect(userOf(s, "fr")).toMatchObject({ billing: "ok", period_start: TODAY, period_end: "2027-03-01" });
  });
});
