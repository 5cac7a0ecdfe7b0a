import {
  type Actor,
  applyDecision,
  type ConsoleState,
  cloneState,
  decide,
  findPlan,
  type Refusal,
} from "../domain/index.js";
import type { DraftStep } from "./diff.js";

export interface ScheduledStep {
  draft: DraftStep;
  amount_cents: number;
  /** Balance after the step, in the simulation's (policy-shifted) terms; the caller shifts it back. */
  balance_after: number;
  /** Steps that had to happen first for this one to pass (explicit dependencies plus what unblocked it). */
  after: Set<string>;
}

export interface ScheduleResult {
  order: ScheduledStep[];
  /** Steps that no order could make pass, each with the engine's refusal for it. */
  failed: { draft: DraftStep; refusal: Refusal }[];
  /** Steps never tried because something they depend on failed. */
  skipped: DraftStep[];
  final: ConsoleState;
}

/**
 * Lower runs first among the steps that are ready: what frees money, seats and addresses before what uses
 * them, so that refunds pay for charges and the lowest balance stays as high as it can.
 */
function priority(step: DraftStep, state: ConsoleState): number {
  switch (step.action) {
    case "remove_alias":
    case "remove_member":
    case "disable_user":
    case "delete_user":
      return 0;
    case "change_plan": {
      const user = state.users.get((step.operation as { login: string }).login);
      const from = user ? (findPlan(state.catalog, user.plan)?.price_cents ?? 0) : 0;
      const to = findPlan(state.catalog, (step.operation as { plan: string }).plan)?.price_cents ?? 0;
      return to < from ? 0 : 3;
    }
    case "delete_group":
    case "delete_domain":
      return 1;
    case "create_user":
      return 3;
    default:
      return 2;
  }
}

/**
 * Orders the steps so that every rule holds after every step, by running each one through the shared rule
 * engine on a copy of the live state. Ready steps are tried in priority order; a refused step waits for a
 * later pass, when other steps may have freed what it needs. Pure.
 */
export function schedule(live: ConsoleState, actor: Actor, steps: DraftStep[], now: Date): ScheduleResult {
  const state = cloneState(live);
  const byId = new Map(steps.map((s) => [s.id, s]));
  const dependents = new Map<string, string[]>();
  const waiting = new Map<string, number>();
  for (const step of steps) {
    waiting.set(step.id, step.deps.size);
    for (const dep of step.deps) {
      const list = dependents.get(dep);
      if (list) list.push(step.id);
      else dependents.set(dep, [step.id]);
    }
  }
  const order: ScheduledStep[] = [];
  const done = new Set<string>();
  const lastRefusal = new Map<string, Refusal>();
  let ready = steps.filter((s) => s.deps.size === 0);
  // Steps done since a refused step was last tried: one of them is what unblocked it.
  let doneSinceRefusal = new Map<string, string[]>();

  while (ready.length > 0) {
    const ranked = ready
      .map((step) => ({ step, rank: priority(step, state) }))
      .sort((a, b) => a.rank - b.rank || compareSteps(a.step, b.step))
      .map((r) => r.step);
    const next: DraftStep[] = [];
    let progress = false;
    for (const step of ranked) {
      const decision = decide(state, actor, step.operation, now);
      if (!decision.ok) {
        lastRefusal.set(step.id, decision.refusal);
        doneSinceRefusal.set(step.id, []);
        next.push(step);
        continue;
      }
      applyDecision(state, decision.effects, decision.ledger);
      const after = new Set(step.deps);
      for (const id of doneSinceRefusal.get(step.id) ?? []) after.add(id);
      doneSinceRefusal.delete(step.id);
      for (const list of doneSinceRefusal.values()) list.push(step.id);
      order.push({
        draft: step,
        amount_cents: decision.ledger.reduce((sum, entry) => sum + entry.amount_cents, 0),
        balance_after: state.balance,
        after,
      });
      done.add(step.id);
      lastRefusal.delete(step.id);
      progress = true;
      for (const dependent of dependents.get(step.id) ?? []) {
        const left = waiting.get(dependent)! - 1;
        waiting.set(dependent, left);
        if (left === 0) next.push(byId.get(dependent)!);
      }
    }
    if (!progress) break;
    ready = next;
    doneSinceRefusal = new Map([...doneSinceRefusal].filter(([id]) => !done.has(id)));
  }

  const failed = [...lastRefusal]
    .map(([id, refusal]) => ({ draft: byId.get(id)!, refusal }))
    .sort((a, b) => compareSteps(a.draft, b.draft));
  const failedIds = new Set(failed.map((f) => f.draft.id));
  const skipped = steps.filter((s) => !done.has(s.id) && !failedIds.has(s.id)).sort(compareSteps);
  return { order, failed, skipped, final: state };
}

const KIND_ORDER = { org: 0, domain: 1, group: 2, user: 3, alias: 4, membership: 5 } as const;

export function compareSteps(a: DraftStep, b: DraftStep): number {
  return KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.key.localeCompare(b.key) || a.id.localeCompare(b.id);
}
