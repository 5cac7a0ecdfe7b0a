import { describe, expect, it } from "vitest";
import type { Plan } from "../../src/plan/model.js";
import { buildState, type UserSpec } from "../support/builders.js";
import { desiredOrg, desiredOwner, desiredUser, liveView, planFor } from "../support/plan-builders.js";

const order = (plan: Plan) => plan.steps.map((s) => [s.index, s.id, s.depends_on] as const);
const codes = (issues: { code: string; step_id?: string }[]) => issues.map((i) => i.code);

describe("an email change", () => {
  it("is a destructive replacement: disable and delete the old account, then create the new one", () => {
    const live = buildState({
      groups: [{ name: "eng", members: ["bob"] }],
      users: [{ login: "bob", plan: "pro" }],
    });
    const plan = planFor(
      desiredOrg({
        groups: ["eng"],
        users: [
          desiredOwner(),
          desiredUser("bob", { plan: "pro", email: "bob.new@console.test", groups: ["eng"] }),
        ],
      }),
      liveView(live),
    );
    expect(plan.errors).toEqual([]);
    expect(order(plan)).toEqual([
      [1, "user/bob:disable_user", []],
      [2, "user/bob:delete_user", ["user/bob:disable_user"]],
      [3, "user/bob:create_user", ["user/bob:delete_user"]],
    ]);
    expect(plan.steps.map((s) => [s.symbol, s.destructive, s.replaces, s.amount_cents])).toEqual([
      ["-/+", true, "bob", 0],
      ["-/+", true, "bob", Math.floor((9000 * 306) / 365)],
      ["-/+", false, "bob", -9000],
    ]);
    expect(plan.steps[2]!.operation).toMatchObject({
      op: "create_user",
      user: { email: "bob.new@console.test", groups: ["eng"] },
    });
    expect(plan.counts).toMatchObject({ create: 0, update: 0, delete: 0, replace: 1 });
  });

  it("of a user meant to stay disabled creates the new account and then disables it", () => {
    const live = buildState({ users: [{ login: "bob", plan: "pro" }] });
    const plan = planFor(
      desiredOrg({
        users: [
          desiredOwner(),
          desiredUser("bob", { plan: "pro", email: "bob.new@console.test", status: "disabled" }),
        ],
      }),
      liveView(live),
    );
    expect(plan.errors).toEqual([]);
    expect(order(plan)).toEqual([
      [1, "user/bob:disable_user", []],
      [2, "user/bob:delete_user", ["user/bob:disable_user"]],
      [3, "user/bob:create_user", ["user/bob:delete_user"]],
      [4, "user/bob:disable_user:new", ["user/bob:create_user"]],
    ]);
    expect(plan.steps[3]!.operation).toEqual({ op: "disable_user", login: "bob" });
    expect(plan.counts).toMatchObject({ create: 0, update: 0, delete: 0, replace: 1 });
  });

  it("of a protected user is an error, and plans nothing for that user", () => {
    const live = buildState({ users: [{ login: "bob", plan: "pro" }] });
    const plan = planFor(
      desiredOrg({
        users: [
          desiredOwner(),
          desiredUser("bob", { plan: "pro", email: "bob.new@console.test", protected: true }),
        ],
      }),
      liveView(live),
    );
    expect(plan.steps).toEqual([]);
    expect(plan.errors).toEqual([
      {
        code: "protected",
        message: "bob is protected; changing its email to bob.new@console.test would replace (delete) it",
        fix: "keep the email bob@console.test, or remove protected: true if you really mean to replace the account",
        source: "",
      },
    ]);
  });

  it("of the owner is refused (owner_protected) when another admin acts", () => {
    const live = buildState({ users: [{ login: "admin", role: "org_admin" }] });
    const plan = planFor(
      desiredOrg({
        users: [desiredOwner({ email: "boss@console.test" }), desiredUser("admin", { role: "org_admin" })],
      }),
      liveView(live, "admin"),
    );
    expect(plan.steps).toEqual([]);
    expect(codes(plan.errors)).toEqual(["owner_protected"]);
  });
});

describe("the acting user", () => {
  const live = () =>
    buildState({ users: [{ login: "admin", role: "org_admin" }, { login: "bob" }], balance: 100_000 });
  const others = [desiredOwner(), desiredUser("bob")];

  it("is never removed when missing from org.yaml: a warning, no step", () => {
    for (const removed_users of ["disable", "delete"] as const) {
      const plan = planFor(
        desiredOrg({ policy: { removed_users }, users: others }),
        liveView(live(), "admin"),
      );
      expect(plan.steps).toEqual([]);
      expect(plan.errors).toEqual([]);
      expect(plan.warnings.map((w) => [w.code, w.message, w.fix])).toEqual([
        [
          "self_action",
          "admin is not in org.yaml but stays: nobody may disable themselves; ask another admin",
          "run orgctl with another org_admin's token",
        ],
      ]);
    }
  });

  it("is never disabled, demoted or replaced: each is an error", () => {
    const cases = [
      { status: "disabled" as const },
      { role: "member" as const },
      { email: "admin2@console.test" },
    ];
    for (const change of cases) {
      const plan = planFor(
        desiredOrg({ users: [...others, desiredUser("admin", { role: "org_admin", ...change })] }),
        liveView(live(), "admin"),
      );
      expect(plan.steps).toEqual([]);
      expect(codes(plan.errors)).toEqual(["self_action"]);
    }
  });

  it("the owner is never pruned, even by another admin", () => {
    const plan = planFor(
      desiredOrg({
        policy: { removed_users: "delete" },
        users: [desiredUser("admin", { role: "org_admin" })],
      }),
      liveView(live(), "admin"),
    );
    expect(plan.errors).toEqual([]);
    expect(order(plan)).toEqual([
      [1, "user/bob:disable_user", []],
      [2, "user/bob:delete_user", ["user/bob:disable_user"]],
    ]);
    expect(plan.warnings.map((w) => w.code)).toEqual(["owner_protected"]);
  });
});

describe("the removal threshold", () => {
  const nine: UserSpec[] = Array.from({ length: 9 }, (_, i) => ({ login: `u${i}` }));
  const keep = (n: number) => [desiredOwner(), ...nine.slice(0, n).map((u) => desiredUser(u.login))];

  it("refuses to remove more than 25% of 10 or more users", () => {
    const plan = planFor(desiredOrg({ users: keep(6) }), liveView(buildState({ users: nine })));
    expect(plan.errors).toEqual([
      {
        code: "removal_threshold",
        message: "this plan would delete, disable or replace 3 of 10 users (more than 25%)",
        fix: "check org.yaml; if this is really meant, run again with --force",
      },
    ]);
    expect(plan.steps.map((s) => s.id)).toEqual([
      "user/u6:disable_user",
      "user/u7:disable_user",
      "user/u8:disable_user",
    ]);
  });

  it("counts disabling in org.yaml as a removal too", () => {
    const users = keep(9).map((u) =>
      ["u0", "u1", "u2"].includes(u.login) ? { ...u, status: "disabled" as const } : u,
    );
    const plan = planFor(desiredOrg({ users }), liveView(buildState({ users: nine })));
    expect(codes(plan.errors)).toEqual(["removal_threshold"]);
  });

  it("is lifted by force", () => {
    const plan = planFor(desiredOrg({ users: keep(6) }), liveView(buildState({ users: nine })), {
      force: true,
    });
    expect(plan.errors).toEqual([]);
    expect(plan.steps).toHaveLength(3);
  });

  it("allows 25% or less, and any share below the minimum number of users", () => {
    const quarter = planFor(desiredOrg({ users: keep(7) }), liveView(buildState({ users: nine })));
    expect(quarter.errors).toEqual([]);
    const small = planFor(desiredOrg({ users: keep(5) }), liveView(buildState({ users: nine.slice(0, 8) })));
    expect(small.errors).toEqual([]);
    expect(small.steps).toHaveLength(3);
  });
});

describe("refusals predicted at plan time", () => {
  it("forbidden: a user_admin cannot create an org_admin", () => {
    const live = buildState({ users: [{ login: "ua", role: "user_admin" }] });
    const plan = planFor(
      desiredOrg({
        users: [
          desiredOwner(),
          desiredUser("ua", { role: "user_admin" }),
          desiredUser("boss", { role: "org_admin" }),
          desiredUser("mem"),
        ],
      }),
      liveView(live, "ua"),
    );
    expect(order(plan)).toEqual([[1, "user/mem:create_user", []]]);
    expect(plan.errors).toEqual([
      {
        code: "forbidden",
        message:
          "step 2 (create user boss <boss@console.test> on free as org_admin (invited)) would be refused: a user_admin may not create user on users who are not plain members",
        fix: "run orgctl with a token of a user whose role may do this (see Roles in the README)",
        step_id: "user/boss:create_user",
      },
    ]);
  });

  it("seat_limit: the entry org plan has 2 paid seats", () => {
    const live = buildState({ orgPlan: "entry" });
    const plan = planFor(
      desiredOrg({
        users: [desiredOwner(), desiredUser("bob", { plan: "entry" }), desiredUser("cat", { plan: "entry" })],
      }),
      liveView(live),
    );
    expect(order(plan)).toEqual([[1, "user/bob:create_user", []]]);
    expect(plan.errors.map((e) => [e.code, e.step_id, e.fix])).toEqual([
      [
        "seat_limit",
        "user/cat:create_user",
        "remove users, move users between free and paid plans, or move to a larger org plan",
      ],
    ]);
    expect(plan.errors[0]!.message).toBe(
      "step 2 (create user cat <cat@console.test> on entry as member (invited)) would be refused: " +
        "3 users on paid plans but the entry org plan has 2 paid seats; move users to the free plan, " +
        "remove some, or choose a larger org plan",
    );
  });

  it("alias_permanent: a provider-domain alias dropped from org.yaml is drift to report, not an error", () => {
    const live = buildState({ users: [{ login: "al", plan: "entry", aliases: ["al.x@console.test"] }] });
    const plan = planFor(
      desiredOrg({
        users: [desiredOwner(), desiredUser("al", { plan: "entry", first_name: "Albert" })],
      }),
      liveView(live),
    );
    // The rest of the plan goes ahead.
    expect(plan.errors).toEqual([]);
    expect(plan.steps.map((s) => s.id)).toEqual(["user/al:update_user"]);
    expect(plan.warnings).toEqual([
      {
        code: "alias_permanent",
        message:
          "al.x@console.test is on the provider domain; such aliases stay with the user until the user is deleted (an alias of al in the console, not in org.yaml)",
        fix: "list al.x@console.test among al's aliases in org.yaml: it goes only when al is deleted",
        source: "",
        drift: true,
      },
    ]);
  });

  it("another org plan in org.yaml is a planned change, not an error (organization.plan is managed)", () => {
    const plan = planFor(desiredOrg({ organization: { plan: "ultra" } }), liveView(buildState()));
    expect(codes(plan.errors)).toEqual([]);
    expect(plan.steps.map((s) => s.operation)).toEqual([{ op: "change_org_plan", plan: "ultra" }]);
  });
});

describe("the owner", () => {
  it("marked on another user than the console's owner is a plan error", () => {
    const live = buildState({ users: [{ login: "bob", plan: "pro", role: "org_admin" }] });
    const plan = planFor(
      desiredOrg({
        users: [
          { ...desiredOwner(), owner: false },
          desiredUser("bob", { plan: "pro", role: "org_admin", owner: true }),
        ],
      }),
      liveView(live),
    );
    expect(codes(plan.errors)).toEqual(["owner_protected"]);
    expect(plan.errors[0]!.message).toContain("the console's owner is owner");
  });

  it("marked on the console's owner is fine", () => {
    const live = buildState({ users: [{ login: "bob", plan: "pro", role: "org_admin" }] });
    const plan = planFor(
      desiredOrg({
        users: [{ ...desiredOwner(), owner: true }, desiredUser("bob", { plan: "pro", role: "org_admin" })],
      }),
      liveView(live),
    );
    expect(plan.errors).toEqual([]);
  });
});

describe("logins never change", () => {
  it("a live mailbox under a new login is refused as a rename, saying so, not as address_taken", () => {
    const live = buildState({ users: [{ login: "tom", plan: "free", email: "tom@console.test" }] });
    const plan = planFor(
      desiredOrg({ users: [desiredOwner(), desiredUser("thomas", { email: "tom@console.test" })] }),
      liveView(live),
    );
    expect(plan.errors.map((e) => e.code)).toEqual(["login_immutable"]);
    expect(plan.errors[0]!.message).toBe(
      "logins never change: tom@console.test is tom's mailbox in the console, and org.yaml names it thomas",
    );
    expect(plan.errors[0]!.fix).toContain("keep login: tom in org.yaml");
  });
});
