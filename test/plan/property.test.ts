/**
 * Property: for a random live console and a random valid org.yaml, the plan has no errors, every step of it
 * passes the rule engine in plan order with every rule holding after every step, and the console it leads
 * to matches org.yaml (a second diff finds nothing to do).
 *
 * Live states are made by applying random operations as the owner to a fresh `buildState` (refused ones are
 * skipped; seeded users with varied periods are kept within the org plan's seats), so they are reachable.
 * The acting user is the owner or another active org_admin. The desired org is drawn as a random intent
 * that `desiredFor` turns into an org.yaml the rules allow. Each repair there avoids an input that is
 * impossible or an error by design, never a planner bug:
 * - the acting user and the owner stay (orgctl never removes them); nobody changes their own plan, role or
 *   status; when another admin acts, the owner is left exactly as it is (owner_protected);
 * - retired addresses, and the provider addresses of users this plan deletes, are never reused; provider
 *   aliases of kept users stay listed (alias_permanent), with a plan that allows them (alias_limit);
 * - a replaced user gets a different email, and is never protected (`protected` is an error by design);
 * - with the dns verifier no new domain is listed (its steps would be blocked until DNS, not errors);
 *   domains still holding addresses that stay are listed; the domain count fits the org plan;
 * - seats fit the org plan and do not fill both kinds (then two users swapping between a paid and the free
 *   plan would each wait for the other's seat: no order exists);
 * - a generous wallet, and `force: true` (the removal threshold is a guard against mistakes, not a rule);
 * - org.yaml may ask for another org plan (upgrades and downgrades): users and domains are made to fit both it
 *   and the live one, and it is asked for only when what stays anyway (users removed by disabling, ignored
 *   domains) fits it too, so the planner must order the change among the other steps itself.
 *
 * ORGCTL_PROPERTY_RUNS raises the number of runs (default 100); ORGCTL_PROPERTY_SEED (with
 * ORGCTL_PROPERTY_PATH) replays a failure that fast-check reported.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { requestOf } from "../../src/api/operations.js";
import type { DesiredOrg, DesiredUser, Policy, Unlisted } from "../../src/config/model.js";
import {
  addDays,
  type ConsoleState,
  cloneState,
  countersOf,
  DEFAULT_CATALOG,
  findOrgPlan,
  findPlan,
  isPaidPlan,
  type Operation,
  PROFILE_FIELDS,
  type ProfileField,
  ROLES,
  type Role,
  splitAddress,
  step,
  verificationRecord,
} from "../../src/domain/index.js";
import { diff } from "../../src/plan/diff.js";
import type { Plan } from "../../src/plan/model.js";
import { checkPlanFile } from "../../src/plan/plan-file.js";
import { planSchemaErrors } from "../../src/plan/plan-schema.js";
import { renderJson } from "../../src/render/json.js";
import { BY_OWNER, buildState, NOW, OWNER, PROVIDER, TODAY, type UserSpec } from "../support/builders.js";
import { desiredOrg, liveView, planFor } from "../support/plan-builders.js";

const RUNS = Number(process.env.ORGCTL_PROPERTY_RUNS ?? 100);
const SEED = process.env.ORGCTL_PROPERTY_SEED ? Number(process.env.ORGCTL_PROPERTY_SEED) : undefined;
const PATH = process.env.ORGCTL_PROPERTY_PATH;

const LOGINS = ["ann", "ben", "cat", "dan", "eve", "fay", "gus", "hal", "ivy", "jon", "kim", "lea"];
const GROUPS = Array.from({ length: 12 }, (_, i) => `g${i}`);
const DOMAINS = ["alpha.example", "beta.example", "gamma.example", "delta.example"];
const PLANS = ["free", "entry", "pro", "ultra"];
const SHARED_LOCALS = ["info", "sales", "support", "postmaster", "ann", "ben"];
const PROFILE_VALUES: Record<ProfileField, string[]> = {
  external_email: ["home@else.example", "other@else.example"],
  mobile: ["+33 6 00", "+32 4 11"],
  postal_address: ["1 Main St"],
  birth_date: ["1990-01-01"],
  photo_url: ["https://img.example/p.png"],
};
const pick = <T>(items: readonly T[], n: number): T => items[n % items.length]!;
const bit = (bits: number, i: number) => ((bits >> i) & 1) === 1;

// ---------------------------------------------------------------------------------------------------------
// Live state: seeds with varied periods, then random operations by the owner.

const seedArb = fc.record({
  login: fc.nat(LOGINS.length - 1),
  plan: fc.nat(3),
  role: fc.nat(3),
  status: fc.constantFrom("active", "active", "disabled", "invited"),
  daysLeft: fc.integer({ min: 1, max: 365 }),
  providerAliases: fc.nat(2),
});
type Seed = typeof seedArb extends fc.Arbitrary<infer T> ? T : never;
/** Operation kinds of `commandOperation`, weighted towards what builds up state. */
const KINDS = [
  0, 0, 1, 1, 2, 2, 3, 4, 5, 3, 4, 5, 6, 6, 6, 6, 7, 8, 8, 9, 10, 11, 12, 12, 13, 13, 13, 14, 15, 16,
];
const commandArb = fc.tuple(
  fc.nat(KINDS.length - 1).map((i) => KINDS[i]!),
  fc.nat(1000),
  fc.nat(1000),
  fc.nat(1000),
  fc.nat(1 << 16),
);
type Command = typeof commandArb extends fc.Arbitrary<infer T> ? T : never;

const liveArb = fc.record({
  orgPlan: fc.constantFrom("entry", "pro", "pro", "ultra"),
  verifier: fc.constantFrom("auto", "dns"),
  seeds: fc.array(seedArb, { maxLength: 4, size: "max" }),
  commands: fc.array(commandArb, { maxLength: 80, size: "max" }),
  /** Who runs the plan: the owner, or (when there is one) another active org_admin. */
  actor: fc.nat(5),
});
type LiveSpec = typeof liveArb extends fc.Arbitrary<infer T> ? T : never;

function seedUser(seed: Seed): UserSpec {
  const login = LOGINS[seed.login]!;
  const plan = PLANS[seed.plan]!;
  const periodEnd = addDays(TODAY, seed.daysLeft);
  const aliases =
    plan === "free"
      ? []
      : Array.from({ length: seed.providerAliases }, (_, i) => `${login}.${i}@${PROVIDER}`);
  return {
    login,
    plan,
    role: ROLES[seed.role]!,
    status: seed.status as UserSpec["status"],
    period_end: periodEnd,
    aliases,
  };
}

/** Addresses a user may be given: on the provider domain or a custom one, own or shared local parts. */
function addressPool(login: string, domains: readonly string[]): string[] {
  const locals = [login, `${login}.2`, ...SHARED_LOCALS];
  return domains.flatMap((d) => locals.map((l) => `${l}@${d}`));
}

function commandOperation(state: ConsoleState, [kind, a, b, c, d]: Command): Operation[] {
  const users = [...state.users.keys()].sort();
  const groups = [...state.groups.keys()].sort();
  const login = pick(users, a);
  const user = state.users.get(login)!;
  const verified = [
    PROVIDER,
    ...[...state.domains.values()].filter((x) => x.status === "verified").map((x) => x.name),
  ];
  const address = (n: number, who = login) => pick(addressPool(who, verified), n);
  switch (kind) {
    case 0:
      return [{ op: "create_domain", name: pick(DOMAINS, a), verification_token: `tok${b % 5}` }];
    case 1: {
      const domain = state.domains.get(pick(DOMAINS, a));
      if (!domain) return [];
      return [
        {
          op: "verify_domain",
          name: domain.name,
          txt_values: [verificationRecord(domain.name, domain.verification_token).value],
        },
      ];
    }
    case 2:
      return [{ op: "create_group", name: pick(GROUPS, a), description: pick(["", "Team"], b) }];
    case 3:
    case 4:
    case 5: {
      const newLogin = pick(LOGINS, a);
      const plan = pick(PLANS, c);
      const limit = findPlan(state.catalog, plan)!.aliases;
      const aliases =
        limit === 0 ? [] : [address(d >> 3, newLogin), address(d >> 7, newLogin)].slice(0, 1 + (d % 2));
      return [
        {
          op: "create_user",
          user: {
            login: newLogin,
            email: address(b, newLogin),
            first_name: "First",
            last_name: newLogin,
            plan,
            role: pick(ROLES, c >> 2),
            password_hash: bit(d, 1) ? "scrypt$x" : null,
            groups: groups.filter((_, i) => bit(d, i + 2)).slice(0, 10),
            aliases: aliases.filter((x) => x !== address(b, newLogin)),
          },
        },
      ];
    }
    case 6:
      return [{ op: "add_alias", login, address: address(b) }];
    case 7:
      return user.aliases.length > 0 ? [{ op: "remove_alias", login, address: pick(user.aliases, b) }] : [];
    case 8:
      return [{ op: "change_plan", login, plan: pick(PLANS, b) }];
    case 9:
      return [{ op: "change_role", login, role: pick(ROLES, b) }];
    case 10:
      return [{ op: "disable_user", login }];
    case 11:
      return [{ op: "enable_user", login }];
    case 12:
      return [
        { op: "disable_user", login },
        { op: "delete_user", login },
      ];
    case 13:
      return groups.length > 0 ? [{ op: "add_member", group: pick(groups, b), login }] : [];
    case 14: {
      if (groups.length === 0) return [];
      const group = pick(groups, b);
      return c % 4 === 0 ? [{ op: "delete_group", name: group }] : [{ op: "remove_member", group, login }];
    }
    case 15:
      return c % 2 === 0
        ? [{ op: "update_user", login, profile: { mobile: pick(["+1", "+2", null], b) } }]
        : [{ op: "set_password", login, rotation: pick(["r1", null], b) }];
    default:
      return [{ op: "delete_domain", name: pick(DOMAINS, a) }];
  }
}

/** The acting user: the owner for actor 0, else another active org_admin if the live state has one. */
function actorOf(live: ConsoleState, spec: LiveSpec): string {
  const admins = [...live.users.values()]
    .filter((u) => u.login !== OWNER && u.role === "org_admin" && u.status === "active")
    .map((u) => u.login)
    .sort();
  return spec.actor === 0 || admins.length === 0 ? OWNER : pick(admins, spec.actor);
}

function buildLive(spec: LiveSpec): ConsoleState {
  const seen = new Set<string>();
  // Seeds skip the engine: keep only those the org plan has seats for (the owner holds a paid one).
  const orgPlan = findOrgPlan(DEFAULT_CATALOG, spec.orgPlan)!;
  const used = { paid: 1, free: 0 };
  const seeds = spec.seeds.map(seedUser).filter((u) => {
    if (seen.has(u.login)) return false;
    const kind = isPaidPlan(DEFAULT_CATALOG, u.plan!) ? "paid" : "free";
    if (used[kind] >= (kind === "paid" ? orgPlan.paid_seats : orgPlan.free_seats)) return false;
    used[kind] += 1;
    seen.add(u.login);
    return true;
  });
  const state = buildState({
    orgPlan: spec.orgPlan,
    verifier: spec.verifier as "auto" | "dns",
    balance: 5_000_000,
    users: seeds,
  });
  for (const command of spec.commands) {
    for (const operation of commandOperation(state, command)) step(state, BY_OWNER, operation, NOW);
  }
  return state;
}

// ---------------------------------------------------------------------------------------------------------
// Desired state: a random intent, made valid against the live state.

const percent = (p: number) => fc.integer({ min: 0, max: 99 }).map((n) => n < p);
const unlistedArb: fc.Arbitrary<Unlisted> = fc.constantFrom("prune", "prune", "ignore");
const userIntentArb = fc.record({
  include: percent(80),
  changeEmail: percent(12),
  email: fc.nat(200),
  plan: fc.option(fc.nat(3), { nil: undefined }),
  role: fc.option(fc.nat(3), { nil: undefined }),
  disabled: percent(15),
  keepAliases: fc.nat(255),
  newAliases: fc.array(fc.nat(500), { maxLength: 3 }),
  groups: fc.option(fc.nat((1 << 12) - 1), { nil: undefined }),
  profile: fc.option(fc.nat((1 << 10) - 1), { nil: undefined }),
  rename: percent(15),
  password: fc.option(fc.constantFrom<string | null>("r1", "r2", null), { nil: undefined }),
  protected: percent(20),
});
const intentArb = fc.record({
  rename: percent(20),
  removedUsers: fc.constantFrom<Policy["removed_users"]>("disable", "delete"),
  unlisted: fc.record({
    users: unlistedArb,
    groups: unlistedArb,
    domains: unlistedArb,
    aliases: unlistedArb,
    memberships: unlistedArb,
  }),
  minBalance: fc.constantFrom(0, 1000, 250_000),
  /** organization.plan: none (left as it is), or an org plan the org.yaml is then made to fit. */
  orgPlan: fc.constantFrom<string | null>(null, null, "entry", "pro", "ultra"),
  ignoreProfile: fc.nat((1 << PROFILE_FIELDS.length) - 1),
  domains: fc.nat(15),
  groups: fc.nat((1 << 12) - 1),
  describe: fc.nat((1 << 12) - 1),
  owner: userIntentArb,
  users: fc.array(userIntentArb, { minLength: LOGINS.length, maxLength: LOGINS.length }),
});
type Intent = typeof intentArb extends fc.Arbitrary<infer T> ? T : never;

type Fate = "kept" | "new" | "replaced" | "stays" | "deleted" | "absent";

interface DesiredCase {
  actor: string;
  desired: DesiredOrg;
  verifiedTxt: Map<string, string[]>;
  fates: Record<string, Fate>;
}

function desiredFor(live: ConsoleState, intent: Intent, actor: string): DesiredCase {
  const catalog = live.catalog;
  // The org plan org.yaml asks for (the planner orders its change: an upgrade before what needs it, a downgrade
  // after the removals that make it fit). The desired users and domains are made to fit both it and the live
  // one; when what stays anyway (disabled users, ignored domains) does not fit it, org.yaml names none.
  const live_ = findOrgPlan(catalog, live.org.plan)!;
  const target = findOrgPlan(catalog, intent.orgPlan ?? live.org.plan)!;
  const orgPlan = {
    name: target.name,
    paid_seats: Math.min(live_.paid_seats, target.paid_seats),
    free_seats: Math.min(live_.free_seats, target.free_seats),
    custom_domains: Math.min(live_.custom_domains, target.custom_domains),
  };
  const customOf = (address: string) => {
    const domain = splitAddress(address)!.domain;
    return domain === PROVIDER ? null : domain;
  };
  const policy: Policy = {
    removed_users: intent.removedUsers,
    unlisted: intent.unlisted,
    removal_threshold: { percent: 25, min_users: 10 },
    min_balance_cents: intent.minBalance,
    ignore_profile_fields: PROFILE_FIELDS.filter((_, i) => bit(intent.ignoreProfile, i)),
  };
  const intentOf = (login: string) => (login === OWNER ? intent.owner : intent.users[LOGINS.indexOf(login)]!);

  // 1. What becomes of each login. The owner and the acting user are kept: orgctl never removes them.
  const fates: Record<string, Fate> = { [OWNER]: "kept" };
  for (const login of LOGINS) {
    const want = intentOf(login);
    const have = live.users.get(login);
    if (login === actor) fates[login] = "kept";
    else if (!want.include) {
      if (!have) fates[login] = "absent";
      else if (policy.unlisted.users === "ignore" || policy.removed_users === "disable")
        fates[login] = "stays";
      else fates[login] = "deleted";
    } else if (!have) fates[login] = "new";
    else fates[login] = want.changeEmail ? "replaced" : "kept";
  }

  // 2. Addresses that are not free for desired users: retired ones (also the provider addresses of users
  //    this plan deletes), those of users that stay as they are, and those kept users keep.
  const taken = new Set<string>();
  for (const [address, holder] of live.addresses) if (holder.kind === "retired") taken.add(address);
  const required = new Set<string>(); // custom domains that must stay
  const mandatoryAliases = new Map<string, string[]>(); // aliases a kept user will have whatever org.yaml says
  for (const [login, fate] of Object.entries(fates)) {
    const have = live.users.get(login);
    if (!have) continue;
    const addresses = [have.email, ...have.aliases];
    // No other admin may edit the owner: when someone else acts, all the owner's aliases stay.
    const frozen = login === OWNER && actor !== OWNER;
    if (fate === "deleted" || fate === "replaced") {
      for (const a of addresses) if (!customOf(a)) taken.add(a);
    } else if (fate === "stays") {
      for (const a of addresses) {
        taken.add(a);
        if (customOf(a)) required.add(customOf(a)!);
      }
    } else if (fate === "kept") {
      taken.add(have.email);
      if (customOf(have.email)) required.add(customOf(have.email)!);
      const stuck = have.aliases.filter(
        (a) => frozen || !customOf(a) || policy.unlisted.aliases === "ignore",
      );
      for (const a of stuck) {
        taken.add(a);
        if (customOf(a)) required.add(customOf(a)!);
      }
      mandatoryAliases.set(login, stuck);
    }
  }

  // 3. Domains: what must stay, plus a random choice, within the org plan; with the dns verifier only
  //    domains that already exist (a new one is blocked until its TXT record is published).
  const candidates = live.org.verifier === "dns" ? DOMAINS.filter((d) => live.domains.has(d)) : DOMAINS;
  const domains = DOMAINS.filter((d) => required.has(d));
  const domainCount = () =>
    policy.unlisted.domains === "prune" ? domains.length : new Set([...domains, ...live.domains.keys()]).size;
  for (const [i, name] of DOMAINS.entries()) {
    if (domains.includes(name) || !candidates.includes(name) || !bit(intent.domains, i)) continue;
    domains.push(name);
    if (domainCount() > orgPlan.custom_domains) domains.pop();
  }
  domains.sort();
  const usable = [PROVIDER, ...domains];
  const verifiedTxt = new Map<string, string[]>();
  for (const domain of live.domains.values()) {
    if (domain.status === "pending") {
      verifiedTxt.set(domain.name, [verificationRecord(domain.name, domain.verification_token).value]);
    }
  }

  // 4. Groups.
  const groups = GROUPS.filter((_, i) => bit(intent.groups, i)).map((name, i) => ({
    name,
    description: bit(intent.describe, i) ? "Described" : (live.groups.get(name)?.description ?? ""),
  }));
  const groupNames = groups.map((g) => g.name);

  // 5. Users: kept users keep what they must; then emails for new and replaced users; then new aliases.
  const limitOf = (plan: string) => findPlan(catalog, plan)!.aliases;
  const plans = new Map<string, string>();
  const aliases = new Map<string, Set<string>>();
  const emails = new Map<string, string>();
  const desiredLogins = [OWNER, ...LOGINS.filter((l) => ["kept", "new", "replaced"].includes(fates[l]!))];
  /** Nobody may change their own plan, role or status; nobody but the owner may edit the owner. */
  const fixed = (login: string) => login === OWNER || login === actor;
  const frozenOwner = (login: string) => login === OWNER && actor !== OWNER;
  const free = (address: string) => !taken.has(address) && usable.includes(splitAddress(address)!.domain);
  for (const login of desiredLogins) {
    const want = intentOf(login);
    const have = live.users.get(login);
    const own = new Set<string>();
    if (fates[login] === "kept") {
      emails.set(login, have!.email);
      for (const a of mandatoryAliases.get(login) ?? []) own.add(a);
      have!.aliases.forEach((a, i) => {
        if (own.has(a) || !customOf(a)) return;
        if (bit(want.keepAliases, i) && usable.includes(customOf(a)!)) {
          own.add(a);
          taken.add(a);
        }
      });
    }
    aliases.set(login, own);
    let plan = fixed(login) ? have!.plan : pick(PLANS, want.plan ?? PLANS.indexOf(have?.plan ?? "free"));
    // Provider aliases (and ignored ones) stay: the plan must allow them.
    if (own.size > limitOf(plan)) plan = PLANS.find((p) => limitOf(p) >= own.size)!;
    plans.set(login, plan);
  }
  for (const login of desiredLogins) {
    if (emails.has(login)) continue;
    // A replaced user's old custom email is free again, but drawing it would be no replacement at all.
    const old = live.users.get(login)?.email;
    const pool = addressPool(login, usable).filter((a) => free(a) && a !== old);
    let email = pool.length > 0 ? pick(pool, intentOf(login).email) : undefined;
    for (let n = 3; email === undefined; n++)
      if (free(`${login}.${n}@${PROVIDER}`)) email = `${login}.${n}@${PROVIDER}`;
    emails.set(login, email);
    taken.add(email);
  }
  for (const login of desiredLogins) {
    const own = aliases.get(login)!;
    for (const n of frozenOwner(login) ? [] : intentOf(login).newAliases) {
      if (own.size >= limitOf(plans.get(login)!)) break;
      const pool = addressPool(login, usable).filter(free);
      if (pool.length === 0) break;
      const address = pick(pool, n);
      own.add(address);
      taken.add(address);
    }
  }

  // 6. Seats: the users that stay as they are plus the desired ones must fit the org plan, and must not fill
  //    both kinds of seat: then a user moving to the free plan and another moving off it would each wait for
  //    the other's seat, and no order exists. Excess free users move to entry, excess paid users without
  //    aliases to free, then new users are left out; as a last resort everyone keeps their kind of seat.
  const stays = LOGINS.filter((l) => fates[l] === "stays").map((l) => live.users.get(l)!.plan);
  const seats = () => {
    const all = [...stays, ...desiredLogins.map((l) => plans.get(l)!)];
    const paid = all.filter((p) => isPaidPlan(catalog, p)).length;
    return { paid, free: all.length - paid };
  };
  const fits = () => {
    const { paid, free } = seats();
    return (
      paid <= orgPlan.paid_seats &&
      free <= orgPlan.free_seats &&
      (paid < orgPlan.paid_seats || free < orgPlan.free_seats)
    );
  };
  const movable = (login: string, paid: boolean) =>
    !fixed(login) &&
    isPaidPlan(catalog, plans.get(login)!) === paid &&
    (!paid || (mandatoryAliases.get(login) ?? []).length === 0);
  for (let guard = 0; !fits() && guard < 100; guard++) {
    const { paid, free } = seats();
    const toPaid =
      free > orgPlan.free_seats && paid < orgPlan.paid_seats
        ? desiredLogins.findLast((l) => movable(l, false))
        : undefined;
    if (toPaid) {
      plans.set(toPaid, "entry");
      continue;
    }
    const toFree =
      paid > orgPlan.paid_seats && free < orgPlan.free_seats
        ? desiredLogins.findLast((l) => movable(l, true))
        : undefined;
    if (toFree) {
      plans.set(toFree, "free");
      aliases.set(toFree, new Set());
      continue;
    }
    const dropped = desiredLogins.findLast((l) => fates[l] === "new");
    if (dropped) {
      desiredLogins.splice(desiredLogins.indexOf(dropped), 1);
      fates[dropped] = "absent";
      continue;
    }
    for (const login of desiredLogins) {
      const livePlan = live.users.get(login)!.plan;
      if (isPaidPlan(catalog, livePlan) !== isPaidPlan(catalog, plans.get(login)!))
        plans.set(login, livePlan);
      const own = aliases.get(login)!;
      const keep = [...own].filter((a) => (mandatoryAliases.get(login) ?? []).includes(a));
      for (const a of own) if (own.size > limitOf(plans.get(login)!) && !keep.includes(a)) own.delete(a);
    }
    break;
  }
  const users: DesiredUser[] = desiredLogins.map((login) => {
    const want = intentOf(login);
    const have = fates[login] === "kept" ? live.users.get(login)! : undefined;
    const isOwner = login === OWNER;
    const frozen = frozenOwner(login);
    const profile: DesiredUser["profile"] = {};
    if (want.profile === undefined || frozen) Object.assign(profile, have?.profile ?? {});
    else {
      PROFILE_FIELDS.forEach((field, i) => {
        if (bit(want.profile!, 2 * i))
          profile[field] = pick(PROFILE_VALUES[field], want.profile! >> (2 * i + 1));
      });
    }
    const password =
      want.password === undefined || frozen
        ? null
        : { env: `PW_${login.toUpperCase()}`, rotation: want.password };
    return {
      login,
      first_name: want.rename && !frozen ? "Renamed" : (have?.first_name ?? "First"),
      last_name: have?.last_name ?? login,
      email: emails.get(login)!,
      plan: plans.get(login)!,
      role: fixed(login)
        ? have!.role
        : want.role === undefined
          ? (have?.role ?? "member")
          : (ROLES[want.role] as Role),
      status: fixed(login) ? "active" : want.disabled ? "disabled" : "active",
      owner: isOwner,
      // A protected user's email never changes; replacing one is an error by design.
      protected: fates[login] !== "replaced" && want.protected,
      aliases: [...aliases.get(login)!].sort(),
      groups: groupNames.filter((_, i) => (want.groups === undefined ? false : bit(want.groups, i))),
      profile,
      password,
    };
  });

  // Users removed by disabling keep their seats.
  const held = LOGINS.filter((l) => fates[l] === "deleted" && policy.removed_users === "disable").map(
    (l) => live.users.get(l)!.plan,
  );
  const finalPaid = seats().paid + held.filter((p) => isPaidPlan(catalog, p)).length;
  const finalFree = seats().free + held.filter((p) => !isPaidPlan(catalog, p)).length;
  const targetFits =
    finalPaid <= target.paid_seats &&
    finalFree <= target.free_seats &&
    (finalPaid < target.paid_seats || finalFree < target.free_seats) &&
    domainCount() <= target.custom_domains;
  const desired = desiredOrg({
    organization: {
      name: intent.rename ? "Renamed Org" : live.org.name,
      plan: targetFits ? intent.orgPlan : null,
    },
    policy,
    domains,
    groups,
    users,
  });
  return { actor, desired, verifiedTxt, fates };
}

// ---------------------------------------------------------------------------------------------------------
// Checks

function describeCase(live: ConsoleState, c: DesiredCase): string {
  const users = [...live.users.values()].map(
    (u) =>
      `${u.login}(${u.plan},${u.role},${u.status},${u.email}${u.aliases.length ? ` +${u.aliases.join(",")}` : ""})`,
  );
  const domains = [...live.domains.values()].map((d) => `${d.name}:${d.status}`);
  return [
    `live: verifier ${live.org.verifier}, org plan ${live.org.plan}, balance ${live.balance}, actor ${c.actor}`,
    `  domains ${domains.join(" ") || "-"}; groups ${[...live.groups.keys()].join(" ") || "-"}`,
    `  users ${users.join(" ")}`,
    `desired: policy ${JSON.stringify(c.desired.policy)}`,
    `  domains ${c.desired.domains.map((d) => d.name).join(" ") || "-"}; fates ${JSON.stringify(c.fates)}`,
    ...c.desired.users.map(
      (u) =>
        `  ${u.login}: ${u.email} ${u.plan} ${u.role} ${u.status} aliases[${u.aliases.join(",")}] groups[${u.groups.join(",")}]`,
    ),
  ].join("\n");
}

function checkInvariants(state: ConsoleState, minBalance: number, where: string): void {
  const orgPlan = findOrgPlan(state.catalog, state.org.plan)!;
  expect(state.balance, `${where}: balance`).toBeGreaterThanOrEqual(minBalance);
  expect(state.counters, `${where}: counters`).toEqual(countersOf(state.catalog, state.users.values()));
  expect(state.counters.active_org_admins, `${where}: active org_admins`).toBeGreaterThanOrEqual(1);
  expect(state.counters.paid_seats, `${where}: paid seats`).toBeLessThanOrEqual(orgPlan.paid_seats);
  expect(state.counters.free_seats, `${where}: free seats`).toBeLessThanOrEqual(orgPlan.free_seats);
  expect(state.domains.size, `${where}: domains`).toBeLessThanOrEqual(orgPlan.custom_domains);
  for (const user of state.users.values()) {
    expect(user.aliases.length, `${where}: aliases of ${user.login}`).toBeLessThanOrEqual(
      findPlan(state.catalog, user.plan)!.aliases,
    );
  }
}

/** Replays the plan's steps in order with the engine, as the owner, on a copy of the live state. */
function replay(live: ConsoleState, c: DesiredCase, plan: Plan): ConsoleState {
  const drafts = new Map(diff({ desired: c.desired, live, actor: c.actor }).steps.map((d) => [d.id, d]));
  const state = cloneState(live);
  for (const planned of plan.steps) {
    const draft = drafts.get(planned.id);
    expect(draft, `step ${planned.index} ${planned.id} comes from the diff`).toBeDefined();
    let operation = draft!.operation;
    if (operation.op === "verify_domain") {
      operation = { ...operation, txt_values: c.verifiedTxt.get(operation.name) ?? [] };
    }
    // The plan holds the operation the engine simulated, minus what only the console makes: the same request.
    expect(requestOf(planned.operation)).toEqual(requestOf(operation));
    expect(planned.secret ?? null).toEqual(draft!.secret);
    // The step table (step-kinds.ts) and the diff agree on what each step is.
    expect([planned.action, planned.kind, planned.key, planned.symbol, planned.destructive]).toEqual([
      draft!.action,
      draft!.kind,
      draft!.key,
      draft!.symbol,
      draft!.destructive,
    ]);
    const decision = step(state, { kind: "user", login: c.actor }, operation, NOW);
    if (!decision.ok) {
      expect.fail(
        `step ${planned.index} (${planned.summary}) refused: ${decision.refusal.code}: ${decision.refusal.message}`,
      );
    }
    const where = `after step ${planned.index} (${planned.id})`;
    checkInvariants(state, c.desired.policy.min_balance_cents, where);
    expect(planned.amount_cents, `${where}: amount`).toBe(
      decision.ledger.reduce((sum, entry) => sum + entry.amount_cents, 0),
    );
    expect(planned.balance_after_cents, `${where}: balance after`).toBe(state.balance);
    for (const dep of planned.depends_on) {
      const before = plan.steps.find((s) => s.id === dep);
      expect(before && before.index < planned.index, `${where}: depends on ${dep}, which runs first`).toBe(
        true,
      );
    }
  }
  return state;
}

/**
 * A random topological order of the plan's `depends_on` (Kahn's algorithm, picking at random among the
 * ready steps), from a small seeded generator.
 */
function randomTopologicalOrder(plan: Plan, seed: number): Plan["steps"] {
  let a = seed >>> 0;
  const random = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const left = new Map(plan.steps.map((s) => [s.id, s.depends_on.length]));
  const dependents = new Map<string, string[]>();
  for (const s of plan.steps) {
    for (const dep of s.depends_on) dependents.set(dep, [...(dependents.get(dep) ?? []), s.id]);
  }
  const byId = new Map(plan.steps.map((s) => [s.id, s]));
  const ready = plan.steps.filter((s) => s.depends_on.length === 0);
  const out: Plan["steps"] = [];
  while (ready.length > 0) {
    const [next] = ready.splice(Math.floor(random() * ready.length), 1);
    out.push(next!);
    for (const id of dependents.get(next!.id) ?? []) {
      const n = left.get(id)! - 1;
      left.set(id, n);
      if (n === 0) ready.push(byId.get(id)!);
    }
  }
  expect(out.map((s) => s.id).sort(), "depends_on has no cycle and names only plan steps").toEqual(
    plan.steps.map((s) => s.id).sort(),
  );
  return out;
}

/** Runs the steps in `order` with the engine from the live state: each must pass with every rule holding. */
function replayInOrder(
  live: ConsoleState,
  c: DesiredCase,
  order: Plan["steps"],
  label: string,
): ConsoleState {
  const drafts = new Map(diff({ desired: c.desired, live, actor: c.actor }).steps.map((d) => [d.id, d]));
  const state = cloneState(live);
  order.forEach((planned, i) => {
    let operation = drafts.get(planned.id)!.operation;
    if (operation.op === "verify_domain") {
      operation = { ...operation, txt_values: c.verifiedTxt.get(operation.name) ?? [] };
    }
    const decision = step(state, { kind: "user", login: c.actor }, operation, NOW);
    if (!decision.ok) {
      expect.fail(
        `${label}: position ${i + 1} ${planned.id} refused: ${decision.refusal.code}: ${decision.refusal.message}\n` +
          `order: ${order.map((s) => s.id).join(", ")}`,
      );
    }
    checkInvariants(state, c.desired.policy.min_balance_cents, `${label}: after ${planned.id}`);
  });
  return state;
}

describe("every order that depends_on allows", () => {
  it("passes the engine step by step from the same live state, and reaches the same console", {
    timeout: 30_000 + RUNS * 200,
  }, () => {
    fc.assert(
      fc.property(
        liveArb,
        intentArb,
        fc.array(fc.nat(), { minLength: 4, maxLength: 4 }),
        (liveSpec, intent, seeds) => {
          const live = buildLive(liveSpec);
          const c = desiredFor(live, intent, actorOf(live, liveSpec));
          const plan = planFor(c.desired, liveView(live, c.actor), {
            force: true,
            verifiedTxt: c.verifiedTxt,
          });
          expect(plan.errors).toEqual([]);
          for (const seed of seeds) {
            const order = randomTopologicalOrder(plan, seed);
            const final = replayInOrder(live, c, order, `order from seed ${seed}`);
            const again = diff({ desired: c.desired, live: final, actor: c.actor });
            expect(
              again.steps.map((s) => s.summary),
              `after order from seed ${seed}`,
            ).toEqual([]);
            expect(final.balance).toBe(plan.money.balance_after_cents);
          }
        },
      ),
      { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }), ...(PATH ? { path: PATH } : {}) },
    );
  });
});

describe("planning any reachable console towards any valid org.yaml", () => {
  it("gives a plan that applies step by step with every rule holding, and reaches org.yaml", {
    timeout: 30_000 + RUNS * 100,
  }, () => {
    fc.assert(
      fc.property(liveArb, intentArb, (liveSpec, intent) => {
        const live = buildLive(liveSpec);
        checkInvariants(live, 0, "the generated live state");
        const c = desiredFor(live, intent, actorOf(live, liveSpec));
        const before = structuredClone(live);
        const plan = planFor(c.desired, liveView(live, c.actor), { force: true, verifiedTxt: c.verifiedTxt });
        const context = describeCase(live, c);
        expect(live, "buildPlan does not change the live state").toEqual(before);
        expect(plan.errors, `plan errors for\n${context}`).toEqual([]);
        expect(plan.blocked, `blocked steps for\n${context}`).toEqual([]);
        expect(
          plan.steps.map((s) => s.index),
          "indexes run 1..n",
        ).toEqual(plan.steps.map((_, i) => i + 1));

        // A saved plan is checked as hostile input before apply: every plan the planner makes passes.
        expect(checkPlanFile(JSON.parse(renderJson(plan)), planSchemaErrors), "plan file check").toEqual([]);

        const final = replay(live, c, plan);
        expect(plan.money.balance_after_cents).toBe(final.balance);
        expect(plan.money.lowest_balance_cents).toBe(
          Math.min(live.balance, ...plan.steps.map((s) => s.balance_after_cents)),
        );
        expect(plan.money.lowest_balance_cents).toBeGreaterThanOrEqual(c.desired.policy.min_balance_cents);

        const again = diff({ desired: c.desired, live: final, actor: c.actor });
        expect(
          again.steps.map((s) => s.summary),
          `the console after the plan still differs from org.yaml for\n${context}`,
        ).toEqual([]);
        expect(again.errors).toEqual([]);
      }),
      { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }), ...(PATH ? { path: PATH } : {}) },
    );
  });
});
