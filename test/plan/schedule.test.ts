/**
 * The scheduler on hand-made steps (src/plan/schedule.ts `schedule`): the rank that orders steps that could
 * run in any order (`rankOf`, `tieRank`), and the wake-up of a refused step by the step that gives it what it
 * was refused for (`wakeKeysOf`). A refused step is tried again by the final sweep anyway, so a wake-up shows
 * only in the order: a woken step runs before the ready steps that rank after it, a step never woken after
 * them. Each case below has such a step (`zz`, created last).
 */
import { describe, expect, it } from "vitest";
import {
  type ConsoleState,
  DEFAULT_CATALOG,
  type Operation,
  type RequestedOperationOf,
} from "../../src/domain/index.js";
import { type DraftStep, stepId } from "../../src/plan/diff/context.js";
import { schedule } from "../../src/plan/schedule.js";
import { type PlannedOperationName, shapeOf } from "../../src/plan/step-kinds.js";
import { BY_OWNER, buildState, NOW, newUser } from "../support/builders.js";

/** A step as the diff would add it, with the ids it depends on. */
function draft(operation: Operation, deps: string[] = []): DraftStep {
  const shape = shapeOf(operation as RequestedOperationOf<PlannedOperationName>);
  return {
    ...shape,
    id: stepId(shape.kind, shape.key, shape.action),
    summary: "",
    operation,
    secret: null,
    deps: new Set(deps),
  };
}

function run(state: ConsoleState, steps: DraftStep[]) {
  const result = schedule(state, BY_OWNER, steps, NOW);
  return {
    order: result.order.map((s) => s.draft.id),
    failed: result.failed.map((f) => `${f.draft.id} ${f.refusal.code}`),
    skipped: result.skipped.map((s) => s.id),
  };
}

describe("rankOf and tieRank: what frees first, what uses last; removals, changes, creates within each", () => {
  it("orders steps that all pass by their class and tie rank, whatever their kind and key", () => {
    const live = buildState({
      orgPlan: "ultra",
      balance: 1_000_000,
      catalog: {
        ...DEFAULT_CATALOG,
        plans: [...DEFAULT_CATALOG.plans, { name: "pro2", price_cents: 9000, aliases: 50, storage_mb: 1 }],
      },
      domains: ["acme.example", "old.example"],
      groups: [{ name: "gone" }, { name: "crew", members: ["zmem"] }],
      users: [
        { login: "zdel", status: "disabled" },
        { login: "zal", plan: "pro", aliases: ["x@acme.example"] },
        { login: "zdown", plan: "pro" },
        { login: "zpromo", plan: "entry" },
        { login: "zadm", plan: "entry", role: "org_admin", status: "disabled" },
        { login: "zmem" },
        { login: "zrole" },
        { login: "zupd" },
        { login: "zsame", plan: "pro" },
        { login: "zoff", plan: "entry", role: "org_admin" },
        { login: "zdemote", plan: "entry", role: "org_admin" },
        { login: "zup", plan: "entry" },
      ],
    });
    const steps = [
      draft({ op: "create_user", user: newUser("anew") }),
      draft({ op: "create_domain", name: "new.example", verification_token: "t" }),
      draft({ op: "change_plan", login: "zup", plan: "pro" }),
      draft({ op: "change_role", login: "zdemote", role: "member" }),
      draft({ op: "disable_user", login: "zoff" }),
      draft({ op: "change_plan", login: "zsame", plan: "pro2" }),
      draft({ op: "create_group", name: "eng", description: "" }),
      draft({ op: "update_user", login: "zupd", last_name: "U" }),
      draft({ op: "change_role", login: "zrole", role: "user_admin" }),
      draft({ op: "delete_group", name: "gone" }),
      draft({ op: "remove_member", group: "crew", login: "zmem" }),
      draft({ op: "disable_user", login: "zmem" }),
      draft({ op: "enable_user", login: "zadm" }),
      draft({ op: "change_role", login: "zpromo", role: "org_admin" }),
      draft({ op: "change_plan", login: "zdown", plan: "entry" }),
      draft({ op: "delete_domain", name: "old.example" }),
      draft({ op: "remove_alias", login: "zal", address: "x@acme.example" }),
      draft({ op: "delete_user", login: "zdel" }),
    ];
    expect(run(live, steps)).toEqual({
      order: [
        // Frees something: removals (0), a removal of a record (1), then changes (2).
        "user/zdel:delete_user",
        "alias/x@acme.example:remove_alias",
        "domain/old.example:delete_domain",
        "user/zadm:enable_user",
        "user/zdown:change_plan",
        "user/zpromo:change_role",
        // Neutral: removals (10), a removal of a record (11), changes and creates of no counted resource (12).
        "user/zmem:disable_user",
        "membership/crew/zmem:remove_member",
        "group/gone:delete_group",
        "group/eng:create_group",
        "user/zrole:change_role",
        "user/zsame:change_plan",
        "user/zupd:update_user",
        // Uses something: a removal (20), changes and a domain (22), a new user last (23).
        "user/zoff:disable_user",
        "domain/new.example:create_domain",
        "user/zdemote:change_role",
        "user/zup:change_plan",
        "user/anew:create_user",
      ],
      failed: [],
      skipped: [],
    });
  });

  it("a plan change of a user the state does not have is priced as from nothing", () => {
    const live = buildState({ balance: 1_000_000, orgPlan: "ultra", users: [{ login: "b" }] });
    // `a` does not exist: its change is refused, but it ranks as a charge (from 0 to pro), after b's rename.
    expect(
      run(live, [
        draft({ op: "change_plan", login: "a", plan: "pro" }),
        draft({ op: "update_user", login: "b", last_name: "B" }),
      ]),
    ).toEqual({
      order: ["user/b:update_user"],
      failed: ["user/a:change_plan not_found"],
      skipped: [],
    });
  });
});

describe("wakeKeysOf: a refused step runs again as soon as a step gives it what it lacked", () => {
  it("money: a charge refused for funds runs right after the refund that pays for it", () => {
    const live = buildState({
      balance: 0,
      orgPlan: "ultra",
      users: [{ login: "down", plan: "pro" }, { login: "up" }],
    });
    const n1 = draft({ op: "create_user", user: newUser("n1") });
    expect(
      run(live, [
        draft({ op: "change_plan", login: "up", plan: "entry" }),
        n1,
        draft({ op: "change_plan", login: "down", plan: "free" }, [n1.id]),
        draft({ op: "create_user", user: newUser("zz") }),
      ]).order,
    ).toEqual(["user/n1:create_user", "user/down:change_plan", "user/up:change_plan", "user/zz:create_user"]);
  });

  it("a free seat: a free user refused for a seat runs right after the removal that frees one", () => {
    const live = buildState({
      balance: 1_000_000,
      orgPlan: "pro",
      users: [
        ...Array.from({ length: 9 }, (_, i) => ({ login: `f${i}` })),
        { login: "f9", status: "disabled" as const },
      ],
    });
    const d0 = draft({ op: "create_user", user: newUser("d0", { plan: "entry" }) });
    expect(
      run(live, [
        draft({ op: "create_user", user: newUser("cf") }),
        d0,
        draft({ op: "delete_user", login: "f9" }, [d0.id]),
        draft({ op: "create_user", user: newUser("zz", { plan: "entry" }) }),
      ]).order,
    ).toEqual(["user/d0:create_user", "user/f9:delete_user", "user/cf:create_user", "user/zz:create_user"]);
  });

  it("a paid seat: a paid user refused for a seat runs right after the removal that frees one", () => {
    const live = buildState({
      balance: 1_000_000,
      orgPlan: "entry",
      users: [{ login: "p1", plan: "entry", status: "disabled" }],
    });
    const d0 = draft({ op: "create_user", user: newUser("d0") });
    expect(
      run(live, [
        draft({ op: "create_user", user: newUser("cp", { plan: "entry" }) }),
        d0,
        draft({ op: "delete_user", login: "p1" }, [d0.id]),
        draft({ op: "create_user", user: newUser("zz") }),
      ]).order,
    ).toEqual(["user/d0:create_user", "user/p1:delete_user", "user/cp:create_user", "user/zz:create_user"]);
  });

  it("a domain slot: a new domain refused for the limit runs right after the deletion that frees one", () => {
    const live = buildState({ balance: 1_000_000, orgPlan: "entry", domains: ["old.example"] });
    const x = draft({ op: "create_user", user: newUser("x") });
    expect(
      run(live, [
        draft({ op: "create_domain", name: "new.example", verification_token: "t" }),
        x,
        draft({ op: "delete_domain", name: "old.example" }, [x.id]),
        draft({ op: "create_user", user: newUser("zz") }),
      ]).order,
    ).toEqual([
      "user/x:create_user",
      "domain/old.example:delete_domain",
      "domain/new.example:create_domain",
      "user/zz:create_user",
    ]);
  });

  it("a record: a membership refused for a missing group runs right after the step that creates it", () => {
    const live = buildState({ balance: 1_000_000, orgPlan: "ultra", users: [{ login: "al" }] });
    const y = draft({ op: "create_user", user: newUser("y") });
    expect(
      run(live, [
        draft({ op: "add_member", group: "eng", login: "al" }),
        y,
        draft({ op: "create_group", name: "eng", description: "" }, [y.id]),
        draft({ op: "create_user", user: newUser("zz") }),
      ]).order,
    ).toEqual([
      "user/y:create_user",
      "group/eng:create_group",
      "membership/eng/al:add_member",
      "user/zz:create_user",
    ]);
  });

  it("a step refused for good is reported failed with its refusal, and what depends on it skipped", () => {
    const live = buildState({ balance: 1_000_000, orgPlan: "ultra" });
    const member = draft({ op: "add_member", group: "nope", login: "ghost" });
    expect(
      run(live, [member, draft({ op: "remove_member", group: "nope", login: "ghost" }, [member.id])]),
    ).toEqual({
      order: [],
      failed: ["membership/nope/ghost:add_member not_found"],
      skipped: ["membership/nope/ghost:remove_member"],
    });
  });
});
