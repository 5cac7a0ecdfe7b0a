import { describe, expect, it } from "vitest";
import type { Plan } from "../../src/plan/model.js";
import { buildState } from "../support/builders.js";
import { desiredOrg, desiredOwner, desiredUser, liveView, planFor } from "../support/plan-builders.js";

const order = (plan: Plan) => plan.steps.map((s) => [s.index, s.id, s.depends_on] as const);

describe("roles", () => {
  it("promotes the new org_admin before demoting the last active one", () => {
    // The acting owner is an invited org_admin (it acts through a token and never logged in), so alice is
    // the only *active* org_admin: demoting her first would be refused with last_org_admin.
    const live = buildState({
      owner: { status: "invited" },
      users: [
        { login: "alice", role: "org_admin" },
        { login: "zed", role: "member" },
      ],
    });
    expect(live.counters.active_org_admins).toBe(1);
    const plan = planFor(
      desiredOrg({
        users: [
          desiredOwner(),
          desiredUser("alice", { role: "member" }),
          desiredUser("zed", { role: "org_admin" }),
        ],
      }),
      liveView(live),
    );
    expect(plan.errors).toEqual([]);
    expect(order(plan)).toEqual([
      [1, "user/zed:change_role", []],
      [2, "user/alice:change_role", ["user/zed:change_role"]],
    ]);
    expect(plan.steps.map((s) => s.operation)).toEqual([
      { op: "change_role", login: "zed", role: "org_admin" },
      { op: "change_role", login: "alice", role: "member" },
    ]);
    expect(plan.steps.map((s) => s.changes)).toEqual([
      [{ path: "/role", from: "member", to: "org_admin" }],
      [{ path: "/role", from: "org_admin", to: "member" }],
    ]);
  });

  // Handing org_admin over from one user to another: the promotion comes first and the demotion depends on
  // it, whichever login sorts first, and whether or not the owner is another active org_admin.
  for (const [from, to] of [
    ["anna", "bert"],
    ["bert", "anna"],
  ] as const) {
    for (const [ownerStatus, usersStatus] of [
      ["active", "active"],
      ["invited", "active"],
      ["active", "invited"],
    ] as const) {
      it(`hands org_admin from ${from} to ${to} promote-then-demote (owner ${ownerStatus}, users ${usersStatus})`, () => {
        const live = buildState({
          owner: { status: ownerStatus },
          users: [
            { login: from, role: "org_admin", status: usersStatus },
            { login: to, role: "member", status: usersStatus },
          ],
        });
        const plan = planFor(
          desiredOrg({
            users: [
              desiredOwner({ status: "active" }),
              desiredUser(from, { role: "member" }),
              desiredUser(to, { role: "org_admin" }),
            ],
          }),
          liveView(live),
        );
        expect(plan.errors).toEqual([]);
        expect(order(plan)).toEqual([
          [1, `user/${to}:change_role`, []],
          [2, `user/${from}:change_role`, [`user/${to}:change_role`]],
        ]);
      });
    }
  }

  it("refuses a plan that would leave no active org_admin", () => {
    const live = buildState({ owner: { status: "invited" }, users: [{ login: "alice", role: "org_admin" }] });
    const plan = planFor(
      desiredOrg({ users: [desiredOwner(), desiredUser("alice", { role: "member" })] }),
      liveView(live),
    );
    expect(plan.steps).toEqual([]);
    expect(plan.errors.map((e) => [e.code, e.step_id])).toEqual([
      ["last_org_admin", "user/alice:change_role"],
    ]);
  });
});

describe("aliases", () => {
  it("removes an alias before giving it to another user, and says so in depends_on", () => {
    const live = buildState({
      domains: ["example.com"],
      users: [
        { login: "alice", plan: "entry", aliases: ["sales@example.com"] },
        { login: "bob", plan: "entry" },
      ],
    });
    const plan = planFor(
      desiredOrg({
        domains: ["example.com"],
        users: [
          desiredOwner(),
          desiredUser("alice", { plan: "entry" }),
          desiredUser("bob", { plan: "entry", aliases: ["sales@example.com"] }),
        ],
      }),
      liveView(live),
    );
    expect(plan.errors).toEqual([]);
    expect(order(plan)).toEqual([
      [1, "alias/sales@example.com:remove_alias", []],
      [2, "alias/sales@example.com:add_alias", ["alias/sales@example.com:remove_alias"]],
    ]);
    expect(plan.steps.map((s) => s.operation)).toEqual([
      { op: "remove_alias", login: "alice", address: "sales@example.com" },
      { op: "add_alias", login: "bob", address: "sales@example.com" },
    ]);
    expect(plan.steps.map((s) => s.summary)).toEqual([
      "move alias sales@example.com from alice to bob (remove)",
      "move alias sales@example.com from alice to bob (add)",
    ]);
  });

  it("removes aliases before a downgrade that allows fewer", () => {
    const live = buildState({
      domains: ["example.com"],
      users: [{ login: "dee", plan: "entry", aliases: ["d1@example.com"] }],
    });
    const plan = planFor(
      desiredOrg({ domains: ["example.com"], users: [desiredOwner(), desiredUser("dee", { plan: "free" })] }),
      liveView(live),
    );
    expect(plan.errors).toEqual([]);
    // change_plan (kind user) sorts before remove_alias (kind alias): it is refused with alias_limit once,
    // and runs after the removal.
    expect(order(plan)).toEqual([
      [1, "alias/d1@example.com:remove_alias", []],
      [2, "user/dee:change_plan", ["alias/d1@example.com:remove_alias"]],
    ]);
    expect(plan.steps.map((s) => s.amount_cents)).toEqual([0, Math.floor((4200 * 306) / 365)]);
  });

  it("upgrades the plan before adding aliases the old plan does not allow", () => {
    const live = buildState({ domains: ["example.com"], users: [{ login: "uma", plan: "free" }] });
    const plan = planFor(
      desiredOrg({
        domains: ["example.com"],
        users: [desiredOwner(), desiredUser("uma", { plan: "entry", aliases: ["u1@example.com"] })],
      }),
      liveView(live),
    );
    expect(plan.errors).toEqual([]);
    expect(order(plan)).toEqual([
      [1, "user/uma:change_plan", []],
      [2, "alias/u1@example.com:add_alias", ["user/uma:change_plan"]],
    ]);
  });

  // dee's downgrade needs her alias removed, not uma's unrelated upgrade that may run in between.
  it("depends_on names only what unblocked a step, not everything done meanwhile", () => {
    const live = buildState({
      domains: ["example.com"],
      users: [
        { login: "dee", plan: "entry", aliases: ["d1@example.com"] },
        { login: "uma", plan: "free" },
      ],
    });
    const plan = planFor(
      desiredOrg({
        domains: ["example.com"],
        users: [
          desiredOwner(),
          desiredUser("dee", { plan: "free" }),
          desiredUser("uma", { plan: "entry", aliases: ["u1@example.com"] }),
        ],
      }),
      liveView(live),
    );
    expect(plan.errors).toEqual([]);
    const byId = new Map(plan.steps.map((s) => [s.id, s]));
    expect(byId.get("user/dee:change_plan")!.depends_on).toEqual(["alias/d1@example.com:remove_alias"]);
  });
});

describe("groups", () => {
  it("creates a group before adding a member to it", () => {
    const live = buildState({ users: [{ login: "bob" }] });
    const plan = planFor(
      desiredOrg({ groups: ["eng"], users: [desiredOwner(), desiredUser("bob", { groups: ["eng"] })] }),
      liveView(live),
    );
    expect(plan.errors).toEqual([]);
    expect(order(plan)).toEqual([
      [1, "group/eng:create_group", []],
      [2, "membership/eng/bob:add_member", ["group/eng:create_group"]],
    ]);
    expect(plan.steps[1]!.operation).toEqual({ op: "add_member", group: "eng", login: "bob" });
  });

  it("creates a user in 12 groups with the first 10, then adds the 2 others through the groups", () => {
    const names = Array.from({ length: 12 }, (_, i) => `g${String(i + 1).padStart(2, "0")}`);
    const live = buildState();
    const plan = planFor(
      desiredOrg({ groups: names, users: [desiredOwner(), desiredUser("bob", { groups: names })] }),
      liveView(live),
    );
    expect(plan.errors).toEqual([]);
    const creates = names.map((n) => `group/${n}:create_group`);
    expect(order(plan)).toEqual([
      ...creates.map((id, i) => [i + 1, id, []] as const),
      [13, "user/bob:create_user", creates.slice(0, 10)],
      [14, "membership/g11/bob:add_member", ["group/g11:create_group", "user/bob:create_user"]],
      [15, "membership/g12/bob:add_member", ["group/g12:create_group", "user/bob:create_user"]],
    ]);
    expect(plan.steps[12]!.operation).toMatchObject({ user: { groups: names.slice(0, 10) } });
  });

  it("does not remove memberships of a group it deletes (the delete removes them)", () => {
    const live = buildState({ users: [{ login: "bob" }], groups: [{ name: "old", members: ["bob"] }] });
    const plan = planFor(desiredOrg({ users: [desiredOwner(), desiredUser("bob")] }), liveView(live));
    expect(order(plan)).toEqual([[1, "group/old:delete_group", []]]);
  });
});

describe("domains", () => {
  const pendingLive = () =>
    buildState({ verifier: "dns", domains: [{ name: "example.com", status: "pending", token: "tok" }] });
  const onExample = () =>
    desiredOrg({
      domains: ["example.com"],
      users: [desiredOwner(), desiredUser("bob", { email: "bob@example.com" })],
    });
  const TXT = { name: "_orgctl-verification.example.com", value: "orgctl-verification=tok" };

  it("blocks the steps that need a pending domain, with the TXT record to publish", () => {
    const plan = planFor(onExample(), liveView(pendingLive()));
    expect(plan.steps).toEqual([]);
    expect(plan.errors).toEqual([]);
    expect(plan.blocked).toEqual([
      {
        id: "domain/example.com:verify_domain",
        action: "verify_domain",
        kind: "domain",
        key: "example.com",
        summary: "verify domain example.com",
        domain: "example.com",
        txt_record: TXT,
        reason: "example.com is pending verification; publish its TXT record, then plan again",
      },
      {
        id: "user/bob:create_user",
        action: "create_user",
        kind: "user",
        key: "bob",
        summary: "create user bob <bob@example.com> on free as member (invited)",
        domain: "example.com",
        txt_record: TXT,
        reason: "example.com is pending verification; publish its TXT record, then plan again",
      },
    ]);
  });

  it("stays blocked when DNS shows another value", () => {
    const plan = planFor(onExample(), liveView(pendingLive()), {
      verifiedTxt: new Map([["example.com", ["orgctl-verification=other"]]]),
    });
    expect(plan.steps).toEqual([]);
    expect(plan.blocked.map((b) => b.id)).toEqual([
      "domain/example.com:verify_domain",
      "user/bob:create_user",
    ]);
  });

  it("plans the verification when DNS shows the right TXT value", () => {
    const plan = planFor(onExample(), liveView(pendingLive()), {
      verifiedTxt: new Map([["example.com", ["unrelated", "orgctl-verification=tok"]]]),
    });
    expect(plan.errors).toEqual([]);
    expect(plan.blocked).toEqual([]);
    expect(order(plan)).toEqual([
      [1, "domain/example.com:verify_domain", []],
      [2, "user/bob:create_user", ["domain/example.com:verify_domain"]],
    ]);
    expect(plan.steps[0]!.operation).toEqual({ op: "verify_domain", name: "example.com" });
  });

  it("with the dns verifier, creates a new domain and blocks what needs it (no TXT record known yet)", () => {
    const live = buildState({ verifier: "dns" });
    const plan = planFor(onExample(), liveView(live));
    expect(plan.errors).toEqual([]);
    expect(order(plan)).toEqual([[1, "domain/example.com:create_domain", []]]);
    expect(plan.steps[0]!.operation).toEqual({ op: "create_domain", name: "example.com" });
    const reason =
      "example.com must be created and verified first; apply, publish the TXT record orgctl shows, then plan again";
    expect(plan.blocked).toEqual([
      {
        id: "domain/example.com:verify_domain",
        action: "verify_domain",
        kind: "domain",
        key: "example.com",
        summary: "verify domain example.com",
        domain: "example.com",
        txt_record: null,
        reason,
      },
      {
        id: "user/bob:create_user",
        action: "create_user",
        kind: "user",
        key: "bob",
        summary: "create user bob <bob@example.com> on free as member (invited)",
        domain: "example.com",
        txt_record: null,
        reason,
      },
    ]);
  });

  it("with the auto verifier, plans no verify step and the user waits for the domain's creation", () => {
    const live = buildState({ verifier: "auto" });
    const plan = planFor(onExample(), liveView(live));
    expect(plan.errors).toEqual([]);
    expect(plan.blocked).toEqual([]);
    expect(order(plan)).toEqual([
      [1, "domain/example.com:create_domain", []],
      [2, "user/bob:create_user", ["domain/example.com:create_domain"]],
    ]);
  });

  it("with the auto verifier, verifies a domain left pending without waiting for DNS", () => {
    const live = buildState({ verifier: "auto", domains: [{ name: "example.com", status: "pending" }] });
    const plan = planFor(onExample(), liveView(live));
    expect(plan.errors).toEqual([]);
    expect(plan.blocked).toEqual([]);
    expect(order(plan)).toEqual([
      [1, "domain/example.com:verify_domain", []],
      [2, "user/bob:create_user", ["domain/example.com:verify_domain"]],
    ]);
  });

  it("removes a domain after the last address on it", () => {
    const live = buildState({
      domains: ["old.example"],
      users: [{ login: "bob", plan: "entry", aliases: ["b@old.example"] }],
    });
    const plan = planFor(
      desiredOrg({ users: [desiredOwner(), desiredUser("bob", { plan: "entry" })] }),
      liveView(live),
    );
    expect(plan.errors).toEqual([]);
    expect(order(plan)).toEqual([
      [1, "alias/b@old.example:remove_alias", []],
      [2, "domain/old.example:delete_domain", ["alias/b@old.example:remove_alias"]],
    ]);
  });

  it("refuses to remove a domain a desired user still uses", () => {
    const live = buildState({
      domains: ["old.example"],
      users: [{ login: "bob", email: "bob@old.example" }],
    });
    const plan = planFor(
      desiredOrg({ users: [desiredOwner(), desiredUser("bob", { email: "bob@old.example" })] }),
      liveView(live),
    );
    expect(plan.steps).toEqual([]);
    expect(plan.errors.map((e) => e.code)).toEqual(["domain_in_use"]);
  });
});
