import type { DesiredUser } from "../../config/model.js";
import { fixOf, isPermanentAddress, permanentAliasRefusal, type User } from "../../domain/index.js";
import { type DiffContext, stepId } from "./context.js";
import { domainReady } from "./domains.js";

/** Adds an alias to `login`, after the user's creation (`createId`) and its domain's verification. */
export function addAlias(ctx: DiffContext, login: string, address: string, createId?: string): void {
  const needsDomain = ctx.customDomainOf(address);
  ctx.add({
    summary: `add alias ${address} to ${login}`,
    operation: { op: "add_alias", login, address },
    secret: null,
    deps: [...(createId ? [createId] : []), ...domainReady(ctx, address)],
    ...(needsDomain ? { needsDomain } : {}),
  });
}

function removeAlias(ctx: DiffContext, login: string, address: string): void {
  const step = ctx.add({
    summary: `remove alias ${address} from ${login}`,
    operation: { op: "remove_alias", login, address },
    secret: null,
  });
  ctx.frees.set(address, step.id);
}

/** An existing user's aliases: the ones org.yaml adds, and (when pruned) the ones it does not list. */
export function diffAliases(ctx: DiffContext, want: DesiredUser, have: User): void {
  const { desired, live, warnings, at } = ctx;
  const login = want.login;
  const haveAliases = new Set(have.aliases);
  const wantAliases = new Set(want.aliases);
  for (const alias of want.aliases) if (!haveAliases.has(alias)) addAlias(ctx, login, alias);
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
      removeAlias(ctx, login, alias);
    }
  }
}

/**
 * Registers the aliases this plan removes from users it keeps, before any user step is drafted: creations
 * and updates that re-use one of those addresses can then wait for its removal.
 */
export function registerFreedAliases(ctx: DiffContext): void {
  const { desired, live, userIndex, frees } = ctx;
  for (const { login } of desired.users) {
    const have = live.users.get(login);
    const want = desired.users[userIndex.get(login)!]!;
    if (have && have.email === want.email && desired.policy.unlisted.aliases === "prune") {
      for (const alias of have.aliases)
        if (!want.aliases.includes(alias) && !isPermanentAddress(live, alias))
          frees.set(alias, stepId("alias", alias, "remove_alias"));
    }
  }
}

/** An address that moves waits for the step that frees it; a move from one user to another says so. */
export function orderAliasMoves(ctx: DiffContext): void {
  const { steps, frees } = ctx;
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
  }
}
