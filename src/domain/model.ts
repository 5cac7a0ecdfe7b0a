import type { Catalog } from "./catalog.js";
import type { Cents, Day } from "./money.js";

export const ROLES = ["org_admin", "billing_admin", "user_admin", "member"] as const;
export type Role = (typeof ROLES)[number];

export const USER_STATUSES = ["active", "disabled", "invited"] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

export type BillingStatus = "ok" | "unpaid";

export type Verifier = "auto" | "dns";

export interface Organization {
  name: string;
  plan: string;
  owner: string;
  provider_domain: string;
  verifier: Verifier;
  revision: number;
  /** The org plan's yearly period [MF]: it starts when the organization is created and renews like a user's. */
  period_start: Day;
  period_end: Day;
  /** `unpaid` when the org plan's renewal could not be paid from the wallet. */
  billing: BillingStatus;
}

export const PROFILE_FIELDS = [
  "external_email",
  "mobile",
  "postal_address",
  "birth_date",
  "photo_url",
] as const;
export type ProfileField = (typeof PROFILE_FIELDS)[number];

/**
 * The fields every user may change on their own account [MF]: all of their personal data (not their names,
 * plan or role). The engine's update_user lets a user change exactly these on themselves.
 */
export const SELF_SERVICE_PROFILE_FIELDS: readonly ProfileField[] = PROFILE_FIELDS;
export type Profile = Partial<Record<ProfileField, string>>;

export interface User {
  login: string;
  email: string;
  first_name: string;
  last_name: string;
  plan: string;
  role: Role;
  status: UserStatus;
  billing: BillingStatus;
  period_start: Day;
  period_end: Day;
  /** Sorted, lower-case. */
  aliases: string[];
  profile: Profile;
  password_set: boolean;
  /** An admin-chosen label of the password last set (never the password); a new label asks for a reset. */
  password_rotation?: string | null;
  last_login_at: string | null;
  /**
   * When the invitation was last resent [RI]. Absent (or null) on a user never re-invited: the first invitation
   * goes when the user is created, so `created_at` says when (see `invitedSince` in invitations.ts).
   */
  invited_at?: string | null;
  created_at: string;
}

export type DomainStatus = "pending" | "verified";

export interface Domain {
  name: string;
  status: DomainStatus;
  verification_token: string;
  created_at: string;
  verified_at: string | null;
}

export interface Group {
  name: string;
  description: string;
  /** Sorted logins. */
  members: string[];
}

export type LedgerReason =
  | "bootstrap"
  | "top_up"
  | "user_created"
  | "plan_change"
  | "user_deleted"
  | "renewal"
  | "org_plan_change";

/** A wallet movement as the rule engine decides it; the store adds id, key and balance. */
export interface LedgerDraft {
  amount_cents: Cents;
  reason: LedgerReason;
  login: string | null;
  plan: string | null;
  memo: string;
}

/** Who owns an address in the console-wide address space. */
export interface AddressHolder {
  login: string;
  kind: "email" | "alias" | "retired";
}

/**
 * The records kept by name, each in its own map of the state (`state[kind]`): the engine changes them with
 * the generic `put_record` and `delete_record` effects, and the store keeps any kind but groups as JSON rows
 * in a table named for the kind. A new kind of record adds its type here, its map below and its name to
 * `RECORD_KINDS`.
 */
export interface NamedRecords {
  domains: Domain;
  groups: Group;
}
export type RecordKind = keyof NamedRecords;

/**
 * The kinds read through a list route of their own, whose wire form is not the record (domains carry their
 * verification record and routing, groups their members). Every other kind is listed by the console's one
 * route for records and read into the planner's live state as it is kept (`ListedKind`): a new kind of
 * record needs no route, wire type or client code of its own.
 */
export type OwnListKind = "domains" | "groups";
export type ListedKind = Exclude<RecordKind, OwnListKind>;

export interface RecordKindSpec {
  /** The noun its keys use in the planner's facts (`domain:x.example`, `group:eng`) and the audit log. */
  noun: string;
  /** Present on the kinds with a list route of their own (`OwnListKind`). */
  ownList?: true;
}

/** Each record kind: the noun its keys use, and whether it has a list route of its own. */
export const RECORD_KINDS: { readonly [K in RecordKind]: RecordKindSpec & ListFlag<K> } = {
  domains: { noun: "domain", ownList: true },
  groups: { noun: "group", ownList: true },
};

/**
 * The type asks for `ownList: true` on exactly the kinds of `OwnListKind`, and for the `defaults` of every
 * other kind: its record is also its org.yaml entry (a list named for the kind), each field but the name
 * optional there, with these values when left out (`src/config/load/records.ts`, `src/cli/import.ts`).
 */
type ListFlag<K extends RecordKind> = K extends OwnListKind
  ? { ownList: true }
  : { ownList?: never; defaults: Omit<NamedRecords[K], "name"> };

/** Every record kind, in `RECORD_KINDS` order. */
export const RECORD_KIND_LIST = Object.keys(RECORD_KINDS) as RecordKind[];

/** The kinds the console's records route lists and the live read reads through it. */
export const LISTED_KINDS = RECORD_KIND_LIST.filter(
  (kind): kind is ListedKind => !RECORD_KINDS[kind].ownList,
);

/** `name` as a record kind, or null: the records route's path names the kind. */
export function recordKindNamed(name: string): RecordKind | null {
  return Object.hasOwn(RECORD_KINDS, name) ? (name as RecordKind) : null;
}

/** An empty map for every record kind. */
export function emptyRecordMaps(): RecordMaps {
  const maps = {} as Record<RecordKind, Map<string, unknown>>;
  for (const kind of RECORD_KIND_LIST) maps[kind] = new Map();
  return maps as RecordMaps;
}

/**
 * The console as the rule engine sees it. Records are never mutated in place: a change replaces the
 * record, so a shallow copy of the maps is a full snapshot (see `cloneState`).
 */
export interface ConsoleState extends RecordMaps {
  org: Organization;
  catalog: Catalog;
  balance: Cents;
  users: Map<string, User>;
  /** Every email, alias and retired address, lower-case. Derived from users, kept as an index. */
  addresses: Map<string, AddressHolder>;
  /** Derived from users, kept so that seat and admin checks stay O(1) in long simulations. */
  counters: Counters;
}

/** One map per record kind, by name. */
export type RecordMaps = { [K in RecordKind]: Map<string, NamedRecords[K]> };

export interface Counters {
  paid_seats: number;
  free_seats: number;
  active_org_admins: number;
}

export function cloneState(state: ConsoleState): ConsoleState {
  return {
    org: { ...state.org },
    catalog: state.catalog,
    balance: state.balance,
    ...cloneRecordMaps(state),
    users: new Map(state.users),
    addresses: new Map(state.addresses),
    counters: { ...state.counters },
  };
}

/** A shallow copy of every record kind's map (records are replaced, never edited in place). */
function cloneRecordMaps(state: RecordMaps): RecordMaps {
  const maps = {} as Record<RecordKind, Map<string, unknown>>;
  for (const kind of RECORD_KIND_LIST) maps[kind] = new Map<string, unknown>(state[kind]);
  return maps as RecordMaps;
}

/** Builds the address index from records, e.g. after loading them from storage. */
export function indexAddresses(users: Iterable<User>, retired: Iterable<string>): Map<string, AddressHolder> {
  const index = new Map<string, AddressHolder>();
  for (const address of retired) index.set(address, { login: "", kind: "retired" });
  for (const user of users) {
    index.set(user.email, { login: user.login, kind: "email" });
    for (const alias of user.aliases) index.set(alias, { login: user.login, kind: "alias" });
  }
  return index;
}

export function groupsOf(state: ConsoleState, login: string): string[] {
  const names: string[] = [];
  for (const group of state.groups.values()) if (group.members.includes(login)) names.push(group.name);
  return names.sort();
}
