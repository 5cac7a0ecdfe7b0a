import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOGIN_LIMITS } from "../../src/console/login-throttle.js";
import { ensureSandboxOrg } from "../../src/console/sandbox.js";
import { OWNER_TOKEN, startTestConsole, type TestConsole } from "../support/console.js";
import { createUser, expectError, expectStatus, newUser, PASSWORD } from "./helpers.js";

/** A `POST /v1/orgs` body: org `slug` owned by `<slug>-owner@console.test`. */
function orgBody(slug: string, overrides: Record<string, unknown> = {}) {
  return {
    slug,
    name: `Org ${slug}`,
    plan: "pro",
    owner: { login: "boss", first_name: "Ann", last_name: "Boss", email: `${slug}-owner@console.test` },
    ...overrides,
  };
}

/** Issues an API token for `login` of the org under `prefix` (`/v1` for the caller's own), as `token`. */
async function tokenFor(
  ts: TestConsole,
  prefix: string,
  login: string,
  token = OWNER_TOKEN,
): Promise<string> {
  const res = await ts.api("POST", `${prefix}/tokens`, { login }, { token });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.token as string;
}

describe("many organizations in one console", () => {
  let ts: TestConsole;
  /** org_admin of organization `client-a` (managed by the partner), and of `client-b`. */
  let tokenA: string;
  let tokenB: string;

  beforeAll(async () => {
    ts = await startTestConsole({ partnerOrg: true, orgName: "Agency & Co." });
    for (const slug of ["client-a", "client-b"]) {
      expectStatus(await ts.api("POST", "/v1/orgs", orgBody(slug)), 201);
      expectStatus(
        await ts.api("POST", `/v1/orgs/${slug}/wallet/top-ups`, { amount_cents: 500_000, method: "test" }),
        201,
      );
      const res = await ts.api(
        "POST",
        `/v1/orgs/${slug}/users`,
        newUser("ops", { email: `ops-${slug}@console.test`, role: "org_admin" }),
      );
      expectStatus(res, 201);
    }
    tokenA = await tokenFor(ts, "/v1/orgs/client-a", "ops");
    tokenB = await tokenFor(ts, "/v1/orgs/client-b", "ops");
  });
  afterAll(async () => ts.close());

  it("lists the orgs a caller may act in, by slug, and each org its own only", async () => {
    const partner = await ts.api("GET", "/v1/orgs");
    expectStatus(partner, 200);
    expect(partner.body).toEqual({
      items: [
        { slug: "agency-co", name: "Agency & Co.", plan: "pro", managed_by: null, partner: true },
        { slug: "client-a", name: "Org client-a", plan: "pro", managed_by: "agency-co", partner: false },
        { slug: "client-b", name: "Org client-b", plan: "pro", managed_by: "agency-co", partner: false },
      ],
      next_cursor: null,
    });
    const page = await ts.api("GET", "/v1/orgs?limit=2");
    expect(page.body.items.map((o: { slug: string }) => o.slug)).toEqual(["agency-co", "client-a"]);
    const rest = await ts.api("GET", `/v1/orgs?limit=2&cursor=${encodeURIComponent(page.body.next_cursor)}`);
    expect(rest.body).toEqual({ items: [expect.objectContaining({ slug: "client-b" })], next_cursor: null });
    const own = await ts.api("GET", "/v1/orgs", undefined, { token: tokenA });
    expect(own.body.items.map((o: { slug: string }) => o.slug)).toEqual(["client-a"]);
  });

  it("keeps addresses unique across orgs (primary and alias, any case) in the seed's words", async () => {
    await createUser(ts, "shared", {
      email: "shared@console.test",
      plan: "pro",
      aliases: ["shared.alias@console.test"],
    });
    for (const email of ["shared@console.test", "SHARED@Console.Test", "shared.alias@console.test"]) {
      const res = await ts.api("POST", "/v1/users", newUser("copy", { email, plan: "pro" }), {
        token: tokenA,
      });
      expectError(res, 409, "address_taken");
      expect(res.body.error.message).toContain("user already exists");
      const text = JSON.stringify(res.body);
      for (const secret of ["agency", 'shared"', "Agency", "admin"]) expect(text).not.toContain(secret);
    }
    const alias = await ts.api(
      "POST",
      "/v1/users",
      newUser("other", { email: "other-a@console.test", plan: "pro", aliases: ["Shared@console.test"] }),
      { token: tokenA },
    );
    expectError(alias, 409, "address_taken");
    expect(alias.body.error.message).toContain("user already exists");
    // An org's own owner address is taken too, and so a new org's owner cannot reuse it.
    const again = await ts.api(
      "POST",
      "/v1/orgs",
      orgBody("client-c", {
        owner: { login: "x", first_name: "X", last_name: "Y", email: "ops-client-a@console.test" },
      }),
    );
    expectError(again, 409, "address_taken");
    expect(again.body.error.message).toContain("user already exists");
    expectStatus(await ts.api("GET", "/v1/orgs/client-c/org"), 404);
  });

  it("lets a token act in its own org only: 404 in another on every kind of route", async () => {
    const routes: Array<[string, string, unknown?]> = [
      ["GET", "/org"],
      ["GET", "/users"],
      ["GET", "/users/ops"],
      ["POST", "/users", newUser("intruder", { email: "intruder@console.test" })],
      ["PATCH", "/users/ops", { first_name: "Evil" }],
      ["GET", "/lock"],
      ["POST", "/lock", { holder: "evil", ttl_seconds: 60 }],
      ["DELETE", "/lock?force=true"],
      ["GET", "/tokens"],
      ["POST", "/tokens", { login: "ops" }],
      ["GET", "/audit"],
      ["GET", "/wallet"],
      ["GET", "/wallet/ledger"],
      ["POST", "/wallet/top-ups", { amount_cents: 100, method: "test" }],
    ];
    for (const [method, path, body] of routes) {
      for (const slug of ["client-b", "agency-co", "no-such-org"]) {
        const res = await ts.api(method, `/v1/orgs/${slug}${path}`, body, { token: tokenA });
        expectError(res, 404, "not_found");
      }
    }
    // Unprefixed routes act in the token's own org; the prefix of its own org works the same.
    const me = await ts.api("GET", "/v1/org", undefined, { token: tokenA });
    expect(me.body.name).toBe("Org client-a");
    const own = await ts.api("GET", "/v1/orgs/client-a/users/ops", undefined, { token: tokenA });
    expect(own.body.email).toBe("ops-client-a@console.test");
    const users = await ts.api("GET", "/v1/users", undefined, { token: tokenB });
    expect(users.body.items.map((u: { login: string }) => u.login)).toEqual(["boss", "ops"]);
    // Nothing of B moved: no user, no top-up, no lock.
    const lock = await ts.api("GET", "/v1/lock", undefined, { token: tokenB });
    expect(lock.body).toEqual({ held: false });
    const ledger = await ts.api("GET", "/v1/wallet/ledger", undefined, { token: tokenB });
    expect(ledger.body.items.filter((e: { reason: string }) => e.reason === "top_up")).toHaveLength(1);
  });

  it("gives each org its own revision, lock, ledger and audit log", async () => {
    const a0 = (await ts.api("GET", "/v1/org", undefined, { token: tokenA })).body.revision as number;
    const b0 = (await ts.api("GET", "/v1/org", undefined, { token: tokenB })).body.revision as number;
    await createUser(ts, "a-only", { email: "a-only@console.test" }, tokenA);
    expect((await ts.api("GET", "/v1/org", undefined, { token: tokenA })).body.revision).toBe(a0 + 1);
    expect((await ts.api("GET", "/v1/org", undefined, { token: tokenB })).body.revision).toBe(b0);
    const lockA = await ts.api("POST", "/v1/lock", { holder: "ci-a", ttl_seconds: 60 }, { token: tokenA });
    expectStatus(lockA, 201);
    const lockB = await ts.api("POST", "/v1/lock", { holder: "ci-b", ttl_seconds: 60 }, { token: tokenB });
    expectStatus(lockB, 201);
    const auditB = await ts.api("GET", "/v1/audit?limit=1000", undefined, { token: tokenB });
    expect(JSON.stringify(auditB.body)).not.toContain("a-only");
    const ledgerB = await ts.api("GET", "/v1/wallet/ledger", undefined, { token: tokenB });
    expect(ledgerB.body.items.every((e: { login: string | null }) => e.login !== "a-only")).toBe(true);
  });

  it("lets a partner act as org_admin in the orgs it manages, never as their owner", async () => {
    // org_admin things work.
    const created = await ts.api(
      "POST",
      "/v1/orgs/client-a/users",
      newUser("helper", { email: "helper-a@console.test" }),
    );
    expectStatus(created, 201);
    // Owner protections hold: the partner cannot edit, disable or take a credential of the owner.
    expectError(
      await ts.api("PATCH", "/v1/orgs/client-a/users/boss", { first_name: "Evil" }),
      403,
      "owner_protected",
    );
    expectError(await ts.api("POST", "/v1/orgs/client-a/tokens", { login: "boss" }), 403, "owner_protected");
    // The audit log of the managed org names the partner's user.
    const audit = await ts.api("GET", "/v1/orgs/client-a/audit?action=create_user", undefined, {
      token: tokenA,
    });
    expect(audit.body.items[0].actor.login).toBe("agency-co/admin");
    // Self-service routes are the caller's own account, in its own org.
    expectError(await ts.api("GET", "/v1/orgs/client-a/me"), 403, "forbidden");
    // Reads work as for any org_admin of client-a.
    const org = await ts.api("GET", "/v1/orgs/client-a/org");
    expect(org.body).toEqual(expect.objectContaining({ name: "Org client-a", owner: "boss" }));
  });

  it("lets a partner act only in the orgs it manages itself, not in its managed orgs' own clients", async () => {
    // client-a becomes a partner too, and creates its own client.
    const clientA = ts.running.orgs.bySlug("client-a")!;
    ts.running.orgs.setPartner(clientA.id, true);
    expectStatus(await ts.api("POST", "/v1/orgs", orgBody("sub-of-a"), { token: tokenA }), 201);
    const listed = await ts.api("GET", "/v1/orgs", undefined, { token: tokenA });
    expect(listed.body.items.map((o: { slug: string }) => o.slug)).toEqual(["client-a", "sub-of-a"]);
    expectStatus(await ts.api("GET", "/v1/orgs/sub-of-a/users", undefined, { token: tokenA }), 200);
    // The agency manages client-a, not client-a's client; client-a never acts in the agency or client-b.
    expectError(await ts.api("GET", "/v1/orgs/sub-of-a/users"), 404, "not_found");
    expectError(
      await ts.api("POST", "/v1/orgs/sub-of-a/wallet/top-ups", { amount_cents: 100, method: "test" }),
      404,
      "not_found",
    );
    expectError(
      await ts.api("GET", "/v1/orgs/agency-co/users", undefined, { token: tokenA }),
      404,
      "not_found",
    );
    expectError(
      await ts.api("GET", "/v1/orgs/client-b/users", undefined, { token: tokenA }),
      404,
      "not_found",
    );
    // The refusals are audited in the caller's own org, naming nothing of the other.
    const audit = await ts.api("GET", "/v1/audit?limit=5&actor=admin");
    expect(audit.body.items[0]).toEqual(expect.objectContaining({ outcome: "refused", code: "not_found" }));
    // Only the partner's org_admins act for it: its billing_admin acts in its own org only.
    await createUser(ts, "billing", {
      email: "billing-agency@console.test",
      role: "billing_admin",
      plan: "pro",
    });
    const billing = await tokenFor(ts, "/v1", "billing");
    expectStatus(await ts.api("GET", "/v1/wallet", undefined, { token: billing }), 200);
    expectError(
      await ts.api("GET", "/v1/orgs/client-a/wallet", undefined, { token: billing }),
      404,
      "not_found",
    );
    const own = await ts.api("GET", "/v1/orgs", undefined, { token: billing });
    expect(own.body.items.map((o: { slug: string }) => o.slug)).toEqual(["agency-co"]);
  });

  it("refuses creating orgs to non-partners, managed orgs, and taken slugs", async () => {
    expectError(await ts.api("POST", "/v1/orgs", orgBody("mine"), { token: tokenB }), 403, "forbidden");
    expectError(await ts.api("POST", "/v1/orgs", orgBody("client-a")), 409, "conflict");
    expectError(await ts.api("POST", "/v1/orgs", orgBody("Bad_Slug")), 400, "invalid");
    expectError(await ts.api("POST", "/v1/orgs/client-a/orgs", orgBody("nested")), 404, "not_found");
  });

  it("creates an org once per Idempotency-Key and audits it in both orgs", async () => {
    const headers = { "idempotency-key": "create-d" };
    const first = await ts.api("POST", "/v1/orgs", orgBody("client-d"), { headers });
    expectStatus(first, 201);
    const again = await ts.api("POST", "/v1/orgs", orgBody("client-d"), { headers });
    expectStatus(again, 201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    const partnerAudit = await ts.api("GET", "/v1/audit?action=create_org");
    expect(partnerAudit.body.items.map((e: { target: string }) => e.target)).toContain("org/client-d");
    const orgAudit = await ts.api("GET", "/v1/orgs/client-d/audit?action=bootstrap");
    expect(orgAudit.body.items[0].actor.login).toBe("agency-co/admin");
    const wallet = await ts.api("GET", "/v1/orgs/client-d/wallet");
    expect(wallet.body.balance_cents).toBe(0);
    // The partner takes the new org's apply lock; a retried take (same key) gets the same lease back.
    const lockHeaders = { "idempotency-key": "lock-d" };
    const body = { holder: "agency-ci", ttl_seconds: 60 };
    const taken = await ts.api("POST", "/v1/orgs/client-d/lock", body, { headers: lockHeaders });
    expectStatus(taken, 201);
    const retried = await ts.api("POST", "/v1/orgs/client-d/lock", body, { headers: lockHeaders });
    expectStatus(retried, 200);
    expect(retried.body.lock_id).toBe(taken.body.lock_id);
    expect((await ts.api("GET", "/v1/lock")).body).toEqual({ held: false });
  });

  it("answers a login under an unknown org as a wrong password, and throttles each org's logins apart", async () => {
    for (const slug of ["client-a", "client-b"]) {
      const res = await ts.api(
        "POST",
        `/v1/orgs/${slug}/users`,
        newUser("twin", { email: `twin-${slug}@console.test`, password: PASSWORD }),
      );
      expectStatus(res, 201);
    }
    const login = (slug: string, password: string) =>
      ts.api("POST", `/v1/orgs/${slug}/sessions`, { login: "twin", password }, { token: null });
    const wrong = await login("client-a", "not the password");
    expectError(wrong, 401, "unauthenticated");
    // An organization that does not exist answers exactly as a wrong password in one that does.
    const nowhere = await login("no-such-org", PASSWORD);
    expect({ status: nowhere.status, body: nowhere.body }).toEqual({ status: 401, body: wrong.body });
    // Failed logins at client-a's twin spend client-a's attempts only: client-b's twin still logs in.
    for (let i = 1; i < LOGIN_LIMITS.perLoginAndAddress; i++) await login("client-a", "not the password");
    expectError(await login("client-a", PASSWORD), 429, "rate_limited");
    expectStatus(await login("client-b", PASSWORD), 201);
  });

  it("ensureSandboxOrg creates a managed org once, funded by a top-up", async () => {
    const desired = null;
    expect(await ensureSandboxOrg(ts.running, { slug: "sandbox-x", desired, balanceCents: 12_345 })).toBe(
      true,
    );
    expect(await ensureSandboxOrg(ts.running, { slug: "sandbox-x", desired, balanceCents: 12_345 })).toBe(
      false,
    );
    const ledger = await ts.api("GET", "/v1/orgs/sandbox-x/wallet/ledger");
    expect(ledger.body.items[0]).toEqual(expect.objectContaining({ reason: "top_up", amount_cents: 12_345 }));
    const owner = await ts.api("GET", "/v1/orgs/sandbox-x/users/admin");
    expect(owner.body).toEqual(
      expect.objectContaining({ owner: true, email: "admin-sandbox-x@console.test" }),
    );
  });
});
