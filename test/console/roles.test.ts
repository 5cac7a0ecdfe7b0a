/**
 * The full role × route matrix over HTTP. Each matrix row runs on a fresh console where every role has its own
 * actor and its own targets, so each call is independently valid: it would succeed for an org_admin, and the
 * expected answer for the role is either that success or 403 `forbidden` (which changes nothing).
 */
import { describe, expect, it, type TestContext } from "vitest";
import { OWNER_TOKEN, startTestConsole, type TestConsole } from "../support/console.js";
import {
  actor,
  createUser,
  expectError,
  expectStatus,
  PASSWORD,
  ROLES,
  type Role,
  tokenFor,
  userOf,
} from "./helpers.js";

/** A short tag per role, substituted for `{r}` in paths and bodies. */
const TAG: Record<Role, string> = { org_admin: "oa", billing_admin: "ba", user_admin: "ua", member: "m" };
/** The acting user of a role. */
const actorOf = (role: Role) => `act-${TAG[role]}`;

/**
 * Fixtures, made by the owner on an ultra org plan; for every role tag r:
 * - act-r: the actor, with a password; an API token for admins, a session for the member
 * - tm-r: member on entry with alias tm-r@example.org; ta-r: billing_admin on entry with alias ta-r@example.org
 * - td-r: disabled member; tad-r: disabled billing_admin
 * - group g-r with member tad-r; domain x-r.org (pending; the DNS answer proves it as soon as it is asked)
 */
async function fixture(context: TestContext): Promise<{ ts: TestConsole; tokens: Record<Role, string> }> {
  let ts: TestConsole | undefined;
  ts = await startTestConsole({
    orgPlan: "ultra",
    balanceCents: 1_000_000,
    verifier: "dns",
    // A partner may create organizations: the matrix shows which of its roles may.
    partnerOrg: true,
    resolveTxt: async (name) => {
      const domain = ts?.running.service.state.domains.get(name.replace(/^_orgctl-verification\./, ""));
      return domain ? [`orgctl-verification=${domain.verification_token}`] : [];
    },
  });
  const running = ts;
  // Per test, not afterEach: the matrix runs concurrently.
  context.onTestFinished(() => running.close());
  expectStatus(await ts.api("POST", "/v1/domains", { name: "example.org" }), 201);
  expectStatus(await ts.api("POST", "/v1/domains/example.org/verify"), 200);
  const tokens = {} as Record<Role, string>;
  for (const role of ROLES) {
    const r = TAG[role];
    expectStatus(await ts.api("POST", "/v1/domains", { name: `x-${r}.org` }), 201);
    await createUser(ts, `tm-${r}`, { plan: "entry", aliases: [`tm-${r}@example.org`] });
    await createUser(ts, `ta-${r}`, {
      plan: "entry",
      role: "billing_admin",
      aliases: [`ta-${r}@example.org`],
    });
    await createUser(ts, `td-${r}`, { plan: "entry" });
    await createUser(ts, `tad-${r}`, { plan: "entry", role: "billing_admin" });
    expectStatus(await ts.api("POST", `/v1/users/td-${r}/disable`), 200);
    expectStatus(await ts.api("POST", `/v1/users/tad-${r}/disable`), 200);
    expectStatus(await ts.api("POST", "/v1/groups", { name: `g-${r}`, description: "group" }), 201);
    expectStatus(await ts.api("PUT", `/v1/groups/g-${r}/members/tad-${r}`), 200);
    tokens[role] = await actor(ts, actorOf(role), role);
  }
  return { ts, tokens };
}

/** Substitutes the role tag for `{r}` in a path or a JSON body. */
function forRole<T>(value: T, role: Role): T {
  if (value === undefined) return value;
  return JSON.parse(JSON.stringify(value).replaceAll("{r}", TAG[role])) as T;
}

/** Frees the apply lock, whoever holds it. */
/** Frees the lock for the next role: its id is the previous holder's secret, so the fixture goes to the store. */
async function freeLock(ts: TestConsole): Promise<void> {
  ts.running.service.store.releaseLock();
  expect((await ts.api("GET", "/v1/lock")).body).toEqual({ held: false });
}

/** The expected answer for org_admin, billing_admin, user_admin, member: a success status or "F" (403 forbidden). */
type Expect = number | "F";

interface Cell {
  name: string;
  method: string;
  path: string;
  body?: unknown;
  /** Extra preparation by the owner; returns headers for the call. */
  prepare?: (ts: TestConsole) => Promise<Record<string, string>>;
  /** Prepares what the path names (`{id}`), per role, when it only exists once made. */
  id?: (ts: TestConsole, r: string) => Promise<string>;
  expect: [Expect, Expect, Expect, Expect];
}

const READ: Cell["expect"] = [200, 200, 200, "F"];
const ORG_ADMIN_ONLY = (status: number): Cell["expect"] => [status, "F", "F", "F"];
/** org_admin; user_admin only when the target is a member. */
const ON_MEMBER = (status: number): Cell["expect"] => [status, "F", status, "F"];
const EVERYONE = (status: number): Cell["expect"] => [status, status, status, status];

const MATRIX: Cell[] = [
  // organization and self-service
  { name: "read the org", method: "GET", path: "/v1/org", expect: READ },
  {
    name: "rename the org",
    method: "PATCH",
    path: "/v1/org",
    body: { name: "Renamed" },
    expect: ORG_ADMIN_ONLY(200),
  },
  {
    name: "change the org plan (ultra → pro, once the organization fits pro's 3 domains)",
    method: "PUT",
    path: "/v1/org/plan",
    body: { plan: "pro" },
    prepare: async (ts) => {
      for (const r of Object.values(TAG)) {
        if (ts.running.service.state.domains.has(`x-${r}.org`))
          expectStatus(await ts.api("DELETE", `/v1/domains/x-${r}.org`), 204);
      }
      return {};
    },
    expect: ORG_ADMIN_ONLY(200),
  },
  { name: "read self", method: "GET", path: "/v1/me", expect: EVERYONE(200) },
  {
    name: "update own personal data",
    method: "PATCH",
    path: "/v1/me",
    body: { profile: { mobile: "+33 6 12 34 56 78" } },
    expect: EVERYONE(200),
  },
  {
    name: "change own password",
    method: "PUT",
    path: "/v1/me/password",
    body: { password: "a brand new password" },
    expect: EVERYONE(204),
  },
  // billing
  { name: "read the catalog", method: "GET", path: "/v1/catalog", expect: READ },
  { name: "read the wallet", method: "GET", path: "/v1/wallet", expect: READ },
  { name: "read the ledger", method: "GET", path: "/v1/wallet/ledger", expect: READ },
  {
    name: "top up",
    method: "POST",
    path: "/v1/wallet/top-ups",
    body: { amount_cents: 1000, method: "test" },
    expect: [201, 201, "F", "F"],
  },
  // domains
  { name: "list domains", method: "GET", path: "/v1/domains", expect: READ },
  {
    name: "add a domain",
    method: "POST",
    path: "/v1/domains",
    body: { name: "new-{r}.org" },
    expect: ORG_ADMIN_ONLY(201),
  },
  { name: "remove a domain", method: "DELETE", path: "/v1/domains/x-{r}.org", expect: ORG_ADMIN_ONLY(204) },
  {
    name: "verify a domain",
    method: "POST",
    path: "/v1/domains/x-{r}.org/verify",
    expect: ORG_ADMIN_ONLY(200),
  },
  // users
  { name: "list users", method: "GET", path: "/v1/users", expect: READ },
  { name: "list retired addresses", method: "GET", path: "/v1/addresses/retired", expect: READ },
  {
    name: "create a member",
    method: "POST",
    path: "/v1/users",
    body: {
      login: "nu-{r}",
      email: "nu-{r}@console.test",
      first_name: "N",
      last_name: "U",
      plan: "free",
      role: "member",
    },
    expect: ON_MEMBER(201),
  },
  {
    name: "resend a member's invitation",
    method: "POST",
    path: "/v1/users/tm-{r}/invitation",
    expect: ON_MEMBER(200),
  },
  {
    name: "resend a billing_admin's invitation",
    method: "POST",
    path: "/v1/users/ta-{r}/invitation",
    expect: ORG_ADMIN_ONLY(200),
  },
  {
    name: "create a billing_admin",
    method: "POST",
    path: "/v1/users",
    body: {
      login: "nu-{r}",
      email: "nu-{r}@console.test",
      first_name: "N",
      last_name: "U",
      plan: "free",
      role: "billing_admin",
    },
    expect: ORG_ADMIN_ONLY(201),
  },
  {
    name: "create a user_admin",
    method: "POST",
    path: "/v1/users",
    body: {
      login: "nu-{r}",
      email: "nu-{r}@console.test",
      first_name: "N",
      last_name: "U",
      plan: "free",
      role: "user_admin",
    },
    expect: ORG_ADMIN_ONLY(201),
  },
  {
    name: "create an org_admin",
    method: "POST",
    path: "/v1/users",
    body: {
      login: "nu-{r}",
      email: "nu-{r}@console.test",
      first_name: "N",
      last_name: "U",
      plan: "free",
      role: "org_admin",
    },
    expect: ORG_ADMIN_ONLY(201),
  },
  { name: "read a member", method: "GET", path: "/v1/users/tm-{r}", expect: READ },
  { name: "read an admin", method: "GET", path: "/v1/users/ta-{r}", expect: READ },
  {
    name: "edit a member",
    method: "PATCH",
    path: "/v1/users/tm-{r}",
    body: { first_name: "Tim" },
    expect: ON_MEMBER(200),
  },
  {
    name: "edit an admin",
    method: "PATCH",
    path: "/v1/users/ta-{r}",
    body: { first_name: "Tia" },
    expect: ORG_ADMIN_ONLY(200),
  },
  {
    name: "edit a member's personal data",
    method: "PATCH",
    path: "/v1/users/tm-{r}",
    body: { profile: { mobile: "+1 555" } },
    expect: ON_MEMBER(200),
  },
  { name: "delete a member", method: "DELETE", path: "/v1/users/td-{r}", expect: ON_MEMBER(204) },
  { name: "delete an admin", method: "DELETE", path: "/v1/users/tad-{r}", expect: ORG_ADMIN_ONLY(204) },
  {
    name: "bulk-delete members",
    method: "POST",
    path: "/v1/users/bulk",
    body: { action: "delete", logins: ["td-{r}"] },
    expect: ON_MEMBER(200),
  },
  {
    name: "bulk-delete admins",
    method: "POST",
    path: "/v1/users/bulk",
    body: { action: "delete", logins: ["tad-{r}"] },
    expect: ORG_ADMIN_ONLY(200),
  },
  {
    name: "bulk-disable members",
    method: "POST",
    path: "/v1/users/bulk",
    body: { action: "disable", logins: ["tm-{r}"] },
    expect: ON_MEMBER(200),
  },
  {
    name: "bulk-disable admins",
    method: "POST",
    path: "/v1/users/bulk",
    body: { action: "disable", logins: ["ta-{r}"] },
    expect: ORG_ADMIN_ONLY(200),
  },
  {
    name: "bulk-logout members",
    method: "POST",
    path: "/v1/users/bulk",
    body: { action: "logout", logins: ["tm-{r}"] },
    expect: ON_MEMBER(200),
  },
  {
    name: "bulk-logout admins",
    method: "POST",
    path: "/v1/users/bulk",
    body: { action: "logout", logins: ["ta-{r}"] },
    expect: ORG_ADMIN_ONLY(200),
  },
  { name: "disable a member", method: "POST", path: "/v1/users/tm-{r}/disable", expect: ON_MEMBER(200) },
  { name: "disable an admin", method: "POST", path: "/v1/users/ta-{r}/disable", expect: ORG_ADMIN_ONLY(200) },
  { name: "enable a member", method: "POST", path: "/v1/users/td-{r}/enable", expect: ON_MEMBER(200) },
  { name: "enable an admin", method: "POST", path: "/v1/users/tad-{r}/enable", expect: ORG_ADMIN_ONLY(200) },
  {
    name: "change a member's plan",
    method: "PUT",
    path: "/v1/users/tm-{r}/plan",
    body: { plan: "pro" },
    expect: [200, 200, "F", "F"],
  },
  {
    name: "change an admin's plan",
    method: "PUT",
    path: "/v1/users/ta-{r}/plan",
    body: { plan: "pro" },
    expect: [200, 200, "F", "F"],
  },
  {
    name: "promote a member",
    method: "PUT",
    path: "/v1/users/tm-{r}/role",
    body: { role: "user_admin" },
    expect: ORG_ADMIN_ONLY(200),
  },
  {
    name: "demote an admin",
    method: "PUT",
    path: "/v1/users/ta-{r}/role",
    body: { role: "member" },
    expect: ORG_ADMIN_ONLY(200),
  },
  {
    name: "set a member's password",
    method: "PUT",
    path: "/v1/users/tm-{r}/password",
    body: { password: "set by an admin" },
    expect: ON_MEMBER(204),
  },
  {
    name: "set an admin's password",
    method: "PUT",
    path: "/v1/users/ta-{r}/password",
    body: { password: "set by an admin" },
    expect: ORG_ADMIN_ONLY(204),
  },
  {
    name: "force-log-out a member",
    method: "DELETE",
    path: "/v1/users/tm-{r}/sessions",
    expect: ON_MEMBER(204),
  },
  {
    name: "force-log-out an admin",
    method: "DELETE",
    path: "/v1/users/ta-{r}/sessions",
    expect: ORG_ADMIN_ONLY(204),
  },
  {
    name: "add a member's alias",
    method: "POST",
    path: "/v1/users/tm-{r}/aliases",
    body: { address: "tm2-{r}@example.org" },
    expect: ON_MEMBER(201),
  },
  {
    name: "add an admin's alias",
    method: "POST",
    path: "/v1/users/ta-{r}/aliases",
    body: { address: "ta2-{r}@example.org" },
    expect: ORG_ADMIN_ONLY(201),
  },
  {
    name: "remove a member's alias",
    method: "DELETE",
    path: "/v1/users/tm-{r}/aliases/tm-{r}@example.org",
    expect: ON_MEMBER(200),
  },
  {
    name: "remove an admin's alias",
    method: "DELETE",
    path: "/v1/users/ta-{r}/aliases/ta-{r}@example.org",
    expect: ORG_ADMIN_ONLY(200),
  },
  // groups: user_admin manages groups and any user's memberships
  { name: "list groups", method: "GET", path: "/v1/groups", expect: READ },
  { name: "read a group", method: "GET", path: "/v1/groups/g-{r}", expect: READ },
  { name: "list the records of a kind", method: "GET", path: "/v1/records/groups", expect: READ },
  {
    name: "create a group",
    method: "POST",
    path: "/v1/groups",
    body: { name: "h-{r}" },
    expect: [201, "F", 201, "F"],
  },
  {
    name: "update a group",
    method: "PATCH",
    path: "/v1/groups/g-{r}",
    body: { description: "new" },
    expect: [200, "F", 200, "F"],
  },
  {
    name: "rename a group",
    method: "POST",
    path: "/v1/groups/g-{r}/rename",
    body: { name: "renamed-{r}" },
    expect: [200, "F", 200, "F"],
  },
  { name: "delete a group", method: "DELETE", path: "/v1/groups/g-{r}", expect: [204, "F", 204, "F"] },
  {
    name: "add an admin to a group",
    method: "PUT",
    path: "/v1/groups/g-{r}/members/ta-{r}",
    expect: [200, "F", 200, "F"],
  },
  {
    name: "remove an admin from a group",
    method: "DELETE",
    path: "/v1/groups/g-{r}/members/tad-{r}",
    expect: [200, "F", 200, "F"],
  },
  // credentials
  {
    name: "issue an API token",
    method: "POST",
    path: "/v1/tokens",
    body: { login: "ta-{r}" },
    expect: ORG_ADMIN_ONLY(201),
  },
  { name: "list credentials", method: "GET", path: "/v1/tokens", expect: READ },
  {
    name: "revoke a member's session",
    method: "DELETE",
    path: "/v1/tokens/{id}",
    id: async (ts, r) => {
      expectStatus(await ts.api("PUT", `/v1/users/tm-${r}/password`, { password: PASSWORD }), 204);
      const res = await ts.api(
        "POST",
        "/v1/sessions",
        { login: `tm-${r}`, password: PASSWORD },
        { token: null },
      );
      expectStatus(res, 201);
      const listed = await ts.api("GET", `/v1/tokens?login=tm-${r}`);
      return listed.body.items.at(-1).id as string;
    },
    expect: ON_MEMBER(204),
  },
  // audit log
  { name: "read the audit log", method: "GET", path: "/v1/audit", expect: ORG_ADMIN_ONLY(200) },
  // organizations of the console (the fixture's organization is a partner)
  { name: "list the organizations", method: "GET", path: "/v1/orgs", expect: READ },
  {
    name: "create an organization",
    method: "POST",
    path: "/v1/orgs",
    body: {
      slug: "client-{r}",
      name: "Client",
      plan: "entry",
      owner: { login: "boss", first_name: "Ann", last_name: "Boss", email: "boss-{r}@console.test" },
    },
    expect: ORG_ADMIN_ONLY(201),
  },
  // apply lock: any admin may take it
  { name: "read the lock", method: "GET", path: "/v1/lock", expect: READ },
  {
    name: "take the lock",
    method: "POST",
    path: "/v1/lock",
    body: { holder: "ci", ttl_seconds: 60 },
    async prepare(ts) {
      await freeLock(ts);
      return {};
    },
    expect: [201, 201, 201, "F"],
  },
  {
    name: "release the lock",
    method: "DELETE",
    path: "/v1/lock",
    async prepare(ts) {
      await freeLock(ts);
      const lock = await ts.api("POST", "/v1/lock", { holder: "owner", ttl_seconds: 60 });
      expectStatus(lock, 201);
      return { "x-lock-id": lock.body.lock_id as string };
    },
    expect: [204, 204, 204, "F"],
  },
  // A member's own user record is still an admin route: members serve themselves through /v1/me only.
  {
    name: "read self through /v1/users",
    method: "GET",
    path: "/v1/users/act-{r}",
    expect: [200, 200, 200, "F"],
  },
  {
    name: "update own personal data through /v1/users",
    method: "PATCH",
    path: "/v1/users/act-{r}",
    body: { profile: { mobile: "+49 1" } },
    expect: [200, 200, 200, "F"],
  },
  {
    name: "change own password through /v1/users",
    method: "PUT",
    path: "/v1/users/act-{r}/password",
    body: { password: "another password" },
    expect: [204, 204, 204, "F"],
  },
  {
    name: "log self out through /v1/users",
    method: "DELETE",
    path: "/v1/users/act-{r}/sessions",
    expect: [204, 204, 204, "F"],
  },
];

describe("role × route matrix", () => {
  for (const cell of MATRIX) {
    const expected = Object.fromEntries(
      ROLES.map((role, i) => [role, cell.expect[i] === "F" ? "403 forbidden" : String(cell.expect[i])]),
    );
    it.concurrent(`${cell.method} ${cell.path} (${cell.name})`, async (context) => {
      const { ts, tokens } = await fixture(context);
      const actual: Record<string, string> = {};
      for (const role of ROLES) {
        const headers = cell.prepare ? await cell.prepare(ts) : {};
        const path = cell.id
          ? forRole(cell.path, role).replace("{id}", await cell.id(ts, TAG[role]))
          : forRole(cell.path, role);
        const revision = (await ts.api("GET", "/v1/org")).body.revision as number;
        const res = await ts.api(cell.method, path, forRole(cell.body, role), {
          token: tokens[role],
          headers,
        });
        if (res.status === 403) {
          const unchanged = (await ts.api("GET", "/v1/org")).body.revision === revision;
          actual[role] = `403 ${res.body.error.code}${unchanged ? "" : " (but the revision moved)"}`;
        } else {
          actual[role] = res.status < 300 ? String(res.status) : `${res.status} ${JSON.stringify(res.body)}`;
        }
      }
      expect(actual).toEqual(expected);
    });
  }

  it("every route of the API is in the matrix", async () => {
    const { ROUTES } = await import("../../src/console/routes.js");
    const covered = new Set(MATRIX.map((c) => `${c.method} ${templateOf(c.path)}`));
    const publicRoutes = new Set(["GET /v1/healthz", "POST /v1/sessions"]);
    const missing = ROUTES.map((r) => `${r.method} ${r.template}`).filter(
      (route) => !covered.has(route) && !publicRoutes.has(route),
    );
    expect(missing).toEqual([]);
  });
});

/** Turns a matrix path back into its route template, for the coverage check. */
function templateOf(path: string): string {
  return path
    .replace(/^\/v1\/users\/(?!bulk$)[^/]+/, "/v1/users/{login}")
    .replace(/^\/v1\/domains\/[^/]+/, "/v1/domains/{name}")
    .replace(/^\/v1\/groups\/[^/]+/, "/v1/groups/{name}")
    .replace(/\/members\/[^/]+$/, "/members/{login}")
    .replace(/\/aliases\/[^/]+$/, "/aliases/{address}")
    .replace(/^\/v1\/tokens\/[^/]+$/, "/v1/tokens/{id}")
    .replace(/^\/v1\/records\/[^/]+$/, "/v1/records/{kind}");
}

describe("public routes", () => {
  it.concurrent("every role can log in, and anyone can check health", async (context) => {
    const { ts } = await fixture(context);
    expectStatus(await ts.api("GET", "/v1/healthz", undefined, { token: null }), 200);
    for (const role of ROLES) {
      const res = await ts.api(
        "POST",
        "/v1/sessions",
        { login: actorOf(role), password: PASSWORD },
        { token: null },
      );
      expectStatus(res, 201);
      expect(res.body.login).toBe(actorOf(role));
    }
  });

  it.concurrent("issues API tokens for admins only, never for members", async (context) => {
    const { ts } = await fixture(context);
    expectError(await ts.api("POST", "/v1/tokens", { login: "tm-oa" }), 400, "invalid");
    expectStatus(await ts.api("POST", "/v1/tokens", { login: "ta-oa" }), 201);
  });

  it.concurrent("answers 401 without a token or with a wrong one", async (context) => {
    const { ts } = await fixture(context);
    expectError(await ts.api("GET", "/v1/org", undefined, { token: null }), 401, "unauthenticated");
    expectError(await ts.api("GET", "/v1/me", undefined, { token: "oct_nope" }), 401, "unauthenticated");
  });
});

describe("self_action", () => {
  it.concurrent("an org_admin may not delete, disable, re-plan or re-role themselves", async (context) => {
    const { ts, tokens } = await fixture(context);
    const token = tokens.org_admin;
    const me = actorOf("org_admin");
    expectError(await ts.api("POST", `/v1/users/${me}/disable`, undefined, { token }), 403, "self_action");
    expectError(await ts.api("DELETE", `/v1/users/${me}`, undefined, { token }), 403, "self_action");
    expectError(await ts.api("PUT", `/v1/users/${me}/plan`, { plan: "pro" }, { token }), 403, "self_action");
    expectError(
      await ts.api("PUT", `/v1/users/${me}/role`, { role: "member" }, { token }),
      403,
      "self_action",
    );
    expectError(
      await ts.api("POST", "/v1/users/bulk", { action: "delete", logins: [me] }, { token }),
      403,
      "self_action",
    );
    expect(await userOf(ts, me)).toMatchObject({ status: "active", role: "org_admin", plan: "free" });
  });

  it.concurrent("a billing_admin may not change their own plan", async (context) => {
    const { ts, tokens } = await fixture(context);
    const me = actorOf("billing_admin");
    expectError(
      await ts.api("PUT", `/v1/users/${me}/plan`, { plan: "pro" }, { token: tokens.billing_admin }),
      403,
      "self_action",
    );
    expect((await userOf(ts, me)).plan).toBe("free");
  });

  it.concurrent("the owner may not delete, disable, re-plan or re-role themselves either", async (context) => {
    const { ts } = await fixture(context);
    const token = OWNER_TOKEN;
    expectError(await ts.api("POST", "/v1/users/admin/disable", undefined, { token }), 403, "self_action");
    expectError(await ts.api("DELETE", "/v1/users/admin", undefined, { token }), 403, "self_action");
    expectError(
      await ts.api("PUT", "/v1/users/admin/plan", { plan: "ultra" }, { token }),
      403,
      "self_action",
    );
    expectError(
      await ts.api("PUT", "/v1/users/admin/role", { role: "user_admin" }, { token }),
      403,
      "self_action",
    );
  });

  it.concurrent("admins may still change their own personal data and password, not their names", async (context) => {
    const { ts, tokens } = await fixture(context);
    for (const role of ["billing_admin", "user_admin"] as const) {
      const token = tokens[role];
      expectStatus(await ts.api("PATCH", "/v1/me", { profile: { mobile: "1" } }, { token }), 200);
      expectStatus(await ts.api("PUT", "/v1/me/password", { password: "my own new one" }, { token }), 204);
      // Names are not personal data: editing them is an admin action on a non-member.
      expectError(
        await ts.api("PATCH", `/v1/users/${actorOf(role)}`, { first_name: "Me" }, { token }),
        403,
        "forbidden",
      );
    }
  });
});

describe("owner_protected", () => {
  it.concurrent("no other org_admin may edit, disable, delete or log out the owner", async (context) => {
    const { ts, tokens } = await fixture(context);
    const as = { token: tokens.org_admin };
    const calls: Array<[string, string, unknown?]> = [
      ["PATCH", "/v1/users/admin", { first_name: "X" }],
      ["PATCH", "/v1/users/admin", { profile: { mobile: "0" } }],
      ["POST", "/v1/users/admin/disable"],
      ["DELETE", "/v1/users/admin"],
      ["DELETE", "/v1/users/admin/sessions"],
      ["PUT", "/v1/users/admin/password", { password: "taken over!" }],
      ["PUT", "/v1/users/admin/role", { role: "member" }],
      ["POST", "/v1/users/admin/aliases", { address: "boss@example.org" }],
      ["POST", "/v1/users/bulk", { action: "logout", logins: ["admin"] }],
    ];
    for (const [method, path, body] of calls) {
      expectError(await ts.api(method, path, body, as), 403, "owner_protected");
    }
    expect(await userOf(ts, "admin")).toMatchObject({
      first_name: "Org",
      status: "active",
      role: "org_admin",
      profile: {},
      aliases: [],
    });
    // The owner's own API token still works: nothing was revoked.
    expectStatus(await ts.api("GET", "/v1/me"), 200);
  });

  it.concurrent("a user_admin is refused on the owner as on any admin (forbidden comes first)", async (context) => {
    const { ts, tokens } = await fixture(context);
    expectError(
      await ts.api("POST", "/v1/users/admin/disable", undefined, { token: tokens.user_admin }),
      403,
      "forbidden",
    );
  });

  it.concurrent("tokens issued to admins act with their own role", async (context) => {
    const { ts } = await fixture(context);
    const taToken = await tokenFor(ts, "ta-oa");
    expectStatus(
      await ts.api("POST", "/v1/wallet/top-ups", { amount_cents: 5, method: "test" }, { token: taToken }),
      201,
    );
    expectError(await ts.api("POST", "/v1/groups", { name: "z" }, { token: taToken }), 403, "forbidden");
  });
});
