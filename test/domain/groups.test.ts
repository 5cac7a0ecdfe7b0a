import { describe, expect, it } from "vitest";
import { decide, groupsOf, MAX_GROUPS_AT_CREATE, step } from "../../src/domain/index.js";
import {
  as,
  BY_OWNER,
  buildState,
  expectOk,
  expectRefused,
  type GroupSpec,
  NOW,
  newUser,
  userOf,
} from "../support/builders.js";

const groups = (n: number): GroupSpec[] =>
  Array.from({ length: n }, (_, i) => ({ name: `g${String(i).padStart(2, "0")}` }));
const names = (n: number) => groups(n).map((g) => g.name);

describe("groups", () => {
  it("a group is created with a unique name, a description and no members", () => {
    const s = buildState();
    const { effects } = expectOk(
      step(s, BY_OWNER, { op: "create_group", name: "eng", description: "Engineering" }, NOW),
    );
    expect(effects).toEqual([
      {
        type: "put_record",
        kind: "groups",
        record: { name: "eng", description: "Engineering", members: [] },
      },
    ]);
    expect(s.groups.get("eng")).toEqual({ name: "eng", description: "Engineering", members: [] });
    expectRefused(
      decide(s, BY_OWNER, { op: "create_group", name: "eng", description: "Again" }, NOW),
      "conflict",
    );
    expectRefused(
      decide(s, BY_OWNER, { op: "create_group", name: "Eng Team", description: "" }, NOW),
      "invalid",
    );
  });

  it("a group's description can be changed and the group deleted", () => {
    const s = buildState({ groups: [{ name: "eng", description: "old", members: ["owner"] }] });
    expectOk(step(s, BY_OWNER, { op: "update_group", name: "eng", description: "new" }, NOW));
    expect(s.groups.get("eng")).toEqual({ name: "eng", description: "new", members: ["owner"] });
    expectOk(step(s, BY_OWNER, { op: "delete_group", name: "eng" }, NOW));
    expect(s.groups.has("eng")).toBe(false);
    expect(userOf(s, "owner").login).toBe("owner");
    expectRefused(
      decide(s, BY_OWNER, { op: "update_group", name: "eng", description: "x" }, NOW),
      "not_found",
    );
    expectRefused(decide(s, BY_OWNER, { op: "delete_group", name: "eng" }, NOW), "not_found");
  });
});

describe("memberships", () => {
  it("adding keeps members sorted; adding a current member changes nothing (PUT is idempotent)", () => {
    const s = buildState({
      users: [{ login: "zoe" }, { login: "al" }],
      groups: [{ name: "eng", members: ["zoe"] }],
    });
    expectOk(step(s, BY_OWNER, { op: "add_member", group: "eng", login: "al" }, NOW));
    expect(s.groups.get("eng")?.members).toEqual(["al", "zoe"]);
    expect(groupsOf(s, "al")).toEqual(["eng"]);
    expect(decide(s, BY_OWNER, { op: "add_member", group: "eng", login: "al" }, NOW)).toEqual({
      ok: true,
      effects: [],
      ledger: [],
    });
  });

  it("an unknown user or group is not_found", () => {
    const s = buildState({ users: [{ login: "al" }], groups: [{ name: "eng" }] });
    expectRefused(decide(s, BY_OWNER, { op: "add_member", group: "eng", login: "ghost" }, NOW), "not_found");
    expectRefused(decide(s, BY_OWNER, { op: "add_member", group: "nope", login: "al" }, NOW), "not_found");
    expectRefused(decide(s, BY_OWNER, { op: "remove_member", group: "nope", login: "al" }, NOW), "not_found");
  });

  it("removing a member; removing a non-member is not_found", () => {
    const s = buildState({
      users: [{ login: "al" }, { login: "bo" }],
      groups: [{ name: "eng", members: ["al", "bo"] }],
    });
    expectOk(step(s, BY_OWNER, { op: "remove_member", group: "eng", login: "al" }, NOW));
    expect(s.groups.get("eng")?.members).toEqual(["bo"]);
    expectRefused(decide(s, BY_OWNER, { op: "remove_member", group: "eng", login: "al" }, NOW), "not_found");
  });

  it("a user_admin manages memberships of any user, admins included", () => {
    const s = buildState({
      users: [
        { login: "ua", role: "user_admin" },
        { login: "ba", role: "billing_admin" },
      ],
      groups: [{ name: "eng" }],
    });
    expectOk(step(s, as("ua"), { op: "add_member", group: "eng", login: "ba" }, NOW));
    expectOk(step(s, as("ua"), { op: "add_member", group: "eng", login: "owner" }, NOW));
    expect(s.groups.get("eng")?.members).toEqual(["ba", "owner"]);
  });
});

describe(`at most ${MAX_GROUPS_AT_CREATE} groups when a user is created`, () => {
  it("the limit is 10", () => {
    expect(MAX_GROUPS_AT_CREATE).toBe(10);
  });

  it("10 groups are accepted and the user becomes a member of each", () => {
    const s = buildState({ groups: groups(11) });
    const { effects } = expectOk(
      step(s, BY_OWNER, { op: "create_user", user: newUser("al", { groups: names(10) }) }, NOW),
    );
    expect(effects.filter((e) => e.type === "put_record" && e.kind === "groups")).toHaveLength(10);
    expect(groupsOf(s, "al")).toEqual(names(10));
    expect(s.groups.get("g10")?.members).toEqual([]);
  });

  it("11 groups are refused with group_limit and nothing changes", () => {
    const s = buildState({ groups: groups(11) });
    const before = structuredClone(s);
    const refusal = expectRefused(
      step(s, BY_OWNER, { op: "create_user", user: newUser("al", { groups: names(11) }) }, NOW),
      "group_limit",
    );
    expect(refusal.details).toEqual({ login: "al", given: 11 });
    expect(s).toEqual(before);
  });

  it("a group named twice counts once", () => {
    const s = buildState({ groups: groups(10) });
    expectOk(
      step(s, BY_OWNER, { op: "create_user", user: newUser("al", { groups: [...names(10), "g00"] }) }, NOW),
    );
    expect(groupsOf(s, "al")).toEqual(names(10));
  });

  it("further memberships are added through the group", () => {
    const s = buildState({ groups: groups(11) });
    expectOk(step(s, BY_OWNER, { op: "create_user", user: newUser("al", { groups: names(10) }) }, NOW));
    expectOk(step(s, BY_OWNER, { op: "add_member", group: "g10", login: "al" }, NOW));
    expect(groupsOf(s, "al")).toEqual(names(11));
  });

  it("an unknown group at creation is not_found", () => {
    const s = buildState({ groups: groups(1) });
    expectRefused(
      decide(s, BY_OWNER, { op: "create_user", user: newUser("al", { groups: ["g00", "nope"] }) }, NOW),
      "not_found",
    );
  });
});
