import type { DomainInfo, GroupInfo, OrgInfo, UserInfo } from "../api/wire.js";
import {
  type ConsoleState,
  type Domain,
  findOrgPlan,
  type Group,
  invitedSince,
  LISTED_KINDS,
  type RecordKind,
  routedAddresses,
  type User,
  verificationRecord,
} from "../domain/index.js";

interface CachedIndex {
  /** The group records the index was built from: a group changes by being replaced, never in place. */
  groups: Group[];
  index: Map<string, string[]>;
}

const indexes = new WeakMap<ConsoleState, CachedIndex>();

/**
 * A login → sorted group names index for a page of users. It is kept until a group changes, so reading the
 * pages of an unchanged organization costs a look at each group, not at each membership. Shared: read only.
 */
export function membershipIndex(state: ConsoleState): Map<string, string[]> {
  const cached = indexes.get(state);
  if (cached && sameGroups(cached.groups, state)) return cached.index;
  const groups = [...state.groups.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const index = new Map<string, string[]>();
  for (const group of groups) {
    for (const login of group.members) {
      const list = index.get(login);
      if (list) list.push(group.name);
      else index.set(login, [group.name]);
    }
  }
  indexes.set(state, { groups, index });
  return index;
}

function sameGroups(groups: Group[], state: ConsoleState): boolean {
  return (
    groups.length === state.groups.size && groups.every((group) => state.groups.get(group.name) === group)
  );
}

/**
 * The sorted names of the groups `login` belongs to. Members are kept sorted (the rule engine sorts on every
 * join, the store reads them in order), so each group is a binary search: the cost does not grow with the
 * organization's memberships.
 */
export function groupsOf(state: ConsoleState, login: string): string[] {
  const names: string[] = [];
  for (const group of state.groups.values()) {
    if (hasMember(group.members, login)) names.push(group.name);
  }
  return names.sort();
}

function hasMember(members: readonly string[], login: string): boolean {
  let low = 0;
  let high = members.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const member = members[middle]!;
    if (member === login) return true;
    if (member < login) low = middle + 1;
    else high = middle - 1;
  }
  return false;
}

export function userJson(state: ConsoleState, user: User, memberships?: Map<string, string[]>): UserInfo {
  const groups = memberships ? (memberships.get(user.login) ?? []) : groupsOf(state, user.login);
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
    invited_at: invitedSince(user),
    created_at: user.created_at,
  };
}

const NO_GROUPS: string[] = [];

interface CachedUserText {
  owner: boolean;
  groups: string[];
  text: string;
}

/** Each user's JSON text, kept while the user's record, owner flag and group list stay the same objects. */
const userTexts = new WeakMap<object, CachedUserText>();

/**
 * The body of a page of the users route (`API.users`), exactly `JSON.stringify({ items, next_cursor })`. Each user's text
 * is reused until that user changes (records are replaced, never edited in place), so reading the pages of
 * an organization that did not change serializes nothing again.
 */
export function usersPageJson(state: ConsoleState, logins: string[], nextCursor: string | null): string {
  const memberships = membershipIndex(state);
  const items = logins.map((login) => {
    const user = state.users.get(login)!;
    const owner = state.org.owner === login;
    const groups = memberships.get(login) ?? NO_GROUPS;
    const cached = userTexts.get(user);
    if (cached && cached.owner === owner && cached.groups === groups) return cached.text;
    const text = JSON.stringify(userJson(state, user, memberships));
    userTexts.set(user, { owner, groups, text });
    return text;
  });
  return pageText(state, items, nextCursor);
}

/** A page's body and the user texts it was joined from. */
interface PageText {
  items: string[];
  next: string | null;
  text: string;
}

/** The most page bodies kept per state: a page of 1,000 users is about 400 KB. */
const MAX_PAGE_TEXTS = 16;
const pageTexts = new WeakMap<ConsoleState, Map<string, PageText>>();

/**
 * The page's body, joined again only when one of its users' texts changed: joining a page of 1,000 users
 * copies 400 KB, most of the cost of reading a page of an organization that did not change.
 */
function pageText(state: ConsoleState, items: string[], next: string | null): string {
  let pages = pageTexts.get(state);
  if (!pages) {
    pages = new Map();
    pageTexts.set(state, pages);
  }
  const key = `${items.length}:${items[0] ?? ""}`;
  const kept = pages.get(key);
  if (kept && kept.next === next && sameTexts(kept.items, items)) return kept.text;
  const text = `{"items":[${items.join(",")}],"next_cursor":${JSON.stringify(next)}}`;
  pages.delete(key);
  if (pages.size >= MAX_PAGE_TEXTS) pages.delete(pages.keys().next().value!);
  pages.set(key, { items, next, text });
  return text;
}

function sameTexts(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function domainJson(state: ConsoleState, domain: Domain): DomainInfo {
  return {
    name: domain.name,
    status: domain.status,
    verification: verificationRecord(domain.name, domain.verification_token),
    routing: routedAddresses(state, domain.name),
    created_at: domain.created_at,
    verified_at: domain.verified_at,
  };
}

export function groupJson(group: Group): GroupInfo {
  return { name: group.name, description: group.description, members: group.members };
}

/** `now` is the console's clock: planners price prorated changes on the console's day, not their own. */
export function orgJson(state: ConsoleState, me: User, now: Date): OrgInfo {
  const orgPlan = findOrgPlan(state.catalog, state.org.plan);
  return {
    name: state.org.name,
    plan: state.org.plan,
    owner: state.org.owner,
    provider_domain: state.org.provider_domain,
    verifier: state.org.verifier,
    revision: state.org.revision,
    period_start: state.org.period_start,
    period_end: state.org.period_end,
    billing: state.org.billing,
    now: now.toISOString(),
    limits: {
      paid_seats: orgPlan?.paid_seats ?? 0,
      free_seats: orgPlan?.free_seats ?? 0,
      custom_domains: orgPlan?.custom_domains ?? 0,
    },
    seats_used: { paid: state.counters.paid_seats, free: state.counters.free_seats },
    counts: recordCounts(state),
    me: { login: me.login, role: me.role, owner: state.org.owner === me.login },
  };
}

/** Users, then groups and domains (the order the org's JSON always had), then every other kind kept by name. */
function recordCounts(state: ConsoleState): OrgInfo["counts"] {
  const counts = { users: state.users.size, groups: state.groups.size, domains: state.domains.size };
  for (const kind of LISTED_KINDS as RecordKind[])
    (counts as Record<string, number>)[kind] = state[kind].size;
  return counts as OrgInfo["counts"];
}
