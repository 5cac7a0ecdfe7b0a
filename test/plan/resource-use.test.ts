/**
 * The counted resources behind `depends_on` (src/plan/schedule.ts `resourceUse`, src/plan/resources.ts
 * `countedDeps`), pinned on small hand-made decisions: the planner's properties check them only through
 * whole plans, and a wrong count there rarely shows in a few random runs.
 */
import { describe, expect, it } from "vitest";
import { type ConsoleState, decide, type Operation } from "../../src/domain/index.js";
import { countedDeps, type Resource, type ResourceUse } from "../../src/plan/resources.js";
import { resourceUse } from "../../src/plan/schedule.js";
import { BY_OWNER, buildState, expectOk, NOW, newUser } from "../support/builders.js";

const live = () =>
  buildState({
    orgPlan: "pro",
    balance: 100_000,
    domains: ["old.example"],
    users: [
      { login: "al", plan: "entry" },
      { login: "fr" },
      { login: "gone", status: "disabled" },
      { login: "boss", role: "org_admin", plan: "entry" },
      { login: "off", role: "org_admin", plan: "entry", status: "disabled" },
      { login: "ua", role: "user_admin" },
    ],
  });

/** The resource use of `operation` decided on a fresh live state, sorted by resource for comparison. */
function useOf(operation: Operation, state: ConsoleState = live()): ResourceUse {
  const decision = decide(state, BY_OWNER, operation, NOW);
  if (!decision.ok) expect.fail(`${operation.op} refused: ${decision.refusal.code}`);
  return resourceUse(state, decision);
}

describe("resourceUse: how a decision moves each counted resource (positive frees it)", () => {
  it("a paid user created uses money and a paid seat; a free one only a free seat", () => {
    const s = live();
    const charge = expectOk(
      decide(s, BY_OWNER, { op: "create_user", user: newUser("nu", { plan: "entry" }) }, NOW),
    ).ledger[0]!.amount_cents;
    expect(charge).toBeLessThan(0);
    expect(useOf({ op: "create_user", user: newUser("nu", { plan: "entry" }) })).toEqual([
      ["money", charge],
      ["paid_seats", -1],
    ]);
    expect(useOf({ op: "create_user", user: newUser("nu") })).toEqual([["free_seats", -1]]);
  });

  it("an org_admin created with a password is an active admin; invited, it counts only as an org_admin", () => {
    expect(useOf({ op: "create_user", user: newUser("na", { role: "org_admin" }) })).toEqual([
      ["free_seats", -1],
      ["admins", 1],
      ["org_admins", 1],
    ]);
    const { password_hash: _, ...invited } = newUser("ni", { role: "org_admin" });
    expect(useOf({ op: "create_user", user: invited })).toEqual([
      ["free_seats", -1],
      ["org_admins", 1],
    ]);
  });

  it("deleting a disabled paid org_admin refunds and frees a paid seat, no admin; a free member a free seat", () => {
    const refund = expectOk(decide(live(), BY_OWNER, { op: "delete_user", login: "off" }, NOW)).ledger[0]!
      .amount_cents;
    expect(refund).toBeGreaterThan(0);
    expect(useOf({ op: "delete_user", login: "off" })).toEqual([
      ["money", refund],
      ["paid_seats", 1],
    ]);
    expect(useOf({ op: "delete_user", login: "gone" })).toEqual([["free_seats", 1]]);
  });

  it("disabling an active org_admin uses an admin and an org_admin, but keeps the seat", () => {
    expect(useOf({ op: "disable_user", login: "boss" })).toEqual([
      ["admins", -1],
      ["org_admins", -1],
    ]);
  });

  it("enabling a disabled org_admin frees both; promoting a member too, demoting uses both", () => {
    expect(useOf({ op: "enable_user", login: "off" })).toEqual([
      ["admins", 1],
      ["org_admins", 1],
    ]);
    expect(useOf({ op: "change_role", login: "fr", role: "org_admin" })).toEqual([
      ["admins", 1],
      ["org_admins", 1],
    ]);
    expect(useOf({ op: "change_role", login: "boss", role: "member" })).toEqual([
      ["admins", -1],
      ["org_admins", -1],
    ]);
    expect(useOf({ op: "change_role", login: "ua", role: "billing_admin" })).toEqual([]);
  });

  it("a plan change moves a seat from one kind to the other, with its money", () => {
    const s = live();
    const charge = expectOk(decide(s, BY_OWNER, { op: "change_plan", login: "fr", plan: "entry" }, NOW))
      .ledger[0]!.amount_cents;
    expect(useOf({ op: "change_plan", login: "fr", plan: "entry" })).toEqual([
      ["money", charge],
      ["paid_seats", -1],
      ["free_seats", 1],
    ]);
    const refund = expectOk(decide(s, BY_OWNER, { op: "change_plan", login: "al", plan: "free" }, NOW))
      .ledger[0]!.amount_cents;
    expect(refund).toBeGreaterThan(0);
    expect(useOf({ op: "change_plan", login: "al", plan: "free" })).toEqual([
      ["money", refund],
      ["paid_seats", 1],
      ["free_seats", -1],
    ]);
  });

  it("a new domain uses a domain slot, a deleted one frees it, verifying one moves nothing", () => {
    expect(useOf({ op: "create_domain", name: "new.example", verification_token: "t" })).toEqual([
      ["domains", -1],
    ]);
    expect(useOf({ op: "delete_domain", name: "old.example" })).toEqual([["domains", 1]]);
    const pending = buildState({ domains: [{ name: "p.example", status: "pending" }] });
    expect(useOf({ op: "verify_domain", name: "p.example" }, pending)).toEqual([]);
  });

  it("deleting a group named like a domain frees no domain slot", () => {
    const s = buildState({ domains: ["acme.example"], groups: [{ name: "acme.example" }] });
    expect(useOf({ op: "delete_group", name: "acme.example" }, s)).toEqual([]);
  });

  it("a top-up frees money; a name change moves nothing", () => {
    expect(useOf({ op: "top_up", amount_cents: 500, method: "test" })).toEqual([["money", 500]]);
    expect(useOf({ op: "update_user", login: "al", first_name: "Al" })).toEqual([]);
  });

  it("an org plan upgrade frees the room it adds, and moves its money", () => {
    const s = live();
    const charge = expectOk(decide(s, BY_OWNER, { op: "change_org_plan", plan: "ultra" }, NOW)).ledger[0]!
      .amount_cents;
    expect(useOf({ op: "change_org_plan", plan: "ultra" })).toEqual([
      ["money", charge],
      ["paid_seats", 800],
      ["domains", 7],
    ]);
  });
});

const NO_ROOM: Record<Resource, number> = {
  money: 0,
  paid_seats: 0,
  free_seats: 0,
  admins: 0,
  org_admins: 0,
  domains: 0,
};
const money = (...amounts: number[]): ResourceUse[] => amounts.map((a) => (a === 0 ? [] : [["money", a]]));
const deps = (needs: Set<number>[]) => needs.map((n) => [...n].sort((a, b) => a - b));

describe("countedDeps: which earlier freeing steps each user of room waits for", () => {
  it("a use the room covers, exactly, waits for nothing", () => {
    expect(deps(countedDeps({ ...NO_ROOM, money: 5 }, money(1, -5)))).toEqual([[], []]);
  });

  it("one cent past the room waits for a freeing step", () => {
    expect(deps(countedDeps({ ...NO_ROOM, money: 4 }, money(1, -5)))).toEqual([[], [0]]);
  });

  it("the largest freeing step is chosen first, then the earliest among equals", () => {
    expect(deps(countedDeps(NO_ROOM, money(5, 10, -5)))).toEqual([[], [], [1]]);
    expect(deps(countedDeps(NO_ROOM, money(5, 5, -5)))).toEqual([[], [], [0]]);
    expect(deps(countedDeps(NO_ROOM, money(5, 10, -12)))).toEqual([[], [], [0, 1]]);
    // Three equal frees: the two earliest, not the one the heap happens to hold at its top.
    expect(deps(countedDeps(NO_ROOM, money(5, 5, 5, -10)))).toEqual([[], [], [], [0, 1]]);
    // A smaller earlier free is never taken before a larger later one.
    expect(deps(countedDeps(NO_ROOM, money(3, 10, 5, -15)))).toEqual([[], [], [], [1, 2]]);
  });

  it("a later user waits for the whole level of the users before it, even when it fits alone", () => {
    expect(deps(countedDeps({ ...NO_ROOM, money: 10 }, money(5, -12, -1)))).toEqual([[], [0], [0]]);
  });

  it("a level only grows, by freeing steps done before the user", () => {
    expect(deps(countedDeps(NO_ROOM, money(3, -3, 3, -3)))).toEqual([[], [0], [], [0, 2]]);
  });

  it("a freeing step after a user is never its dependency", () => {
    expect(deps(countedDeps({ ...NO_ROOM, money: 5 }, money(-5, 5, -5)))).toEqual([[], [], [1]]);
  });

  it("each resource is counted on its own", () => {
    const uses: ResourceUse[] = [
      [["paid_seats", 1]],
      [["free_seats", 1]],
      [
        ["paid_seats", -1],
        ["money", -1],
      ],
      [["free_seats", -1]],
    ];
    expect(deps(countedDeps({ ...NO_ROOM, money: 1 }, uses))).toEqual([[], [], [0], [1]]);
  });
});
