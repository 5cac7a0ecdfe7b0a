import jsonPatch from "fast-json-patch";
import type { DesiredUser } from "../../config/model.js";
import {
  fixOf,
  isPermanentAddress,
  MAX_GROUPS_AT_CREATE,
  PROFILE_FIELDS,
  type Profile,
  permanentMailboxOf,
  selfActionRefusal,
  type User,
} from "../../domain/index.js";
import type { PlanIssue } from "../model.js";
import { addAlias, diffAliases } from "./aliases.js";
import { type DiffContext, stepId } from "./context.js";
import { domainReady } from "./domains.js";
import { groupReady } from "./groups.js";
import { addMember, diffMemberships } from "./memberships.js";

/**
 * Users: created, replaced (a new email is a new account), updated field by field, and removed (disabled or
 * deleted, by policy) when unlisted. Returns the creations and updates as thunks: they run after the
 * addresses this plan frees are registered (`registerFreedAliases`), so that re-use can wait for them.
 */
export function diffUsers(ctx: DiffContext): Array<() => void> {
  const { desired, live, errors, warnings, removedUsers, add, at, frees } = ctx;
  const desiredLogins = new Set(desired.users.map((u) => u.login));
  const userSteps: Array<() => void> = [];

  const removeUser = (user: User, reason: "unlisted" | "replace", replacementFor?: string) => {
    const disable = stepId("user", user.login, "disable_user");
    const deletes = reason === "replace" || desired.policy.removed_users === "delete";
    if (user.status !== "disabled") {
      add({
        summary: `disable user ${user.login}${reason === "replace" ? " (replacement)" : ""}`,
        operation: { op: "disable_user", login: user.login },
        secret: null,
        patch: [{ op: "replace", path: "/status", value: "disabled" }],
        was: { status: user.status },
        ...(replacementFor ? { replaces: replacementFor } : {}),
        // Disabling alone keeps the account (it can be enabled again): a change, not a removal.
        context: { removal: deletes },
      });
    }
    if (deletes) {
      const del = add({
        summary: `delete user ${user.login} <${user.email}> (${user.plan})`,
        operation: { op: "delete_user", login: user.login },
        secret: null,
        deps: user.status !== "disabled" ? [disable] : [],
        ...(replacementFor ? { replaces: replacementFor } : {}),
      });
      for (const address of [user.email, ...user.aliases]) {
        if (!isPermanentAddress(live, address)) frees.set(address, del.id);
      }
    }
  };

  for (const want of desired.users) {
    const have = live.users.get(want.login);
    if (!have) {
      const holder = permanentMailboxOf(live, want.email);
      if (holder && !desiredLogins.has(holder)) {
        // Same mailbox, another login: a rename, which the console never does [MF]. (A custom-domain address
        // can go to a new user once the old one is deleted; a provider address is retired with its user.)
        errors.push({
          code: "login_immutable",
          message: `logins never change: ${want.email} is ${holder}'s mailbox in the console, and org.yaml names it ${want.login}`,
          fix: `keep login: ${holder} in org.yaml; for a new login, create a user with a new email and delete ${holder} (its mail goes with it)`,
          source: at(want.login, "login"),
        });
        continue;
      }
      userSteps.push(() => createUser(ctx, want));
      continue;
    }
    if (have.email !== want.email) {
      // The email never changes: a new one means a new account, and the old mailbox goes with the old one.
      const refusal = guardRemoval(ctx, have, "replace");
      if (refusal) {
        errors.push({ ...refusal, source: at(want.login, "email") });
        continue;
      }
      removedUsers.push(have.login);
      removeUser(have, "replace", have.login);
      userSteps.push(() => createUser(ctx, want, stepId("user", want.login, "delete_user")));
      continue;
    }
    userSteps.push(() => updateUser(ctx, want, have));
  }

  if (desired.policy.unlisted.users === "prune") {
    for (const login of [...live.users.keys()].sort()) {
      if (desiredLogins.has(login)) continue;
      const user = live.users.get(login)!;
      const kept = ctx.actorMayNot(login, "disable");
      if (kept) {
        warnings.push({
          code: kept.code,
          message: `${login} is not in org.yaml but stays: ${kept.message}`,
          fix: fixOf(kept),
        });
        continue;
      }
      if (user.status === "disabled" && desired.policy.removed_users === "disable") continue;
      removedUsers.push(login);
      removeUser(user, "unlisted");
    }
  }
  return userSteps;
}

function guardRemoval(ctx: DiffContext, user: User, what: "replace"): PlanIssue | null {
  const wanted = ctx.desired.users.find((u) => u.login === user.login);
  if (wanted?.protected) {
    return {
      code: "protected",
      message: `${user.login} is protected; changing its email to ${wanted.email} would replace (delete) it`,
      fix: `keep the email ${user.email}, or remove protected: true if you really mean to replace the account`,
    };
  }
  const refusal = ctx.actorMayNot(user.login, "delete");
  if (refusal) {
    return {
      code: refusal.code,
      message: `a new email for ${user.login} would ${what} (delete) the account: ${refusal.message}`,
      fix: fixOf(refusal),
    };
  }
  return null;
}

function createUser(ctx: DiffContext, want: DesiredUser, after?: string): void {
  const { frees, add } = ctx;
  const createId = stepId("user", want.login, "create_user");
  const atCreate = want.groups.slice(0, MAX_GROUPS_AT_CREATE);
  // Aliases ready now (not moving from someone, on a domain already usable) go into the create call: one
  // request instead of one per alias. The others wait as their own steps.
  const inline = want.aliases.filter((alias) => !frees.has(alias) && domainReady(ctx, alias).length === 0);
  const later = want.aliases.filter((alias) => !inline.includes(alias));
  const deps = [
    ...(after ? [after] : []),
    ...domainReady(ctx, want.email),
    ...atCreate.flatMap((group) => groupReady(ctx, group)),
    ...(frees.has(want.email) ? [frees.get(want.email)!] : []),
  ];
  const needsDomain = ctx.customDomainOf(want.email);
  add({
    summary: `create user ${want.login} <${want.email}> on ${want.plan} as ${want.role}${want.password ? " with password" : " (invited)"}${inline.length > 0 ? `, aliases ${inline.join(", ")}` : ""}`,
    operation: {
      op: "create_user",
      user: {
        login: want.login,
        email: want.email,
        first_name: want.first_name,
        last_name: want.last_name,
        plan: want.plan,
        role: want.role,
        password_hash: want.password ? "planned" : null,
        password_rotation: want.password?.rotation ?? null,
        profile: want.profile,
        groups: atCreate,
        aliases: inline,
      },
    },
    secret: want.password,
    deps,
    ...(after ? { replaces: want.login } : {}),
    ...(needsDomain ? { needsDomain } : {}),
  });
  for (const alias of later) addAlias(ctx, want.login, alias, createId);
  for (const group of want.groups.slice(MAX_GROUPS_AT_CREATE)) addMember(ctx, group, want.login, [createId]);
  if (want.status === "disabled") {
    add({
      // In a replacement the old account's disable step already has the plain id.
      ...(after ? { id: `${stepId("user", want.login, "disable_user")}:new`, replaces: want.login } : {}),
      summary: `disable user ${want.login}`,
      operation: { op: "disable_user", login: want.login },
      secret: null,
      deps: [createId],
      // Disabling an account this plan creates loses nothing.
      context: { createdByPlan: true },
    });
  }
}

function updateUser(ctx: DiffContext, want: DesiredUser, have: User): void {
  const { desired, actor, errors, removedUsers, add, at } = ctx;
  const login = want.login;
  const before = {
    first_name: have.first_name,
    last_name: have.last_name,
    profile: comparableProfile(have.profile),
  };
  const wantedProfile = comparableProfile(want.profile);
  for (const field of desired.policy.ignore_profile_fields) {
    if (have.profile[field] === undefined) delete wantedProfile[field];
    else wantedProfile[field] = have.profile[field];
  }
  const after = { first_name: want.first_name, last_name: want.last_name, profile: wantedProfile };
  const patch = jsonPatch.compare(before, after);
  if (patch.length > 0) {
    const profilePatch: Record<string, string | null> = {};
    for (const field of PROFILE_FIELDS) {
      if (before.profile[field] !== after.profile[field]) profilePatch[field] = after.profile[field] ?? null;
    }
    const fields = [...new Set(patch.map((p) => p.path.split("/").filter(Boolean).join(".")))].sort();
    add({
      summary: `update user ${login}: ${fields.join(", ")}`,
      operation: {
        op: "update_user",
        login,
        ...(before.first_name !== after.first_name ? { first_name: after.first_name } : {}),
        ...(before.last_name !== after.last_name ? { last_name: after.last_name } : {}),
        ...(Object.keys(profilePatch).length > 0 ? { profile: profilePatch } : {}),
      },
      secret: null,
      patch,
      was: before,
    });
  }
  if (want.plan !== have.plan) {
    add({
      summary: `change plan of ${login}: ${have.plan} → ${want.plan}`,
      operation: { op: "change_plan", login, plan: want.plan },
      secret: null,
      patch: [{ op: "replace", path: "/plan", value: want.plan }],
      was: { plan: have.plan },
    });
  }
  if (want.role !== have.role) {
    // Another admin changing the owner is the engine's refusal too; the scheduler reports it on the step.
    const refusal = selfActionRefusal(actor, login, "change the role of");
    if (refusal) {
      errors.push({
        code: refusal.code,
        message: `org.yaml changes the role of ${login} (${have.role} → ${want.role}): ${refusal.message}`,
        fix: fixOf(refusal),
        source: at(login, "role"),
      });
    } else {
      add({
        summary: `change role of ${login}: ${have.role} → ${want.role}`,
        operation: { op: "change_role", login, role: want.role },
        secret: null,
        patch: [{ op: "replace", path: "/role", value: want.role }],
        was: { role: have.role },
      });
    }
  }
  const isDisabled = have.status === "disabled";
  if (want.status === "disabled" && !isDisabled) {
    const refusal = selfActionRefusal(actor, login, "disable");
    if (refusal) {
      errors.push({
        code: refusal.code,
        message: `org.yaml disables ${login}: ${refusal.message}`,
        fix: fixOf(refusal),
        source: at(login, "status"),
      });
    } else {
      removedUsers.push(login);
      add({
        summary: `disable user ${login}`,
        operation: { op: "disable_user", login },
        secret: null,
        patch: [{ op: "replace", path: "/status", value: "disabled" }],
        was: { status: have.status },
      });
    }
  } else if (want.status === "active" && isDisabled) {
    add({
      summary: `enable user ${login}`,
      operation: { op: "enable_user", login },
      secret: null,
      patch: [{ op: "replace", path: "/status", value: "active" }],
      was: { status: have.status },
    });
  }
  if (
    want.password &&
    (!have.password_set || (want.password.rotation ?? null) !== (have.password_rotation ?? null))
  ) {
    add({
      summary: have.password_set
        ? `reset password of ${login} (rotation ${want.password.rotation ?? "cleared"})`
        : `set password of ${login}`,
      operation: { op: "set_password", login, rotation: want.password.rotation },
      secret: want.password,
    });
  }
  diffAliases(ctx, want, have);
  diffMemberships(ctx, want);
}

function comparableProfile(profile: Profile): Profile {
  const out: Profile = {};
  for (const field of PROFILE_FIELDS)
    if (profile[field] !== undefined && profile[field] !== "") out[field] = profile[field];
  return out;
}
