import { type Catalog, isPaidPlan } from "../catalog.js";
import type { ConsoleState, Counters, NamedRecords, RecordKind, User } from "../model.js";
import { isActiveOrgAdmin } from "../rules.js";
import type { Effect } from "./context.js";

// ---------------------------------------------------------------------------------------------------------
// Effects: how each one changes the state (and, in the store, the tables)

type EffectOf<K extends Effect["type"]> = Extract<Effect, { type: K }>;

export const EFFECTS: { [K in Effect["type"]]: (state: ConsoleState, effect: EffectOf<K>) => void } = {
  put_org(state, { org }) {
    state.org = org;
  },
  put_user(state, { user }) {
    const before = state.users.get(user.login);
    if (before) {
      unindexUser(state, before);
      count(state.counters, state.catalog, before, -1);
    }
    state.users.set(user.login, user);
    state.addresses.set(user.email, { login: user.login, kind: "email" });
    for (const alias of user.aliases) state.addresses.set(alias, { login: user.login, kind: "alias" });
    count(state.counters, state.catalog, user, +1);
  },
  delete_user(state, { login, retire }) {
    const before = state.users.get(login);
    if (!before) return;
    unindexUser(state, before);
    count(state.counters, state.catalog, before, -1);
    state.users.delete(login);
    for (const address of retire) state.addresses.set(address, { login: "", kind: "retired" });
  },
  put_record(state, { kind, record }) {
    (state[kind] as Map<string, NamedRecords[RecordKind]>).set(record.name, record);
  },
  delete_record(state, { kind, name }) {
    state[kind].delete(name);
  },
  revoke_sessions() {
    // Sessions live in the store, not in the rule engine's state.
  },
  revoke_tokens() {
    // Tokens live in the store, not in the rule engine's state.
  },
};

function unindexUser(state: ConsoleState, user: User): void {
  for (const address of [user.email, ...user.aliases]) {
    if (state.addresses.get(address)?.login === user.login) state.addresses.delete(address);
  }
}

function count(counters: Counters, catalog: Catalog, user: User, sign: 1 | -1): void {
  if (isPaidPlan(catalog, user.plan)) counters.paid_seats += sign;
  else counters.free_seats += sign;
  if (isActiveOrgAdmin(user)) counters.active_org_admins += sign;
}

export function countersOf(catalog: Catalog, users: Iterable<User>): Counters {
  const counters: Counters = { paid_seats: 0, free_seats: 0, active_org_admins: 0 };
  for (const user of users) count(counters, catalog, user, 1);
  return counters;
}
