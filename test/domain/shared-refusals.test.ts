import { describe, expect, it } from "vitest";
import {
  customDomainOf,
  DEFAULT_CATALOG,
  fixOf,
  isPermanentAddress,
  orgPlanPrice,
  ownerChangeRefusal,
  permanentAliasRefusal,
  permanentMailboxOf,
  reservedAddressRefusal,
  unknownOrgPlanRefusal,
} from "../../src/domain/index.js";
import { buildState } from "../support/builders.js";

/**
 * The rules `validate` and the planner take from src/domain without going through the engine: pinned here, in
 * the domain tests, so that `npm run mutation` sees them (the planner's parity tests run outside it).
 */

describe("the organization's plan is one the catalog sells (unknownOrgPlanRefusal)", () => {
  it("a known org plan passes", () => {
    for (const plan of ["entry", "pro", "ultra"])
      expect(unknownOrgPlanRefusal(DEFAULT_CATALOG, plan)).toBeNull();
  });

  it("any other is invalid, naming the plan and the ones to choose from", () => {
    expect(unknownOrgPlanRefusal(DEFAULT_CATALOG, "gold")).toEqual({
      code: "invalid",
      message: "org plan gold is not in the catalog; choose one of entry, pro, ultra",
      details: { org_plan: "gold" },
    });
  });

  it("the yearly fee of an org plan the catalog does not have is 0, not a crash", () => {
    expect(orgPlanPrice(DEFAULT_CATALOG, "pro")).toBe(12000);
    expect(orgPlanPrice(DEFAULT_CATALOG, "gold")).toBe(0);
  });
});

describe("the owner never changes (ownerChangeRefusal)", () => {
  it("marking the owner as the owner is fine", () => {
    expect(ownerChangeRefusal("owner", "owner")).toBeNull();
  });

  it("marking another user is owner_protected, with both logins and the fix", () => {
    const refusal = ownerChangeRefusal("owner", "bob");
    expect(refusal).toEqual({
      code: "owner_protected",
      message: "bob is marked as the owner, but the console's owner is owner; the owner never changes",
      details: { login: "bob", owner: "owner" },
      fix: "move owner: true to owner, or remove it",
    });
    expect(fixOf(refusal!)).toBe("move owner: true to owner, or remove it");
  });
});

describe("a provider-domain mailbox belongs to its login for good (permanentMailboxOf)", () => {
  const live = () =>
    buildState({
      domains: ["acme.example"],
      users: [
        { login: "tom", email: "tom@console.test", aliases: ["t@console.test", "t@acme.example"] },
        { login: "ann", email: "ann@acme.example" },
      ],
      retired: ["gone@console.test"],
    });

  it("a user's email on the provider domain is that user's", () => {
    expect(permanentMailboxOf(live(), "tom@console.test")).toBe("tom");
  });

  it("an email on a custom domain, an alias, a retired or an unknown address is nobody's for good", () => {
    const s = live();
    expect(permanentMailboxOf(s, "ann@acme.example")).toBeNull();
    expect(permanentMailboxOf(s, "t@console.test")).toBeNull();
    expect(permanentMailboxOf(s, "t@acme.example")).toBeNull();
    expect(permanentMailboxOf(s, "gone@console.test")).toBeNull();
    expect(permanentMailboxOf(s, "nobody@console.test")).toBeNull();
  });
});

describe("alias_permanent says how to keep the alias in org.yaml", () => {
  it("the fix names the address and the user", () => {
    const s = buildState({ domains: ["acme.example"] });
    const refusal = permanentAliasRefusal(s, "tom", "T@Console.test");
    expect(refusal).toMatchObject({ code: "alias_permanent", details: { address: "t@console.test" } });
    expect(fixOf(refusal!)).toBe(
      "list t@console.test among tom's aliases in org.yaml: it goes only when tom is deleted",
    );
    expect(permanentAliasRefusal(s, "tom", "t@acme.example")).toBeNull();
  });
});

describe("the address rules are total: an address without an @ is answered, never a crash", () => {
  it("it is not reserved, not permanent, and on no custom domain", () => {
    const s = buildState({});
    expect(reservedAddressRefusal("abuse")).toBeNull();
    expect(reservedAddressRefusal("abuse@acme.example")).toMatchObject({ code: "address_reserved" });
    expect(isPermanentAddress(s, "console.test")).toBe(false);
    expect(customDomainOf(s, "acme.example")).toBeNull();
    expect(customDomainOf(s, "a@acme.example")).toBe("acme.example");
  });
});
