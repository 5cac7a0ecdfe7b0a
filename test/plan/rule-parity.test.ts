/**
 * One rule book: where the planner reports a rule before the engine would (a domain waiting for DNS, a
 * mailbox under a new login, a new owner), it asks the same predicate in src/domain, and what it predicts is
 * what the engine decides. Each test fails if the planner restates the rule and drifts.
 */
import { describe, expect, it } from "vitest";
import {
  cloneState,
  decide,
  domainsLeft,
  findOrgPlan,
  fixOf,
  type Operation,
  ownerChangeRefusal,
  permanentMailboxOf,
  seatsLeft,
  step,
  type Verifier,
  verificationRecord,
} from "../../src/domain/index.js";
import { BY_OWNER, buildState, NOW, newUser } from "../support/builders.js";
import { desiredOrg, desiredOwner, desiredUser, liveView, planFor } from "../support/plan-builders.js";

describe("domain verification: the plan blocks exactly what the engine would refuse", () => {
  const NAME = "acme.example";
  const RIGHT = verificationRecord(NAME, `token-${NAME}`).value;
  const cases: [Verifier, "pending" | "new", string[] | undefined][] = [];
  for (const verifier of ["auto", "dns"] as const)
    for (const domain of ["pending", "new"] as const)
      for (const txt of [undefined, [RIGHT], ["orgctl-verification=other"]])
        cases.push([verifier, domain, txt]);

  it.each(cases)("verifier %s, %s domain, TXT %j", (verifier, domain, txt) => {
    const live = buildState({
      verifier,
      domains: domain === "pending" ? [{ name: NAME, status: "pending" }] : [],
    });
    const plan = planFor(desiredOrg({ domains: [NAME] }), liveView(live), {
      ...(txt ? { verifiedTxt: new Map([[NAME, txt]]) } : {}),
    });
    const planBlocks = plan.blocked.some((b) => b.domain === NAME);
    // The engine: the domain created (if new), then verified with the TXT values DNS gave.
    const state = cloneState(live);
    if (domain === "new") {
      const created = step(
        state,
        BY_OWNER,
        { op: "create_domain", name: NAME, verification_token: "fresh" },
        NOW,
      );
      expect(created.ok).toBe(true);
    }
    const verified =
      state.domains.get(NAME)!.status === "verified" ||
      decide(state, BY_OWNER, { op: "verify_domain", name: NAME, ...(txt ? { txt_values: txt } : {}) }, NOW)
        .ok;
    expect(planBlocks).toBe(!verified);
    // The case where DNS proves a pending domain is one where neither side refuses.
    if (verifier === "dns" && domain === "pending" && txt?.[0] === RIGHT) expect(planBlocks).toBe(false);
    expect(plan.errors).toEqual([]);
  });
});

describe("a mailbox under a new login (login_immutable)", () => {
  it.each([
    ["a provider-domain mailbox", "tom@console.test", true],
    ["a custom-domain mailbox", "tom@acme.example", false],
  ])(
    "%s: the plan refuses it as a rename exactly when the engine never gives it to another login",
    (_, email, permanent) => {
      const live = buildState({
        domains: ["acme.example"],
        users: [{ login: "tom", plan: "free", email }],
      });
      expect(permanentMailboxOf(live, email)).toBe(permanent ? "tom" : null);
      const plan = planFor(
        desiredOrg({
          domains: ["acme.example"],
          users: [desiredOwner(), desiredUser("thomas", { email })],
          policy: { removed_users: "delete" },
        }),
        liveView(live),
      );
      expect(plan.errors.some((e) => e.code === "login_immutable")).toBe(permanent);
      // The engine: tom disabled and deleted, then thomas created with tom's email.
      const state = cloneState(live);
      expect(step(state, BY_OWNER, { op: "disable_user", login: "tom" }, NOW).ok).toBe(true);
      expect(step(state, BY_OWNER, { op: "delete_user", login: "tom" }, NOW).ok).toBe(true);
      const created = decide(state, BY_OWNER, { op: "create_user", user: newUser("thomas", { email }) }, NOW);
      expect(created.ok).toBe(!permanent);
      if (!created.ok) expect(created.refusal.code).toBe("address_taken");
    },
  );
});

describe("the owner never changes", () => {
  it("a file that marks another user as the owner gets the domain's refusal, with its fix", () => {
    const live = buildState({ users: [{ login: "bob", plan: "free" }] });
    const plan = planFor(
      desiredOrg({ users: [desiredOwner({ owner: false }), desiredUser("bob", { owner: true })] }),
      liveView(live),
    );
    const refusal = ownerChangeRefusal("owner", "bob")!;
    expect(plan.errors).toEqual([
      expect.objectContaining({ code: refusal.code, message: refusal.message, fix: fixOf(refusal) }),
    ]);
    expect(ownerChangeRefusal("owner", "owner")).toBeNull();
  });
});

describe("the room the scheduler counts with is the room the engine allows", () => {
  it.each(["entry", "pro"])("org plan %s: seats and custom domains", (orgPlan) => {
    const state = buildState({ orgPlan, users: [{ login: "p1", plan: "entry" }], balance: 10_000_000 });
    const spec = findOrgPlan(state.catalog, orgPlan)!;
    const left = seatsLeft(spec, { paid: state.counters.paid_seats, free: state.counters.free_seats });
    const domains = domainsLeft(spec, state.domains.size);
    const accepted = (make: (i: number) => Operation, tries: number) => {
      const scratch = cloneState(state);
      let n = 0;
      for (let i = 0; i < tries; i += 1) if (step(scratch, BY_OWNER, make(i), NOW).ok) n += 1;
      return n;
    };
    const paid = accepted((i) => ({ op: "create_user", user: newUser(`paid${i}`, { plan: "entry" }) }), 30);
    const free = accepted((i) => ({ op: "create_user", user: newUser(`free${i}`, { plan: "free" }) }), 30);
    const custom = accepted(
      (i) => ({ op: "create_domain", name: `d${i}.example`, verification_token: "t" }),
      30,
    );
    expect({ paid, free, custom }).toEqual({
      paid: Math.min(left.paid, 30),
      free: Math.min(left.free, 30),
      custom: Math.min(domains, 30),
    });
  });
});
