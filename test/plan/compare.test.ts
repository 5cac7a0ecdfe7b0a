import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import type { Plan } from "../../src/plan/model.js";
import { buildState } from "../support/builders.js";
import {
  CONFIG_HASH,
  desiredOrg,
  desiredOwner,
  desiredUser,
  liveView,
  planFor,
  TARGET,
} from "../support/plan-builders.js";

const ids = (plan: Plan) => plan.steps.map((s) => s.id);

/** A live org with something of every kind: a domain, groups, a user with aliases and memberships. */
function richLive() {
  return buildState({
    domains: ["example.com"],
    groups: [
      { name: "eng", description: "Engineering", members: ["alice", "owner"] },
      { name: "ops", members: ["alice"] },
    ],
    users: [
      {
        login: "alice",
        plan: "entry",
        email: "alice@example.com",
        aliases: ["a.l@console.test", "sales@example.com", "info@example.com"],
        profile: { mobile: "+33 6 00", external_email: "alice@home.example" },
      },
      { login: "bob", plan: "pro" },
    ],
  });
}

describe("what is not listed", () => {
  it("with unlisted: ignore everywhere, live users, groups, domains, aliases and memberships stay", () => {
    const plan = planFor(
      desiredOrg({
        policy: {
          removed_users: "delete",
          unlisted: {
            users: "ignore",
            groups: "ignore",
            domains: "ignore",
            aliases: "ignore",
            memberships: "ignore",
          },
        },
        users: [desiredOwner(), desiredUser("alice", { plan: "entry", email: "alice@example.com" })],
      }),
      liveView(richLive()),
    );
    expect(plan.errors).toEqual([]);
    expect(plan.warnings).toEqual([]);
    // alice's profile is not listed, and by default her own profile is hers: nothing to change.
    expect(ids(plan)).toEqual([]);
    expect(plan.counts).toMatchObject({ create: 0, update: 0, delete: 0, replace: 0 });
  });

  it("by default users' own profile edits are not drift; ignore_profile_fields: [] manages them all", () => {
    const users = [desiredOwner(), desiredUser("alice", { plan: "entry", email: "alice@example.com" })];
    const unlisted = {
      users: "ignore",
      groups: "ignore",
      domains: "ignore",
      aliases: "ignore",
      memberships: "ignore",
    } as const;
    const byDefault = planFor(desiredOrg({ policy: { unlisted }, users }), liveView(richLive()));
    expect(ids(byDefault)).toEqual([]);
    const managed = planFor(
      desiredOrg({ policy: { unlisted, ignore_profile_fields: [] }, users }),
      liveView(richLive()),
    );
    expect(ids(managed)).toEqual(["user/alice:update_user"]);
  });

  it("with the default policy (prune), the same org.yaml removes them", () => {
    const plan = planFor(
      desiredOrg({
        domains: ["example.com"],
        users: [
          desiredOwner(),
          desiredUser("alice", {
            plan: "entry",
            email: "alice@example.com",
            aliases: ["a.l@console.test"],
            profile: { mobile: "+33 6 00", external_email: "alice@home.example" },
          }),
        ],
      }),
      liveView(richLive()),
    );
    expect(plan.errors).toEqual([]);
    expect(ids(plan).sort()).toEqual(
      [
        "alias/info@example.com:remove_alias",
        "alias/sales@example.com:remove_alias",
        "group/eng:delete_group",
        "group/ops:delete_group",
        "user/bob:disable_user",
      ].sort(),
    );
  });
});

describe("comparing", () => {
  const aliceWanted = {
    plan: "entry",
    email: "alice@example.com",
    aliases: ["a.l@console.test", "sales@example.com", "info@example.com"],
    groups: ["eng", "ops"],
    profile: { mobile: "+33 6 00", external_email: "alice@home.example" },
  };
  const matching = (alice = desiredUser("alice", aliceWanted), owner = desiredOwner({ groups: ["eng"] })) =>
    desiredOrg({
      domains: ["example.com"],
      groups: [{ name: "eng", description: "Engineering" }, "ops"],
      users: [owner, alice, desiredUser("bob", { plan: "pro" })],
    });

  it("an org.yaml that matches the console plans nothing", () => {
    const plan = planFor(matching(), liveView(richLive()));
    expect(plan.errors).toEqual([]);
    expect(plan.steps).toEqual([]);
    expect(plan.blocked).toEqual([]);
    expect(plan.counts).toMatchObject({ create: 0, update: 0, delete: 0, replace: 0 });
  });

  it("compares aliases and groups as sets: their order in org.yaml makes no difference", () => {
    const alice = desiredUser("alice", aliceWanted);
    alice.aliases = [...alice.aliases].reverse();
    alice.groups = [...alice.groups].reverse();
    expect(alice.aliases).not.toEqual([...alice.aliases].sort());
    const plan = planFor(matching(alice), liveView(richLive()));
    expect(plan.steps).toEqual([]);
  });

  it("compares addresses case-insensitively: the loader lower-cases them", () => {
    const alice = desiredUser("alice", {
      ...aliceWanted,
      email: "Alice@Example.COM",
      aliases: ["SALES@example.com", "a.L@Console.Test", "Info@Example.com"],
    });
    expect(alice.email).toBe("alice@example.com");
    expect(planFor(matching(alice), liveView(richLive())).steps).toEqual([]);

    const yaml = [
      "version: 1",
      "organization: { name: Test Org }",
      "users:",
      "  - { login: owner, first_name: First, last_name: owner, email: Owner@Console.TEST, plan: pro,",
      "      role: org_admin, owner: true }",
      "  - { login: bob, first_name: First, last_name: bob, email: BOB@console.test, plan: pro,",
      "      aliases: [Bob.X@CONSOLE.test] }",
      "",
    ].join("\n");
    const loaded = parseConfig(new TextEncoder().encode(yaml), "org.yaml");
    expect(loaded.desired.users.map((u) => [u.email, u.aliases])).toEqual([
      ["owner@console.test", []],
      ["bob@console.test", ["bob.x@console.test"]],
    ]);
    const live = buildState({ users: [{ login: "bob", plan: "pro", aliases: ["bob.x@console.test"] }] });
    expect(planFor(loaded.desired, liveView(live)).steps).toEqual([]);
  });

  it("leaves profile fields in policy.ignore_profile_fields as the user set them", () => {
    const desired = (ignore: ("mobile" | "postal_address")[]) =>
      desiredOrg({
        policy: { ignore_profile_fields: ignore },
        users: [
          desiredOwner(),
          desiredUser("bob", {
            profile: { mobile: "+1 555", external_email: "bob@new.example", postal_address: "1 Main St" },
          }),
        ],
      });
    const live = () => buildState({ users: [{ login: "bob", profile: { mobile: "+33 7 11" } }] });

    const all = planFor(desired([]), liveView(live()));
    expect(all.steps.map((s) => [s.id, s.operation])).toEqual([
      [
        "user/bob:update_user",
        {
          op: "update_user",
          login: "bob",
          profile: { external_email: "bob@new.example", mobile: "+1 555", postal_address: "1 Main St" },
        },
      ],
    ]);

    const ignored = planFor(desired(["mobile", "postal_address"]), liveView(live()));
    expect(ignored.steps.map((s) => [s.id, s.summary, s.operation, s.patch])).toEqual([
      [
        "user/bob:update_user",
        "update user bob: profile.external_email",
        { op: "update_user", login: "bob", profile: { external_email: "bob@new.example" } },
        [{ op: "add", path: "/profile/external_email", value: "bob@new.example" }],
      ],
    ]);
  });

  it("plans field-level updates with a JSON patch", () => {
    const live = buildState({
      users: [{ login: "bob", plan: "entry", first_name: "Bob" }],
      groups: [{ name: "eng" }],
    });
    const plan = planFor(
      desiredOrg({
        organization: { name: "New Name" },
        groups: [{ name: "eng", description: "Engineers" }],
        users: [desiredOwner(), desiredUser("bob", { plan: "entry", first_name: "Robert" })],
      }),
      liveView(live),
    );
    expect(plan.errors).toEqual([]);
    expect(plan.steps.map((s) => [s.index, s.id, s.symbol, s.patch, s.operation, s.changes])).toEqual([
      [
        1,
        "org/organization:update_org",
        "~",
        [{ op: "replace", path: "/name", value: "New Name" }],
        { op: "update_org", name: "New Name" },
        [{ path: "/name", from: "Test Org", to: "New Name" }],
      ],
      [
        2,
        "group/eng:update_group",
        "~",
        [{ op: "replace", path: "/description", value: "Engineers" }],
        { op: "update_group", name: "eng", description: "Engineers" },
        [{ path: "/description", from: "", to: "Engineers" }],
      ],
      [
        3,
        "user/bob:update_user",
        "~",
        [{ op: "replace", path: "/first_name", value: "Robert" }],
        { op: "update_user", login: "bob", first_name: "Robert" },
        [{ path: "/first_name", from: "Bob", to: "Robert" }],
      ],
    ]);
    expect(plan.counts).toMatchObject({ create: 0, update: 3, delete: 0, replace: 0 });
  });

  it("plans a password by reference only, and a reset when the rotation label changes", () => {
    const live = buildState({ users: [{ login: "bob" }, { login: "inv", status: "invited" }] });
    const plan = planFor(
      desiredOrg({
        users: [
          desiredOwner(),
          desiredUser("bob", { password: { env: "BOB_PW", rotation: "2026-03" } }),
          desiredUser("inv", { password: { file: "inv.pw", rotation: null } }),
        ],
      }),
      liveView(live),
    );
    expect(plan.steps.map((s) => [s.id, s.summary, s.operation, s.secret])).toEqual([
      [
        "user/bob:set_password",
        "reset password of bob (rotation 2026-03)",
        { op: "set_password", login: "bob", rotation: "2026-03" },
        { env: "BOB_PW", rotation: "2026-03" },
      ],
      [
        "user/inv:set_password",
        "set password of inv",
        { op: "set_password", login: "inv", rotation: null },
        { file: "inv.pw", rotation: null },
      ],
    ]);
  });
});

describe("the plan document", () => {
  const inputs = () => {
    const live = buildState({ balance: 50_000, users: [{ login: "bob", plan: "pro" }] });
    const desired = desiredOrg({
      groups: ["eng"],
      users: [desiredOwner(), desiredUser("carol", { plan: "entry", groups: ["eng"] })],
    });
    return { live, desired };
  };

  it("has a plan_id that is the same for the same inputs and changes with the config", () => {
    const a = inputs();
    const b = inputs();
    const first = planFor(a.desired, liveView(a.live));
    const second = planFor(b.desired, liveView(b.live));
    expect(first.plan_id).toMatch(/^[0-9a-f]{16}$/);
    expect(second.plan_id).toBe(first.plan_id);
    expect(second).toEqual(first);
    const otherHash = planFor(b.desired, liveView(b.live), { configHash: "1".repeat(64) });
    expect(otherHash.plan_id).not.toBe(first.plan_id);
    const later = inputs();
    later.live.org.revision = 2;
    expect(planFor(later.desired, liveView(later.live)).plan_id).not.toBe(first.plan_id);
  });

  it("has no timestamps in its body, only the day prices were computed on", () => {
    const { live, desired } = inputs();
    const plan = planFor(desired, liveView(live));
    const text = JSON.stringify(plan);
    expect(text).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/);
    expect(plan.money.priced_on).toBe("2026-03-01");
    expect(plan.config).toEqual({ file: "org.yaml", hash: CONFIG_HASH });
    expect(plan.console).toEqual({
      target: TARGET,
      revision: 1,
      org: "Test Org",
      org_plan: "pro",
      actor: { login: "owner", role: "org_admin" },
    });
  });

  it("counts creations, updates, deletions and replacements", () => {
    const live = buildState({
      domains: ["example.com"],
      users: [
        { login: "gone", plan: "entry" },
        { login: "moved", plan: "entry", email: "moved@example.com" },
        { login: "upd", plan: "entry" },
        { login: "swap1", plan: "free" },
        { login: "swap2", plan: "free" },
      ],
    });
    const plan = planFor(
      desiredOrg({
        domains: ["example.com"],
        groups: ["eng"],
        policy: { removed_users: "delete" },
        users: [
          desiredOwner(),
          desiredUser("moved", { plan: "entry", email: "moved.new@example.com" }),
          desiredUser("new", { plan: "entry", aliases: ["n@example.com"], groups: ["eng"] }),
          desiredUser("upd", { plan: "pro" }),
          desiredUser("swap1", { email: "s1@console.test" }),
          desiredUser("swap2", { email: "s2@console.test" }),
        ],
      }),
      liveView(live),
    );
    expect(plan.errors).toEqual([]);
    // creates: group eng, user new with its alias n@example.com in the same call (2); update: upd's plan (1); delete:
    // gone (its disable is part of the deletion: 1); replacements: moved, swap1, swap2 (3 logins, 9 steps).
    expect(plan.counts).toMatchObject({ create: 2, update: 1, delete: 1, replace: 3 });
    expect(plan.steps).toHaveLength(14);
    expect(plan.steps.find((s) => s.id === "user/new:create_user")!.operation).toMatchObject({
      user: { aliases: ["n@example.com"] },
    });
  });
});

describe("group renames (previously:)", () => {
  it("renames the live group, keeping its members, instead of deleting and creating it", () => {
    const live = buildState({
      users: [{ login: "al", plan: "free" }],
      groups: [{ name: "bakers", description: "Bread", members: ["al"] }],
    });
    const plan = planFor(
      desiredOrg({
        groups: [{ name: "bakery", description: "Bread and cakes", previously: ["bakers"] }],
        users: [desiredOwner(), desiredUser("al", { groups: ["bakery"] })],
      }),
      liveView(live),
    );
    expect(plan.errors).toEqual([]);
    expect(plan.steps.map((s) => [s.id, s.summary])).toEqual([
      ["group/bakery:rename_group", "rename group bakers → bakery"],
      ["group/bakery:update_group", "update group bakery description"],
    ]);
    expect(plan.steps[0]!.changes).toEqual([{ path: "/name", from: "bakers", to: "bakery" }]);
    expect(plan.steps[1]!.depends_on).toEqual(["group/bakery:rename_group"]);
  });

  it("creates the group when none of its previous names is live", () => {
    const plan = planFor(
      desiredOrg({ groups: [{ name: "bakery", previously: ["bakers"] }] }),
      liveView(buildState()),
    );
    expect(plan.steps.map((s) => s.id)).toEqual(["group/bakery:create_group"]);
  });
});

describe("a disable is not a deletion", () => {
  it("an unlisted user disabled (removed_users: disable) is counted as a change, shown with ~", () => {
    const live = buildState({ users: [{ login: "gone", plan: "free" }] });
    const plan = planFor(desiredOrg({ users: [desiredOwner()] }), liveView(live));
    expect(plan.steps.map((s) => [s.id, s.symbol, s.destructive])).toEqual([
      ["user/gone:disable_user", "~", true],
    ]);
    expect(plan.counts).toMatchObject({ create: 0, update: 1, delete: 0, replace: 0 });
  });
});
