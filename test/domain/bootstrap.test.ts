/** The owner is created with the organization, active: a rule of create_user, not an override of the console. */
import { describe, expect, it } from "vitest";
import { decide, OWNER_ROLE } from "../../src/domain/index.js";
import { buildState, expectOk, NOW, newUser, SYSTEM } from "../support/builders.js";

/** An organization whose owner is named but not created yet, as at bootstrap. */
function beforeOwner() {
  const state = buildState();
  state.org = { ...state.org, owner: "boss" };
  return state;
}

describe("creating the owner", () => {
  it("makes the owner active without a password: the owner acts through an API token at once", () => {
    const { effects } = expectOk(
      decide(
        beforeOwner(),
        SYSTEM,
        { op: "create_user", user: newUser("boss", { role: OWNER_ROLE, password_hash: null }) },
        NOW,
      ),
    );
    expect(effects[0]).toMatchObject({
      type: "put_user",
      user: { login: "boss", role: "org_admin", status: "active", password_set: false },
    });
  });

  it("leaves every other user created without a password invited", () => {
    const { effects } = expectOk(
      decide(
        beforeOwner(),
        SYSTEM,
        { op: "create_user", user: newUser("carl", { role: OWNER_ROLE, password_hash: null }) },
        NOW,
      ),
    );
    expect(effects[0]).toMatchObject({ type: "put_user", user: { login: "carl", status: "invited" } });
  });
});
