import {
  checkAddressAvailable,
  customDomainNameRefusal,
  isPermanentAddress,
  normalizeAddress,
  permanentAliasRefusal,
  ROUTED_LOCAL_PARTS,
  verificationRecord,
} from "./addresses.js";
import { type Catalog, findOrgPlan, findPlan, isPaidPlan } from "./catalog.js";
import { withMember, withoutMember } from "./members.js";
import {
  type ConsoleState,
  type Counters,
  type Domain,
  type Group,
  type LedgerDraft,
  type Organization,
  PROFILE_FIELDS,
  type Profile,
  ROLES,
  type Role,
  type User,
} from "./model.js";
import { addDays, DAYS_PER_PERIOD, dayOf, daysLeft, prorateChange, unusedRefund } from "./money.js";
import type { Actor, Operation, OperationName, OperationOf } from "./operations.js";
import { type Action, hasNoMoreRights, isAllowed } from "./permissions.js";
import { type Refusal, refuse } from "./refusal.js";
import {
  aliasLimitRefusal,
  domainLimitRefusal,
  isActiveOrgAdmin,
  namesRefusal,
  ownerProtectedRefusal,
  seatLimitRefusal,
  selfActionRefusal,
} from "./rules.js";

/** A change to the console's records. Effects replace whole records; they never patch them in place. */
export type Effect =
  | { type: "put_org"; org: Organization }
  | { type: "put_user"; user: User }
  | { type: "delete_user"; login: string; retire: string[] }
  | { type: "put_domain"; domain: Domain }
  | { type: "delete_domain"; name: string }
  | { type: "put_group"; group: Group }
  | { type: "delete_group"; name: string }
  | { type: "revoke_sessions"; login: string }
  /** Ends every credential of the user, API tokens included, for good. */
  | { type: "revoke_tokens"; login: string };

export type Decision =
  | { ok: true; effects: Effect[]; ledger: LedgerDraft[] }
  | { ok: false; refusal: Refusal };

export const MAX_GROUPS_AT_CREATE = 10;
export const MAX_TOP_UP_CENTS = 10_000_000;
/** A login as the console accepts it (also checked in plan files). */
export const LOGIN = /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/;
export const GROUP_NAME = /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/;
export const TOP_UP_METHODS = ["test", "card", "paypal"] as const;

const ok = (effects: Effect[] = [], ledger: LedgerDraft[] = []): Decision => ({ ok: true, effects, ledger });
const no = (refusal: Refusal): Decision => ({ ok: false, refusal });

interface Context {
  state: ConsoleState;
  /** The acting user, or null for the console itself. */
  actor: User | null;
  now: Date;
  today: string;
}

/**
 * Decides one operation against the rules. Pure: it reads `state`, never changes it, and returns either the
 * effects and ledger entries to apply, or a refusal with a stable code.
 */
export function decide(state: ConsoleState, actor: Actor, operation: Operation, now: Date): Decision {
  let actingUser: User | null = null;
  if (actor.kind === "user") {
    const user = state.users.get(actor.login);
    if (!user) return no(refuse("forbidden", `the acting user ${actor.login} does not exist`));
    if (user.status === "disabled" && operation.op !== "login") {
      return no(
        refuse("account_disabled", `${user.login} is disabled and cannot act; ask an org_admin to enable it`),
      );
    }
    actingUser = user;
  }
  const ctx: Context = { state, actor: actingUser, now, today: dayOf(now) };
  const handler = HANDLERS[operation.op] as (ctx: Context, op: Operation) => Decision;
  return handler(ctx, operation);
}

/**
 * Applies a decision's effects and ledger entries to `state`, in place. The caller owns `state` (the server's
 * live copy after the store committed, or a planner's scratch copy from `cloneState`).
 */
export function applyDecision(
  state: ConsoleState,
  effects: Effect[],
  ledger: LedgerDraft[],
  moveRevision = true,
): void {
  for (const effect of effects) EFFECTS[effect.type](state, effect as never);
  for (const entry of ledger) state.balance += entry.amount_cents;
  if (moveRevision) state.org = { ...state.org, revision: state.org.revision + 1 };
}

/** Decides and, when allowed, applies. Convenience for simulations and tests. */
export function step(state: ConsoleState, actor: Actor, operation: Operation, now: Date): Decision {
  const decision = decide(state, actor, operation, now);
  if (decision.ok) applyDecision(state, decision.effects, decision.ledger);
  return decision;
}

// ---------------------------------------------------------------------------------------------------------
// Shared checks

function permit(ctx: Context, action: Action, target?: User, targetRoleAfter?: Role): Refusal | null {
  const actor = ctx.actor;
  if (!actor) return null;
  if (actor.role === "member") {
    return refuse("forbidden", `${actor.login} is a member and has no admin access`, { action });
  }
  const targetRole = targetRoleAfter ?? target?.role;
  if (!isAllowed(actor.role, action, targetRole)) {
    const scope =
      targetRole !== undefined && actor.role === "user_admin" ? " on users who are not plain members" : "";
    return refuse("forbidden", `a ${actor.role} may not ${action.replace(/_/g, " ")}${scope}`, {
      action,
      role: actor.role,
    });
  }
  return null;
}

/** Why `name` cannot be a new group's name (invalid or taken), or null. */
function newGroupNameRefusal(ctx: Context, name: string): Refusal | null {
  if (!GROUP_NAME.test(name)) {
    return refuse(
      "invalid",
      `group name ${name} is not valid; use 1-64 lower-case letters, digits, dots, dashes or underscores`,
    );
  }
  if (ctx.state.groups.has(name)) return refuse("conflict", `group ${name} already exists`, { group: name });
  return null;
}

function protectOwner(ctx: Context, target: User, what: string): Refusal | null {
  return ownerProtectedRefusal(ctx.state.org.owner, ctx.actor?.login ?? null, target.login, what);
}

function notSelf(ctx: Context, target: User, what: string): Refusal | null {
  return selfActionRefusal(ctx.actor?.login ?? null, target.login, what);
}

function findUser(ctx: Context, login: string): User | Refusal {
  const user = ctx.state.users.get(login);
  return user ?? refuse("not_found", `user ${login} does not exist`, { login });
}

function findGroup(ctx: Context, name: string): Group | Refusal {
  const group = ctx.state.groups.get(name);
  return group ?? refuse("not_found", `group ${name} does not exist`, { group: name });
}

/** Tells a lookup's refusal from its record: users and groups have no `code`. */
function isRefusal(value: User | Group | Refusal): value is Refusal {
  return "code" in value;
}

function planPrice(catalog: Catalog, plan: string): number {
  return findPlan(catalog, plan)?.price_cents ?? 0;
}

function checkPlanExists(catalog: Catalog, plan: string): Refusal | null {
  if (findPlan(catalog, plan)) return null;
  return refuse(
    "invalid",
    `plan ${plan} is not in the catalog; choose one of ${catalog.plans.map((p) => p.name).join(", ")}`,
    {
      plan,
    },
  );
}

function checkFunds(ctx: Context, charge: number, what: string): Refusal | null {
  if (ctx.state.balance - charge >= 0) return null;
  const short = charge - ctx.state.balance;
  return refuse(
    "insufficient_funds",
    `${what} costs ${charge} cents but the wallet holds ${ctx.state.balance}; top up at least ${short} cents`,
    { charge_cents: charge, balance_cents: ctx.state.balance, short_cents: short },
  );
}

function checkSeats(ctx: Context, paidDelta: number, freeDelta: number): Refusal | null {
  const orgPlan = findOrgPlan(ctx.state.catalog, ctx.state.org.plan);
  if (!orgPlan) return null;
  const { paid_seats, free_seats } = ctx.state.counters;
  return seatLimitRefusal(
    orgPlan,
    { paid: paid_seats, free: free_seats },
    { paid: paidDelta, free: freeDelta },
  );
}

/** Whether `login` may have `aliases` aliases on `plan` (a plan missing from the catalog allows none). */
function checkAliasLimit(catalog: Catalog, plan: string, login: string, aliases: number): Refusal | null {
  const spec = findPlan(catalog, plan) ?? { name: plan, price_cents: 0, aliases: 0, storage_mb: 0 };
  return aliasLimitRefusal(spec, login, aliases);
}

function validProfile(profile: Record<string, unknown>): Refusal | null {
  for (const [field, value] of Object.entries(profile)) {
    if (!(PROFILE_FIELDS as readonly string[]).includes(field)) {
      return refuse("invalid", `unknown profile field ${field}; use one of ${PROFILE_FIELDS.join(", ")}`, {
        field,
      });
    }
    if (value !== null && typeof value !== "string") {
      return refuse("invalid", `profile field ${field} must be a string`, { field });
    }
  }
  return null;
}

function wouldLoseLastAdmin(ctx: Context, target: User): boolean {
  return isActiveOrgAdmin(target) && ctx.state.counters.active_org_admins <= 1;
}

function lastAdminRefusal(target: User, what: string): Refusal {
  return refuse(
    "last_org_admin",
    `${target.login} is the last active org_admin; promote another org_admin before you ${what} them`,
    { login: target.login },
  );
}

// ---------------------------------------------------------------------------------------------------------
// Handlers: one per operation

type Handler<K extends OperationName> = (ctx: Context, op: OperationOf<K>) => Decision;

const HANDLERS: { [K in OperationName]: Handler<K> } = {
  top_up(ctx, op) {
    const denied = permit(ctx, "top_up");
    if (denied) return no(denied);
    if (
      !Number.isSafeInteger(op.amount_cents) ||
      op.amount_cents <= 0 ||
      op.amount_cents > MAX_TOP_UP_CENTS
    ) {
      return no(
        refuse("invalid", `a top-up must be a whole number of cents between 1 and ${MAX_TOP_UP_CENTS}`, {
          amount_cents: op.amount_cents,
        }),
      );
    }
    if (op.method !== "test") {
      return no(
        refuse(
          "payment_failed",
          `the reference console cannot take ${op.method} payments; use method "test"`,
          {
            method: op.method,
          },
        ),
      );
    }
    return ok(
      [],
      [
        {
          amount_cents: op.amount_cents,
          reason: "top_up",
          login: null,
          plan: null,
          memo: `top-up (${op.method})`,
        },
      ],
    );
  },

  update_org(ctx, op) {
    const denied = permit(ctx, "manage_org");
    if (denied) return no(denied);
    const name = op.name.trim();
    if (name.length === 0 || name.length > 200)
      return no(refuse("invalid", "the organization name must be 1 to 200 characters"));
    return ok([{ type: "put_org", org: { ...ctx.state.org, name } }]);
  },

  create_domain(ctx, op) {
    const denied = permit(ctx, "manage_domains");
    if (denied) return no(denied);
    const name = normalizeAddress(op.name);
    const badName = customDomainNameRefusal(ctx.state.org.provider_domain, name);
    if (badName) return no(badName);
    if (ctx.state.domains.has(name))
      return no(refuse("conflict", `domain ${name} already exists`, { domain: name }));
    const orgPlan = findOrgPlan(ctx.state.catalog, ctx.state.org.plan) ?? {
      name: ctx.state.org.plan,
      paid_seats: 0,
      free_seats: 0,
      custom_domains: 0,
    };
    const full = domainLimitRefusal(orgPlan, ctx.state.domains.size, 1);
    if (full) return no(full);
    const domain: Domain = {
      name,
      status: ctx.state.org.verifier === "auto" ? "verified" : "pending",
      verification_token: op.verification_token,
      created_at: ctx.now.toISOString(),
      verified_at: ctx.state.org.verifier === "auto" ? ctx.now.toISOString() : null,
    };
    return ok([{ type: "put_domain", domain }]);
  },

  verify_domain(ctx, op) {
    const denied = permit(ctx, "manage_domains");
    if (denied) return no(denied);
    const domain = ctx.state.domains.get(op.name);
    if (!domain) return no(refuse("not_found", `domain ${op.name} does not exist`, { domain: op.name }));
    if (domain.status === "verified") return ok();
    const record = verificationRecord(domain.name, domain.verification_token);
    if (ctx.state.org.verifier !== "auto" && !(op.txt_values ?? []).includes(record.value)) {
      return no(
        refuse(
          "domain_unverified",
          `no TXT record ${record.value} at ${record.name}; publish it, wait for DNS, then verify again`,
          {
            domain: domain.name,
            txt_record: record,
          },
        ),
      );
    }
    return ok([
      { type: "put_domain", domain: { ...domain, status: "verified", verified_at: ctx.now.toISOString() } },
    ]);
  },

  delete_domain(ctx, op) {
    const denied = permit(ctx, "manage_domains");
    if (denied) return no(denied);
    if (!ctx.state.domains.has(op.name))
      return no(refuse("not_found", `domain ${op.name} does not exist`, { domain: op.name }));
    const suffix = `@${op.name}`;
    for (const [address, holder] of ctx.state.addresses) {
      if (holder.kind !== "retired" && address.endsWith(suffix)) {
        return no(
          refuse(
            "domain_in_use",
            `${op.name} is still used by ${address} (${holder.login}); remove that address first`,
            {
              domain: op.name,
              address,
              login: holder.login,
            },
          ),
        );
      }
    }
    return ok([{ type: "delete_domain", name: op.name }]);
  },

  create_user(ctx, op) {
    const input = op.user;
    if (!(ROLES as readonly string[]).includes(input.role)) {
      return no(refuse("invalid", `role ${input.role} does not exist; use one of ${ROLES.join(", ")}`));
    }
    const denied = permit(ctx, "create_user", undefined, input.role);
    if (denied) return no(denied);
    if (!LOGIN.test(input.login)) {
      return no(
        refuse(
          "invalid",
          `login ${input.login} is not valid; use 1-64 lower-case letters, digits, dots, dashes or underscores`,
        ),
      );
    }
    if (ctx.state.users.has(input.login)) {
      return no(
        refuse("conflict", `user ${input.login} already exists; logins are unique and never change`, {
          login: input.login,
        }),
      );
    }
    const unnamed = namesRefusal(input.login, input.first_name, input.last_name);
    if (unnamed) return no(unnamed);
    const badPlan = checkPlanExists(ctx.state.catalog, input.plan);
    if (badPlan) return no(badPlan);
    const profileError = validProfile(input.profile ?? {});
    if (profileError) return no(profileError);
    const email = normalizeAddress(input.email);
    const emailError = checkAddressAvailable(ctx.state, email, input.login);
    if (emailError) return no(emailError);
    const aliases = [...new Set((input.aliases ?? []).map(normalizeAddress))].sort();
    if (aliases.includes(email))
      return no(refuse("conflict", `${email} is the primary email; it cannot also be an alias`));
    for (const alias of aliases) {
      const aliasError = checkAddressAvailable(ctx.state, alias, input.login);
      if (aliasError) return no(aliasError);
    }
    const tooMany = checkAliasLimit(ctx.state.catalog, input.plan, input.login, aliases.length);
    if (tooMany) return no(tooMany);
    const groups = [...new Set(input.groups ?? [])].sort();
    if (groups.length > MAX_GROUPS_AT_CREATE) {
      return no(
        refuse(
          "group_limit",
          `at most ${MAX_GROUPS_AT_CREATE} groups can be given when a user is created; add ${input.login} to the others through the groups afterwards`,
          {
            login: input.login,
            given: groups.length,
          },
        ),
      );
    }
    for (const name of groups) {
      const group = findGroup(ctx, name);
      if (isRefusal(group)) return no(group);
    }
    const paid = isPaidPlan(ctx.state.catalog, input.plan);
    const seats = checkSeats(ctx, paid ? 1 : 0, paid ? 0 : 1);
    if (seats) return no(seats);
    const price = planPrice(ctx.state.catalog, input.plan);
    const funds = checkFunds(ctx, price, `creating ${input.login} on ${input.plan}`);
    if (funds) return no(funds);
    const user: User = {
      login: input.login,
      email,
      first_name: input.first_name.trim(),
      last_name: input.last_name.trim(),
      plan: input.plan,
      role: input.role,
      // Invited until the first login, unless a password is set; the owner is created (with the organization)
      // active, because the owner acts through an API token from the first request.
      status: input.password_hash || input.login === ctx.state.org.owner ? "active" : "invited",
      billing: "ok",
      period_start: ctx.today,
      period_end: addDays(ctx.today, DAYS_PER_PERIOD),
      aliases,
      profile: cleanProfile(input.profile ?? {}),
      password_set: Boolean(input.password_hash),
      password_rotation: input.password_hash ? (input.password_rotation ?? null) : null,
      last_login_at: null,
      created_at: ctx.now.toISOString(),
    };
    const effects: Effect[] = [{ type: "put_user", user }];
    for (const name of groups) {
      const group = ctx.state.groups.get(name)!;
      effects.push({
        type: "put_group",
        group: { ...group, members: withMember(group.members, user.login) },
      });
    }
    const ledger: LedgerDraft[] =
      price > 0
        ? [
            {
              amount_cents: -price,
              reason: "user_created",
              login: user.login,
              plan: user.plan,
              memo: `${user.login} on ${user.plan}, ${DAYS_PER_PERIOD} days`,
            },
          ]
        : [];
    return ok(effects, ledger);
  },

  update_user(ctx, op) {
    const target = findUser(ctx, op.login);
    if (isRefusal(target)) return no(target);
    const self = ctx.actor?.login === target.login;
    const touchesNames = op.first_name !== undefined || op.last_name !== undefined;
    if (!self || touchesNames) {
      const denied = permit(ctx, "edit_user", target) ?? protectOwner(ctx, target, "edit");
      if (denied) return no(denied);
    }
    const profileError = validProfile(op.profile ?? {});
    if (profileError) return no(profileError);
    const next: User = { ...target, profile: cleanProfile({ ...target.profile, ...(op.profile ?? {}) }) };
    if (op.first_name !== undefined) next.first_name = op.first_name.trim();
    if (op.last_name !== undefined) next.last_name = op.last_name.trim();
    const unnamed = namesRefusal(target.login, next.first_name, next.last_name);
    if (unnamed) return no(unnamed);
    return ok([{ type: "put_user", user: next }]);
  },

  disable_user(ctx, op) {
    const target = findUser(ctx, op.login);
    if (isRefusal(target)) return no(target);
    const denied =
      permit(ctx, "edit_user", target) ??
      notSelf(ctx, target, "disable") ??
      protectOwner(ctx, target, "disable");
    if (denied) return no(denied);
    if (target.status === "disabled")
      return no(refuse("conflict", `${target.login} is already disabled`, { login: target.login }));
    if (wouldLoseLastAdmin(ctx, target)) return no(lastAdminRefusal(target, "disable"));
    // Every credential ends for good: enabling the user again must not bring old tokens back.
    return ok([
      { type: "put_user", user: { ...target, status: "disabled" } },
      { type: "revoke_tokens", login: target.login },
    ]);
  },

  enable_user(ctx, op) {
    const target = findUser(ctx, op.login);
    if (isRefusal(target)) return no(target);
    const denied = permit(ctx, "edit_user", target) ?? protectOwner(ctx, target, "enable");
    if (denied) return no(denied);
    if (target.status !== "disabled")
      return no(refuse("conflict", `${target.login} is not disabled`, { login: target.login }));
    const status = target.password_set || target.last_login_at ? "active" : "invited";
    return ok([{ type: "put_user", user: { ...target, status } }]);
  },

  delete_user(ctx, op) {
    const target = findUser(ctx, op.login);
    if (isRefusal(target)) return no(target);
    const denied =
      permit(ctx, "delete_user", target) ??
      notSelf(ctx, target, "delete") ??
      protectOwner(ctx, target, "delete");
    if (denied) return no(denied);
    if (target.status !== "disabled") {
      return no(
        refuse(
          "must_disable_first",
          `${target.login} must be disabled before it can be deleted; disable it first`,
          { login: target.login },
        ),
      );
    }
    const retire = [target.email, ...target.aliases].filter((address) =>
      isPermanentAddress(ctx.state, address),
    );
    const effects: Effect[] = [];
    for (const group of ctx.state.groups.values()) {
      if (group.members.includes(target.login)) {
        effects.push({
          type: "put_group",
          group: { ...group, members: withoutMember(group.members, target.login) },
        });
      }
    }
    effects.push(
      { type: "delete_user", login: target.login, retire },
      { type: "revoke_sessions", login: target.login },
    );
    const refund =
      target.billing === "ok"
        ? unusedRefund(planPrice(ctx.state.catalog, target.plan), daysLeft(target.period_end, ctx.today))
        : 0;
    const ledger: LedgerDraft[] =
      refund > 0
        ? [
            {
              amount_cents: refund,
              reason: "user_deleted",
              login: target.login,
              plan: target.plan,
              memo: `unused period of ${target.login}`,
            },
          ]
        : [];
    return ok(effects, ledger);
  },

  change_plan(ctx, op) {
    const target = findUser(ctx, op.login);
    if (isRefusal(target)) return no(target);
    const denied = permit(ctx, "change_plan") ?? notSelf(ctx, target, "change the plan of");
    if (denied) return no(denied);
    const badPlan = checkPlanExists(ctx.state.catalog, op.plan);
    if (badPlan) return no(badPlan);
    if (target.plan === op.plan)
      return no(refuse("conflict", `${target.login} is already on ${op.plan}`, { login: target.login }));
    const tooMany = checkAliasLimit(ctx.state.catalog, op.plan, target.login, target.aliases.length);
    if (tooMany) return no(tooMany);
    const wasPaid = isPaidPlan(ctx.state.catalog, target.plan);
    const willPay = isPaidPlan(ctx.state.catalog, op.plan);
    const seats = checkSeats(
      ctx,
      wasPaid === willPay ? 0 : willPay ? 1 : -1,
      wasPaid === willPay ? 0 : willPay ? -1 : 1,
    );
    if (seats) return no(seats);
    const oldPrice = planPrice(ctx.state.catalog, target.plan);
    const newPrice = planPrice(ctx.state.catalog, op.plan);
    const movement = prorateChange(oldPrice, newPrice, daysLeft(target.period_end, ctx.today));
    if (movement < 0) {
      const funds = checkFunds(ctx, -movement, `moving ${target.login} from ${target.plan} to ${op.plan}`);
      if (funds) return no(funds);
    }
    const ledger: LedgerDraft[] =
      movement !== 0
        ? [
            {
              amount_cents: movement,
              reason: "plan_change",
              login: target.login,
              plan: op.plan,
              memo: `${target.login}: ${target.plan} → ${op.plan}`,
            },
          ]
        : [];
    return ok([{ type: "put_user", user: { ...target, plan: op.plan } }], ledger);
  },

  change_role(ctx, op) {
    const target = findUser(ctx, op.login);
    if (isRefusal(target)) return no(target);
    if (!(ROLES as readonly string[]).includes(op.role)) {
      return no(refuse("invalid", `role ${op.role} does not exist; use one of ${ROLES.join(", ")}`));
    }
    const denied =
      permit(ctx, "change_role") ??
      notSelf(ctx, target, "change the role of") ??
      protectOwner(ctx, target, "change the role of");
    if (denied) return no(denied);
    if (target.role === op.role)
      return no(refuse("conflict", `${target.login} is already ${op.role}`, { login: target.login }));
    if (op.role !== "org_admin" && wouldLoseLastAdmin(ctx, target))
      return no(lastAdminRefusal(target, "demote"));
    return ok([{ type: "put_user", user: { ...target, role: op.role } }]);
  },

  set_password(ctx, op) {
    const target = findUser(ctx, op.login);
    if (isRefusal(target)) return no(target);
    if (ctx.actor?.login !== target.login) {
      const denied = permit(ctx, "edit_user", target) ?? protectOwner(ctx, target, "change the password of");
      if (denied) return no(denied);
    }
    return ok([
      { type: "put_user", user: { ...target, password_set: true, password_rotation: op.rotation ?? null } },
    ]);
  },

  logout(ctx, op) {
    const target = findUser(ctx, op.login);
    if (isRefusal(target)) return no(target);
    if (ctx.actor?.login !== target.login) {
      const denied = permit(ctx, "edit_user", target) ?? protectOwner(ctx, target, "force-log-out");
      if (denied) return no(denied);
    }
    return ok([{ type: "revoke_sessions", login: target.login }]);
  },

  add_alias(ctx, op) {
    const target = findUser(ctx, op.login);
    if (isRefusal(target)) return no(target);
    const denied = permit(ctx, "edit_user", target) ?? protectOwner(ctx, target, "edit");
    if (denied) return no(denied);
    const address = normalizeAddress(op.address);
    if (target.aliases.includes(address))
      return no(refuse("conflict", `${target.login} already has alias ${address}`, { address }));
    const taken = checkAddressAvailable(ctx.state, address, target.login);
    if (taken) return no(taken);
    const tooMany = checkAliasLimit(ctx.state.catalog, target.plan, target.login, target.aliases.length + 1);
    if (tooMany) return no(tooMany);
    return ok([{ type: "put_user", user: { ...target, aliases: [...target.aliases, address].sort() } }]);
  },

  remove_alias(ctx, op) {
    const target = findUser(ctx, op.login);
    if (isRefusal(target)) return no(target);
    const denied = permit(ctx, "edit_user", target) ?? protectOwner(ctx, target, "edit");
    if (denied) return no(denied);
    const address = normalizeAddress(op.address);
    if (!target.aliases.includes(address))
      return no(refuse("not_found", `${target.login} has no alias ${address}`, { address }));
    const permanent = permanentAliasRefusal(ctx.state, target.login, address);
    if (permanent) return no(permanent);
    return ok([
      { type: "put_user", user: { ...target, aliases: target.aliases.filter((a) => a !== address) } },
    ]);
  },

  create_group(ctx, op) {
    const denied = permit(ctx, "manage_groups");
    if (denied) return no(denied);
    const taken = newGroupNameRefusal(ctx, op.name);
    if (taken) return no(taken);
    return ok([{ type: "put_group", group: { name: op.name, description: op.description, members: [] } }]);
  },

  update_group(ctx, op) {
    const denied = permit(ctx, "manage_groups");
    if (denied) return no(denied);
    const group = findGroup(ctx, op.name);
    if (isRefusal(group)) return no(group);
    return ok([{ type: "put_group", group: { ...group, description: op.description } }]);
  },

  rename_group(ctx, op) {
    const denied = permit(ctx, "manage_groups");
    if (denied) return no(denied);
    const group = findGroup(ctx, op.name);
    if (isRefusal(group)) return no(group);
    const taken = newGroupNameRefusal(ctx, op.to);
    if (taken) return no(taken);
    return ok([
      { type: "delete_group", name: op.name },
      { type: "put_group", group: { ...group, name: op.to } },
    ]);
  },

  delete_group(ctx, op) {
    const denied = permit(ctx, "manage_groups");
    if (denied) return no(denied);
    const group = findGroup(ctx, op.name);
    if (isRefusal(group)) return no(group);
    return ok([{ type: "delete_group", name: op.name }]);
  },

  add_member(ctx, op) {
    const denied = permit(ctx, "manage_groups");
    if (denied) return no(denied);
    const group = findGroup(ctx, op.group);
    if (isRefusal(group)) return no(group);
    const user = findUser(ctx, op.login);
    if (isRefusal(user)) return no(user);
    // PUT semantics: adding a current member is a no-op, not a refusal.
    if (group.members.includes(op.login)) return ok();
    return ok([{ type: "put_group", group: { ...group, members: withMember(group.members, op.login) } }]);
  },

  remove_member(ctx, op) {
    const denied = permit(ctx, "manage_groups");
    if (denied) return no(denied);
    const group = findGroup(ctx, op.group);
    if (isRefusal(group)) return no(group);
    if (!group.members.includes(op.login))
      return no(refuse("not_found", `${op.login} is not in group ${op.group}`));
    return ok([{ type: "put_group", group: { ...group, members: withoutMember(group.members, op.login) } }]);
  },

  /**
   * A token acts as its user. Anyone (but a member) may issue tokens for themselves; an org_admin may also
   * issue one for another user whose role grants nothing the org_admin lacks (an automation account). Nobody
   * but the owner ever obtains a credential that acts as the owner.
   */
  issue_token(ctx, op) {
    const target = findUser(ctx, op.login);
    if (isRefusal(target)) return no(target);
    if (ctx.actor && ctx.actor.login !== target.login) {
      if (target.login === ctx.state.org.owner) {
        return no(
          refuse(
            "owner_protected",
            `${target.login} is the owner; only the owner can obtain a token that acts as the owner`,
            { login: target.login },
          ),
        );
      }
      const denied = permit(ctx, "issue_token");
      if (denied) return no(denied);
      if (!hasNoMoreRights(target.role, ctx.actor.role)) {
        return no(
          refuse(
            "forbidden",
            `${target.login} has rights that ${ctx.actor.login} lacks; it must issue its own token`,
            {
              login: target.login,
            },
          ),
        );
      }
    }
    if (target.role === "member") {
      return no(
        refuse("invalid", `${target.login} is a member; API tokens act as admin users only`, {
          login: target.login,
        }),
      );
    }
    if (target.status === "disabled")
      return no(refuse("account_disabled", `${target.login} is disabled; enable it first`));
    return ok();
  },

  /** Revoking a credential ends access like a force logout: the same people may do it. */
  revoke_token(ctx, op) {
    const target = findUser(ctx, op.login);
    if (isRefusal(target)) return no(target);
    if (ctx.actor?.login !== target.login) {
      const denied =
        permit(ctx, "edit_user", target) ?? protectOwner(ctx, target, "revoke the credentials of");
      if (denied) return no(denied);
    }
    return ok();
  },

  login(ctx, op) {
    const target = findUser(ctx, op.login);
    if (isRefusal(target)) return no(target);
    // Only the console (after checking the password) or the user themselves logs a user in.
    if (ctx.actor && ctx.actor.login !== target.login) {
      return no(
        refuse("forbidden", `only ${target.login} can log in as ${target.login}`, { login: target.login }),
      );
    }
    if (target.status === "disabled") {
      return no(
        refuse(
          "account_disabled",
          `${target.login} is disabled and cannot log in; ask an admin to enable it`,
        ),
      );
    }
    return ok([
      { type: "put_user", user: { ...target, status: "active", last_login_at: ctx.now.toISOString() } },
    ]);
  },
};

function cleanProfile(profile: Record<string, string | null | undefined>): Profile {
  const clean: Profile = {};
  for (const field of PROFILE_FIELDS) {
    const value = profile[field];
    if (typeof value === "string" && value.length > 0) clean[field] = value;
  }
  return clean;
}

// ---------------------------------------------------------------------------------------------------------
// Effects: how each one changes the state (and, in the store, the tables)

type EffectOf<K extends Effect["type"]> = Extract<Effect, { type: K }>;

const EFFECTS: { [K in Effect["type"]]: (state: ConsoleState, effect: EffectOf<K>) => void } = {
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
  put_domain(state, { domain }) {
    state.domains.set(domain.name, domain);
  },
  delete_domain(state, { name }) {
    state.domains.delete(name);
  },
  put_group(state, { group }) {
    state.groups.set(group.name, group);
  },
  delete_group(state, { name }) {
    state.groups.delete(name);
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

export { ROUTED_LOCAL_PARTS };
