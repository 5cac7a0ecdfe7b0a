import type { LiveSnapshot } from "../client/console-client.js";
import {
  type ConsoleState,
  countersOf,
  type Domain,
  type Group,
  indexAddresses,
  LISTED_KINDS,
  type ListedKind,
  type NamedRecords,
  partnerStandInFor,
  type Role,
  type User,
} from "../domain/index.js";

export interface LiveView {
  state: ConsoleState;
  actor: { login: string; role: Role };
  /**
   * When the token is a partner's user acting in an organization its partner manages (issue 12): the acting
   * user it stands in as, who is no user of this organization (`partner/login`, as org_admin).
   */
  standIn?: User;
  now: Date;
}

const TOKEN_PREFIX = "orgctl-verification=";

/** The console as the rule engine sees it, rebuilt from what the API returned. Pure. */
export function liveView(snapshot: LiveSnapshot): LiveView {
  const users = new Map<string, User>();
  for (const info of snapshot.users) {
    users.set(info.login, {
      login: info.login,
      email: info.email,
      first_name: info.first_name,
      last_name: info.last_name,
      plan: info.plan,
      role: info.role,
      status: info.status,
      billing: info.billing,
      period_start: info.period_start,
      period_end: info.period_end,
      aliases: [...info.aliases].sort(),
      profile: { ...info.profile },
      password_set: info.password_set,
      password_rotation: info.password_rotation ?? null,
      last_login_at: info.last_login_at,
      ...(info.invited_at ? { invited_at: info.invited_at } : {}),
      created_at: info.created_at,
    });
  }
  const domains = new Map<string, Domain>();
  for (const info of snapshot.domains) {
    const value = info.verification.value;
    domains.set(info.name, {
      name: info.name,
      status: info.status,
      verification_token: value.startsWith(TOKEN_PREFIX) ? value.slice(TOKEN_PREFIX.length) : value,
      created_at: info.created_at,
      verified_at: info.verified_at,
    });
  }
  const groups = new Map<string, Group>();
  for (const info of snapshot.groups) {
    groups.set(info.name, {
      name: info.name,
      description: info.description,
      members: [...info.members].sort(),
    });
  }
  const org = snapshot.org;
  const state: ConsoleState = {
    org: {
      name: org.name,
      plan: org.plan,
      owner: org.owner,
      provider_domain: org.provider_domain,
      verifier: org.verifier,
      revision: org.revision,
      period_start: org.period_start,
      period_end: org.period_end,
      billing: org.billing,
    },
    catalog: snapshot.catalog,
    balance: snapshot.wallet.balance_cents,
    ...listedRecordMaps(snapshot.records),
    domains,
    users,
    groups,
    addresses: indexAddresses(users.values(), snapshot.retired),
    counters: countersOf(snapshot.catalog, users.values()),
  };
  const actor = { login: org.me.login, role: org.me.role };
  const standIn = users.has(actor.login)
    ? undefined
    : partnerStandInFor(actor, org.period_start, org.period_end);
  return { state, actor, ...(standIn ? { standIn } : {}), now: new Date(org.now) };
}

/** The kinds read through the records route: on the wire as they are kept, so each list is its map. */
function listedRecordMaps(lists: LiveSnapshot["records"]): {
  [K in ListedKind]: Map<string, NamedRecords[K]>;
} {
  const maps: Record<string, Map<string, { name: string }>> = {};
  for (const kind of LISTED_KINDS as readonly string[]) {
    const records = (lists as Record<string, { name: string }[]>)[kind] ?? [];
    maps[kind] = new Map(records.map((record) => [record.name, record]));
  }
  return maps as { [K in ListedKind]: Map<string, NamedRecords[K]> };
}
