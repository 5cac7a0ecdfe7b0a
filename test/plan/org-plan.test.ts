/**
 * organization.plan is managed: the planner plans `change_org_plan`, priced by the engine, and the scheduler's
 * simulation orders it by the room it gives or takes: an upgrade before the users and domains that need it, a
 * downgrade after the removals that make it fit, and an error with the exact overflow when nothing does.
 */
import { describe, expect, it } from "vitest";
import type { Plan } from "../../src/plan/model.js";
import { renderJson } from "../../src/render/json.js";
import { renderText } from "../../src/render/text.js";
import { buildState, type UserSpec } from "../support/builders.js";
import { desiredOrg, desiredOwner, desiredUser, liveView, planFor } from "../support/plan-builders.js";

const ORG_STEP = "org/organization:change_org_plan";
const ids = (plan: Plan) => plan.steps.map((s) => s.id);
const stepOf = (plan: Plan, id: string) => {
  const step = plan.steps.find((s) => s.id === id);
  if (!step) throw new Error(`no step ${id} in ${ids(plan).join(", ")}`);
  return step;
};
const paidUsers = (n: number, prefix = "p"): UserSpec[] =>
  Array.from({ length: n }, (_, i) => ({ login: `${prefix}${i}`, plan: "entry" }));

// The built org's period ends 2027-01-01: on NOW (2026-03-01) 306 days are left.
describe("an upgrade", () => {
  it("runs before the users that need its seats, and is priced to the cent", () => {
    // entry allows 2 paid seats: the owner (pro) and p0 use them; p1 and p2 need pro's.
    const live = buildState({ orgPlan: "entry", users: paidUsers(1) });
    const desired = desiredOrg({
      organization: { plan: "pro" },
      users: [desiredOwner(), ...["p0", "p1", "p2"].map((l) => desiredUser(l, { plan: "entry" }))],
    });
    const plan = planFor(desired, liveView(live));
    expect(plan.errors).toEqual([]);
    expect(ids(plan)).toEqual([ORG_STEP, "user/p1:create_user", "user/p2:create_user"]);
    const org = stepOf(plan, ORG_STEP);
    // 12000 * 306 / 365 = 10060.27 → 10061 charged.
    expect(org).toMatchObject({
      action: "change_org_plan",
      kind: "org",
      key: "organization",
      symbol: "~",
      destructive: false,
      operation: { op: "change_org_plan", plan: "pro" },
      amount_cents: -10061,
      changes: [{ path: "/plan", from: "entry", to: "pro" }],
      depends_on: [],
    });
    for (const login of ["p1", "p2"])
      expect(stepOf(plan, `user/${login}:create_user`).depends_on).toContain(ORG_STEP);
    expect(plan.money.org_plan).toEqual({
      from: "entry",
      to: "pro",
      amount_cents: -10061,
      yearly_fee_before_cents: 0,
      yearly_fee_after_cents: 12000,
    });
    expect(plan.money.charges_cents).toBe(10061 + 2 * 4200);
    // Yearly cost: the users' plans and the org plan's fee.
    expect(plan.money.yearly_cost_before_cents).toBe(9000 + 4200);
    expect(plan.money.yearly_cost_after_cents).toBe(12000 + 9000 + 3 * 4200);
  });

  it("runs before a domain that needs its slot", () => {
    const live = buildState({ orgPlan: "entry", domains: ["a.example"] });
    const desired = desiredOrg({ organization: { plan: "pro" }, domains: ["a.example", "b.example"] });
    const plan = planFor(desired, liveView(live));
    expect(plan.errors).toEqual([]);
    expect(stepOf(plan, "domain/b.example:create_domain").depends_on).toContain(ORG_STEP);
  });

  it("that the wallet cannot pay is insufficient_funds, with the shortfall", () => {
    const live = buildState({ orgPlan: "entry", balance: 10_000 });
    const plan = planFor(desiredOrg({ organization: { plan: "pro" } }), liveView(live));
    expect(plan.errors).toMatchObject([{ code: "insufficient_funds", step_id: ORG_STEP }]);
    expect(plan.errors[0]!.message).toBe("wallet short by €0.61 at step 1 (change org plan: entry → pro)");
    expect(plan.money.shortfall_cents).toBe(61);
  });

  it("nothing to do when the console already has org.yaml's org plan, or org.yaml names none", () => {
    const live = buildState({ orgPlan: "pro" });
    expect(planFor(desiredOrg({ organization: { plan: "pro" } }), liveView(live)).steps).toEqual([]);
    expect(planFor(desiredOrg(), liveView(live)).steps).toEqual([]);
  });
});

describe("a downgrade", () => {
  it("runs after the removals that make it fit, and refunds to the cent", () => {
    // pro → entry: the owner and p0..p2 use 4 paid seats; org.yaml keeps the owner and p0 (2 seats).
    const live = buildState({ orgPlan: "pro", users: paidUsers(3) });
    const desired = desiredOrg({
      organization: { plan: "entry" },
      policy: { removed_users: "delete" },
      users: [desiredOwner(), desiredUser("p0", { plan: "entry" })],
    });
    const plan = planFor(desired, liveView(live));
    expect(plan.errors).toEqual([]);
    const org = stepOf(plan, ORG_STEP);
    expect(org.depends_on).toEqual(["user/p1:delete_user", "user/p2:delete_user"]);
    expect(org.index).toBe(plan.steps.length);
    // floor(12000 * 306 / 365) = 10060 refunded.
    expect(org.amount_cents).toBe(10060);
    expect(plan.money.org_plan).toMatchObject({ from: "pro", to: "entry", amount_cents: 10060 });
  });

  it("waits only for the removals it needs: one freed seat is enough for a single overflow", () => {
    const live = buildState({ orgPlan: "pro", users: paidUsers(2) });
    const desired = desiredOrg({
      organization: { plan: "entry" },
      policy: { removed_users: "delete" },
      users: [desiredOwner(), desiredUser("p0", { plan: "entry" })],
    });
    const plan = planFor(desired, liveView(live));
    expect(plan.errors).toEqual([]);
    expect(stepOf(plan, ORG_STEP).depends_on).toEqual(["user/p1:delete_user"]);
  });

  it("that cannot fit even after the plan's removals is refused with the exact overflow", () => {
    // ultra → entry: 193 paid seats (the owner and p0..p191); the plan removes none of them.
    const live = buildState({ orgPlan: "ultra", users: paidUsers(192) });
    const desired = desiredOrg({
      organization: { plan: "entry" },
      users: [
        desiredOwner(),
        ...Array.from({ length: 192 }, (_, i) => desiredUser(`p${i}`, { plan: "entry" })),
      ],
    });
    const plan = planFor(desired, liveView(live));
    expect(plan.steps).toEqual([]);
    expect(plan.errors).toEqual([
      {
        code: "org_plan_limit",
        message:
          "step 1 (change org plan: ultra → entry) would be refused: the organization does not fit the entry org plan: 193 paid seats used, entry allows 2; remove users or domains first, or keep a larger org plan",
        fix: "remove users or domains (or move users between free and paid plans) until the organization fits, or keep a larger org plan",
        step_id: ORG_STEP,
      },
    ]);
  });

  it("disabling is not enough: a disabled user still holds its seat", () => {
    const live = buildState({ orgPlan: "pro", users: paidUsers(2) });
    const desired = desiredOrg({
      organization: { plan: "entry" },
      policy: { removed_users: "disable" },
      users: [desiredOwner(), desiredUser("p0", { plan: "entry" })],
    });
    const plan = planFor(desired, liveView(live));
    expect(plan.errors.map((e) => e.code)).toEqual(["org_plan_limit"]);
    expect(plan.errors[0]!.message).toContain("3 paid seats used, entry allows 2");
  });

  it("after a domain removal that frees its slot", () => {
    const live = buildState({ orgPlan: "pro", domains: ["a.example", "b.example"] });
    const desired = desiredOrg({ organization: { plan: "entry" }, domains: ["a.example"] });
    const plan = planFor(desired, liveView(live));
    expect(plan.errors).toEqual([]);
    expect(stepOf(plan, ORG_STEP).depends_on).toEqual(["domain/b.example:delete_domain"]);
  });
});

describe("renderers show the org plan change", () => {
  it("text: the step (old → new) and the cost summary's org plan line; JSON: money.org_plan", () => {
    const live = buildState({ orgPlan: "pro" });
    const plan = planFor(desiredOrg({ organization: { plan: "ultra" } }), liveView(live));
    const text = renderText(plan, { color: false });
    expect(text).toContain("~ change org plan: pro → ultra");
    expect(text).toContain("~ /plan: pro → ultra");
    // 36000 * 306 / 365 = 30180.82 → 30181.
    expect(text).toContain("Org plan:        pro → ultra, charge €301.81 (yearly fee €120.00 → €480.00)");
    const json = JSON.parse(renderJson(plan)) as Plan;
    expect(json.money.org_plan).toEqual({
      from: "pro",
      to: "ultra",
      amount_cents: -30181,
      yearly_fee_before_cents: 12000,
      yearly_fee_after_cents: 48000,
    });
  });
});
