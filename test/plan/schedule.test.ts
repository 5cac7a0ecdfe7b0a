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

describe("rankOf and tieRank of an org plan change", () => {
  it("an upgrade frees room: it runs with the removals, after a domain's deletion and before neutral steps", () => {
    const live = buildState({
      balance: 1_000_000,
      orgPlan: "pro",
      domains: ["old.example"],
      groups: [{ name: "gone" }],
    });
    // The org kind sorts first, so only the ranks put the deletion (1) before the upgrade (2), and the
    // upgrade before the neutral deletion of a group (11).
    expect(
      run(live, [
        draft({ op: "delete_group", name: "gone" }),
        draft({ op: "change_org_plan", plan: "ultra" }),
        draft({ op: "delete_domain", name: "old.example" }),
      ]).order,
    ).toEqual([
      "domain/old.example:delete_domain",
      "org/organization:change_org_plan",
      "group/gone:delete_group",
    ]);
  });
});

describe("rankOf of a step on a user the state does not have", () => {
  it("is refused not_found, not a crash", () => {
    const live = buildState({ orgPlan: "ultra" });
    expect(
      run(live, [
        draft({ op: "change_role", login: "ghost", role: "member" }),
        draft({ op: "disable_user", login: "ghost" }),
        draft({ op: "enable_user", login: "ghost" }),
      ]).failed,
    ).toEqual([
      "user/ghost:change_role not_found",
      "user/ghost:disable_user not_found",
      "user/ghost:enable_user not_found",
    ]);
  });
});

describe("resourceUse: only a domain uses a domain slot", () => {
  it("a new group needs no domain deletion, even when the slots are full", () => {
    const live = buildState({ orgPlan: "entry", domains: ["old.example"] });
    expect(
      afters(live, [
        draft({ op: "create_group", name: "eng", description: "" }),
        draft({ op: "delete_domain", name: "old.example" }),
      ]),
    ).toEqual({});
  });
});

describe("wakeKeysOf: a refused step runs again as soon as a step gives it what it lacked", () => {
  // To free, the refund also frees a paid seat; to entry (between two paid plans) it frees none, so only the
  // money wake-up can run the charge early.
  it.each(["free", "entry"])(
    "money: a charge refused for funds runs right after the refund (pro → %s) that pays for it",
    (plan) => {
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
          draft({ op: "change_plan", login: "down", plan }, [n1.id]),
          draft({ op: "create_user", user: newUser("zz") }),
        ]).order,
      ).toEqual([
        "user/n1:create_user",
        "user/down:change_plan",
        "user/up:change_plan",
        "user/zz:create_user",
      ]);
    },
  );

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

  it("an org plan downgrade refused for its paid seats runs right after the removal that makes it fit", () => {
    // pro → entry: 3 paid seats used (the owner, p1, p2), entry allows 2.
    const live = buildState({
      balance: 1_000_000,
      orgPlan: "pro",
      users: [
        { login: "p1", plan: "entry", status: "disabled" },
        { login: "p2", plan: "entry" },
      ],
    });
    const d0 = draft({ op: "create_user", user: newUser("d0") });
    expect(
      run(live, [
        draft({ op: "change_org_plan", plan: "entry" }),
        d0,
        draft({ op: "delete_user", login: "p1" }, [d0.id]),
        draft({ op: "create_user", user: newUser("zz") }),
      ]),
    ).toEqual({
      order: [
        "user/d0:create_user",
        "user/p1:delete_user",
        "org/organization:change_org_plan",
        "user/zz:create_user",
      ],
      failed: [],
      skipped: [],
    });
  });

  it("two steps refused for the same missing record both run right after the step that creates it", () => {
    const live = buildState({
      balance: 1_000_000,
      orgPlan: "ultra",
      users: [{ login: "al" }, { login: "bo" }],
    });
    const y = draft({ op: "create_user", user: newUser("y") });
    expect(
      run(live, [
        draft({ op: "add_member", group: "eng", login: "al" }),
        draft({ op: "add_member", group: "eng", login: "bo" }),
        y,
        draft({ op: "create_group", name: "eng", description: "" }, [y.id]),
        draft({ op: "create_user", user: newUser("zz") }),
      ]).order,
    ).toEqual([
      "user/y:create_user",
      "group/eng:create_group",
      "membership/eng/al:add_member",
      "membership/eng/bo:add_member",
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

/** Each step's `after` (what it needs from earlier steps), by id, for the steps that need something. */
function afters(state: ConsoleState, steps: DraftStep[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const s of schedule(state, BY_OWNER, steps, NOW).order)
    if (s.after.size > 0) out[s.draft.id] = [...s.after].sort();
  return out;
}

describe("capacities: the room each counted resource has before the plan", () => {
  it("money: a charge the wallet pays needs no refund; one it cannot pay needs the refund", () => {
    const steps = () => [
      draft({ op: "change_plan", login: "up", plan: "entry" }),
      draft({ op: "change_plan", login: "down", plan: "free" }),
    ];
    const users = [{ login: "down", plan: "pro" }, { login: "up" }];
    expect(afters(buildState({ balance: 100_000, orgPlan: "ultra", users }), steps())).toEqual({});
    expect(afters(buildState({ balance: 0, orgPlan: "ultra", users }), steps())).toEqual({
      "user/up:change_plan": ["user/down:change_plan"],
    });
  });

  it("seats: a new free user needs the removal of a free user only when the free seats are full", () => {
    const steps = () => [
      draft({ op: "create_user", user: newUser("new") }),
      draft({ op: "delete_user", login: "old" }),
    ];
    const full = buildState({
      orgPlan: "entry",
      users: [{ login: "f1" }, { login: "old", status: "disabled" }],
    });
    expect(afters(full, steps())).toEqual({ "user/new:create_user": ["user/old:delete_user"] });
    const room = buildState({ orgPlan: "entry", users: [{ login: "old", status: "disabled" }] });
    expect(afters(room, steps())).toEqual({});
  });

  it("paid seats likewise", () => {
    const steps = () => [
      draft({ op: "create_user", user: newUser("new", { plan: "entry" }) }),
      draft({ op: "delete_user", login: "old" }),
    ];
    const full = buildState({
      balance: 100_000,
      orgPlan: "entry",
      users: [{ login: "old", plan: "entry", status: "disabled" }],
    });
    expect(afters(full, steps())).toEqual({ "user/new:create_user": ["user/old:delete_user"] });
    const room = buildState({
      balance: 100_000,
      orgPlan: "pro",
      users: [{ login: "old", plan: "entry", status: "disabled" }],
    });
    expect(afters(room, steps())).toEqual({});
  });

  it("domain slots: a new domain needs a deletion only when the org plan's slots are full", () => {
    const steps = () => [
      draft({ op: "create_domain", name: "new.example", verification_token: "t" }),
      draft({ op: "delete_domain", name: "old.example" }),
    ];
    expect(afters(buildState({ orgPlan: "entry", domains: ["old.example"] }), steps())).toEqual({
      "domain/new.example:create_domain": ["domain/old.example:delete_domain"],
    });
    expect(afters(buildState({ orgPlan: "pro", domains: ["old.example"] }), steps())).toEqual({});
  });

  it("admins: never fewer active org_admins during the plan than both before and after it", () => {
    const live = () =>
      buildState({
        users: [{ login: "a", role: "org_admin" }, { login: "x", role: "org_admin" }, { login: "b" }],
      });
    // Three admins before (the owner, a, x), two after: one demotion fits, the second needs the promotion.
    expect(
      afters(live(), [
        draft({ op: "change_role", login: "a", role: "member" }),
        draft({ op: "change_role", login: "b", role: "org_admin" }),
        draft({ op: "change_role", login: "x", role: "member" }),
      ]),
    ).toEqual({ "user/x:change_role": ["user/b:change_role"] });
    // A handover (as many after as before): the demotion needs the promotion, though the owner stays.
    expect(
      afters(live(), [
        draft({ op: "change_role", login: "a", role: "member" }),
        draft({ op: "change_role", login: "b", role: "org_admin" }),
      ]),
    ).toEqual({ "user/a:change_role": ["user/b:change_role"] });
  });

  it("admins are the active org_admins, with their own room beside the org_admins'", () => {
    // Before: 2 active org_admins (the owner, a) and 4 org_admins (with two invited ones); after: 2 and 2.
    const live = buildState({
      users: [
        { login: "a", role: "org_admin" },
        { login: "i1", role: "org_admin", status: "invited" },
        { login: "i2", role: "org_admin", status: "invited" },
        { login: "b" },
      ],
    });
    expect(
      afters(live, [
        draft({ op: "change_role", login: "a", role: "member" }),
        draft({ op: "change_role", login: "b", role: "org_admin" }),
        draft({ op: "change_role", login: "i1", role: "member" }),
        draft({ op: "change_role", login: "i2", role: "member" }),
      ]),
    ).toEqual({
      // No active org_admin to spare: a's demotion needs b's promotion.
      "user/a:change_role": ["user/b:change_role"],
      // Two org_admins to spare: the third demotion needs the promotion.
      "user/i2:change_role": ["user/b:change_role"],
    });
  });

  it("org_admins who are not active count too: an invited org_admin handed over", () => {
    const live = buildState({
      users: [
        { login: "a", role: "org_admin", status: "invited" },
        { login: "b", status: "invited" },
      ],
    });
    expect(
      afters(live, [
        draft({ op: "change_role", login: "a", role: "member" }),
        draft({ op: "change_role", login: "b", role: "org_admin" }),
      ]),
    ).toEqual({ "user/a:change_role": ["user/b:change_role"] });
  });
});

describe("capacities: a disabled org_admin", () => {
  it("is not among the org_admins: deleting one leaves no room for a demotion", () => {
    // Before: 2 org_admins (the owner, invited a; d is disabled); after: 2 (the owner, b). A handover.
    const live = buildState({
      users: [
        { login: "a", role: "org_admin", status: "invited" },
        { login: "b", status: "invited" },
        { login: "d", role: "org_admin", status: "disabled" },
      ],
    });
    expect(
      afters(live, [
        draft({ op: "delete_user", login: "d" }),
        draft({ op: "change_role", login: "a", role: "member" }),
        draft({ op: "change_role", login: "b", role: "org_admin" }),
      ]),
    ).toEqual({ "user/a:change_role": ["user/b:change_role"] });
  });
});

describe("schedule: dependencies, failures and skips", () => {
  it("a step waits for every step it depends on", () => {
    const live = buildState({ orgPlan: "ultra", balance: 100_000 });
    const g = draft({ op: "create_group", name: "eng", description: "" });
    const u = draft({ op: "create_user", user: newUser("al") });
    const m = draft({ op: "add_member", group: "eng", login: "al" }, [g.id, u.id]);
    const result = schedule(live, BY_OWNER, [m, u, g], NOW);
    expect(result.order.map((s) => s.draft.id)).toEqual([g.id, u.id, m.id]);
    expect([...result.order[2]!.after].sort()).toEqual([g.id, u.id].sort());
    expect(result.order.map((s) => s.balance_after)).toEqual([100_000, 100_000, 100_000]);
    expect(result.failed).toEqual([]);
    expect(result.skipped).toEqual([]);
  });

  it("a step with two dependents readies both", () => {
    const live = buildState({ orgPlan: "ultra", users: [{ login: "al" }, { login: "bo" }] });
    const g = draft({ op: "create_group", name: "eng", description: "" });
    const steps = [
      draft({ op: "add_member", group: "eng", login: "bo" }, [g.id]),
      draft({ op: "add_member", group: "eng", login: "al" }, [g.id]),
      g,
    ];
    expect(run(live, steps)).toEqual({
      order: [g.id, "membership/eng/al:add_member", "membership/eng/bo:add_member"],
      failed: [],
      skipped: [],
    });
  });

  it("failed steps and skipped steps are listed by kind and key, not in the order they were tried", () => {
    const live = buildState({ orgPlan: "ultra" });
    // The deletion of a user ranks first (it frees), so it is tried and refused before the domain's.
    const user = draft({ op: "delete_user", login: "ghost" });
    const domain = draft({ op: "delete_domain", name: "nope.example" });
    const dependent = (dep: DraftStep, login: string) =>
      draft({ op: "remove_member", group: "nope", login }, [dep.id]);
    expect(run(live, [dependent(domain, "b"), user, dependent(user, "a"), domain])).toEqual({
      order: [],
      failed: ["domain/nope.example:delete_domain not_found", "user/ghost:delete_user not_found"],
      skipped: ["membership/nope/a:remove_member", "membership/nope/b:remove_member"],
    });
  });
});
