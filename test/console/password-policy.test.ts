/**
 * One password policy: the console refuses what the API description refuses, and the planner checks the same
 * numbers (src/domain/passwords.ts), so a plan that passes never meets a password the console refuses.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, passwordProblem } from "../../src/domain/index.js";
import { REPO, startTestConsole, type TestConsole } from "../support/console.js";
import { createUser, expectError, expectStatus } from "./helpers.js";

const consoles: TestConsole[] = [];
afterEach(async () => {
  await Promise.all(consoles.splice(0).map((c) => c.close()));
});

describe("the password policy", () => {
  it("is the same in the API description and in src/domain", () => {
    const api = parse(readFileSync(join(REPO, "schemas", "console-api.yaml"), "utf8"));
    expect(api.components.schemas.Password).toMatchObject({
      minLength: PASSWORD_MIN_LENGTH,
      maxLength: PASSWORD_MAX_LENGTH,
    });
  });

  it("the console refuses exactly what the planner's check refuses", async () => {
    const ts = await startTestConsole();
    consoles.push(ts);
    await createUser(ts, "bob");
    const short = "x".repeat(PASSWORD_MIN_LENGTH - 1);
    const enough = "x".repeat(PASSWORD_MIN_LENGTH);
    expect(passwordProblem(short)).not.toBeNull();
    expect(passwordProblem(enough)).toBeNull();
    expectError(await ts.api("PUT", "/v1/users/bob/password", { password: short }), 400, "invalid");
    expectStatus(await ts.api("PUT", "/v1/users/bob/password", { password: enough }), 204);
  });
});
