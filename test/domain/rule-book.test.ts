/**
 * The rule book's predicates that `validate`, the planner and the engine all ask (src/domain/rules.ts), and
 * the fix each refusal code carries to the user (fixOf): pinned here, where the mutation run sees them.
 */
import { describe, expect, it } from "vitest";
import {
  domainLimitRefusal,
  fixOf,
  ownerStateRefusal,
  refuse,
  seatLimitRefusal,
  selfActionRefusal,
} from "../../src/domain/index.js";

const ORG_PLAN = { name: "entry", paid_seats: 2, free_seats: 3, custom_domains: 1 } as never;

describe("fixOf", () => {
  const fixes: [string, string][] = [
    ["forbidden", "run orgctl with a token of a user whose role may do this (see Roles in the README)"],
    ["seat_limit", "remove users, move users between free and paid plans, or move to a larger org plan"],
    ["domain_limit", "list fewer domains or move to a larger org plan"],
    ["alias_limit", "give the user fewer aliases or a larger plan"],
    ["address_taken", "choose another address; retired provider addresses can never be reused"],
    ["address_reserved", "choose another address"],
    ["alias_permanent", "keep the alias: an alias on the provider domain goes only with its user"],
    ["domain_unverified", "publish the domain's TXT record and plan again"],
    ["domain_in_use", "move every address off the domain first, or keep the domain"],
    ["last_org_admin", "keep at least one active org_admin in org.yaml"],
    ["self_action", "run orgctl with another org_admin's token"],
    ["owner_protected", "leave the owner as it is in the console"],
  ];
  it.each(fixes)("gives %s its own fix", (code, fix) => {
    expect(fixOf(refuse(code as never, "no"))).toBe(fix);
  });
  it("prefers a refusal's own fix, and falls back to the general one", () => {
    expect(fixOf({ ...refuse("seat_limit", "no"), fix: "do this instead" })).toBe("do this instead");
    expect(fixOf(refuse("conflict", "no"))).toBe(
      "change org.yaml so that this step is no longer needed, or fix the console first",
    );
  });
});

describe("ownerStateRefusal", () => {
  it("accepts only an active org_admin owner, and names what is wrong", () => {
    expect(ownerStateRefusal({ login: "ann", role: "org_admin", status: "active" })).toBeNull();
    const member = ownerStateRefusal({ login: "ann", role: "member", status: "active" });
    expect(member).toMatchObject({ code: "owner_protected", details: { login: "ann" } });
    expect(member!.message).toBe(
      "ann is the owner and the owner is always an active org_admin, never role member; nobody may change the owner's role or disable the owner",
    );
    const disabled = ownerStateRefusal({ login: "ann", role: "org_admin", status: "disabled" });
    expect(disabled!.message).toContain("never status disabled;");
    expect(ownerStateRefusal({ login: "ann", role: "org_admin", status: "invited" })!.message).toContain(
      "never status invited;",
    );
  });
});

describe("limits at their edges", () => {
  it("seats: filling the last paid or free seat is fine, one more is refused; freeing is always fine", () => {
    expect(seatLimitRefusal(ORG_PLAN, { paid: 1, free: 0 }, { paid: 1, free: 0 })).toBeNull();
    expect(seatLimitRefusal(ORG_PLAN, { paid: 2, free: 0 }, { paid: 1, free: 0 })).toMatchObject({
      code: "seat_limit",
      details: { seats: 2, used: 2, kind: "paid" },
    });
    expect(seatLimitRefusal(ORG_PLAN, { paid: 0, free: 2 }, { paid: 0, free: 1 })).toBeNull();
    expect(seatLimitRefusal(ORG_PLAN, { paid: 0, free: 3 }, { paid: 0, free: 1 })).toMatchObject({
      code: "seat_limit",
      details: { seats: 3, used: 3, kind: "free" },
    });
    // Over the limit already, a change that adds nothing is not refused.
    expect(seatLimitRefusal(ORG_PLAN, { paid: 5, free: 5 }, { paid: 0, free: 0 })).toBeNull();
  });
  it("seats: the refusal says how many users the change would leave on paid or free plans", () => {
    // Two already used plus the two added: the message counts the users after the change, not the difference.
    expect(seatLimitRefusal(ORG_PLAN, { paid: 2, free: 0 }, { paid: 2, free: 0 })!.message).toMatch(
      /^4 users on paid plans but the entry org plan has 2 paid seats;/,
    );
    expect(seatLimitRefusal(ORG_PLAN, { paid: 0, free: 3 }, { paid: 0, free: 2 })!.message).toMatch(
      /^5 users on the free plan but the entry org plan has 3 free seats;/,
    );
  });
  it("domains: the last slot is fine, one more is refused, a removal over the limit is fine", () => {
    expect(domainLimitRefusal(ORG_PLAN, 0, 1)).toBeNull();
    expect(domainLimitRefusal(ORG_PLAN, 1, 1)).toMatchObject({
      code: "domain_limit",
      details: { limit: 1, used: 1 },
    });
    expect(domainLimitRefusal(ORG_PLAN, 3, 0)).toBeNull();
  });
  it("self actions: only the acting user themselves, and never the console", () => {
    expect(selfActionRefusal(null, "ann", "delete")).toBeNull();
    expect(selfActionRefusal("bob", "ann", "delete")).toBeNull();
    expect(selfActionRefusal("ann", "ann", "delete")).toMatchObject({
      code: "self_action",
      message: "nobody may delete themselves; ask another admin",
    });
  });
});
