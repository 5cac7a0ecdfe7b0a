/**
 * What each step needs from the steps before it, from the engine's facts (src/plan/step-facts.ts
 * `NeedsTracker.record`): pinned on short hand-made runs, step by step, with the signals each step gives to
 * wake the steps refused before it. The planner's properties reach these only through whole plans.
 */
import { describe, expect, it } from "vitest";
import { applyDecision, type ConsoleState, decide, type Operation } from "../../src/domain/index.js";
import type { DraftStep } from "../../src/plan/diff.js";
import { NeedsTracker, touchedKeys } from "../../src/plan/step-facts.js";
import { BY_OWNER, buildState, NOW, newUser } from "../support/builders.js";

/** Runs `ops` in order as steps s0, s1…, each allowed by the engine; what `record` said of each (the state is left as it was). */
function run(state: ConsoleState, ops: Operation[]): { needs: string[]; signals: string[] }[] {
  const tracker = new NeedsTracker(BY_OWNER, NOW);
  return ops.map((operation, i) => {
    const step = { id: `s${i}`, action: operation.op, operation } as unknown as DraftStep;
    const decision = decide(state, BY_OWNER, operation, NOW);
    if (!decision.ok) expect.fail(`s${i} ${operation.op} refused: ${decision.refusal.code}`);
    const before = structuredClone(state);
    const facts = tracker.record(state, step, decision);
    expect(state).toEqual(before);
    applyDecision(state, decision.effects, decision.ledger);
    // Signals are wake-up keys: their order and repeats do not matter.
    return { needs: [...facts.needs].sort(), signals: [...new Set(facts.signals)].sort() };
  });
}

describe("NeedsTracker.record", () => {
  it("a step on a user or group needs the step that created it, and signals what it made", () => {
    const s = buildState({});
    expect(
      run(s, [
        { op: "create_group", name: "eng", description: "" },
        { op: "create_user", user: newUser("al") },
        { op: "add_member", group: "eng", login: "al" },
        { op: "update_user", login: "al", first_name: "Al" },
      ]),
    ).toEqual([
      { needs: [], signals: ["group:eng"] },
      { needs: [], signals: ["user:al"] },
      { needs: ["s0", "s1"], signals: ["group:eng", "member:eng/al"] },
      { needs: ["s1"], signals: ["user:al"] },
    ]);
  });

  it("removing a record waits for the steps that read it since it was created", () => {
    const s = buildState({ users: [{ login: "al" }], groups: [{ name: "eng" }] });
    expect(
      run(s, [
        { op: "add_member", group: "eng", login: "al" },
        { op: "update_group", name: "eng", description: "d" },
        { op: "remove_member", group: "eng", login: "al" },
        { op: "delete_group", name: "eng" },
      ]),
    ).toEqual([
      { needs: [], signals: ["group:eng", "member:eng/al"] },
      { needs: [], signals: ["group:eng"] },
      { needs: ["s0"], signals: ["group:eng", "member:eng/al"] },
      { needs: ["s0", "s1", "s2"], signals: ["group:eng"] },
    ]);
  });

  it("an address taken again needs the step that released it", () => {
    const s = buildState({
      users: [
        { login: "al", plan: "pro", aliases: ["x@acme.example"] },
        { login: "bo", plan: "pro" },
      ],
      domains: ["acme.example"],
    });
    expect(
      run(s, [
        { op: "remove_alias", login: "al", address: "x@acme.example" },
        { op: "add_alias", login: "bo", address: "X@acme.example" },
      ]),
    ).toEqual([
      { needs: [], signals: ["address:x@acme.example", "domain:acme.example", "user:al"] },
      { needs: ["s0"], signals: ["user:bo"] },
    ]);
  });

  it("an address on a new domain needs the step that verified it; deleting the domain, those that released its addresses", () => {
    const s = buildState({ orgPlan: "ultra", verifier: "dns", users: [{ login: "al", plan: "pro" }] });
    const steps = run(s, [
      { op: "create_domain", name: "new.example", verification_token: "t" },
      { op: "verify_domain", name: "new.example", txt_values: ["orgctl-verification=t"] },
      { op: "add_alias", login: "al", address: "a@new.example" },
      { op: "remove_alias", login: "al", address: "a@new.example" },
      { op: "delete_domain", name: "new.example" },
    ]);
    expect(steps).toEqual([
      { needs: [], signals: ["domain:new.example"] },
      { needs: ["s0"], signals: ["domain:new.example"] },
      { needs: ["s1"], signals: ["user:al"] },
      { needs: ["s2"], signals: ["address:a@new.example", "domain:new.example", "user:al"] },
      { needs: ["s0", "s1", "s3"], signals: ["domain:new.example"] },
    ]);
  });

  it("a step on a user needs an earlier change to that user only when the engine refuses it without the change", () => {
    const s = buildState({ users: [{ login: "al" }] });
    expect(
      run(s, [
        { op: "change_plan", login: "al", plan: "pro" },
        { op: "update_user", login: "al", last_name: "Smith" },
        { op: "add_alias", login: "al", address: "al2@console.test" },
      ]),
    ).toEqual([
      { needs: [], signals: ["user:al"] },
      { needs: [], signals: ["user:al"] },
      // A free plan has no alias: the alias needs the plan change, not the name change.
      { needs: ["s0"], signals: ["user:al"] },
    ]);
  });

  it("a user deleted and created again: the new one needs the deletion, and no change of the old one", () => {
    const s = buildState({ users: [{ login: "al", plan: "pro", status: "disabled" }] });
    expect(
      run(s, [
        { op: "delete_user", login: "al" },
        { op: "create_user", user: newUser("al", { email: "al2@console.test" }) },
        { op: "change_plan", login: "al", plan: "entry" },
      ]),
    ).toEqual([
      { needs: [], signals: ["address:al@console.test", "user:al"] },
      { needs: ["s0"], signals: ["user:al"] },
      { needs: ["s1"], signals: ["user:al"] },
    ]);
  });
});

describe("NeedsTracker.record: memberships made and dropped with their user", () => {
  it("a user created into a group makes the membership; deleting a member drops it", () => {
    const s = buildState({ groups: [{ name: "eng" }], users: [{ login: "bo", status: "disabled" }] });
    expect(
      run(s, [
        { op: "add_member", group: "eng", login: "bo" },
        { op: "create_user", user: { ...newUser("al"), groups: ["eng"] } },
        { op: "remove_member", group: "eng", login: "al" },
        { op: "delete_user", login: "bo" },
      ]),
    ).toEqual([
      { needs: [], signals: ["group:eng", "member:eng/bo"] },
      { needs: [], signals: ["group:eng", "member:eng/al", "user:al"] },
      { needs: ["s1"], signals: ["group:eng", "member:eng/al"] },
      { needs: ["s0"], signals: ["address:bo@console.test", "group:eng", "member:eng/bo", "user:bo"] },
    ]);
  });
});

describe("touchedKeys: what wakes a refused step", () => {
  it("the records it reads, the ones it needs absent, and the custom domains it needs verified", () => {
    const s = buildState({});
    expect(
      touchedKeys(
        {
          op: "create_user",
          user: {
            ...newUser("al", { email: "al@acme.example" }),
            aliases: ["a@console.test"],
            groups: ["eng"],
          },
        },
        s,
      ),
    ).toEqual([
      "group:eng",
      "user:al",
      "address:al@acme.example",
      "address:a@console.test",
      "domain:acme.example",
    ]);
    expect(touchedKeys({ op: "rename_group", name: "eng", to: "dev" }, s)).toEqual([
      "group:eng",
      "group:dev",
    ]);
    expect(touchedKeys({ op: "remove_member", group: "eng", login: "al" }, s)).toEqual([
      "group:eng",
      "member:eng/al",
    ]);
    expect(touchedKeys({ op: "create_domain", name: "New.Example", verification_token: "t" }, s)).toEqual([
      "domain:new.example",
    ]);
  });
});

describe("touchedKeys of operations the planner never plans or cannot take", () => {
  it("an operation a plan never holds reads nothing", () => {
    const s = buildState({});
    expect(touchedKeys({ op: "top_up", amount_cents: 100, method: "test" }, s)).toEqual([]);
    expect(touchedKeys({ op: "login", login: "al" }, s)).toEqual([]);
  });

  it("an address without a domain is still a key, on no domain", () => {
    const s = buildState({});
    expect(touchedKeys({ op: "add_alias", login: "al", address: "Nope" }, s)).toEqual([
      "user:al",
      "address:nope",
    ]);
  });
});

describe("NeedsTracker.record: which earlier change to a user a step needs", () => {
  it("undoing an earlier change restores only the fields it changed, not those changed after it", () => {
    const s = buildState({ users: [{ login: "al" }] });
    expect(
      run(s, [
        { op: "update_user", login: "al", last_name: "Smith" },
        { op: "change_plan", login: "al", plan: "pro" },
        { op: "add_alias", login: "al", address: "al2@console.test" },
      ]),
    ).toEqual([
      { needs: [], signals: ["user:al"] },
      { needs: [], signals: ["user:al"] },
      // Undoing s0 would put back its last name only, not the free plan it had then.
      { needs: ["s1"], signals: ["user:al"] },
    ]);
  });

  it("undoing an added alias removes that alias only, not those the user had before", () => {
    const s = buildState({
      users: [{ login: "al", plan: "pro", aliases: ["a1@acme.example"] }],
      domains: ["acme.example"],
    });
    expect(
      run(s, [
        { op: "add_alias", login: "al", address: "a2@acme.example" },
        { op: "remove_alias", login: "al", address: "a1@acme.example" },
      ]),
    ).toEqual([
      { needs: [], signals: ["user:al"] },
      { needs: [], signals: ["address:a1@acme.example", "domain:acme.example", "user:al"] },
    ]);
  });

  it("a removed alias given to another user since is not put back to test (the state is left as it was)", () => {
    const s = buildState({
      users: [
        { login: "al", plan: "pro", aliases: ["x@acme.example"] },
        { login: "bo", plan: "pro" },
      ],
      domains: ["acme.example"],
    });
    // run() checks after each record that the state is unchanged: putting x back on al would drop bo's.
    expect(
      run(s, [
        { op: "remove_alias", login: "al", address: "x@acme.example" },
        { op: "add_alias", login: "bo", address: "x@acme.example" },
        { op: "update_user", login: "al", first_name: "Al" },
      ]),
    ).toEqual([
      { needs: [], signals: ["address:x@acme.example", "domain:acme.example", "user:al"] },
      { needs: ["s0"], signals: ["user:bo"] },
      { needs: [], signals: ["user:al"] },
    ]);
    expect(s.addresses.get("x@acme.example")).toEqual({ login: "bo", kind: "alias" });
  });
});

describe("NeedsTracker.record: deleting a domain waits for every release of an address on it, and only those", () => {
  it("each step that released an address on the domain, and no step that kept one", () => {
    const s = buildState({
      users: [
        { login: "al", plan: "pro", aliases: ["x@acme.example"] },
        { login: "bo", plan: "pro", aliases: ["y@acme.example"] },
      ],
      domains: ["acme.example"],
    });
    expect(
      run(s, [
        { op: "add_alias", login: "al", address: "z@console.test" },
        { op: "remove_alias", login: "al", address: "x@acme.example" },
        { op: "remove_alias", login: "bo", address: "y@acme.example" },
        { op: "delete_domain", name: "acme.example" },
      ]),
    ).toEqual([
      { needs: [], signals: ["user:al"] },
      { needs: [], signals: ["address:x@acme.example", "domain:acme.example", "user:al"] },
      { needs: [], signals: ["address:y@acme.example", "domain:acme.example", "user:bo"] },
      { needs: ["s1", "s2"], signals: ["domain:acme.example"] },
    ]);
  });

  it("a group named like the domain does not wait for those releases", () => {
    const s = buildState({
      users: [{ login: "al", plan: "pro", aliases: ["x@acme.example"] }],
      domains: ["acme.example"],
    });
    expect(
      run(s, [
        { op: "remove_alias", login: "al", address: "x@acme.example" },
        { op: "create_group", name: "acme.example", description: "" },
      ]),
    ).toEqual([
      { needs: [], signals: ["address:x@acme.example", "domain:acme.example", "user:al"] },
      { needs: [], signals: ["group:acme.example"] },
    ]);
  });

  it("deleting a group named like a verified domain does not forget who verified it", () => {
    const s = buildState({
      orgPlan: "ultra",
      verifier: "dns",
      users: [{ login: "al", plan: "pro" }],
      groups: [{ name: "new.example" }],
    });
    expect(
      run(s, [
        { op: "create_domain", name: "new.example", verification_token: "t" },
        { op: "verify_domain", name: "new.example", txt_values: ["orgctl-verification=t"] },
        { op: "delete_group", name: "new.example" },
        { op: "add_alias", login: "al", address: "a@new.example" },
      ]),
    ).toEqual([
      { needs: [], signals: ["domain:new.example"] },
      { needs: ["s0"], signals: ["domain:new.example"] },
      { needs: [], signals: ["group:new.example"] },
      { needs: ["s1"], signals: ["user:al"] },
    ]);
  });
});
