/**
 * What an editor (yaml-language-server) shows from schemas/org.schema.json: completion for plan names,
 * a description on every field a person types, and named alternatives for `password`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { DEFAULT_CATALOG } from "../../src/domain/catalog.js";

const schema = JSON.parse(
  readFileSync(join(import.meta.dirname, "..", "..", "schemas", "org.schema.json"), "utf8"),
);
const user = schema.$defs.user.properties;

describe("org.schema.json for editors", () => {
  it("offers the default catalog's plan names for a user's plan and the organization's plan", () => {
    expect(user.plan.examples).toEqual(DEFAULT_CATALOG.plans.map((p) => p.name));
    expect(schema.properties.organization.properties.plan.examples).toEqual(
      DEFAULT_CATALOG.org_plans.map((p) => p.name),
    );
    // Not an enum: a console with its own catalog (serve --catalog) has other names; the description says
    // who checks them.
    expect(user.plan.enum).toBeUndefined();
    expect(user.plan.description).toContain("--catalog");
    expect(user.plan.description).toContain("orgctl validate");
  });

  it("describes every field a person writes for a user and a group", () => {
    for (const field of [
      "role",
      "first_name",
      "last_name",
      "aliases",
      "groups",
      "profile",
      "plan",
      "email",
    ]) {
      expect(user[field].description, field).toMatch(/\w{3,}.*\./);
    }
    expect(schema.$defs.group.properties.description.description).toMatch(/\w{3,}/);
    for (const role of user.role.enum) expect(user.role.description).toContain(role);
  });

  it("names the two password alternatives", () => {
    const [env, file] = schema.$defs.secretRef.oneOf;
    expect(env.title).toContain("environment variable");
    expect(file.title).toContain("file");
    expect(schema.$defs.secretRef.title).toContain("{env: VARIABLE}");
  });

  it("still accepts a custom catalog's plan name and refuses a literal password", () => {
    const base = `version: 1
organization: { name: Acme }
users:
  - { login: tom, first_name: Tom, last_name: Baker, email: tom@console.test, plan: platinum, role: org_admin`;
    expect(() => parseConfig(Buffer.from(`${base} }\n`), "org.yaml")).not.toThrow();
    expect(() => parseConfig(Buffer.from(`${base}, password: hunter2 }\n`), "org.yaml")).toThrow();
  });
});
