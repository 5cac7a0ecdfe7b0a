/**
 * The organization's own org plan renews like a user's plan [MF] (src/domain/renewals.ts): where its renewal
 * falls among the users', how the watermark follows it, and how the forecast shows it.
 */
import { describe, expect, it } from "vitest";
import {
  forecastRenewals,
  noteRenewalEffects,
  ORG_PAYER,
  renewalPayer,
  renewalWatermark,
  renewDue,
} from "../../src/domain/index.js";
import { buildState, expectOk, makeUser, NOW } from "../support/builders.js";

describe("renewDue: the org plan among the users' renewals", () => {
  it("a user whose period ended before the org's is charged first, and the org fee once", () => {
    // pro org plan (12000) ended 2026-02-25; al (entry, 4200) ended before it, bo and cy (entry) after it.
    const s = buildState({
      orgPlan: "pro",
      balance: 12_000 + 4200,
      owner: { plan: "free" },
      orgPeriod: { start: "2025-02-25", end: "2026-02-25" },
      users: [
        { login: "al", plan: "entry", period_end: "2026-02-20" },
        { login: "bo", plan: "entry", period_end: "2026-02-26" },
        { login: "cy", plan: "entry", period_end: "2026-02-27" },
      ],
    });
    const { effects, ledger } = expectOk(renewDue(s, NOW));
    expect(ledger.map((e) => [e.login, e.amount_cents])).toEqual([
      ["al", -4200],
      [null, -12_000],
    ]);
    expect(effects.map((e) => (e.type === "put_user" ? [e.user.login, e.user.billing] : [e.type]))).toEqual([
      ["al", "ok"],
      ["put_org"],
      ["bo", "unpaid"],
      ["cy", "unpaid"],
    ]);
  });

  it("when the wallet can pay the org fee but not also an earlier user's, the earlier user is paid", () => {
    const s = buildState({
      orgPlan: "pro",
      balance: 12_000,
      owner: { plan: "free" },
      orgPeriod: { start: "2025-02-25", end: "2026-02-25" },
      users: [{ login: "al", plan: "entry", period_end: "2026-02-20" }],
    });
    const { effects, ledger } = expectOk(renewDue(s, NOW));
    expect(ledger.map((e) => e.login)).toEqual(["al"]);
    expect(effects).toEqual([
      expect.objectContaining({ type: "put_user" }),
      { type: "put_org", org: { ...s.org, billing: "unpaid" } },
    ]);
  });

  it("an unpaid org plan the wallet still cannot pay writes nothing", () => {
    const s = buildState({
      orgPlan: "ultra",
      balance: 47_999,
      orgPeriod: { start: "2025-02-01", end: "2026-02-01", billing: "unpaid" },
    });
    expect(expectOk(renewDue(s, NOW))).toEqual({ effects: [], ledger: [] });
  });
});

describe("the watermark follows the org plan's period through put_org effects", () => {
  it("an org stored unpaid is listed, so a quiet pass still recovers it; stored ok again, it leaves the list", () => {
    const s = buildState({ orgPlan: "pro", balance: 0 });
    const watermark = renewalWatermark(s.users.values(), s.org);
    expect(watermark.unpaid.has(ORG_PAYER)).toBe(false);
    const unpaid = { ...s.org, billing: "unpaid" as const, period_end: "2026-02-01" };
    noteRenewalEffects(watermark, [{ type: "put_org", org: unpaid }]);
    expect(watermark.unpaid.has(ORG_PAYER)).toBe(true);
    // The wallet is topped up: the quiet pass (no period in good standing ended) charges a fresh org period.
    const funded = { ...s, org: unpaid, balance: 12_000 };
    expect(expectOk(renewDue(funded, NOW, watermark)).ledger.map((e) => [e.login, e.amount_cents])).toEqual([
      [null, -12_000],
    ]);
    noteRenewalEffects(watermark, [
      { type: "put_org", org: { ...unpaid, billing: "ok", period_end: "2026-05-01" } },
    ]);
    expect(watermark.unpaid.has(ORG_PAYER)).toBe(false);
    expect(watermark.next).toBe(
      renewalWatermark([], { ...unpaid, billing: "ok", period_end: "2026-05-01" }).next,
    );
  });
});

describe("forecastRenewals and the org plan", () => {
  it("an org fee due exactly at the horizon is in the forecast; one day later it is not", () => {
    const s = buildState({ orgPlan: "pro", orgPeriod: { start: "2025-03-31", end: "2026-03-31" } });
    expect(forecastRenewals([], s.catalog, NOW, 30, s.org)).toEqual([
      { login: null, plan: "pro", due: "2026-03-31", amount_cents: 12000, unpaid: false },
    ]);
    expect(forecastRenewals([], s.catalog, NOW, 29, s.org)).toEqual([]);
  });

  it("an unpaid org plan is forecast as unpaid, at whatever horizon", () => {
    const s = buildState({ orgPlan: "ultra", orgPeriod: { end: "2026-02-01", billing: "unpaid" } });
    expect(forecastRenewals([], s.catalog, NOW, 0, s.org)).toEqual([
      { login: null, plan: "ultra", due: "2026-02-01", amount_cents: 48000, unpaid: true },
    ]);
  });

  it("renewals of one day: the org plan first, then the users by login, whatever the order of the records", () => {
    const s = buildState({ orgPlan: "pro", orgPeriod: { start: "2025-03-10", end: "2026-03-10" } });
    const users = ["zed", "al", "mo"].map((login) =>
      makeUser({ login, plan: "entry", period_end: "2026-03-10" }),
    );
    const forecast = forecastRenewals(users, s.catalog, NOW, 30, s.org);
    expect(forecast.map((r) => r.login)).toEqual([null, "al", "mo", "zed"]);
    expect(forecast.map(renewalPayer)).toEqual(["(organization)", "al", "mo", "zed"]);
  });
});
