import { describe, expect, it } from "vitest";
import {
  decide,
  GROUP_NAME,
  isValidDomainName,
  isWellFormedAddress,
  LOGIN,
  normalizeAddress,
  splitAddress,
  step,
} from "../../src/domain/index.js";
import {
  BY_OWNER,
  buildState,
  expectOk,
  expectRefused,
  NOW,
  newUser,
  PROVIDER,
  userOf,
} from "../support/builders.js";

const label = (n: number) => "a".repeat(n);

describe("logins and group names: 1-64 of [a-z0-9._-], starting and ending with a letter or digit", () => {
  const valid = [
    "a",
    "z",
    "0",
    "9",
    "7",
    "ab",
    "a1",
    "z09.-_9z",
    "0a",
    "9z0",
    "bob",
    "a.b-c_d",
    label(64),
    `a${"-".repeat(62)}z`,
  ];
  const invalid = ["", "bob!", "!bob", "bob\n", "Bob", "-bob", "bob-", ".bob", "bob.", label(65), "b o", "é"];

  it.each(valid)("%j is valid", (name) => {
    expect(LOGIN.test(name)).toBe(true);
    expect(GROUP_NAME.test(name)).toBe(true);
  });

  it.each(invalid)("%j is refused", (name) => {
    expect(LOGIN.test(name)).toBe(false);
    expect(GROUP_NAME.test(name)).toBe(false);
  });

  it("create_user refuses bob! and !bob as logins with invalid, naming the login", () => {
    for (const login of ["bob!", "!bob", label(65)]) {
      const refusal = expectRefused(
        decide(
          buildState(),
          BY_OWNER,
          { op: "create_user", user: newUser(login, { email: "x@console.test" }) },
          NOW,
        ),
        "invalid",
      );
      expect(refusal.message).toContain(login);
    }
    expectOk(decide(buildState(), BY_OWNER, { op: "create_user", user: newUser(label(64)) }, NOW));
  });

  it("create_group and rename_group refuse eng! and !eng", () => {
    const s = buildState({ groups: [{ name: "eng" }] });
    for (const name of ["eng!", "!eng", "Eng"]) {
      expectRefused(decide(s, BY_OWNER, { op: "create_group", name, description: "" }, NOW), "invalid");
      expectRefused(decide(s, BY_OWNER, { op: "rename_group", name: "eng", to: name }, NOW), "invalid");
    }
  });
});

describe("addresses: local-part@domain in lower case", () => {
  it("splitAddress cuts at the last @ and refuses an empty local part or domain", () => {
    expect(splitAddress("a@b.example")).toEqual({ local: "a", domain: "b.example" });
    expect(splitAddress("a@b@c.example")).toEqual({ local: "a@b", domain: "c.example" });
    expect(splitAddress("@b.example")).toBeNull();
    expect(splitAddress("a@")).toBeNull();
    expect(splitAddress("ab.example")).toBeNull();
  });

  it("normalizeAddress trims and lower-cases", () => {
    expect(normalizeAddress("  Bob@Example.COM\t")).toBe("bob@example.com");
  });

  it.each([
    "bob@console.test",
    "b@console.test",
    "ab@console.test",
    "z@console.test",
    "0@console.test",
    "9@console.test",
    "z09.+_-9az@console.test",
    "a0@0-z9.zz",
    "bob@9.example",
    "bob@z.example",
    "bob@ab.example",
    "bob@a.example",
    "bob@ab.cd",
    "a.b+c_d-e@console.test",
    `${label(64)}@console.test`,
    "bob@a-b.example",
    `bob@${label(63)}.example`,
    `bob@x.${label(63)}`,
    "bob@sub.domain.example",
  ])("%s is well formed", (address) => {
    expect(isWellFormedAddress(address)).toBe(true);
  });

  it.each([
    "bob!@console.test",
    "!bob@console.test",
    ".bob@console.test",
    "bob.@console.test",
    `${label(65)}@console.test`,
    "Bob@console.test",
    "bob@console.test!",
    "bob@!console.test",
    "bob@console.t",
    "bob@console.t3st",
    "bob@-a.example",
    "bob@a-.example",
    `bob@${label(64)}.example`,
    `bob@x.${label(64)}`,
    "bob@localhost",
    "bob@example.c0m",
    "bob@exa_mple.com",
    "bob@.example",
    "bob@console..test",
    "bob",
  ])("%s is not well formed", (address) => {
    expect(isWellFormedAddress(address)).toBe(false);
  });

  it("a domain name is at most 253 characters", () => {
    const name253 = `${[label(63), label(63), label(63), label(58)].join(".")}.ab`;
    expect(name253.length).toBe(253);
    expect(isValidDomainName(name253)).toBe(true);
    expect(isValidDomainName(`a${name253}`)).toBe(false);
  });

  it("create_user and add_alias refuse bob!@ and !bob@ with invalid, naming the address", () => {
    for (const address of ["bob!@console.test", "!bob@console.test", "bob@console.test!"]) {
      const created = expectRefused(
        decide(buildState(), BY_OWNER, { op: "create_user", user: newUser("bob", { email: address }) }, NOW),
        "invalid",
      );
      expect(created.details).toEqual({ address });
      const added = expectRefused(
        decide(buildState(), BY_OWNER, { op: "add_alias", login: "owner", address }, NOW),
        "invalid",
      );
      expect(added.details).toEqual({ address });
    }
  });

  it("create_domain refuses example.com! and names the domain in lower case, as the console keeps names", () => {
    const refusal = expectRefused(
      decide(
        buildState(),
        BY_OWNER,
        { op: "create_domain", name: "Example.com!", verification_token: "t" },
        NOW,
      ),
      "invalid",
    );
    expect(refusal.details).toEqual({ domain: "example.com!" });
  });

  it("the provider domain is a conflict, whatever its case", () => {
    const refusal = expectRefused(
      decide(
        buildState(),
        BY_OWNER,
        { op: "create_domain", name: " Console.Test ", verification_token: "t" },
        NOW,
      ),
      "conflict",
    );
    expect(refusal.details).toEqual({ domain: PROVIDER });
  });
});

describe("the organization's name: 1 to 200 characters once trimmed", () => {
  it("is stored trimmed and moves nothing else", () => {
    const s = buildState();
    const before = s.org;
    const { effects, ledger } = expectOk(step(s, BY_OWNER, { op: "update_org", name: "  Acme  " }, NOW));
    expect(effects).toEqual([{ type: "put_org", org: { ...before, name: "Acme" } }]);
    expect(ledger).toEqual([]);
    expect(s.org.name).toBe("Acme");
  });

  it("200 characters are accepted, 201 and blank names are invalid", () => {
    expectOk(decide(buildState(), BY_OWNER, { op: "update_org", name: "x".repeat(200) }, NOW));
    expectOk(decide(buildState(), BY_OWNER, { op: "update_org", name: ` ${"x".repeat(200)} ` }, NOW));
    expectOk(decide(buildState(), BY_OWNER, { op: "update_org", name: "x" }, NOW));
    for (const name of ["x".repeat(201), "", "   "]) {
      expectRefused(decide(buildState(), BY_OWNER, { op: "update_org", name }, NOW), "invalid");
    }
  });
});

describe("a user's names are trimmed and may not be blank", () => {
  it("create_user refuses a blank first or last name", () => {
    for (const names of [
      { first_name: "   ", last_name: "Martin" },
      { first_name: "Alice", last_name: " \t" },
    ]) {
      const refusal = expectRefused(
        decide(buildState(), BY_OWNER, { op: "create_user", user: newUser("alice", names) }, NOW),
        "invalid",
      );
      expect(refusal.details).toEqual({ login: "alice" });
    }
  });

  it("create_user stores both names trimmed", () => {
    const s = buildState();
    expectOk(
      step(
        s,
        BY_OWNER,
        { op: "create_user", user: newUser("alice", { first_name: " Al ", last_name: " Ma " }) },
        NOW,
      ),
    );
    expect(userOf(s, "alice")).toMatchObject({ first_name: "Al", last_name: "Ma" });
  });

  it("update_user stores each name trimmed and refuses a blank one", () => {
    const s = buildState({ users: [{ login: "al", first_name: "Al", last_name: "Ma" }] });
    expectOk(step(s, BY_OWNER, { op: "update_user", login: "al", first_name: "  Alice " }, NOW));
    expectOk(step(s, BY_OWNER, { op: "update_user", login: "al", last_name: " Martin  " }, NOW));
    expect(userOf(s, "al")).toMatchObject({ first_name: "Alice", last_name: "Martin" });
    expectRefused(decide(s, BY_OWNER, { op: "update_user", login: "al", first_name: "  " }, NOW), "invalid");
    expectRefused(decide(s, BY_OWNER, { op: "update_user", login: "al", last_name: "  " }, NOW), "invalid");
  });
});
