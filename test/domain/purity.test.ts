import { describe, expect, it } from "vitest";
import { applyDecision, cloneState, decide, type Operation, renewDue, step } from "../../src/domain/index.js";
import {
  BY_OWNER,
  buildState,
  expectOk,
  expectRefused,
  NOW,
  newUser,
  snapshot,
} from "../support/builders.js";

const rich = () =>
  buildState({
    balance: 5000,
    domains: ["example.com"],
    users: [
      {
        login: "al",
        plan: "entry",
        aliases: ["x@example.com", "al.x@console.test"],
        period_end: "2026-06-09",
      },
      { login: "off", plan: "pro", status: "disabled", aliases: ["off@example.com"] },
      { login: "due", plan: "pro", period_end: "2026-02-01" },
    ],
    groups: [
      { name: "eng", members: ["al", "off"] },
      { name: "ops", members: ["owner"] },
    ],
  });

describe("decide never mutates its input state", () => {
  it.each<[string, Operation]>([
    ["refused (insufficient_funds)", { op: "create_user", user: newUser("big", { plan: "ultra" }) }],
    ["refused (must_disable_first)", { op: "delete_user", login: "al" }],
    ["refused (alias_permanent)", { op: "remove_alias", login: "al", address: "al.x@console.test" }],
    [
      "allowed (create with aliases and groups)",
      {
        op: "create_user",
        user: newUser("new", { plan: "entry", aliases: ["n@example.com"], groups: ["eng", "ops"] }),
      },
    ],
    ["allowed (delete with memberships and aliases)", { op: "delete_user", login: "off" }],
    ["allowed (plan change)", { op: "change_plan", login: "al", plan: "pro" }],
    ["allowed (alias)", { op: "add_alias", login: "al", address: "y@example.com" }],
    ["allowed (top-up)", { op: "top_up", amount_cents: 100, method: "test" }],
  ])("%s", (label, op) => {
    const state = rich();
    const before = snapshot(state);
    const records = new Map(state.users);
    const decision = decide(state, BY_OWNER, op, NOW);
    if (label.startsWith("refused")) expect(decision.ok).toBe(false);
    else expectOk(decision);
    expect(state).toEqual(before);
    // Records are the very same objects, untouched.
    for (const [login, user] of records) expect(state.users.get(login)).toBe(user);
  });

  it.each([
    [5000, 0],
    [100_000, 1],
  ])("renewDue does not mutate either (balance %i, %i charge)", (balance, charges) => {
    const state = rich();
    state.balance = balance;
    const before = snapshot(state);
    const { effects, ledger } = expectOk(renewDue(state, NOW));
    expect(effects).toHaveLength(1);
    expect(ledger).toHaveLength(charges);
    expect(state).toEqual(before);
  });

  it("applying to a cloneState copy leaves the original untouched", () => {
    const state = rich();
    const before = snapshot(state);
    const scratch = cloneState(state);
    expectOk(step(scratch, BY_OWNER, { op: "disable_user", login: "al" }, NOW));
    expectOk(step(scratch, BY_OWNER, { op: "delete_user", login: "al" }, NOW));
    expectOk(step(scratch, BY_OWNER, { op: "remove_member", group: "ops", login: "owner" }, NOW));
    expectOk(step(scratch, BY_OWNER, { op: "change_plan", login: "due", plan: "entry" }, NOW));
    expect(scratch.groups.get("eng")?.members).toEqual(["off"]);
    expect(scratch.users.has("al")).toBe(false);
    expect(state).toEqual(before);
  });

  it("step applies only when allowed; a refused step leaves the state as it was", () => {
    const state = rich();
    const before = snapshot(state);
    expectRefused(
      step(state, BY_OWNER, { op: "create_user", user: newUser("big", { plan: "ultra" }) }, NOW),
      "insufficient_funds",
    );
    expect(state).toEqual(before);
    const decision = expectOk(
      decide(state, BY_OWNER, { op: "top_up", amount_cents: 700, method: "test" }, NOW),
    );
    applyDecision(state, decision.effects, decision.ledger);
    expect(state.balance).toBe(5700);
    expect(state.org.revision).toBe(before.org.revision + 1);
  });
});
