import type { OrgPlanSpec, PlanSpec } from "./catalog.js";
import type { Role, UserStatus } from "./model.js";
import { type Refusal, refuse } from "./refusal.js";

/**
 * The rules that hold for one record or one count, without a console state. The engine decides with them,
 * and the offline checks of org.yaml (`validate`) call the same ones, so that a file they pass is one the
 * engine accepts. This module imports no engine: `validate` loads it without the rest of the console.
 */

/** A login as the console accepts it (also checked in plan files and by `orgctl logout`). */
export const LOGIN = /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/;
/** A group name as the console accepts it. */
export const GROUP_NAME = /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/;

/** The role the owner always has: the owner is an org_admin who is marked owner [AC]. */
export const OWNER_ROLE: Role = "org_admin";

/** Seats used by users on paid plans (`paid`) and on the free plan (`free`). */
export interface SeatCount {
  paid: number;
  free: number;
}

/** The paid and free seats the org plan has left with `used` taken (negative when over its limits). */
export function seatsLeft(orgPlan: OrgPlanSpec, used: SeatCount): SeatCount {
  return { paid: orgPlan.paid_seats - used.paid, free: orgPlan.free_seats - used.free };
}

/** The custom domains the org plan allows beyond the `used` ones (negative when over its limit). */
export function domainsLeft(orgPlan: OrgPlanSpec, used: number): number {
  return orgPlan.custom_domains - used;
}

/**
 * seat_limit [MF]: every user on a paid plan uses a paid seat, every user on the free plan a free seat, and
 * a change may not add seats beyond the org plan's. (A change that frees seats is allowed even while the
 * organization is over its limits.)
 */
export function seatLimitRefusal(orgPlan: OrgPlanSpec, used: SeatCount, added: SeatCount): Refusal | null {
  const left = seatsLeft(orgPlan, used);
  if (added.paid > 0 && added.paid > left.paid) {
    const users = used.paid + added.paid;
    return refuse(
      "seat_limit",
      `${users} users on paid plans but the ${orgPlan.name} org plan has ${orgPlan.paid_seats} paid seats; move users to the free plan, remove some, or choose a larger org plan`,
      { seats: orgPlan.paid_seats, used: used.paid, kind: "paid" },
    );
  }
  if (added.free > 0 && added.free > left.free) {
    const users = used.free + added.free;
    return refuse(
      "seat_limit",
      `${users} users on the free plan but the ${orgPlan.name} org plan has ${orgPlan.free_seats} free seats; move users to a paid plan, remove some, or choose a larger org plan`,
      { seats: orgPlan.free_seats, used: used.free, kind: "free" },
    );
  }
  return null;
}

/** alias_limit [MF]: the number of aliases a user may have is set by the user's plan. */
export function aliasLimitRefusal(plan: PlanSpec, login: string, aliases: number): Refusal | null {
  if (aliases <= plan.aliases) return null;
  return refuse(
    "alias_limit",
    `plan ${plan.name} allows ${plan.aliases} aliases and ${login} would have ${aliases}; choose a larger plan or fewer aliases`,
    { login, limit: plan.aliases },
  );
}

/** domain_limit: the number of custom domains is limited by the org plan; a change may not add one beyond. */
export function domainLimitRefusal(orgPlan: OrgPlanSpec, used: number, added: number): Refusal | null {
  if (added <= 0 || added <= domainsLeft(orgPlan, used)) return null;
  return refuse(
    "domain_limit",
    `${used + added} custom domains but the ${orgPlan.name} org plan allows ${orgPlan.custom_domains}; use fewer custom domains or choose a larger org plan`,
    { limit: orgPlan.custom_domains, used },
  );
}

/** last_org_admin [RI]: an organization keeps at least this many active org_admins at all times. */
export const MIN_ACTIVE_ORG_ADMINS = 1;

/** Whether an organization with `activeOrgAdmins` active org_admins keeps the admin floor. */
export function keepsAdminFloor(activeOrgAdmins: number): boolean {
  return activeOrgAdmins >= MIN_ACTIVE_ORG_ADMINS;
}

/** Who counts for the rule "at least one active org_admin at all times" [RI]. */
export function isActiveOrgAdmin(user: { role: Role; status: UserStatus }): boolean {
  return user.role === "org_admin" && user.status === "active";
}

/** A user has a first and a last name, blanks around them do not count [MF]. */
export function namesRefusal(login: string, firstName: string, lastName: string): Refusal | null {
  if (firstName.trim() && lastName.trim()) return null;
  return refuse("invalid", `user ${login} needs a first and a last name`, { login });
}

/** self_action [RI]: nobody may delete, disable, re-plan or re-role themselves. */
export function selfActionRefusal(actor: string | null, login: string, what: string): Refusal | null {
  if (actor === null || actor !== login) return null;
  return refuse("self_action", `nobody may ${what} themselves; ask another admin`, { login });
}

/** owner_protected [AC]: the owner cannot be edited, disabled, deleted or force-logged-out by another admin. */
export function ownerProtectedRefusal(
  owner: string,
  actor: string | null,
  login: string,
  what: string,
): Refusal | null {
  if (actor === null || login !== owner || actor === login) return null;
  return refuse("owner_protected", `${login} is the owner; no other admin may ${what} the owner`, { login });
}

/**
 * The owner is always an active org_admin: nobody may change their own role or disable themselves, and no
 * other admin may do either to the owner, so an owner with another role or status can never come about.
 */
export function ownerStateRefusal(user: { login: string; role: Role; status: string }): Refusal | null {
  if (user.role === OWNER_ROLE && user.status === "active") return null;
  const wrong = user.role !== OWNER_ROLE ? `role ${user.role}` : `status ${user.status}`;
  return refuse(
    "owner_protected",
    `${user.login} is the owner and the owner is always an active ${OWNER_ROLE}, never ${wrong}; nobody may change the owner's role or disable the owner`,
    { login: user.login },
  );
}

/** owner_protected [AC]: the owner never changes; no operation makes another user the owner. */
export function ownerChangeRefusal(owner: string, marked: string): Refusal | null {
  if (marked === owner) return null;
  return {
    ...refuse(
      "owner_protected",
      `${marked} is marked as the owner, but the console's owner is ${owner}; the owner never changes`,
      { login: marked, owner },
    ),
    fix: `move owner: true to ${owner}, or remove it`,
  };
}
