/**
 * One rule book: `validate` and the engine refuse the same inputs with the same code and sentence, because
 * both ask the same predicate in src/domain. Each test here fails if either side restates the rule and
 * drifts (another code, another sentence, another limit).
 */
import { describe, expect, it } from "vitest";
import { checkLogins } from "../../src/cli/logout.js";
import { checkConfig } from "../../src/config/check.js";
import { parseConfig } from "../../src/config/load.js";
import {
  DEFAULT_CATALOG,
  decide,
  keepsAdminFloor,
  MIN_ACTIVE_ORG_ADMINS,
  type Refusal,
  unknownOrgPlanRefusal,
} from "../../src/domain/index.js";
import { BY_OWNER, buildState, NOW, newUser, SYSTEM } from "../support/builders.js";

const HEADER = (orgPlan = "pro") => `version: 1
organization: { name: Acme, plan: ${orgPlan} }
users:
`;
const OWNER = `  - login: owner
    owner: true
    first_name: Org
    last_name: Owner
    email: owner@console.test
    plan: pro
    role: org_admin
`;
const user = (login: string, plan: string, role = "member") =>
  `  - { login: ${login}, first_name: B, last_name: C, email: ${login}@console.test, plan: ${plan}, role: ${role} }\n`;

function issuesOf(yaml: string) {
  const config = parseConfig(new TextEncoder().encode(yaml), "org.yaml");
  return checkConfig(config, DEFAULT_CATALOG).filter((i) => i.severity === "error");
}

const said = (refusal: Refusal) => `${refusal.code}: ${refusal.message}`;

function refusalOf(decision: ReturnType<typeof decide>): Refusal {
  if (decision.ok) throw new Error("expected a refusal");
  return decision.refusal;
}

describe("a plan that is not in the catalog", () => {
  it.each(["gold", "Pro", "enterprise"])("plan %s: validate says what the engine says", (plan) => {
    const state = buildState({ balance: 1_000_000 });
    const onCreate = refusalOf(
      decide(state, BY_OWNER, { op: "create_user", user: newUser("bob", { plan }) }, NOW),
    );
    const live = buildState({ users: [{ login: "bob", plan: "free" }] });
    const onChange = refusalOf(decide(live, BY_OWNER, { op: "change_plan", login: "bob", plan }, NOW));
    expect(said(onChange)).toBe(said(onCreate));
    const issues = issuesOf(`${HEADER()}${OWNER}${user("bob", plan)}`);
    expect(issues.map((i) => `${i.code}: ${i.message}`)).toEqual([said(onCreate)]);
    expect(issues[0]!.path).toBe("/users/1/plan");
  });

  it("an org plan: validate asks the domain's predicate", () => {
    const issues = issuesOf(`${HEADER("gold")}${OWNER}`);
    expect(issues.map((i) => `${i.code}: ${i.message}`)).toEqual([
      said(unknownOrgPlanRefusal(DEFAULT_CATALOG, "gold")!),
    ]);
    expect(unknownOrgPlanRefusal(DEFAULT_CATALOG, "pro")).toBeNull();
  });
});

describe("the admin floor", () => {
  it("is the same number for validate and the engine", () => {
    expect(MIN_ACTIVE_ORG_ADMINS).toBe(1);
    for (let active = 1; active <= 3; active += 1) {
      // The engine: `active` active org_admins (the owner first), the console demotes one of them.
      const others = Array.from({ length: active - 1 }, (_, i) => ({
        login: `admin${i}`,
        role: "org_admin" as const,
      }));
      const state = buildState({ users: others });
      const target = active > 1 ? "admin0" : "owner";
      const decision = decide(state, SYSTEM, { op: "change_role", login: target, role: "member" }, NOW);
      const engineRefuses = !decision.ok && decision.refusal.code === "last_org_admin";
      // validate: a file that lists the org_admins left after that demotion.
      const left = active - 1;
      const file =
        left === 0
          ? `${HEADER()}${OWNER.replace("role: org_admin", "role: member")}`
          : `${HEADER()}${OWNER}${others
              .slice(0, left - 1)
              .map((o) => user(o.login, "free", "org_admin"))
              .join("")}`;
      const validateRefuses = issuesOf(file).some((i) => i.code === "last_org_admin");
      expect([active, engineRefuses]).toEqual([active, validateRefuses]);
      expect(engineRefuses).toBe(!keepsAdminFloor(left));
    }
  });
});

describe("a login", () => {
  it.each(["bob", "b.o_b-1", "Bob", "-bob", "bob.", "a".repeat(64), "a".repeat(65), "bo b"])(
    "%s: orgctl logout accepts it exactly when the engine would create it",
    (login) => {
      const created = decide(buildState(), BY_OWNER, { op: "create_user", user: newUser(login) }, NOW);
      const engineRefuses = !created.ok && created.refusal.message.startsWith(`login ${login} is not valid`);
      let logoutRefuses = false;
      try {
        checkLogins([login]);
      } catch {
        logoutRefuses = true;
      }
      expect(logoutRefuses).toBe(engineRefuses);
    },
  );
});
