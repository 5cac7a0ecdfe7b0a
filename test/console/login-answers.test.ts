/**
 * A password login answers a guesser the same way, after the same work, whether the login is unknown, has no
 * password, is disabled, or the password is wrong. The work is checked by counting password checks, not by
 * timing them.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import * as passwords from "../../src/console/passwords.js";
import { startTestConsole, type TestConsole } from "../support/console.js";
import { createUser, expectStatus, PASSWORD } from "./helpers.js";

// The same functions, counted: every import of passwords.js in the console sees these.
vi.mock("../../src/console/passwords.js", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../src/console/passwords.js")>();
  return { ...actual, verifyPassword: vi.fn(actual.verifyPassword) };
});

const consoles: TestConsole[] = [];
afterEach(async () => {
  await Promise.all(consoles.splice(0).map((ts) => ts.close()));
});

async function rawLogin(ts: TestConsole, login: string, password: string) {
  const response = await fetch(`${ts.url}/v1/sessions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ login, password }),
  });
  return { status: response.status, body: await response.text() };
}

describe("POST /v1/sessions refusals", () => {
  it("are byte-identical for an unknown login, a wrong password, a disabled user and no password", async () => {
    const ts = await startTestConsole();
    consoles.push(ts);
    await createUser(ts, "bob", { password: PASSWORD });
    await createUser(ts, "ops", { password: PASSWORD });
    await createUser(ts, "ivy");
    expectStatus(await ts.api("POST", "/v1/users/ops/disable"), 200);
    const answers = [
      await rawLogin(ts, "ghost", PASSWORD),
      await rawLogin(ts, "bob", "not the password"),
      await rawLogin(ts, "ops", PASSWORD),
      await rawLogin(ts, "ivy", PASSWORD),
    ];
    expect(answers[0]!.status).toBe(401);
    expect(JSON.parse(answers[0]!.body).error.code).toBe("unauthenticated");
    for (const answer of answers) expect(answer).toEqual(answers[0]);
  });

  it("check a password for every login, known or not, against a hash of the same cost", async () => {
    const ts = await startTestConsole();
    consoles.push(ts);
    await createUser(ts, "bob", { password: PASSWORD });
    await createUser(ts, "ivy");
    const verify = vi.mocked(passwords.verifyPassword);
    for (const login of ["ghost", "ivy", "bob"]) {
      verify.mockClear();
      expect((await rawLogin(ts, login, "a wrong guess")).status).toBe(401);
      expect(verify).toHaveBeenCalledTimes(1);
      expect(verify.mock.calls[0]![0]).toBe("a wrong guess");
    }
    // The dummy hash has the parameters of a real one, so checking against it costs as much.
    const real = await passwords.hashPassword("anything at all");
    const parameters = (hash: string) => hash.split("$").slice(0, 4).join("$");
    expect(parameters(passwords.DUMMY_PASSWORD_HASH)).toBe(parameters(real));
    expect(await passwords.verifyPassword("anything at all", passwords.DUMMY_PASSWORD_HASH)).toBe(false);
  });
});
