import { describe, expect, it } from "vitest";
import { decide, routedAddresses, step, verificationRecord } from "../../src/domain/index.js";
import {
  as,
  BY_OWNER,
  buildState,
  expectOk,
  expectRefused,
  NOW,
  newUser,
  OWNER,
  PROVIDER,
  userOf,
} from "../support/builders.js";

describe("custom domain limit per org plan", () => {
  it.each([
    ["entry", 1],
    ["pro", 3],
    ["ultra", 10],
  ])("%s allows %i custom domain(s)", (orgPlan, limit) => {
    const s = buildState({ orgPlan });
    for (let i = 0; i < limit; i++) {
      expectOk(
        step(s, BY_OWNER, { op: "create_domain", name: `d${i}.example`, verification_token: "t" }, NOW),
      );
    }
    expect(s.domains.size).toBe(limit);
    const before = structuredClone(s);
    const refusal = expectRefused(
      step(s, BY_OWNER, { op: "create_domain", name: "one-more.example", verification_token: "t" }, NOW),
      "domain_limit",
    );
    expect(refusal.details).toEqual({ limit, used: limit });
    expect(s).toEqual(before);
  });

  it("pending domains count toward the limit; removing one frees a slot", () => {
    const s = buildState({ orgPlan: "entry", domains: [{ name: "a.example", status: "pending" }] });
    expectRefused(
      decide(s, BY_OWNER, { op: "create_domain", name: "b.example", verification_token: "t" }, NOW),
      "domain_limit",
    );
    expectOk(step(s, BY_OWNER, { op: "delete_domain", name: "a.example" }, NOW));
    expectOk(step(s, BY_OWNER, { op: "create_domain", name: "b.example", verification_token: "t" }, NOW));
    expect([...s.domains.keys()]).toEqual(["b.example"]);
  });
});

describe("adding and verifying a domain", () => {
  it("with the auto verifier a new domain is verified at once", () => {
    const s = buildState({ verifier: "auto" });
    const { effects } = expectOk(
      step(s, BY_OWNER, { op: "create_domain", name: "Example.COM", verification_token: "tok1" }, NOW),
    );
    const domain = {
      name: "example.com",
      status: "verified",
      verification_token: "tok1",
      created_at: "2026-03-01T12:00:00.000Z",
      verified_at: "2026-03-01T12:00:00.000Z",
    };
    expect(effects).toEqual([{ type: "put_record", kind: "domains", record: domain }]);
    expect(s.domains.get("example.com")).toEqual(domain);
  });

  it("with the dns verifier a new domain is pending until its TXT record is seen", () => {
    const s = buildState({ verifier: "dns" });
    expectOk(
      step(s, BY_OWNER, { op: "create_domain", name: "example.com", verification_token: "tok1" }, NOW),
    );
    expect(s.domains.get("example.com")).toMatchObject({ status: "pending", verified_at: null });
    const record = { name: "_orgctl-verification.example.com", value: "orgctl-verification=tok1" };
    expect(verificationRecord("example.com", "tok1")).toEqual(record);

    const none = expectRefused(
      step(s, BY_OWNER, { op: "verify_domain", name: "example.com" }, NOW),
      "domain_unverified",
    );
    expect(none.details).toEqual({ domain: "example.com", txt_record: record });
    expectRefused(
      step(
        s,
        BY_OWNER,
        { op: "verify_domain", name: "example.com", txt_values: ["orgctl-verification=wrong", "v=spf1"] },
        NOW,
      ),
      "domain_unverified",
    );
    expect(s.domains.get("example.com")?.status).toBe("pending");

    const later = new Date("2026-03-02T08:00:00Z");
    expectOk(
      step(
        s,
        BY_OWNER,
        { op: "verify_domain", name: "example.com", txt_values: ["v=spf1", record.value] },
        later,
      ),
    );
    expect(s.domains.get("example.com")).toMatchObject({
      status: "verified",
      verified_at: "2026-03-02T08:00:00.000Z",
    });
  });

  it("verifying a domain that is already verified changes nothing", () => {
    const s = buildState({ verifier: "dns", domains: ["example.com"] });
    const { effects, ledger } = expectOk(
      decide(s, BY_OWNER, { op: "verify_domain", name: "example.com" }, NOW),
    );
    expect(effects).toEqual([]);
    expect(ledger).toEqual([]);
  });

  it("an auto verifier verifies a pending domain without TXT values", () => {
    const s = buildState({ verifier: "auto", domains: [{ name: "example.com", status: "pending" }] });
    expectOk(step(s, BY_OWNER, { op: "verify_domain", name: "example.com" }, NOW));
    expect(s.domains.get("example.com")?.status).toBe("verified");
  });

  it("unknown, duplicate, invalid and provider domains are refused", () => {
    const s = buildState({ domains: ["example.com"] });
    expectRefused(decide(s, BY_OWNER, { op: "verify_domain", name: "nope.example" }, NOW), "not_found");
    expectRefused(decide(s, BY_OWNER, { op: "delete_domain", name: "nope.example" }, NOW), "not_found");
    expectRefused(
      decide(s, BY_OWNER, { op: "create_domain", name: "example.com", verification_token: "t" }, NOW),
      "conflict",
    );
    expectRefused(
      decide(s, BY_OWNER, { op: "create_domain", name: PROVIDER, verification_token: "t" }, NOW),
      "conflict",
    );
    expectRefused(
      decide(s, BY_OWNER, { op: "create_domain", name: "not a domain", verification_token: "t" }, NOW),
      "invalid",
    );
    expectRefused(
      decide(s, BY_OWNER, { op: "create_domain", name: "nodot", verification_token: "t" }, NOW),
      "invalid",
    );
  });
});

describe("addresses on domains", () => {
  it("the provider domain always exists and needs no verification", () => {
    const s = buildState({ verifier: "dns" });
    expect(s.domains.size).toBe(0);
    expectOk(step(s, BY_OWNER, { op: "create_user", user: newUser("al", { email: `al@${PROVIDER}` }) }, NOW));
    expect(userOf(s, "al").email).toBe("al@console.test");
  });

  it("an address on a custom domain needs the domain verified", () => {
    const s = buildState({
      verifier: "dns",
      domains: [{ name: "pending.example", status: "pending", token: "tk" }, "ok.example"],
      users: [{ login: "al", plan: "entry" }],
    });
    const pending = expectRefused(
      decide(s, BY_OWNER, { op: "create_user", user: newUser("bo", { email: "bo@pending.example" }) }, NOW),
      "domain_unverified",
    );
    expect(pending.details).toEqual({
      address: "bo@pending.example",
      domain: "pending.example",
      txt_record: { name: "_orgctl-verification.pending.example", value: "orgctl-verification=tk" },
    });
    expectRefused(
      decide(s, BY_OWNER, { op: "create_user", user: newUser("bo", { email: "bo@unknown.example" }) }, NOW),
      "domain_unverified",
    );
    expectRefused(
      decide(s, BY_OWNER, { op: "add_alias", login: "al", address: "x@pending.example" }, NOW),
      "domain_unverified",
    );
    expectOk(step(s, BY_OWNER, { op: "create_user", user: newUser("bo", { email: "bo@ok.example" }) }, NOW));
    expectOk(step(s, BY_OWNER, { op: "add_alias", login: "al", address: "x@ok.example" }, NOW));
    expect(s.addresses.get("bo@ok.example")).toEqual({ login: "bo", kind: "email" });
    expect(s.addresses.get("x@ok.example")).toEqual({ login: "al", kind: "alias" });
  });
});

describe("reserved addresses", () => {
  it("abuse@ of a custom domain can never be a user address or an alias", () => {
    const s = buildState({ domains: ["example.com"], users: [{ login: "al", plan: "entry" }] });
    const before = structuredClone(s);
    expectRefused(
      step(s, BY_OWNER, { op: "create_user", user: newUser("ab", { email: "abuse@example.com" }) }, NOW),
      "address_reserved",
    );
    expectRefused(
      step(
        s,
        BY_OWNER,
        { op: "create_user", user: newUser("ab", { plan: "entry", aliases: ["ABUSE@example.com"] }) },
        NOW,
      ),
      "address_reserved",
    );
    expectRefused(
      step(s, BY_OWNER, { op: "add_alias", login: "al", address: "abuse@example.com" }, NOW),
      "address_reserved",
    );
    expectRefused(
      step(s, BY_OWNER, { op: "add_alias", login: OWNER, address: "abuse@example.com" }, NOW),
      "address_reserved",
    );
    expect(s).toEqual(before);
  });

  it("support@ and postmaster@ of each custom domain route to the owner by default", () => {
    const s = buildState({ domains: ["example.com", "other.example"] });
    expect(routedAddresses(s, "example.com")).toEqual({
      "support@example.com": OWNER,
      "postmaster@example.com": OWNER,
    });
    expect(routedAddresses(s, "other.example")).toEqual({
      "support@other.example": OWNER,
      "postmaster@other.example": OWNER,
    });
  });

  it("creating support@ as an alias moves it to that user; deleting the alias routes it back", () => {
    const s = buildState({ domains: ["example.com"], users: [{ login: "al", plan: "entry" }] });
    expectOk(step(s, BY_OWNER, { op: "add_alias", login: "al", address: "support@example.com" }, NOW));
    expect(routedAddresses(s, "example.com")).toEqual({
      "support@example.com": "al",
      "postmaster@example.com": OWNER,
    });
    expectOk(step(s, BY_OWNER, { op: "remove_alias", login: "al", address: "support@example.com" }, NOW));
    expect(routedAddresses(s, "example.com")).toEqual({
      "support@example.com": OWNER,
      "postmaster@example.com": OWNER,
    });
  });

  it("postmaster@ given at creation moves to the new user, and back to the owner when the user is deleted", () => {
    const s = buildState({ domains: ["example.com"] });
    expectOk(
      step(
        s,
        BY_OWNER,
        { op: "create_user", user: newUser("pm", { plan: "entry", aliases: ["postmaster@example.com"] }) },
        NOW,
      ),
    );
    expect(routedAddresses(s, "example.com")["postmaster@example.com"]).toBe("pm");
    // Once held, nobody else may take it.
    expectRefused(
      decide(s, BY_OWNER, { op: "add_alias", login: OWNER, address: "postmaster@example.com" }, NOW),
      "address_taken",
    );
    expectOk(step(s, BY_OWNER, { op: "disable_user", login: "pm" }, NOW));
    expectOk(step(s, BY_OWNER, { op: "delete_user", login: "pm" }, NOW));
    expect(routedAddresses(s, "example.com")["postmaster@example.com"]).toBe(OWNER);
    // A custom-domain alias is not retired: it can be given again.
    expectOk(step(s, BY_OWNER, { op: "add_alias", login: OWNER, address: "postmaster@example.com" }, NOW));
    expect(routedAddresses(s, "example.com")["postmaster@example.com"]).toBe(OWNER);
    expect(s.addresses.get("postmaster@example.com")).toEqual({ login: OWNER, kind: "alias" });
  });
});

describe("domain_in_use: a domain cannot be removed while an address uses it", () => {
  it("a user's email on the domain blocks removal", () => {
    const s = buildState({ domains: ["example.com"], users: [{ login: "al", email: "al@example.com" }] });
    const before = structuredClone(s);
    const refusal = expectRefused(
      step(s, BY_OWNER, { op: "delete_domain", name: "example.com" }, NOW),
      "domain_in_use",
    );
    expect(refusal.details).toEqual({ domain: "example.com", address: "al@example.com", login: "al" });
    expect(s).toEqual(before);
  });

  it("an alias on the domain blocks removal until the alias is removed", () => {
    const s = buildState({
      domains: ["example.com", "sub.example.com"],
      users: [{ login: "al", plan: "entry", aliases: ["team@example.com", "x@sub.example.com"] }],
    });
    expectRefused(decide(s, BY_OWNER, { op: "delete_domain", name: "example.com" }, NOW), "domain_in_use");
    expectOk(step(s, BY_OWNER, { op: "remove_alias", login: "al", address: "team@example.com" }, NOW));
    // The alias on sub.example.com does not use example.com.
    const { effects } = expectOk(step(s, BY_OWNER, { op: "delete_domain", name: "example.com" }, NOW));
    expect(effects).toEqual([{ type: "delete_record", kind: "domains", name: "example.com" }]);
    expect([...s.domains.keys()]).toEqual(["sub.example.com"]);
  });

  it("an unused domain is removed; support@/postmaster@ routed to the owner do not block it", () => {
    const s = buildState({ domains: ["example.com"] });
    expect(routedAddresses(s, "example.com")["support@example.com"]).toBe(OWNER);
    expectOk(step(s, BY_OWNER, { op: "delete_domain", name: "example.com" }, NOW));
    expect(s.domains.size).toBe(0);
  });

  it("a deleted user's custom-domain address no longer blocks removal", () => {
    const s = buildState({
      domains: ["example.com"],
      users: [{ login: "al", email: "al@example.com", status: "disabled" }],
    });
    expectOk(step(s, BY_OWNER, { op: "delete_user", login: "al" }, NOW));
    expectOk(step(s, BY_OWNER, { op: "delete_domain", name: "example.com" }, NOW));
  });

  it("only an org_admin manages domains", () => {
    const s = buildState({ domains: ["example.com"], users: [{ login: "ua", role: "user_admin" }] });
    expectRefused(decide(s, as("ua"), { op: "delete_domain", name: "example.com" }, NOW), "forbidden");
  });
});
