import { describe, expect, it } from "vitest";
import {
  type Actor,
  actingRole,
  actsInManagedOrgs,
  addressesClaimed,
  addressInOtherOrgRefusal,
  type Catalog,
  type ConsoleState,
  DEFAULT_CATALOG,
  decide,
  defaultOwnerPlan,
  type Effect,
  isValidSlug,
  mayCreateOrgs,
  orgSlugRefusal,
  PARTNER_ROLE,
  partnerActingUser,
  partnerLogin,
  partnerStandIn,
  partnerStandInFor,
  ROLES,
  type Role,
  SLUG_PATTERN,
  slugFromName,
  type Tenant,
  type User,
} from "../../src/domain/index.js";
import { buildState, expectOk, expectRefused, makeUser, NOW, newUser, OWNER } from "../support/builders.js";

/**
 * Many organizations in one console (src/domain/tenancy.ts): who acts where and with what role, who creates
 * organizations, slugs, the partner's stand-in acting user, and addresses unique across the console. The same
 * rules are tested over HTTP in test/console/multi-org.test.ts; here they are pinned where `npm run mutation`
 * sees them.
 */

const partner: Tenant = { id: 1, slug: "agency", managed_by: null, partner: true };
const managed: Tenant = { id: 2, slug: "client", managed_by: 1, partner: false };
const plain: Tenant = { id: 3, slug: "plain", managed_by: null, partner: false };
/** Managed by `plain`, which is not a partner (a partner flag removed later, say). */
const managedByPlain: Tenant = { id: 4, slug: "orphan", managed_by: 3, partner: false };
/** Another partner, and an organization it manages. */
const rival: Tenant = { id: 5, slug: "rival", managed_by: null, partner: true };
const rivalClient: Tenant = { id: 6, slug: "rival-client", managed_by: 5, partner: false };
const NON_ADMINS: Role[] = ["billing_admin", "user_admin", "member"];

describe("actingRole: a user acts in their own organization with their role, a partner's org_admin in the managed ones", () => {
  it("in their own organization every user acts with their own role, partner or not", () => {
    for (const role of ROLES) {
      expect(actingRole(partner, role, partner)).toBe(role);
      expect(actingRole(plain, role, plain)).toBe(role);
      expect(actingRole(managed, role, managed)).toBe(role);
    }
  });

  it("a partner's org_admin acts as org_admin in an organization the partner manages", () => {
    expect(PARTNER_ROLE).toBe("org_admin");
    expect(actingRole(partner, "org_admin", managed)).toBe("org_admin");
  });

  it("a partner's other roles act nowhere else", () => {
    for (const role of NON_ADMINS) expect(actingRole(partner, role, managed)).toBeNull();
  });

  it("nobody acts in an organization their own does not manage", () => {
    for (const role of ROLES) {
      expect(actingRole(partner, role, plain)).toBeNull();
      expect(actingRole(partner, role, rival)).toBeNull();
      expect(actingRole(partner, role, rivalClient)).toBeNull();
      expect(actingRole(plain, role, partner)).toBeNull();
      // A managed organization's admins do not act in their partner, nor in its other organizations.
      expect(actingRole(managed, role, partner)).toBeNull();
      expect(actingRole(managed, role, { ...managed, id: 7, slug: "sibling" })).toBeNull();
    }
  });

  it("managing an organization is not enough without being a partner", () => {
    for (const role of ROLES) expect(actingRole(plain, role, managedByPlain)).toBeNull();
  });

  it("the same id is the same organization, whatever the slug says", () => {
    expect(actingRole(plain, "member", { ...plain, slug: "renamed" })).toBe("member");
    expect(actingRole(plain, "member", { ...plain, id: 9 })).toBeNull();
  });
});

describe("actsInManagedOrgs and mayCreateOrgs: a partner's org_admins, and nobody else", () => {
  it("a partner's org_admin may create organizations and acts in the managed ones", () => {
    expect(mayCreateOrgs(partner, "org_admin")).toBe(true);
    expect(actsInManagedOrgs(partner, "org_admin")).toBe(true);
  });

  it("a partner's other roles may not", () => {
    for (const role of NON_ADMINS) {
      expect(mayCreateOrgs(partner, role)).toBe(false);
      expect(actsInManagedOrgs(partner, role)).toBe(false);
    }
  });

  it("no role of an organization that is not a partner may, a managed one included", () => {
    for (const role of ROLES) {
      for (const home of [plain, managed]) {
        expect(mayCreateOrgs(home, role)).toBe(false);
        expect(actsInManagedOrgs(home, role)).toBe(false);
      }
    }
  });

  it("the organizations list is exactly where actingRole lets the caller act", () => {
    // GET /v1/orgs lists the caller's own organization, and the managed ones when actsInManagedOrgs holds.
    const all = [partner, managed, plain, managedByPlain, rival, rivalClient];
    for (const home of all) {
      for (const role of ROLES) {
        for (const target of all) {
          const listed =
            target.id === home.id || (target.managed_by === home.id && actsInManagedOrgs(home, role));
          expect(actingRole(home, role, target) !== null, `${home.slug} ${role} → ${target.slug}`).toBe(
            listed,
          );
        }
      }
    }
  });
});

describe("slugs: lower-case letters, digits and inner hyphens, 1 to 63 characters", () => {
  it("accepts letters, digits and inner hyphens, from one character to 63", () => {
    for (const slug of [
      "a",
      "0",
      "ab",
      "a-b",
      "a--b",
      "acme-bakery-2",
      "9lives",
      "a".repeat(63),
      `a${"-".repeat(61)}b`,
    ])
      expect(isValidSlug(slug), slug).toBe(true);
  });

  it("refuses the empty slug, 64 characters, upper case, other characters, and a hyphen at either end", () => {
    for (const slug of [
      "",
      "a".repeat(64),
      "Acme",
      "a_b",
      "a.b",
      "a b",
      "a/b",
      "-a",
      "a-",
      "-",
      "a!",
      "!a",
      "é",
    ])
      expect(isValidSlug(slug), slug).toBe(false);
  });

  it("the pattern is anchored at both ends (a valid slug inside a longer string is not one)", () => {
    expect(SLUG_PATTERN.test("ok!")).toBe(false);
    expect(SLUG_PATTERN.test("!ok")).toBe(false);
    expect(SLUG_PATTERN.test("ok\n")).toBe(false);
  });
});

describe("orgSlugRefusal: an invalid slug is `invalid`, a taken one `conflict`, each naming the slug", () => {
  it("a valid free slug passes", () => {
    expect(orgSlugRefusal("acme", false)).toBeNull();
  });

  it("an invalid slug is refused as invalid, with the grammar to follow, before whether it is taken", () => {
    for (const taken of [false, true]) {
      expect(orgSlugRefusal("Acme_Co", taken)).toEqual({
        code: "invalid",
        message:
          "Acme_Co is not a valid organization slug; use lower-case letters, digits and inner hyphens (at most 63)",
        details: { slug: "Acme_Co" },
      });
    }
  });

  it("a taken slug is a conflict that says to choose another", () => {
    expect(orgSlugRefusal("acme", true)).toEqual({
      code: "conflict",
      message: "organization acme already exists; choose another slug",
      details: { slug: "acme" },
    });
  });
});

describe("slugFromName: the slug an existing organization gets from its name", () => {
  it("lower case, each run of other characters one hyphen, no hyphen at either end", () => {
    expect(slugFromName("Acme Bakery")).toBe("acme-bakery");
    expect(slugFromName("  Acme -- Bakery & Co.  ")).toBe("acme-bakery-co");
    expect(slugFromName("--Hello__World--")).toBe("hello-world");
    expect(slugFromName("Café 2000")).toBe("caf-2000");
    expect(slugFromName("a")).toBe("a");
    expect(slugFromName("!a")).toBe("a");
    expect(slugFromName("a!")).toBe("a");
  });

  it("at most 63 characters, with no hyphen left at the cut", () => {
    expect(slugFromName("x".repeat(70))).toBe("x".repeat(63));
    expect(slugFromName(`${"x".repeat(62)} yz`)).toBe("x".repeat(62));
    expect(slugFromName(`${"x".repeat(61)}  - yz`)).toBe(`${"x".repeat(61)}-y`);
    expect(slugFromName(`${"x".repeat(60)} y z`)).toBe(`${"x".repeat(60)}-y`);
  });

  it("`org-<id>` when nothing is left, org-1 by default", () => {
    expect(slugFromName("", 7)).toBe("org-7");
    expect(slugFromName("!!! ???", 12)).toBe("org-12");
    expect(slugFromName("---")).toBe("org-1");
    expect(slugFromName("")).toBe("org-1");
  });

  it("every slug it makes is valid", () => {
    for (const name of ["Acme Bakery", "--x--", "", "ÉÀ", `${"x".repeat(62)} yz`, "a".repeat(100), "0 1 2"])
      expect(isValidSlug(slugFromName(name, 3)), name).toBe(true);
  });
});

describe("the partner's user in a managed organization: `<partner-slug>/<login>`, an active org_admin", () => {
  it("partnerLogin joins the partner's slug and the login with a slash", () => {
    expect(partnerLogin("agency", "alice")).toBe("agency/alice");
  });

  it("partnerActingUser keeps the user's record under that login, as an active org_admin", () => {
    const alice = makeUser({ login: "alice", role: "org_admin", status: "invited", plan: "pro" });
    expect(partnerActingUser("agency", alice)).toEqual({
      ...alice,
      login: "agency/alice",
      role: "org_admin",
      status: "active",
    });
    expect(alice.login).toBe("alice");
    expect(alice.status).toBe("invited");
  });
});

describe("partnerStandIn: the engine takes an actor's stand-in only for a partner's org_admin under its own login", () => {
  const standIn = partnerActingUser("agency", makeUser({ login: "alice", role: "org_admin" }));

  it("a stand-in under the actor's login, with a slash, acting as org_admin, is taken", () => {
    expect(partnerStandIn({ login: "agency/alice", standIn })).toBe(standIn);
  });

  it("no stand-in, none", () => {
    expect(partnerStandIn({ login: "agency/alice" })).toBeUndefined();
  });

  it("a stand-in under another login than the actor's is not taken", () => {
    expect(partnerStandIn({ login: "agency/bob", standIn })).toBeUndefined();
  });

  it("a login without a slash (one a user of the organization could have) is never stood in for", () => {
    const forged = { ...standIn, login: "alice" };
    expect(partnerStandIn({ login: "alice", standIn: forged })).toBeUndefined();
  });

  it("a stand-in with any role but org_admin is not taken", () => {
    for (const role of NON_ADMINS)
      expect(partnerStandIn({ login: "agency/alice", standIn: { ...standIn, role } })).toBeUndefined();
  });
});

describe("decide with a partner's stand-in: it acts as org_admin, never as the owner, and only under a partner login", () => {
  const state = (): ConsoleState => buildState({ balance: 100_000, users: [{ login: "bob" }] });
  const standIn = partnerActingUser("agency", makeUser({ login: "alice", role: "org_admin" }));
  const partnerActor: Actor = { kind: "user", login: "agency/alice", standIn };

  it("it may do what an org_admin does", () => {
    const { effects } = expectOk(
      decide(state(), partnerActor, { op: "create_group", name: "eng", description: "" }, NOW),
    );
    expect(effects.map((e) => e.type)).toEqual(["put_record"]);
  });

  it("every owner protection holds against it", () => {
    expectRefused(
      decide(state(), partnerActor, { op: "disable_user", login: OWNER }, NOW),
      "owner_protected",
    );
  });

  it("a stand-in that is no partner's user is not an acting user", () => {
    const forged: Actor = { kind: "user", login: "mallory", standIn: { ...standIn, login: "mallory" } };
    const refusal = expectRefused(
      decide(state(), forged, { op: "create_group", name: "eng", description: "" }, NOW),
      "forbidden",
    );
    expect(refusal.message).toBe("the acting user mallory does not exist");
  });

  it("a user of the organization acts as themselves, whatever stand-in comes with them", () => {
    const bob: Actor = { kind: "user", login: "bob", standIn: { ...standIn, login: "bob" } };
    expectRefused(
      decide(state(), bob, { op: "create_group", name: "eng", description: "" }, NOW),
      "forbidden",
    );
  });
});

describe("partnerStandInFor: the planner's acting user for a partner's token", () => {
  it("a partner login acting as org_admin gets an active org_admin under that login, with the org's period", () => {
    expect(
      partnerStandInFor({ login: "agency/alice", role: "org_admin" }, "2026-01-01", "2027-01-01"),
    ).toEqual({
      login: "agency/alice",
      email: "",
      first_name: "",
      last_name: "",
      plan: "",
      role: "org_admin",
      status: "active",
      billing: "ok",
      period_start: "2026-01-01",
      period_end: "2027-01-01",
      aliases: [],
      profile: {},
      password_set: false,
      last_login_at: null,
      created_at: "",
    } satisfies User);
  });

  it("none for a login without a slash, or any other role", () => {
    expect(
      partnerStandInFor({ login: "alice", role: "org_admin" }, "2026-01-01", "2027-01-01"),
    ).toBeUndefined();
    for (const role of NON_ADMINS)
      expect(partnerStandInFor({ login: "agency/alice", role }, "2026-01-01", "2027-01-01")).toBeUndefined();
  });

  it("the engine takes it as the partner's acting user", () => {
    const standIn = partnerStandInFor(
      { login: "agency/alice", role: "org_admin" },
      "2026-01-01",
      "2027-01-01",
    );
    expect(standIn).toBeDefined();
    expect(partnerStandIn({ login: "agency/alice", standIn })).toBe(standIn);
  });
});

describe("addressesClaimed: the addresses a decision gives to users that they do not already hold", () => {
  const state = (): ConsoleState => {
    const s = buildState({ users: [{ login: "bob", aliases: ["bob.x@console.test"] }, { login: "carol" }] });
    s.addresses.set("old@console.test", { login: "bob", kind: "retired" });
    return s;
  };
  const putUser = (user: User): Effect => ({ type: "put_user", user });

  it("a new user claims its email and every alias, in order", () => {
    const dave = makeUser({ login: "dave", aliases: ["d1@console.test", "d2@console.test"] });
    expect(addressesClaimed(state(), [putUser(dave)])).toEqual([
      "dave@console.test",
      "d1@console.test",
      "d2@console.test",
    ]);
  });

  it("a user already holding an address claims only the new ones", () => {
    const bob = makeUser({ login: "bob", aliases: ["bob.x@console.test", "bob.y@console.test"] });
    expect(addressesClaimed(state(), [putUser(bob)])).toEqual(["bob.y@console.test"]);
  });

  it("an address another user holds is claimed (the console refuses it elsewhere)", () => {
    const bob = makeUser({ login: "bob", aliases: ["bob.x@console.test", "carol@console.test"] });
    expect(addressesClaimed(state(), [putUser(bob)])).toEqual(["carol@console.test"]);
  });

  it("an address retired from the same login is claimed again", () => {
    const bob = makeUser({ login: "bob", aliases: ["bob.x@console.test", "old@console.test"] });
    expect(addressesClaimed(state(), [putUser(bob)])).toEqual(["old@console.test"]);
  });

  it("only put_user effects claim; the others claim nothing", () => {
    const s = state();
    const dave = makeUser({ login: "dave" });
    const effects: Effect[] = [
      { type: "delete_user", login: "carol", retire: ["carol@console.test"] },
      { type: "put_org", org: s.org },
      { type: "revoke_sessions", login: "bob" },
      putUser(dave),
    ];
    expect(addressesClaimed(s, effects)).toEqual(["dave@console.test"]);
    expect(addressesClaimed(s, [])).toEqual([]);
  });

  it("what a create_user decision claims", () => {
    const s = state();
    const { effects } = expectOk(
      decide(
        s,
        { kind: "user", login: OWNER },
        {
          op: "create_user",
          user: newUser("erin"),
        },
        NOW,
      ),
    );
    expect(addressesClaimed(s, effects)).toEqual(["erin@console.test"]);
  });
});

describe("addressInOtherOrgRefusal: the partner portal's words, naming the address only", () => {
  it("address_taken, 'user already exists', with the address as the only detail", () => {
    expect(addressInOtherOrgRefusal("bob@example.com")).toEqual({
      code: "address_taken",
      message: "user already exists: bob@example.com is already used in this console; choose another address",
      details: { address: "bob@example.com" },
    });
  });
});

describe("defaultOwnerPlan: the catalog's cheapest plan, by name among equals", () => {
  const catalog = (plans: { name: string; price_cents: number }[]): Catalog => ({
    ...DEFAULT_CATALOG,
    plans: plans.map((p) => ({ ...p, aliases: 0, storage_mb: 1 })),
  });

  it("the default catalog's is free", () => {
    expect(defaultOwnerPlan(DEFAULT_CATALOG)).toBe("free");
  });

  it("the cheapest, wherever it is in the catalog", () => {
    const plans = [
      { name: "gold", price_cents: 900 },
      { name: "silver", price_cents: 300 },
      { name: "bronze", price_cents: 500 },
    ];
    expect(defaultOwnerPlan(catalog(plans))).toBe("silver");
    expect(defaultOwnerPlan(catalog([...plans].reverse()))).toBe("silver");
  });

  it("among plans of the same price, the first by name", () => {
    const plans = [
      { name: "zeta", price_cents: 100 },
      { name: "beta", price_cents: 100 },
      { name: "alpha", price_cents: 200 },
    ];
    expect(defaultOwnerPlan(catalog(plans))).toBe("beta");
    expect(defaultOwnerPlan(catalog([...plans].reverse()))).toBe("beta");
  });

  it("free when the catalog has no plan, and the catalog is not reordered", () => {
    expect(defaultOwnerPlan(catalog([]))).toBe("free");
    const c = catalog([
      { name: "b", price_cents: 2 },
      { name: "a", price_cents: 1 },
    ]);
    defaultOwnerPlan(c);
    expect(c.plans.map((p) => p.name)).toEqual(["b", "a"]);
  });
});
