/**
 * Builders for engine-level tests: a valid ConsoleState from a short description, a pinned clock, actors,
 * and assertions that unwrap a Decision. No I/O, never the real clock.
 */
import { expect } from "vitest";
import {
  type Actor,
  addDays,
  type BillingStatus,
  type Catalog,
  type ConsoleState,
  countersOf,
  DAYS_PER_PERIOD,
  DEFAULT_CATALOG,
  type Decision,
  type Domain,
  type DomainStatus,
  type Effect,
  emptyRecordMaps,
  type Group,
  indexAddresses,
  type LedgerDraft,
  type NewUser,
  type Profile,
  type Refusal,
  type RefusalCode,
  type Role,
  type User,
  type UserStatus,
  type Verifier,
} from "../../src/domain/index.js";

/** The pinned clock of every engine test. */
export const NOW = new Date("2026-03-01T12:00:00Z");
export const TODAY = "2026-03-01";
export const PROVIDER = "console.test";
export const OWNER = "owner";
/** Default period of a built user: started 2026-01-01, ends 2027-01-01, so 306 days are left on TODAY. */
export const DEFAULT_PERIOD_START = "2026-01-01";

export interface UserSpec {
  login: string;
  role?: Role;
  plan?: string;
  status?: UserStatus;
  billing?: BillingStatus;
  email?: string;
  aliases?: string[];
  period_start?: string;
  period_end?: string;
  first_name?: string;
  last_name?: string;
  profile?: Profile;
  password_set?: boolean;
  last_login_at?: string | null;
}

export interface DomainSpec {
  name: string;
  status?: DomainStatus;
  token?: string;
}

export interface GroupSpec {
  name: string;
  description?: string;
  members?: string[];
}

export interface StateSpec {
  orgPlan?: string;
  /** The org plan's period (default: 2026-01-01 to 2027-01-01, like a built user's) and billing. */
  orgPeriod?: { start?: string; end?: string; billing?: BillingStatus };
  balance?: number;
  verifier?: Verifier;
  catalog?: Catalog;
  /** Overrides for the default owner (`owner`, org_admin, pro, active). */
  owner?: Partial<UserSpec>;
  users?: UserSpec[];
  /** A bare name is a verified domain. */
  domains?: (string | DomainSpec)[];
  groups?: GroupSpec[];
  /** Addresses of deleted users, retired forever. */
  retired?: string[];
}

export function makeUser(spec: UserSpec): User {
  const status = spec.status ?? "active";
  const periodStart =
    spec.period_start ??
    (spec.period_end ? addDays(spec.period_end, -DAYS_PER_PERIOD) : DEFAULT_PERIOD_START);
  return {
    login: spec.login,
    email: spec.email ?? `${spec.login}@${PROVIDER}`,
    first_name: spec.first_name ?? "First",
    last_name: spec.last_name ?? spec.login,
    plan: spec.plan ?? "free",
    role: spec.role ?? "member",
    status,
    billing: spec.billing ?? "ok",
    period_start: periodStart,
    period_end: spec.period_end ?? addDays(periodStart, DAYS_PER_PERIOD),
    aliases: [...(spec.aliases ?? [])].sort(),
    profile: spec.profile ?? {},
    password_set: spec.password_set ?? status !== "invited",
    last_login_at: spec.last_login_at ?? null,
    created_at: `${periodStart}T09:00:00.000Z`,
  };
}

export function makeDomain(spec: string | DomainSpec): Domain {
  const {
    name,
    status = "verified",
    token = `token-${typeof spec === "string" ? spec : spec.name}`,
  } = typeof spec === "string" ? { name: spec } : spec;
  return {
    name,
    status,
    verification_token: token,
    created_at: "2026-01-01T00:00:00.000Z",
    verified_at: status === "verified" ? "2026-01-02T00:00:00.000Z" : null,
  };
}

export function buildState(spec: StateSpec = {}): ConsoleState {
  const catalog = spec.catalog ?? DEFAULT_CATALOG;
  const owner = makeUser({ login: OWNER, role: "org_admin", plan: "pro", ...spec.owner });
  const users = [owner, ...(spec.users ?? []).map(makeUser)];
  const byLogin = new Map<string, User>();
  for (const user of users) {
    if (byLogin.has(user.login)) throw new Error(`buildState: duplicate login ${user.login}`);
    byLogin.set(user.login, user);
  }
  const domains = new Map<string, Domain>();
  for (const d of spec.domains ?? []) {
    const domain = makeDomain(d);
    domains.set(domain.name, domain);
  }
  const groups = new Map<string, Group>();
  for (const g of spec.groups ?? []) {
    for (const member of g.members ?? []) {
      if (!byLogin.has(member)) throw new Error(`buildState: group ${g.name} has unknown member ${member}`);
    }
    groups.set(g.name, {
      name: g.name,
      description: g.description ?? "",
      members: [...(g.members ?? [])].sort(),
    });
  }
  const addresses = indexAddresses(users, spec.retired ?? []);
  const expectedSize = (spec.retired?.length ?? 0) + users.reduce((n, u) => n + 1 + u.aliases.length, 0);
  if (addresses.size !== expectedSize) throw new Error("buildState: an address is used twice");
  return {
    org: {
      name: "Test Org",
      plan: spec.orgPlan ?? "pro",
      owner: owner.login,
      provider_domain: PROVIDER,
      verifier: spec.verifier ?? "auto",
      revision: 1,
      period_start: spec.orgPeriod?.start ?? "2026-01-01",
      period_end: spec.orgPeriod?.end ?? "2027-01-01",
      billing: spec.orgPeriod?.billing ?? "ok",
    },
    catalog,
    balance: spec.balance ?? 100_000,
    // Every kind of record starts empty, so that a new kind needs nothing here.
    ...emptyRecordMaps(),
    domains,
    users: byLogin,
    groups,
    addresses,
    counters: countersOf(catalog, users),
  };
}

export const as = (login: string): Actor => ({ kind: "user", login });
export const SYSTEM: Actor = { kind: "system" };
export const BY_OWNER = as(OWNER);

/** A create_user payload with sensible defaults: a free member on the provider domain, with a password. */
export function newUser(login: string, overrides: Partial<NewUser> = {}): NewUser {
  return {
    login,
    email: `${login}@${PROVIDER}`,
    first_name: "New",
    last_name: "User",
    plan: "free",
    role: "member",
    password_hash: "scrypt$hash",
    ...overrides,
  };
}

export function expectOk(decision: Decision): { effects: Effect[]; ledger: LedgerDraft[] } {
  if (!decision.ok) {
    expect.fail(
      `expected the operation to be allowed, got ${decision.refusal.code}: ${decision.refusal.message}`,
    );
  }
  return { effects: decision.effects, ledger: decision.ledger };
}

export function expectRefused(decision: Decision, code: RefusalCode): Refusal {
  if (decision.ok) expect.fail(`expected refusal ${code}, but the operation was allowed`);
  expect(decision.refusal.code).toBe(code);
  expect(decision.refusal.message.length).toBeGreaterThan(0);
  return decision.refusal;
}

export function userOf(state: ConsoleState, login: string): User {
  const user = state.users.get(login);
  if (!user) throw new Error(`no user ${login}`);
  return user;
}

/** A deep copy to compare a state before and after (Maps included). */
export function snapshot(state: ConsoleState): ConsoleState {
  return structuredClone(state);
}

/** Counters recomputed from the users, to check the incrementally maintained ones. */
export function recount(state: ConsoleState) {
  return countersOf(state.catalog, state.users.values());
}
