/**
 * The offline checks ask src/domain, not a copy of it: each rule's issue carries the engine's own code and
 * sentence. These are the cases the parity property (parity.test.ts) found validate letting through.
 */
import { describe, expect, it } from "vitest";
import { checkConfig } from "../../src/config/check.js";
import { parseConfig } from "../../src/config/load.js";
import {
  aliasLimitRefusal,
  DEFAULT_CATALOG,
  findOrgPlan,
  findPlan,
  namesRefusal,
  ownerStateRefusal,
  seatLimitRefusal,
} from "../../src/domain/index.js";

const HEADER = `version: 1
organization: { name: Acme, plan: entry }
users:
`;
const OWNER = `  - login: admin
    owner: true
    first_name: Org
    last_name: Owner
    email: admin@console.test
    plan: entry
    role: org_admin
`;

function errorsOf(yaml: string): string[] {
  const config = parseConfig(new TextEncoder().encode(yaml), "org.yaml");
  return checkConfig(config, DEFAULT_CATALOG)
    .filter((i) => i.severity === "error")
    .map((i) => `${i.line}:${i.col} ${i.code}: ${i.message}`);
}

describe("validate refuses what the console refuses", () => {
  it("a name that is only blanks (the console trims names)", () => {
    expect(errorsOf(`${HEADER}${OWNER.replace("last_name: Owner", 'last_name: "  "')}`)).toEqual([
      `7:16 invalid: ${namesRefusal("admin", "Org", "")!.message}`,
    ]);
  });

  it("an address the console does not accept, though the schema does", () => {
    for (const local of ["x_", ".dot", "-a"]) {
      const errors = errorsOf(`${HEADER}${OWNER}    aliases: ["${local}@console.test"]\n`);
      expect(errors).toEqual([
        `11:15 invalid: ${local}@console.test is not a valid address; use local-part@domain in lower case`,
      ]);
    }
  });

  it("an owner who is not an active org_admin: nobody can ever make the owner so", () => {
    expect(errorsOf(`${HEADER}${OWNER.replace("role: org_admin", "role: member")}`)).toEqual([
      "4:3 last_org_admin: no active org_admin is listed; an organization keeps at least one at all times",
      `10:11 owner_protected: ${ownerStateRefusal({ login: "admin", role: "member", status: "active" })!.message}`,
    ]);
    expect(errorsOf(`${HEADER}${OWNER}    status: disabled\n`)).toEqual([
      "4:3 last_org_admin: no active org_admin is listed; an organization keeps at least one at all times",
      `11:13 owner_protected: ${ownerStateRefusal({ login: "admin", role: "org_admin", status: "disabled" })!.message}`,
    ]);
  });

  it("the seat and alias limits in the engine's words", () => {
    const users = ["bob", "cat"]
      .map(
        (login) =>
          `  - { login: ${login}, first_name: B, last_name: C, email: ${login}@console.test, plan: entry }\n`,
      )
      .join("");
    const entry = findOrgPlan(DEFAULT_CATALOG, "entry")!;
    expect(errorsOf(`${HEADER}${OWNER}${users}`)).toEqual([
      `4:3 seat_limit: ${seatLimitRefusal(entry, { paid: 0, free: 0 }, { paid: 3, free: 0 })!.message}`,
    ]);
    const aliases = Array.from({ length: 11 }, (_, i) => `a${i}@console.test`).join(", ");
    expect(errorsOf(`${HEADER}${OWNER}    aliases: [${aliases}]\n`)).toEqual([
      `11:14 alias_limit: ${aliasLimitRefusal(findPlan(DEFAULT_CATALOG, "entry")!, "admin", 11)!.message}`,
    ]);
  });
});
