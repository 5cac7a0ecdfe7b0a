/**
 * The order of steps that would all pass in any order (src/plan/schedule.ts `rankOf`, `tieRank`): a generous
 * wallet, free seats and spare admins, so no step is ever refused and waits. The plan then runs what frees
 * something (money, a seat, an admin, a domain slot, an address) first, neutral steps next, and what uses
 * something last; within each, removals before changes before creates; then by kind and key. The order is
 * what a reviewer reads and what the lowest balance of the plan depends on, so it is pinned here.
 */
import { describe, expect, it } from "vitest";
import { buildState } from "../support/builders.js";
import { desiredOrg, desiredOwner, desiredUser, liveView, planFor } from "../support/plan-builders.js";

describe("steps that could run in any order", () => {
  it("free first, neutral next, use last; removals, then changes, then creates", () => {
    const live = buildState({
      orgPlan: "ultra",
      balance: 1_000_000,
      users: [
        { login: "down", plan: "pro" },
        { login: "up", plan: "entry" },
        { login: "boss", role: "org_admin", plan: "entry" },
        { login: "made", plan: "entry" },
        { login: "staff", plan: "entry" },
        { login: "back", plan: "entry", status: "disabled" },
        { login: "adm", plan: "entry", role: "org_admin", status: "disabled" },
        { login: "leave", plan: "entry" },
        { login: "side", plan: "entry", role: "org_admin" },
      ],
      domains: ["old.example"],
      groups: [{ name: "gone" }, { name: "crew", members: ["staff"] }],
    });
    const plan = planFor(
      desiredOrg({
        domains: ["new.example"],
        groups: ["crew", "eng"],
        users: [
          desiredOwner(),
          desiredUser("down", { plan: "entry" }),
          desiredUser("up", { plan: "pro" }),
          desiredUser("boss", { plan: "entry" }),
          desiredUser("made", { plan: "entry", role: "org_admin" }),
          desiredUser("staff", { plan: "entry", role: "user_admin" }),
          desiredUser("back", { plan: "entry" }),
          desiredUser("adm", { plan: "entry", role: "org_admin" }),
          desiredUser("side", { plan: "entry", role: "org_admin", status: "disabled" }),
          desiredUser("new", { plan: "entry" }),
        ],
      }),
      liveView(live),
      { force: true },
    );
    expect(plan.errors).toEqual([]);
    expect(plan.steps.map((s) => s.id)).toEqual([
      // Free something: a domain slot (a removal first), an admin, money, an admin.
      "domain/old.example:delete_domain",
      "user/adm:enable_user",
      "user/down:change_plan",
      "user/made:change_role",
      // Neutral: removals (a user before a membership), a group removal, then changes and creates by kind and key.
      "user/leave:disable_user",
      "membership/crew/staff:remove_member",
      "group/gone:delete_group",
      "group/eng:create_group",
      "user/back:enable_user",
      "user/staff:change_role",
      // Use something: an admin (a removal first), a domain slot, an admin, money, then the new user.
      "user/side:disable_user",
      "domain/new.example:create_domain",
      "user/boss:change_role",
      "user/up:change_plan",
      "user/new:create_user",
    ]);
  });
});
