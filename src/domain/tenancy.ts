import type { Catalog } from "./catalog.js";
import type { Effect } from "./engine/context.js";
import type { ConsoleState, Role, User } from "./model.js";
import { type Refusal, refuse } from "./refusal.js";

/**
 * Many organizations in one console (issue 12, [AC] partner portal): who may act in which organization, with
 * what role, and who may create organizations. Pure: the console asks, and enforces the answers.
 *
 * - A user belongs to exactly one organization and acts there with their own role.
 * - A partner organization manages the organizations it created (`managed_by`). Its owner and org_admins may
 *   create organizations and act as org_admin (never as owner: every owner protection holds) in the ones it
 *   manages, and nowhere else.
 * - Addresses (emails and aliases) are unique across the whole console.
 */

/** An organization's identity in a console. */
export interface Tenant {
  id: number;
  slug: string;
  /** The partner organization that manages this one, if any. */
  managed_by: number | null;
  partner: boolean;
}

/** The grammar of an organization's slug: lower-case letters, digits and inner hyphens, at most 63 characters. */
export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export function isValidSlug(slug: string): boolean {
  return SLUG_PATTERN.test(slug);
}

/**
 * The slug an existing organization gets from its name: lower case, runs of anything but letters and digits
 * become one hyphen, trimmed of hyphens, at most 63 characters; `org-<id>` when nothing is left.
 */
export function slugFromName(name: string, id = 1): string {
  // After the first replace no two hyphens are adjacent, so one at either end is all there is to trim.
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .slice(0, 63)
    .replace(/-$/, "");
  return slug === "" ? `org-${id}` : slug;
}

/** The roles of a partner organization that act for it: its org_admins (the owner is one). */
function actsForPartner(role: Role): boolean {
  return role === "org_admin";
}

/** The role a partner's user acts with in an organization it manages: org_admin, never more. */
export const PARTNER_ROLE: Role = "org_admin";

/**
 * The role a user of organization `home` (with role `role` there) acts with in organization `target`, or
 * null when they may not act there at all (the console answers 404, as for an organization that does not exist).
 */
export function actingRole(home: Tenant, role: Role, target: Tenant): Role | null {
  if (home.id === target.id) return role;
  if (target.managed_by === home.id && actsInManagedOrgs(home, role)) return PARTNER_ROLE;
  return null;
}

/**
 * Whether a user of `home` with `role` acts in the organizations `home` manages: a partner's org_admins. The
 * organizations list (`API.orgs`) is the caller's own organization and, when this holds, the managed ones:
 * exactly where `actingRole` lets them act, selected by one indexed query so a page costs the same however
 * many organizations the console holds.
 */
export function actsInManagedOrgs(home: Tenant, role: Role): boolean {
  return home.partner && actsForPartner(role);
}

/** Whether a user of `home` with `role` may create organizations (which `home` then manages): the same people. */
export function mayCreateOrgs(home: Tenant, role: Role): boolean {
  return actsInManagedOrgs(home, role);
}

/** The refusal when a new organization's slug is invalid or taken. */
export function orgSlugRefusal(slug: string, taken: boolean): Refusal | null {
  if (!isValidSlug(slug)) {
    return refuse(
      "invalid",
      `${slug} is not a valid organization slug; use lower-case letters, digits and inner hyphens (at most 63)`,
      { slug },
    );
  }
  if (taken) return refuse("conflict", `organization ${slug} already exists; choose another slug`, { slug });
  return null;
}

/**
 * The login a partner's user acts under in a managed organization: `<partner-slug>/<login>`. A slash is never
 * in a login, so it never names a user of that organization (least of all its owner).
 */
export function partnerLogin(partnerSlug: string, login: string): string {
  return `${partnerSlug}/${login}`;
}

/** The stand-in acting user of a partner's user in a managed organization: an active org_admin, not a member of it. */
export function partnerActingUser(partnerSlug: string, user: User): User {
  return { ...user, login: partnerLogin(partnerSlug, user.login), role: PARTNER_ROLE, status: "active" };
}

/**
 * The acting user an actor stands in as, when it is a partner's user (its login has the partner's slug, so no
 * user of the organization has it) acting as org_admin; otherwise none.
 */
export function partnerStandIn(actor: { login: string; standIn?: User }): User | undefined {
  const standIn = actor.standIn;
  if (!standIn || standIn.login !== actor.login || !actor.login.includes("/")) return undefined;
  return standIn.role === PARTNER_ROLE ? standIn : undefined;
}

/** The addresses (emails and aliases) that `effects` give to users and that `state` does not already hold for them. */
export function addressesClaimed(state: ConsoleState, effects: readonly Effect[]): string[] {
  const claimed: string[] = [];
  for (const effect of effects) {
    if (effect.type !== "put_user") continue;
    const { user } = effect;
    for (const address of [user.email, ...user.aliases]) {
      const holder = state.addresses.get(address);
      if (holder?.login !== user.login || holder.kind === "retired") claimed.push(address);
    }
  }
  return claimed;
}

/**
 * The refusal of an address another organization of the console holds, in the partner portal's words ("user
 * already exists"). It names the address only: never the other organization or its user.
 */
export function addressInOtherOrgRefusal(address: string): Refusal {
  return refuse(
    "address_taken",
    `user already exists: ${address} is already used in this console; choose another address`,
    { address },
  );
}

/** The plan a new organization's owner gets unless the request names one: the catalog's cheapest. */
export function defaultOwnerPlan(catalog: Catalog): string {
  const plans = [...catalog.plans].sort(
    (a, b) => a.price_cents - b.price_cents || a.name.localeCompare(b.name),
  );
  return plans[0]?.name ?? "free";
}

/**
 * The acting user of a partner's user in a managed organization, as the engine needs it to decide its steps:
 * its login has the partner's slug (`partner/login`, which no user of the organization can have) and it acts
 * as org_admin. Only what the rules read is meaningful; the planner uses it (src/plan/live.ts), never shows it.
 */
export function partnerStandInFor(
  actor: { login: string; role: Role },
  periodStart: User["period_start"],
  periodEnd: User["period_end"],
): User | undefined {
  if (!actor.login.includes("/") || actor.role !== PARTNER_ROLE) return undefined;
  return {
    login: actor.login,
    email: "",
    first_name: "",
    last_name: "",
    plan: "",
    role: actor.role,
    status: "active",
    billing: "ok",
    period_start: periodStart,
    period_end: periodEnd,
    aliases: [],
    profile: {},
    password_set: false,
    last_login_at: null,
    created_at: "",
  };
}
