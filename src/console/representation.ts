import {
  type ConsoleState,
  type Domain,
  findOrgPlan,
  type Group,
  routedAddresses,
  type User,
  verificationRecord,
} from "../domain/index.js";

/** A login → sorted group names index, built once per response instead of once per user. */
export function membershipIndex(state: ConsoleState): Map<string, string[]> {
  const index = new Map<string, string[]>();
  for (const name of [...state.groups.keys()].sort()) {
    for (const login of state.groups.get(name)!.members) {
      const list = index.get(login);
      if (list) list.push(name);
      else index.set(login, [name]);
    }
  }
  return index;
}

export function userJson(state: ConsoleState, user: User, memberships?: Map<string, string[]>) {
  const groups = (memberships ?? membershipIndex(state)).get(user.login) ?? [];
  return {
    login: user.login,
    email: user.email,
    first_name: user.first_name,
    last_name: user.last_name,
    plan: user.plan,
    role: user.role,
    status: user.status,
    billing: user.billing,
    owner: state.org.owner === user.login,
    period_start: user.period_start,
    period_end: user.period_end,
    aliases: user.aliases,
    groups,
    profile: user.profile,
    password_set: user.password_set,
    password_rotation: user.password_rotation ?? null,
    last_login_at: user.last_login_at,
    created_at: user.created_at,
  };
}

export function domainJson(state: ConsoleState, domain: Domain) {
  return {
    name: domain.name,
    status: domain.status,
    verification: verificationRecord(domain.name, domain.verification_token),
    routing: routedAddresses(state, domain.name),
    created_at: domain.created_at,
    verified_at: domain.verified_at,
  };
}

export function groupJson(group: Group) {
  return { name: group.name, description: group.description, members: group.members };
}

/** `now` is the console's clock: planners price prorated changes on the console's day, not their own. */
export function orgJson(state: ConsoleState, me: User, now: Date) {
  const orgPlan = findOrgPlan(state.catalog, state.org.plan);
  return {
    name: state.org.name,
    plan: state.org.plan,
    owner: state.org.owner,
    provider_domain: state.org.provider_domain,
    verifier: state.org.verifier,
    revision: state.org.revision,
    now: now.toISOString(),
    limits: {
      paid_seats: orgPlan?.paid_seats ?? 0,
      free_seats: orgPlan?.free_seats ?? 0,
      custom_domains: orgPlan?.custom_domains ?? 0,
    },
    seats_used: { paid: state.counters.paid_seats, free: state.counters.free_seats },
    counts: { users: state.users.size, groups: state.groups.size, domains: state.domains.size },
    me: { login: me.login, role: me.role, owner: state.org.owner === me.login },
  };
}
