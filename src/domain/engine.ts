import { ROUTED_LOCAL_PARTS } from "./addresses.js";
import { ALIAS_HANDLERS } from "./engine/aliases.js";
import { type Context, type Decision, type Effect, type Handlers, no } from "./engine/context.js";
import { CREDENTIAL_HANDLERS } from "./engine/credentials.js";
import { DOMAIN_HANDLERS } from "./engine/domains.js";
import { EFFECTS } from "./engine/effects.js";
import { GROUP_HANDLERS } from "./engine/groups.js";
import { ORG_HANDLERS } from "./engine/org.js";
import { USER_HANDLERS } from "./engine/users.js";
import { WALLET_HANDLERS } from "./engine/wallet.js";
import { resendInvitation } from "./invitations.js";
import type { ConsoleState, LedgerDraft, User } from "./model.js";
import { dayOf } from "./money.js";
import type { Actor, Operation, OperationName } from "./operations.js";
import { refuse } from "./refusal.js";
import { partnerStandIn } from "./tenancy.js";

// The rules live by resource in ./engine/: one file per resource with its handlers and their helpers,
// over a shared context (context.ts: the decision's inputs, lookups and the permission and owner guards) and
// the catalog's limits (limits.ts). This file is the entry: decide, apply, step.
export type { Decision, Effect } from "./engine/context.js";
export { countersOf } from "./engine/effects.js";
export { MAX_GROUPS_AT_CREATE } from "./engine/users.js";
export { MAX_TOP_UP_CENTS, TOP_UP_METHODS } from "./engine/wallet.js";

/** Every operation's handler, one per operation, assembled from the per-resource maps. */
const HANDLERS: Handlers<OperationName> = {
  ...WALLET_HANDLERS,
  ...ORG_HANDLERS,
  ...DOMAIN_HANDLERS,
  ...USER_HANDLERS,
  ...CREDENTIAL_HANDLERS,
  ...ALIAS_HANDLERS,
  ...GROUP_HANDLERS,
  resend_invitation: resendInvitation,
};

/**
 * Decides one operation against the rules. Pure: it reads `state`, never changes it, and returns either the
 * effects and ledger entries to apply, or a refusal with a stable code.
 */
export function decide(state: ConsoleState, actor: Actor, operation: Operation, now: Date): Decision {
  let actingUser: User | null = null;
  if (actor.kind === "user") {
    const user = state.users.get(actor.login) ?? partnerStandIn(actor);
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

export { ROUTED_LOCAL_PARTS };
