import { describe, expect, it } from "vitest";
import {
  fieldsOf,
  movesRevision,
  type Operation,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  passwordProblem,
  REFUSAL_CODES,
  refuse,
  TOP_UP_METHODS,
  USER_STATUSES,
} from "../../src/domain/index.js";
import { targetOf } from "../../src/domain/operations.js";
import { newUser } from "../support/builders.js";

describe("the audit names what an operation acts on (targetOf)", () => {
  it.each<[Operation, string]>([
    [{ op: "top_up", amount_cents: 1, method: "test" }, "wallet"],
    [{ op: "update_org", name: "x" }, "org"],
    [{ op: "change_org_plan", plan: "ultra" }, "org"],
    [{ op: "resend_invitation", login: "al" }, "user/al"],
    [{ op: "create_domain", name: "a.example", verification_token: "t" }, "domain/a.example"],
    [{ op: "verify_domain", name: "a.example" }, "domain/a.example"],
    [{ op: "delete_domain", name: "a.example" }, "domain/a.example"],
    [{ op: "create_group", name: "eng", description: "" }, "group/eng"],
    [{ op: "update_group", name: "eng", description: "" }, "group/eng"],
    [{ op: "delete_group", name: "eng" }, "group/eng"],
    [{ op: "rename_group", name: "eng", to: "dev" }, "group/dev"],
    [{ op: "add_member", group: "eng", login: "al" }, "group/eng"],
    [{ op: "remove_member", group: "eng", login: "al" }, "group/eng"],
    [{ op: "create_user", user: newUser("al") }, "user/al"],
    [{ op: "update_user", login: "al" }, "user/al"],
    [{ op: "set_password", login: "al" }, "user/al"],
    [{ op: "login", login: "al" }, "user/al"],
  ])("%j → %s", (operation, target) => {
    expect(targetOf(operation)).toBe(target);
  });
});

describe("the audit names the fields an operation changes, never their values (fieldsOf)", () => {
  it.each<[Operation, string[]]>([
    [{ op: "update_user", login: "al" }, []],
    [{ op: "update_user", login: "al", first_name: "A" }, ["/first_name"]],
    [{ op: "update_user", login: "al", last_name: "B" }, ["/last_name"]],
    [
      {
        op: "update_user",
        login: "al",
        first_name: "A",
        last_name: "B",
        profile: { mobile: "1", birth_date: null },
      },
      ["/first_name", "/last_name", "/profile/birth_date", "/profile/mobile"],
    ],
    [{ op: "update_org", name: "x" }, ["/name"]],
    [{ op: "change_org_plan", plan: "ultra" }, ["/plan"]],
    [{ op: "resend_invitation", login: "al" }, ["/invited_at"]],
    [{ op: "update_group", name: "eng", description: "d" }, ["/description"]],
    [{ op: "rename_group", name: "eng", to: "dev" }, ["/name"]],
    [{ op: "change_plan", login: "al", plan: "pro" }, ["/plan"]],
    [{ op: "change_role", login: "al", role: "member" }, ["/role"]],
    [{ op: "set_password", login: "al" }, ["/password"]],
    [{ op: "disable_user", login: "al" }, ["/status"]],
    [{ op: "enable_user", login: "al" }, ["/status"]],
    [{ op: "add_alias", login: "al", address: "a@x.example" }, ["/aliases"]],
    [{ op: "remove_alias", login: "al", address: "a@x.example" }, ["/aliases"]],
    [{ op: "add_member", group: "eng", login: "al" }, ["/members/al"]],
    [{ op: "remove_member", group: "eng", login: "al" }, ["/members/al"]],
    [{ op: "verify_domain", name: "a.example" }, ["/status"]],
    [{ op: "create_user", user: newUser("al") }, []],
    [{ op: "delete_user", login: "al" }, []],
    [{ op: "top_up", amount_cents: 1, method: "test" }, []],
  ])("%j → %j", (operation, fields) => {
    expect(fieldsOf(operation)).toEqual(fields);
  });
});

describe("logins and credentials do not move the organization's revision", () => {
  it.each<[Operation, boolean]>([
    [{ op: "login", login: "al" }, false],
    [{ op: "issue_token", login: "al" }, false],
    [{ op: "revoke_token", login: "al" }, false],
    // A resent invitation changes nothing org.yaml manages; the org plan is in org.yaml.
    [{ op: "resend_invitation", login: "al" }, false],
    [{ op: "change_org_plan", plan: "ultra" }, true],
    [{ op: "logout", login: "al" }, true],
    [{ op: "set_password", login: "al" }, true],
    [{ op: "update_org", name: "x" }, true],
  ])("%j moves the revision: %s", (operation, moves) => {
    expect(movesRevision(operation)).toBe(moves);
  });
});

describe("the password policy: 8 to 256 characters, counted as characters, never echoed", () => {
  it("the limits", () => {
    expect([PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH]).toEqual([8, 256]);
  });

  it("8 and 256 characters pass; 7 and 257 do not, and the sentence names only lengths", () => {
    expect(passwordProblem("p".repeat(8))).toBeNull();
    expect(passwordProblem("p".repeat(256))).toBeNull();
    expect(passwordProblem("secret7")).toBe("the password has 7 characters; the console needs at least 8");
    expect(passwordProblem("q".repeat(257))).toBe(
      "the password has 257 characters; the console takes at most 256",
    );
  });

  it("counts characters, not UTF-16 units", () => {
    // Seven emoji are 14 UTF-16 units but 7 characters.
    expect(passwordProblem("🔑".repeat(7))).toBe(
      "the password has 7 characters; the console needs at least 8",
    );
    expect(passwordProblem("🔑".repeat(8))).toBeNull();
    expect(passwordProblem("🔑".repeat(256))).toBeNull();
  });
});

describe("stable vocabularies", () => {
  it("the refusal codes are the rule book's, plus the console's own", () => {
    expect([...REFUSAL_CODES]).toEqual([
      "insufficient_funds",
      "seat_limit",
      "alias_limit",
      "domain_limit",
      "org_plan_limit",
      "group_limit",
      "address_taken",
      "address_reserved",
      "alias_permanent",
      "domain_unverified",
      "domain_in_use",
      "must_disable_first",
      "last_org_admin",
      "forbidden",
      "self_action",
      "owner_protected",
      "account_disabled",
      "payment_failed",
      "not_found",
      "conflict",
      "invalid",
    ]);
  });

  it("user statuses and top-up methods", () => {
    expect([...USER_STATUSES]).toEqual(["active", "disabled", "invited"]);
    expect([...TOP_UP_METHODS]).toEqual(["test", "card", "paypal"]);
  });

  it("a refusal without details has no details key", () => {
    expect(refuse("conflict", "m")).toStrictEqual({ code: "conflict", message: "m" });
    expect(refuse("conflict", "m", { a: 1 })).toStrictEqual({
      code: "conflict",
      message: "m",
      details: { a: 1 },
    });
  });
});
