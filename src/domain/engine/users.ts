import { checkAddressAvailable, isPermanentAddress, normalizeAddress } from "../addresses.js";
import { isPaidPlan, unknownPlanRefusal } from "../catalog.js";
import { withMember, withoutMember } from "../members.js";
import { type LedgerDraft, PROFILE_FIELDS, type Profile, ROLES, type User } from "../model.js";
import { addDays, DAYS_PER_PERIOD, daysLeft, prorateChange, unusedRefund } from "../money.js";
import { type Refusal, refuse } from "../refusal.js";
import { isActiveOrgAdmin, keepsAdminFloor, LOGIN, namesRefusal } from "../rules.js";
import {
  type Context,
  type Effect,
  findGroup,
  findUser,
  type Handlers,
  isRefusal,
  no,
  notSelf,
  ok,
  permit,
  protectOwner,
  putRecord,
} from "./context.js";
import { checkAliasLimit, checkFunds, checkSeats, planPrice } from "./limits.js";

export const MAX_GROUPS_AT_CREATE = 10;

export const USER_HANDLERS: Handlers<
  | "create_user"
  | "update_user"
  | "disable_user"
  | "enable_user"
  | "delete_user"
  | "change_plan"
  | "change_role"
> = {
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
    const badPlan = unknownPlanRefusal(ctx.state.catalog, input.plan);
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
      effects.push(putRecord("groups", { ...group, members: withMember(group.members, user.login) }));
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
        effects.push(putRecord("groups", { ...group, members: withoutMember(group.members, target.login) }));
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
    const badPlan = unknownPlanRefusal(ctx.state.catalog, op.plan);
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
};

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
  return isActiveOrgAdmin(target) && !keepsAdminFloor(ctx.state.counters.active_org_admins - 1);
}

function lastAdminRefusal(target: User, what: string): Refusal {
  return refuse(
    "last_org_admin",
    `${target.login} is the last active org_admin; promote another org_admin before you ${what} them`,
    { login: target.login },
  );
}

function cleanProfile(profile: Record<string, string | null | undefined>): Profile {
  const clean: Profile = {};
  for (const field of PROFILE_FIELDS) {
    const value = profile[field];
    if (typeof value === "string" && value.length > 0) clean[field] = value;
  }
  return clean;
}
