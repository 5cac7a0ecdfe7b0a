import { describe, expect, it } from "vitest";
import { DEFAULT_CATALOG } from "../../src/domain/index.js";
import { reviewSeats, type SeatUser, withoutFindingsFor } from "../../src/plan/seat-review.js";

const NOW = new Date("2026-07-01T08:00:00Z");
const seat = (login: string, over: Partial<SeatUser> = {}): SeatUser => ({
  login,
  plan: "pro",
  role: "member",
  status: "active",
  last_login_at: null,
  created_at: "2026-01-01T10:00:00.000Z",
  ...over,
});

describe("reviewSeats", () => {
  const users = [
    seat("zed", { last_login_at: "2026-04-02T23:59:00.000Z" }), // 90 days before 2026-07-01
    seat("amy", { last_login_at: "2026-04-03T00:00:00.000Z" }), // 89 days
    seat("owner", { role: "org_admin" }),
    seat("new", { created_at: "2026-06-30T10:00:00.000Z" }),
    seat("off", { status: "disabled", plan: "ultra", last_login_at: "2026-01-05T00:00:00.000Z" }),
    seat("free", { plan: "free" }),
    seat("inv", { status: "invited", plan: "entry", invited_at: "2026-04-02T12:00:00.000Z" }),
    seat("inv2", { status: "invited", plan: "free", created_at: "2026-05-01T00:00:00.000Z" }),
  ];

  it("lists every user by login with the catalog's yearly price, and the total", () => {
    const review = reviewSeats(users, DEFAULT_CATALOG, "owner", NOW, 90);
    expect(review.users.map((u) => [u.login, u.yearly_cents, u.owner, u.invited_at])).toEqual([
      ["amy", 9000, false, null],
      ["free", 0, false, null],
      ["inv", 4200, false, "2026-04-02T12:00:00.000Z"],
      ["inv2", 0, false, "2026-05-01T00:00:00.000Z"],
      ["new", 9000, false, null],
      ["off", 30000, false, null],
      ["owner", 9000, true, null],
      ["zed", 9000, false, null],
    ]);
    expect(review.yearly_cost_cents).toBe(70200);
    expect(review.as_of).toBe("2026-07-01");
  });

  it("names paid seats idle for N whole days or more and invitations pending as long, never the owner or free seats", () => {
    const review = reviewSeats(users, DEFAULT_CATALOG, "owner", NOW, 90);
    expect(
      review.findings.map((f) => [f.kind, f.login, f.days, f.never_logged_in, f.yearly_savings_cents]),
    ).toEqual([
      ["stale_invitation", "inv", 90, true, 4200],
      ["inactive_paid_seat", "off", 177, false, 30000],
      ["inactive_paid_seat", "zed", 90, false, 9000],
    ]);
    expect(review.yearly_savings_cents).toBe(43200);
    expect(reviewSeats(users, DEFAULT_CATALOG, "owner", NOW, 91).findings.map((f) => f.login)).toEqual([
      "off",
    ]);
    // A user who never logged in counts from the account's creation.
    expect(
      reviewSeats(users, DEFAULT_CATALOG, "owner", NOW, 1).findings.find((f) => f.login === "new"),
    ).toMatchObject({ since: "2026-06-30T10:00:00.000Z", days: 1, never_logged_in: true });
  });

  it("drops the users a plan already handles, and their savings", () => {
    const review = withoutFindingsFor(
      reviewSeats(users, DEFAULT_CATALOG, "owner", NOW, 90),
      new Set(["off"]),
    );
    expect(review.findings.map((f) => f.login)).toEqual(["inv", "zed"]);
    expect(review.yearly_savings_cents).toBe(13200);
  });
});
