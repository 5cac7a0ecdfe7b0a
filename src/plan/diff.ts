import jsonPatch from "fast-json-patch";
import type { DesiredOrg, DesiredUser, SecretRef } from "../config/model.js";
import {
  type ConsoleState,
  customDomainOf as customDomainIn,
  fixOf,
  isPermanentAddress,
  MAX_GROUPS_AT_CREATE,
  type Operation,
  ownerProtectedRefusal,
  PROFILE_FIELDS,
  type Profile,
  permanentAliasRefusal,
  type Refusal,
  selfActionRefusal,
  type User,
} from "../domain/index.js";
import type { FieldChange, PlanIssue, ResourceKind, Symbol as StepSymbol } from "./model.js";
import { orgPlanDraft } from "./org-plan-step.js";

/** A step before scheduling: what to do and what it needs first. */
export interface DraftStep {
  id: string;
  action: Operation["op"];
  kind: ResourceKind;
  key: string;
  symbol: StepSymbol;
  summary: string;
  destructive: boolean;
  operation: Operation;
  secret: SecretRef | null;
  patch?: jsonPatch.Operation[];
  /** Each changed field's live and desired value (null when absent), from `patch` and the live record. */
  changes?: FieldChange[];
  replaces?: string;
  /** `file:line:col` of the org.yaml entry behind the step; absent for a record org.yaml does not list. */
  source?: string;
  deps: Set<string>;
  /** The custom domain this step needs verified, if any. */
  needsDomain?: string;
}

export interface DiffResult {
  steps: DraftStep[];
  errors: PlanIssue[];
  warnings: PlanIssue[];
  /** Existing users this plan deletes, disables or replaces (for the removal threshold). */
  removedUsers: string[];
}

export interface DiffInput {
  desired: DesiredOrg;
  live: ConsoleState;
  actor: string;
  /** `file:line:col` of a place in org.yaml, for issues. */
  source?: (path: (string | number)[]) => string;
}

const stepId = (kind: ResourceKind, key: string, action: string) => `${kind}/${key}:${action}`;

/**
 * Compares the desired organization with the live one and lists the steps that make them equal, each with
 * the steps it depends on. Pure. Ordering against the rules is the scheduler's job.
 */
export function diff(input: DiffInput): DiffResult {
  const { desired, live, actor } = input;
  const source = input.source ?? (() => "");
  const steps = new Map<string, DraftStep>();
  const errors: PlanIssue[] = [];
  const warnings: PlanIssue[] = [];
  const removedUsers: string[] = [];
  const userIndex = new Map(desired.users.map((u, i) => [u.login, i]));
  // login → groups, built once: asking each group about each user is quadratic at 10,000 users.
  const memberships = new Map<string, Set<string>>();
  for (const group of live.groups.values()) {
    for (const member of group.members) {
      const set = memberships.get(member);
      if (set) set.add(group.name);
      else memberships.set(member, new Set([group.name]));
    }
  }
  const at = (login: string, field?: string) => {
    const i = userIndex.get(login);
    return i === undefined ? "" : source(field ? ["users", i, field] : ["users", i]);
  };

  const domainIndex = new Map(desired.domains.map((d, i) => [d.name, i]));
  const groupIndex = new Map(desired.groups.map((g, i) => [g.name, i]));
  /** The org.yaml entry an operation comes from: the field it changes when there is one. */
  const entryOf = (operation: Operation): string => {
    const listed = (index: Map<string, number>, list: string, name: string) => {
      const i = index.get(name);
      return i === undefined ? "" : source([list, i]);
    };
    switch (operation.op) {
      case "update_org":
        return source(["organization", "name"]);
      case "create_domain":
      case "verify_domain":
        return listed(domainIndex, "domains", operation.name);
      case "create_group":
      case "update_group":
        return listed(groupIndex, "groups", operation.name);
      case "rename_group":
        return listed(groupIndex, "groups", operation.to);
      case "create_user":
        return at(operation.user.login);
      case "change_plan":
        return at(operation.login, "plan");
      case "change_role":
        return at(operation.login, "role");
      case "disable_user":
      case "enable_user":
        return at(operation.login, "status") || at(operation.login);
      case "set_password":
        return at(operation.login, "password");
      case "add_alias":
      case "remove_alias":
        return at(operation.login, "aliases") || at(operation.login);
      case "add_member":
      case "remove_member":
        return at(operation.login, "groups") || at(operation.login);
      case "update_user":
        return at(operation.login);
      default:
        return "";
    }
  };

  const add = (
    step: Omit<DraftStep, "deps" | "id" | "changes"> & {
      deps?: string[];
      id?: string;
      /** The live record the patch applies to, in the patch's shape: the old values come from it. */
      was?: unknown;
    },
  ): DraftStep => {
    const { was, ...rest } = step;
    const id = step.id ?? stepId(step.kind, step.key, step.action);
    const draft: DraftStep = { ...rest, id, deps: new Set(step.deps ?? []) };
    const entry = entryOf(step.operation);
    if (entry) draft.source = entry;
    if (step.patch && was !== undefined) draft.changes = changesOf(was, step.patch);
    steps.set(id, draft);
    return draft;
  };
  const customDomainOf = (address: string) => customDomainIn(live, address) ?? undefined;
  /** The engine's refusal of the acting user doing `what` to `login` (themselves, or the owner), if any. */
  const actorMayNot = (login: string, what: string): Refusal | null =>
    selfActionRefusal(actor, login, what) ?? ownerProtectedRefusal(live.org.owner, actor, login, what);

  // --- organization -------------------------------------------------------------------------------------
  const orgPlan = orgPlanDraft(desired, live, source);
  if (orgPlan) add(orgPlan);
  if (desired.organization.provider_domain !== live.org.provider_domain) {
    errors.push({
      code: "invalid",
      message: `org.yaml says the provider domain is ${desired.organization.provider_domain} but the console's is ${live.org.provider_domain}`,
      fix: `set organization.provider_domain to ${live.org.provider_domain}`,
      source: source(["organization", "provider_domain"]),
    });
  }
  if (desired.organization.name !== live.org.name) {
    add({
      action: "update_org",
      kind: "org",
      key: "organization",
      symbol: "~",
      summary: `rename the organization "${live.org.name}" → "${desired.organization.name}"`,
      destructive: false,
      operation: { op: "update_org", name: desired.organization.name },
      secret: null,
      patch: [{ op: "replace", path: "/name", value: desired.organization.name }],
      was: { name: live.org.name },
    });
  }

  const markedOwner = desired.users.find((u) => u.owner);
  if (markedOwner && markedOwner.login !== live.org.owner) {
    errors.push({
      code: "owner_protected",
      message: `org.yaml marks ${markedOwner.login} as the owner, but the console's owner is ${live.org.owner}; the owner never changes`,
      fix: `move owner: true to ${live.org.owner}, or remove it`,
      source: at(markedOwner.login, "owner"),
    });
  }

  // --- domains ------------------------------------------------------------------------------------------
  const desiredDomains = new Set(desired.domains.map((d) => d.name));
  for (const { name } of desired.domains) {
    const current = live.domains.get(name);
    if (!current) {
      add({
        action: "create_domain",
        kind: "domain",
        key: name,
        symbol: "+",
        summary: `add domain ${name}`,
        destructive: false,
        operation: { op: "create_domain", name, verification_token: "planned" },
        secret: null,
      });
    }
    if (!current || current.status === "pending") {
      add({
        action: "verify_domain",
        kind: "domain",
        key: name,
        symbol: "~",
        summary: `verify domain ${name}`,
        destructive: false,
        operation: { op: "verify_domain", name },
        secret: null,
        patch: [{ op: "replace", path: "/status", value: "verified" }],
        was: { status: current?.status ?? null },
        deps: current ? [] : [stepId("domain", name, "create_domain")],
        needsDomain: name,
      });
    }
  }
  const domainDeletes: DraftStep[] = [];
  if (desired.policy.unlisted.domains === "prune") {
    for (const name of [...live.domains.keys()].sort()) {
      if (desiredDomains.has(name)) continue;
      domainDeletes.push(
        add({
          action: "delete_domain",
          kind: "domain",
          key: name,
          symbol: "-",
          summary: `remove domain ${name}`,
          destructive: true,
          operation: { op: "delete_domain", name },
          secret: null,
        }),
      );
    }
  }
  const domainReady = (address: string): string[] => {
    const domain = customDomainOf(address);
    if (!domain) return [];
    const verify = stepId("domain", domain, "verify_domain");
    return steps.has(verify) ? [verify] : [];
  };

  // --- groups -------------------------------------------------------------------------------------------
  const desiredGroups = new Set(desired.groups.map((g) => g.name));
  /** Live name → desired name, for groups org.yaml renames (`previously:`). */
  const renamed = new Map<string, string>();
  for (const group of desired.groups) {
    let current = live.groups.get(group.name);
    const old = current
      ? undefined
      : group.previously.find(
          (name) => live.groups.has(name) && !desiredGroups.has(name) && !renamed.has(name),
        );
    if (old !== undefined) {
      // A rename keeps the members; delete + create would lose them.
      renamed.set(old, group.name);
      current = live.groups.get(old)!;
      add({
        action: "rename_group",
        kind: "group",
        key: group.name,
        symbol: "~",
        summary: `rename group ${old} → ${group.name}`,
        destructive: false,
        operation: { op: "rename_group", name: old, to: group.name },
        secret: null,
        patch: [{ op: "replace", path: "/name", value: group.name }],
        was: { name: old },
      });
    }
    if (!current) {
      add({
        action: "create_group",
        kind: "group",
        key: group.name,
        symbol: "+",
        summary: `create group ${group.name}`,
        destructive: false,
        operation: { op: "create_group", name: group.name, description: group.description },
        secret: null,
      });
    } else if (current.description !== group.description) {
      add({
        action: "update_group",
        kind: "group",
        key: group.name,
        symbol: "~",
        summary: `update group ${group.name} description`,
        destructive: false,
        operation: { op: "update_group", name: group.name, description: group.description },
        secret: null,
        patch: [{ op: "replace", path: "/description", value: group.description }],
        was: { description: current.description },
        deps: renamed.has(current.name) ? [stepId("group", group.name, "rename_group")] : [],
      });
    }
  }
  // Memberships of a renamed group are its members under the new name.
  for (const [old, name] of renamed) {
    for (const groups of memberships.values()) {
      if (groups.delete(old)) groups.add(name);
    }
  }
  if (desired.policy.unlisted.groups === "prune") {
    for (const name of [...live.groups.keys()].sort()) {
      if (desiredGroups.has(name) || renamed.has(name)) continue;
      add({
        action: "delete_group",
        kind: "group",
        key: name,
        symbol: "-",
        summary: `delete group ${name}`,
        destructive: true,
        operation: { op: "delete_group", name },
        secret: null,
      });
    }
  }
  const groupReady = (name: string): string[] =>
    [stepId("group", name, "create_group"), stepId("group", name, "rename_group")].filter((id) =>
      steps.has(id),
    );

  // --- users --------------------------------------------------------------------------------------------
  const desiredLogins = new Set(desired.users.map((u) => u.login));
  /** Steps that free an address (remove alias, delete user) by address, so that re-use can wait for them. */
  const frees = new Map<string, string>();
  const userSteps: Array<() => void> = [];

  const removeUser = (user: User, reason: "unlisted" | "replace", replacementFor?: string) => {
    const disable = stepId("user", user.login, "disable_user");
    if (user.status !== "disabled") {
      add({
        action: "disable_user",
        kind: "user",
        key: user.login,
        // Disabling alone keeps the account (it can be enabled again): a change, not a removal.
        symbol: replacementFor
          ? "-/+"
          : reason === "replace" || desired.policy.removed_users === "delete"
            ? "-"
            : "~",
        summary: `disable user ${user.login}${reason === "replace" ? " (replacement)" : ""}`,
        destructive: true,
        operation: { op: "disable_user", login: user.login },
        secret: null,
        patch: [{ op: "replace", path: "/status", value: "disabled" }],
        was: { status: user.status },
        ...(replacementFor ? { replaces: replacementFor } : {}),
      });
    }
    if (reason === "replace" || desired.policy.removed_users === "delete") {
      const del = add({
        action: "delete_user",
        kind: "user",
        key: user.login,
        symbol: replacementFor ? "-/+" : "-",
        summary: `delete user ${user.login} <${user.email}> (${user.plan})`,
        destructive: true,
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
      const holder = live.addresses.get(want.email);
      if (
        holder?.kind === "email" &&
        holder.login &&
        !desiredLogins.has(holder.login) &&
        isPermanentAddress(live, want.email)
      ) {
        // Same mailbox, another login: a rename, which the console never does [MF]. (A custom-domain address
        // can go to a new user once the old one is deleted; a provider address is retired with its user.)
        errors.push({
          code: "login_immutable",
          message: `logins never change: ${want.email} is ${holder.login}'s mailbox in the console, and org.yaml names it ${want.login}`,
          fix: `keep login: ${holder.login} in org.yaml; for a new login, create a user with a new email and delete ${holder.login} (its mail goes with it)`,
          source: at(want.login, "login"),
        });
        continue;
      }
      userSteps.push(() => createUser(want));
      continue;
    }
    if (have.email !== want.email) {
      // The email never changes: a new one means a new account, and the old mailbox goes with the old one.
      const refusal = guardRemoval(have, "replace");
      if (refusal) {
        errors.push({ ...refusal, source: at(want.login, "email") });
        continue;
      }
      removedUsers.push(have.login);
      removeUser(have, "replace", have.login);
      userSteps.push(() => createUser(want, stepId("user", want.login, "delete_user")));
      continue;
    }
    userSteps.push(() => updateUser(want, have));
  }

  if (desired.policy.unlisted.users === "prune") {
    for (const login of [...live.users.keys()].sort()) {
      if (desiredLogins.has(login)) continue;
      const user = live.users.get(login)!;
      const kept = actorMayNot(login, "disable");
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

  function guardRemoval(user: User, what: "replace"): PlanIssue | null {
    const wanted = desired.users.find((u) => u.login === user.login);
    if (wanted?.protected) {
      return {
        code: "protected",
        message: `${user.login} is protected; changing its email to ${wanted.email} would replace (delete) it`,
        fix: `keep the email ${user.email}, or remove protected: true if you really mean to replace the account`,
      };
    }
    const refusal = actorMayNot(user.login, "delete");
    if (refusal) {
      return {
        code: refusal.code,
        message: `a new email for ${user.login} would ${what} (delete) the account: ${refusal.message}`,
        fix: fixOf(refusal),
      };
    }
    return null;
  }

  function createUser(want: DesiredUser, after?: string) {
    const createId = stepId("user", want.login, "create_user");
    const atCreate = want.groups.slice(0, MAX_GROUPS_AT_CREATE);
    // Aliases ready now (not moving from someone, on a domain already usable) go into the create call: one
    // request instead of one per alias. The others wait as their own steps.
    const inline = want.aliases.filter((alias) => !frees.has(alias) && domainReady(alias).length === 0);
    const later = want.aliases.filter((alias) => !inline.includes(alias));
    const deps = [
      ...(after ? [after] : []),
      ...domainReady(want.email),
      ...atCreate.flatMap(groupReady),
      ...(frees.has(want.email) ? [frees.get(want.email)!] : []),
    ];
    add({
      action: "create_user",
      kind: "user",
      key: want.login,
      symbol: after ? "-/+" : "+",
      summary: `create user ${want.login} <${want.email}> on ${want.plan} as ${want.role}${want.password ? " with password" : " (invited)"}${inline.length > 0 ? `, aliases ${inline.join(", ")}` : ""}`,
      destructive: false,
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
      ...(customDomainOf(want.email) ? { needsDomain: customDomainOf(want.email)! } : {}),
    });
    for (const alias of later) addAlias(want.login, alias, createId);
    for (const group of want.groups.slice(MAX_GROUPS_AT_CREATE)) addMember(group, want.login, [createId]);
    if (want.status === "disabled") {
      add({
        // In a replacement the old account's disable step already has the plain id.
        ...(after ? { id: `${stepId("user", want.login, "disable_user")}:new`, replaces: want.login } : {}),
        action: "disable_user",
        kind: "user",
        key: want.login,
        symbol: after ? "-/+" : "~",
        summary: `disable user ${want.login}`,
        destructive: false,
        operation: { op: "disable_user", login: want.login },
        secret: null,
        deps: [createId],
      });
    }
  }

  function updateUser(want: DesiredUser, have: User) {
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
        if (before.profile[field] !== after.profile[field])
          profilePatch[field] = after.profile[field] ?? null;
      }
      const fields = [...new Set(patch.map((p) => p.path.split("/").filter(Boolean).join(".")))].sort();
      add({
        action: "update_user",
        kind: "user",
        key: login,
        symbol: "~",
        summary: `update user ${login}: ${fields.join(", ")}`,
        destructive: false,
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
        action: "change_plan",
        kind: "user",
        key: login,
        symbol: "~",
        summary: `change plan of ${login}: ${have.plan} → ${want.plan}`,
        destructive: false,
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
          action: "change_role",
          kind: "user",
          key: login,
          symbol: "~",
          summary: `change role of ${login}: ${have.role} → ${want.role}`,
          destructive: false,
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
          action: "disable_user",
          kind: "user",
          key: login,
          symbol: "~",
          summary: `disable user ${login}`,
          destructive: true,
          operation: { op: "disable_user", login },
          secret: null,
          patch: [{ op: "replace", path: "/status", value: "disabled" }],
          was: { status: have.status },
        });
      }
    } else if (want.status === "active" && isDisabled) {
      add({
        action: "enable_user",
        kind: "user",
        key: login,
        symbol: "~",
        summary: `enable user ${login}`,
        destructive: false,
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
        action: "set_password",
        kind: "user",
        key: login,
        symbol: "~",
        summary: have.password_set
          ? `reset password of ${login} (rotation ${want.password.rotation ?? "cleared"})`
          : `set password of ${login}`,
        destructive: false,
        operation: { op: "set_password", login, rotation: want.password.rotation },
        secret: want.password,
      });
    }
    const haveAliases = new Set(have.aliases);
    const wantAliases = new Set(want.aliases);
    for (const alias of want.aliases) if (!haveAliases.has(alias)) addAlias(login, alias);
    if (desired.policy.unlisted.aliases === "prune") {
      for (const alias of have.aliases) {
        if (wantAliases.has(alias)) continue;
        const permanent = permanentAliasRefusal(live, login, alias);
        if (permanent) {
          // Drift that cannot be reverted: say so and plan the rest, rather than fail every plan.
          warnings.push({
            code: permanent.code,
            message: `${permanent.message} (an alias of ${login} in the console, not in org.yaml)`,
            fix: fixOf(permanent),
            source: at(login, "aliases") || at(login),
            drift: true,
          });
          continue;
        }
        removeAlias(login, alias);
      }
    }
    const haveGroups = memberships.get(login) ?? new Set<string>();
    for (const group of want.groups) if (!haveGroups.has(group)) addMember(group, login, []);
    if (desired.policy.unlisted.memberships === "prune") {
      for (const group of haveGroups) {
        if (want.groups.includes(group)) continue;
        // Deleting the group removes the membership with it.
        if (steps.has(stepId("group", group, "delete_group"))) continue;
        add({
          action: "remove_member",
          kind: "membership",
          key: `${group}/${login}`,
          symbol: "-",
          summary: `remove ${login} from group ${group}`,
          destructive: false,
          operation: { op: "remove_member", group, login },
          secret: null,
          deps: groupReady(group),
        });
      }
    }
  }

  function addAlias(login: string, address: string, createId?: string) {
    add({
      action: "add_alias",
      kind: "alias",
      key: address,
      symbol: "+",
      summary: `add alias ${address} to ${login}`,
      destructive: false,
      operation: { op: "add_alias", login, address },
      secret: null,
      deps: [...(createId ? [createId] : []), ...domainReady(address)],
      ...(customDomainOf(address) ? { needsDomain: customDomainOf(address)! } : {}),
    });
  }

  function removeAlias(login: string, address: string) {
    const step = add({
      action: "remove_alias",
      kind: "alias",
      key: address,
      symbol: "-",
      summary: `remove alias ${address} from ${login}`,
      destructive: false,
      operation: { op: "remove_alias", login, address },
      secret: null,
    });
    frees.set(address, step.id);
  }

  function addMember(group: string, login: string, deps: string[]) {
    add({
      action: "add_member",
      kind: "membership",
      key: `${group}/${login}`,
      symbol: "+",
      summary: `add ${login} to group ${group}`,
      destructive: false,
      operation: { op: "add_member", group, login },
      secret: null,
      deps: [...deps, ...groupReady(group)],
    });
  }

  // Removals first register which addresses they free; then creations and updates can wait for them.
  for (const { login } of desired.users) {
    const have = live.users.get(login);
    const want = desired.users[userIndex.get(login)!]!;
    if (have && have.email === want.email && desired.policy.unlisted.aliases === "prune") {
      for (const alias of have.aliases)
        if (!want.aliases.includes(alias) && !isPermanentAddress(live, alias))
          frees.set(alias, stepId("alias", alias, "remove_alias"));
    }
  }
  for (const run of userSteps) run();

  // An address that moves waits for the step that frees it; a domain is removed after its last address.
  for (const step of steps.values()) {
    if (step.action === "add_alias") {
      const address = (step.operation as { address: string }).address;
      const freedBy = frees.get(address);
      if (freedBy && freedBy !== step.id) {
        step.deps.add(freedBy);
        const from = steps.get(freedBy);
        if (from?.action === "remove_alias") {
          const to = (step.operation as { login: string }).login;
          const owner = (from.operation as { login: string }).login;
          step.summary = `move alias ${address} from ${owner} to ${to} (add)`;
          from.summary = `move alias ${address} from ${owner} to ${to} (remove)`;
        }
      }
    }
    if (step.action === "delete_user" || step.action === "remove_alias") {
      for (const del of domainDeletes) {
        const addresses =
          step.action === "delete_user"
            ? (() => {
                const user = live.users.get(step.key)!;
                return [user.email, ...user.aliases];
              })()
            : [step.key];
        if (addresses.some((a) => customDomainOf(a) === del.key)) del.deps.add(step.id);
      }
    }
  }
  // A domain still used by an address that stays is refused by the engine (domain_in_use) when the
  // scheduler simulates its removal: that refusal, with its fix, is the plan's error.
  // Drop dependencies on steps that do not exist (e.g. a group that already exists).
  for (const step of steps.values()) for (const dep of step.deps) if (!steps.has(dep)) step.deps.delete(dep);
  return { steps: [...steps.values()], errors, warnings, removedUsers };
}

function comparableProfile(profile: Profile): Profile {
  const out: Profile = {};
  for (const field of PROFILE_FIELDS)
    if (profile[field] !== undefined && profile[field] !== "") out[field] = profile[field];
  return out;
}

/** The live and desired value of each field a patch changes; absent values are null. */
export function changesOf(was: unknown, patch: jsonPatch.Operation[]): FieldChange[] {
  return patch.map((op) => {
    let from: unknown = null;
    try {
      from = jsonPatch.getValueByPointer(was, op.path) ?? null;
    } catch {
      from = null;
    }
    const to = op.op === "add" || op.op === "replace" ? (op.value ?? null) : null;
    return { path: op.path, from, to };
  });
}
