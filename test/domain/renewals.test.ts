import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  applyDecision,
  forecastRenewals,
  noteRenewalEffects,
  periodsMayEnd,
  renewalWatermark,
  renewDue,
  step,
} from "../../src/domain/index.js";
import { BY_OWNER, buildState, expectOk, NOW, userOf } from "../support/builders.js";

describe("renewDue: at the end of a period the console charges the next one", () => {
  it("renews every period that ends today or earlier, oldest first; later ones wait", () => {
    const s = buildState({
      balance: 10_000,
      users: [
        { login: "al", plan: "pro", period_end: "2026-03-01" },
        { login: "bo", plan: "entry", period_end: "2026-03-02" },
        { login: "fr", plan: "free", period_end: "2026-02-15" },
      ],
    });
    const al = userOf(s, "al");
    const fr = userOf(s, "fr");
    const { effects, ledger } = expectOk(renewDue(s, NOW));
    expect(effects).toEqual([
      { type: "put_user", user: { ...fr, period_start: "2026-02-15", period_end: "2027-02-15" } },
      { type: "put_user", user: { ...al, period_start: "2026-03-01", period_end: "2027-03-01" } },
    ]);
    // A free renewal writes no ledger entry.
    expect(ledger).toEqual([
      { amount_cents: -9000, reason: "renewal", login: "al", plan: "pro", memo: "al on pro from 2026-03-01" },
    ]);
    applyDecision(s, effects, ledger);
    expect(s.balance).toBe(1000);
    expect(userOf(s, "bo").period_end).toBe("2026-03-02");
    // Nothing is due any more today.
    expect(renewDue(s, NOW)).toEqual({ ok: true, effects: [], ledger: [] });
  });

  it("nothing due is an empty decision", () => {
    const s = buildState({ users: [{ login: "al", plan: "pro", period_end: "2026-03-02" }] });
    expect(renewDue(s, NOW)).toEqual({ ok: true, effects: [], ledger: [] });
  });

  it("a user who missed several periods is charged for each of them", () => {
    const s = buildState({
      balance: 10_000,
      users: [{ login: "al", plan: "entry", period_end: "2024-06-01" }],
    });
    const { effects, ledger } = expectOk(renewDue(s, NOW));
    expect(ledger.map((e) => [e.amount_cents, e.memo])).toEqual([
      [-4200, "al on entry from 2024-06-01"],
      [-4200, "al on entry from 2025-06-01"],
    ]);
    applyDecision(s, effects, ledger);
    expect(userOf(s, "al")).toMatchObject({
      period_start: "2025-06-01",
      period_end: "2026-06-01",
      billing: "ok",
    });
    expect(s.balance).toBe(1600);
  });

  it("disabled users still hold their seat and are renewed", () => {
    const s = buildState({
      balance: 4201,
      users: [{ login: "off", plan: "entry", status: "disabled", period_end: "2026-02-01" }],
    });
    const { effects, ledger } = expectOk(renewDue(s, NOW));
    applyDecision(s, effects, ledger);
    expect(s.balance).toBe(1);
    expect(userOf(s, "off")).toMatchObject({ period_end: "2027-02-01", billing: "ok" });
  });
});

describe("renewDue: when the wallet cannot pay the user is marked unpaid", () => {
  it("marks unpaid, charges nothing and keeps the period; the balance never goes below zero", () => {
    const s = buildState({ balance: 8999, users: [{ login: "al", plan: "pro", period_end: "2026-02-20" }] });
    const { effects, ledger } = expectOk(renewDue(s, NOW));
    expect(ledger).toEqual([]);
    expect(effects).toEqual([{ type: "put_user", user: { ...userOf(s, "al"), billing: "unpaid" } }]);
    applyDecision(s, effects, ledger);
    expect(s.balance).toBe(8999);
    expect(userOf(s, "al")).toMatchObject({
      billing: "unpaid",
      period_start: "2025-02-20",
      period_end: "2026-02-20",
    });
    // Still short: a second pass changes nothing.
    expect(renewDue(s, NOW)).toEqual({ ok: true, effects: [], ledger: [] });
  });

  it("the oldest period is paid first; the next one that no longer fits is unpaid", () => {
    const s = buildState({
      balance: 9000,
      users: [
        { login: "b", plan: "pro", period_end: "2026-02-25" },
        { login: "a", plan: "entry", period_end: "2026-02-20" },
      ],
    });
    const { effects, ledger } = expectOk(renewDue(s, NOW));
    expect(ledger.map((e) => [e.login, e.amount_cents])).toEqual([["a", -4200]]);
    applyDecision(s, effects, ledger);
    expect(s.balance).toBe(4800);
    expect(userOf(s, "a")).toMatchObject({ billing: "ok", period_end: "2027-02-20" });
    expect(userOf(s, "b")).toMatchObject({ billing: "unpaid", period_end: "2026-02-25" });
  });

  it("recovers after a top-up: the next pass charges a fresh period from that day", () => {
    const s = buildState({ balance: 0, users: [{ login: "al", plan: "pro", period_end: "2026-02-20" }] });
    const first = expectOk(renewDue(s, NOW));
    applyDecision(s, first.effects, first.ledger);
    expect(userOf(s, "al").billing).toBe("unpaid");

    const later = new Date("2026-03-10T06:00:00Z");
    expectOk(step(s, BY_OWNER, { op: "top_up", amount_cents: 10_000, method: "test" }, later));
    const { effects, ledger } = expectOk(renewDue(s, later));
    expect(ledger).toEqual([
      { amount_cents: -9000, reason: "renewal", login: "al", plan: "pro", memo: "al on pro from 2026-03-10" },
    ]);
    applyDecision(s, effects, ledger);
    expect(s.balance).toBe(1000);
    expect(userOf(s, "al")).toMatchObject({
      billing: "ok",
      period_start: "2026-03-10",
      period_end: "2027-03-10",
    });
  });

  it("an unpaid user is not refunded on deletion", () => {
    const s = buildState({
      balance: 0,
      users: [{ login: "al", plan: "pro", period_end: "2026-02-20", status: "disabled" }],
    });
    const r = expectOk(renewDue(s, NOW));
    applyDecision(s, r.effects, r.ledger);
    const { ledger } = expectOk(step(s, BY_OWNER, { op: "delete_user", login: "al" }, NOW));
    expect(ledger).toEqual([]);
    expect(s.balance).toBe(0);
  });
});

describe("forecastRenewals: renewals that fall due within N days", () => {
  const state = () =>
    buildState({
      users: [
        { login: "a", plan: "entry", period_end: "2026-03-10" },
        { login: "b", plan: "pro", period_end: "2026-03-31" },
        { login: "c", plan: "ultra", period_end: "2026-04-01" },
        { login: "d", plan: "free", period_end: "2026-03-05" },
        { login: "e", plan: "pro", period_end: "2026-01-01", billing: "unpaid" },
        { login: "f", plan: "entry", period_end: "2026-03-10" },
      ],
    });

  it("lists paid renewals up to the horizon, unpaid ones always, by date then login", () => {
    const s = state();
    expect(forecastRenewals(s.users.values(), s.catalog, NOW, 30)).toEqual([
      { login: "e", plan: "pro", due: "2026-01-01", amount_cents: 9000, unpaid: true },
      { login: "a", plan: "entry", due: "2026-03-10", amount_cents: 4200, unpaid: false },
      { login: "f", plan: "entry", due: "2026-03-10", amount_cents: 4200, unpaid: false },
      { login: "b", plan: "pro", due: "2026-03-31", amount_cents: 9000, unpaid: false },
    ]);
  });

  it("the horizon is inclusive and moves with N", () => {
    const s = state();
    const logins = (days: number) =>
      forecastRenewals(s.users.values(), s.catalog, NOW, days).map((f) => f.login);
    expect(logins(0)).toEqual(["e"]);
    expect(logins(8)).toEqual(["e"]);
    expect(logins(9)).toEqual(["e", "a", "f"]);
    expect(logins(31)).toEqual(["e", "a", "f", "b", "c"]);
    // The owner's period (pro, ends 2027-01-01) is 306 days away.
    expect(logins(306)).toEqual(["e", "a", "f", "b", "c", "owner"]);
  });

  it("the forecast total is what renewDue charges on that day when the wallet can pay", () => {
    const s = state();
    const horizon = new Date("2026-03-31T00:00:00Z");
    const forecast = forecastRenewals(s.users.values(), s.catalog, NOW, 30);
    s.balance = 1_000_000;
    const { ledger } = expectOk(renewDue(s, horizon));
    expect(ledger.reduce((sum, e) => sum - e.amount_cents, 0)).toBe(
      forecast.reduce((sum, f) => sum + f.amount_cents, 0),
    );
  });
});

describe("renewDue with a renewal watermark, as the console keeps it", () => {
  const DAY_MS = 86_400_000;
  const PLANS = ["free", "entry", "pro"] as const;

  /** Renews on each day of `days` (ascending) as the console does: skipping the pass when the watermark allows. */
  function run(
    spec: { users: { plan: number; end: number; unpaid: boolean }[]; balance: number },
    days: { offset: number; topUp: number }[],
    watermarked: boolean,
  ) {
    const s = buildState({
      balance: spec.balance,
      users: spec.users.map((u, i) => ({
        login: `u${i}`,
        plan: PLANS[u.plan]!,
        period_end: new Date(NOW.getTime() + u.end * DAY_MS).toISOString().slice(0, 10),
        billing: u.unpaid ? "unpaid" : "ok",
      })),
    });
    let watermark = renewalWatermark(s.users.values(), s.org);
    const ledger: unknown[] = [];
    for (const day of days) {
      const now = new Date(NOW.getTime() + day.offset * DAY_MS);
      if (day.topUp > 0) {
        const top = expectOk(
          step(s, BY_OWNER, { op: "top_up", amount_cents: day.topUp, method: "test" }, now),
        );
        noteRenewalEffects(watermark, top.effects);
      }
      const everyone = periodsMayEnd(watermark, now);
      if (watermarked && !everyone && watermark.unpaid.size === 0) continue;
      const decision = expectOk(watermarked ? renewDue(s, now, watermark) : renewDue(s, now));
      applyDecision(s, decision.effects, decision.ledger);
      noteRenewalEffects(watermark, decision.effects);
      if (everyone) watermark = renewalWatermark(s.users.values(), s.org);
      ledger.push(...decision.ledger);
    }
    return { ledger, users: [...s.users.values()], balance: s.balance };
  }

  it("charges exactly what a pass over every user charges, on every day", () => {
    fc.assert(
      fc.property(
        fc.record({
          users: fc.array(
            fc.record({
              plan: fc.integer({ min: 0, max: 2 }),
              end: fc.integer({ min: -400, max: 400 }),
              unpaid: fc.boolean(),
            }),
            { maxLength: 8 },
          ),
          balance: fc.integer({ min: 0, max: 40_000 }),
        }),
        fc.array(
          fc.record({ offset: fc.integer({ min: 0, max: 800 }), topUp: fc.constantFrom(0, 0, 4200, 20_000) }),
          {
            maxLength: 12,
          },
        ),
        (spec, days) => {
          const sorted = [...days].sort((a, b) => a.offset - b.offset);
          expect(run(spec, sorted, true)).toEqual(run(spec, sorted, false));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("lets a pass be skipped only while no period in good standing has ended", () => {
    const s = buildState({ users: [{ login: "al", plan: "pro", period_end: "2026-03-05" }] });
    const watermark = renewalWatermark(s.users.values(), s.org);
    // The owner's period (builders' default) or al's, whichever ends first, sets the watermark.
    const first = Math.min(...[...s.users.values()].map((u) => Date.parse(u.period_end)));
    expect(periodsMayEnd(watermark, new Date(first - 1))).toBe(false);
    expect(periodsMayEnd(watermark, new Date(first))).toBe(true);
    expect(watermark.unpaid.size).toBe(0);
  });
});
