/**
 * The renewal watermark (src/domain/renewals.ts) in isolation: how the console keeps it from the effects it
 * commits, and what `renewDue` looks at when it is given one. The property in renewals.test.ts checks that
 * a watermarked console charges what a full pass charges; these pin each step of that bookkeeping, which a
 * property over short runs rarely reaches.
 */
import { describe, expect, it } from "vitest";
import {
  applyDecision,
  type ConsoleState,
  dayNumber,
  type Effect,
  noteRenewalEffects,
  periodsMayEnd,
  renewalWatermark,
  renewDue,
  type User,
} from "../../src/domain/index.js";
import { buildState, expectOk, makeUser, NOW, TODAY, userOf } from "../support/builders.js";

const day = (d: string) => dayNumber(d);

describe("renewalWatermark", () => {
  it("is the first period end among users in good standing; unpaid users are listed instead", () => {
    const users = [
      makeUser({ login: "a", plan: "pro", period_end: "2026-06-01" }),
      makeUser({ login: "b", plan: "entry", period_end: "2026-04-15" }),
      makeUser({ login: "c", plan: "pro", period_end: "2026-01-10", billing: "unpaid" }),
    ];
    const watermark = renewalWatermark(users);
    expect(watermark.next).toBe(day("2026-04-15"));
    expect([...watermark.unpaid]).toEqual(["c"]);
  });

  it("of nobody is never reached", () => {
    const watermark = renewalWatermark([]);
    expect(watermark.next).toBe(Number.POSITIVE_INFINITY);
    expect(periodsMayEnd(watermark, new Date("2999-12-31T23:59:59Z"))).toBe(false);
  });
});

describe("noteRenewalEffects keeps the watermark a lower bound", () => {
  const start = () =>
    renewalWatermark([
      makeUser({ login: "a", plan: "pro", period_end: "2026-06-01" }),
      makeUser({ login: "late", plan: "pro", period_end: "2026-01-10", billing: "unpaid" }),
    ]);

  it("a stored user whose period ends earlier lowers it", () => {
    const watermark = start();
    const user = makeUser({ login: "n", plan: "entry", period_end: "2026-03-20" });
    noteRenewalEffects(watermark, [{ type: "put_user", user }]);
    expect(watermark.next).toBe(day("2026-03-20"));
    expect(periodsMayEnd(watermark, new Date("2026-03-20T00:00:00Z"))).toBe(true);
    // A later one leaves it where it is.
    noteRenewalEffects(watermark, [
      { type: "put_user", user: { ...user, login: "m", period_end: "2026-09-01" } },
    ]);
    expect(watermark.next).toBe(day("2026-03-20"));
  });

  it("a user stored unpaid is listed; stored in good standing again, they leave the list", () => {
    const watermark = start();
    const user = makeUser({ login: "a", plan: "pro", period_end: "2026-06-01" });
    noteRenewalEffects(watermark, [{ type: "put_user", user: { ...user, billing: "unpaid" } }]);
    expect([...watermark.unpaid].sort()).toEqual(["a", "late"]);
    expect(watermark.next).toBe(day("2026-06-01"));
    const recovered = makeUser({ login: "late", plan: "pro", period_start: TODAY, period_end: "2027-03-01" });
    noteRenewalEffects(watermark, [{ type: "put_user", user: recovered }]);
    expect([...watermark.unpaid]).toEqual(["a"]);
  });

  it("a deleted user leaves the unpaid list", () => {
    const watermark = start();
    noteRenewalEffects(watermark, [{ type: "delete_user", login: "late", retire: [] }]);
    expect(watermark.unpaid.size).toBe(0);
    expect(watermark.next).toBe(day("2026-06-01"));
  });

  it("effects that store no user and delete none change nothing, even when they name an unpaid user", () => {
    const watermark = start();
    const effects: Effect[] = [
      { type: "revoke_sessions", login: "late" },
      { type: "revoke_tokens", login: "late" },
      { type: "delete_record", kind: "groups", name: "late" },
      { type: "delete_record", kind: "domains", name: "example.com" },
    ];
    noteRenewalEffects(watermark, effects);
    expect(watermark).toEqual(start());
  });
});

/** A users map that counts how often it is walked in full. */
class CountingUsers extends Map<string, User> {
  walks = 0;
  override values() {
    this.walks++;
    return super.values();
  }
  override entries() {
    this.walks++;
    return super.entries();
  }
  override [Symbol.iterator]() {
    this.walks++;
    return super[Symbol.iterator]();
  }
}

function withCountingUsers(s: ConsoleState): CountingUsers {
  const users = new CountingUsers(s.users);
  s.users = users;
  return users;
}

describe("renewDue given a watermark", () => {
  it("while no period in good standing has ended, looks only at the unpaid users, never at everyone", () => {
    const s = buildState({
      balance: 20_000,
      users: [
        { login: "a", plan: "pro", period_end: "2026-06-01" },
        { login: "late", plan: "pro", period_end: "2026-02-10", billing: "unpaid" },
      ],
    });
    const watermark = renewalWatermark(s.users.values());
    expect(periodsMayEnd(watermark, NOW)).toBe(false);
    const users = withCountingUsers(s);
    const { effects, ledger } = expectOk(renewDue(s, NOW, watermark));
    expect(users.walks).toBe(0);
    // The unpaid user is charged a fresh period from today, as a full pass would.
    expect(ledger.map((e) => [e.login, e.amount_cents])).toEqual([["late", -9000]]);
    expect(effects).toEqual([
      {
        type: "put_user",
        user: { ...userOf(s, "late"), billing: "ok", period_start: TODAY, period_end: "2027-03-01" },
      },
    ]);
    // On the day a period in good standing may end, every user is looked at.
    const due = new Date("2026-06-01T00:00:00Z");
    applyDecision(s, effects, ledger);
    noteRenewalEffects(watermark, effects);
    expect(periodsMayEnd(watermark, due)).toBe(true);
    const renewed = expectOk(renewDue(s, due, watermark));
    expect(users.walks).toBeGreaterThan(0);
    expect(renewed.ledger.map((e) => [e.login, e.amount_cents])).toEqual([["a", -9000]]);
  });

  it("skips an unpaid login the state no longer has", () => {
    const s = buildState({ users: [{ login: "a", plan: "pro", period_end: "2026-06-01" }] });
    const watermark = renewalWatermark(s.users.values());
    watermark.unpaid.add("gone");
    expect(renewDue(s, NOW, watermark)).toEqual({ ok: true, effects: [], ledger: [] });
  });
});
