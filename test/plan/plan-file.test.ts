/**
 * A plan file is checked against the schema and then against the step table: each step must be what the
 * planner makes of its operation. These cases need no console (the e2e test proves nothing is sent).
 */
import { describe, expect, it } from "vitest";
import type { Plan } from "../../src/plan/model.js";
import { checkPlanFile, formatPlanFileProblem } from "../../src/plan/plan-file.js";
import { planSchemaErrors } from "../../src/plan/plan-schema.js";
import { renderJson } from "../../src/render/json.js";
import { buildState } from "../support/builders.js";
import { desiredOrg, desiredOwner, desiredUser, liveView, planFor } from "../support/plan-builders.js";

function savedPlan(): Plan {
  const live = buildState({
    users: [
      { login: "bob", plan: "entry" },
      { login: "gone", plan: "free" },
    ],
  });
  const plan = planFor(
    desiredOrg({
      groups: ["eng"],
      users: [desiredOwner(), desiredUser("bob", { plan: "pro", groups: ["eng"] })],
    }),
    liveView(live),
  );
  return JSON.parse(renderJson(plan)) as Plan;
}

const problems = (plan: unknown) => checkPlanFile(plan, planSchemaErrors).map(formatPlanFileProblem);
const stepOf = (plan: Plan, action: string) => plan.steps.find((s) => s.action === action)!;

describe("a saved plan file", () => {
  it("is accepted as orgctl wrote it", () => {
    const plan = savedPlan();
    expect(plan.steps.map((s) => s.action).sort()).toEqual([
      "add_member",
      "change_plan",
      "create_group",
      "disable_user",
    ]);
    expect(problems(plan)).toEqual([]);
  });

  it("is refused when a step's kind, key, id, symbol or destructive flag is not its operation's", () => {
    const cases: [(plan: Plan) => void, RegExp][] = [
      [
        (p) => {
          stepOf(p, "change_plan").kind = "group";
        },
        /kind: a change_plan step is about a user/,
      ],
      [
        (p) => {
          stepOf(p, "change_plan").key = "owner";
        },
        /key: the step is about "owner"/,
      ],
      [
        (p) => {
          stepOf(p, "create_group").id = "group/eng:x";
        },
        /id: a create_group of "eng" has the id/,
      ],
      [
        (p) => {
          stepOf(p, "create_group").symbol = "-";
        },
        /symbol: a create_group step shows as \+/,
      ],
      [
        (p) => {
          stepOf(p, "disable_user").symbol = "+";
        },
        /symbol: a disable_user step shows as ~/,
      ],
      [
        (p) => {
          const s = stepOf(p, "add_member");
          s.operation = { op: "delete_group", name: "eng" };
          s.action = "delete_group";
          s.destructive = false;
        },
        /kind: a delete_group step is about a group/,
      ],
    ];
    for (const [tamper, says] of cases) {
      const plan = savedPlan();
      tamper(plan);
      expect(problems(plan).join("\n")).toMatch(says);
    }
  });

  it("is refused when a destructive step is marked harmless", () => {
    const plan = savedPlan();
    const step = stepOf(plan, "create_group");
    step.operation = { op: "delete_group", name: "eng" };
    step.action = "delete_group";
    step.id = "group/eng:delete_group";
    step.symbol = "-";
    step.destructive = false;
    expect(problems(plan)).toContain(
      `step ${step.index} (group/eng:delete_group) destructive: a delete_group step is destructive`,
    );
  });

  it("names each step whose operation is unknown or malformed, without repeating the value", () => {
    const plan = savedPlan();
    const unknown = stepOf(plan, "create_group");
    const malformed = stepOf(plan, "change_plan");
    (unknown.operation as { op: string }).op = "make_me_owner";
    (malformed.operation as { login: string }).login = "SECRET-looking/../value";
    const found = problems(plan);
    expect(found).toHaveLength(2);
    expect(found).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^step ${unknown.index} \\(group/eng:create_group\\) operation/op: must be one of update_org`,
        ),
      ),
    );
    expect(found).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^step ${malformed.index} \\(user/bob:change_plan\\) operation/login: is not in the form orgctl writes`,
        ),
      ),
    );
    expect(found.join("\n")).not.toContain("SECRET-looking");
  });
});
