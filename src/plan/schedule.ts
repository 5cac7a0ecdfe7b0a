import {
  type Actor,
  applyDecision,
  type ConsoleState,
  cloneState,
  type Decision,
  decide,
  domainsLeft,
  findOrgPlan,
  isActiveOrgAdmin,
  isPaidPlan,
  MIN_ACTIVE_ORG_ADMINS,
  type Refusal,
  seatsLeft,
  type User,
} from "../domain/index.js";
import type { DraftStep } from "./diff.js";
import { Heap } from "./heap.js";
import { orgOf, orgPlanRank, orgPlanResourceUse, orgPlanWakeKeys } from "./org-plan-step.js";
import { countedDeps, type Resource, type ResourceUse } from "./resources.js";
import { NeedsTracker, touchedKeys } from "./step-facts.js";
import { KIND_ORDER } from "./step-kinds.js";

export interface ScheduledStep {
  draft: DraftStep;
  amount_cents: number;
  /** Balance after the step, in the simulation's (policy-shifted) terms; the caller shifts it back. */
  balance_after: number;
  /**
   * The earlier steps this one needs, found from what the engine decided: the records it reads (created,
   * changed, freed or verified by them), and the seats, money, admins and domain slots it uses (the fewest
   * freeing steps that make every order allowed by these dependencies pass).
   */
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

/** Old priorities, kept as a tie-break within a class: removals first, creates last. */
function tieRank(step: DraftStep): number {
  switch (step.action) {
    case "remove_alias":
    case "remove_member":
    case "disable_user":
    case "delete_user":
      return 0;
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
 * What a step would do to the shared resources if run now, by the rules (the engine's decision later gives
 * the facts): steps that only free something (money, a seat, an admin, a domain slot, an address) run
 * before neutral ones, and steps that use something run last. This is why a refund comes before the charge
 * it pays for and a promotion before a demotion, whatever the names. Cheap: no decision is made here.
 */
function rankOf(state: ConsoleState, step: DraftStep): number {
  const op = step.operation;
  const target = "login" in op ? state.users.get(op.login) : undefined;
  const price = (plan: string | undefined) =>
    state.catalog.plans.find((p) => p.name === plan)?.price_cents ?? 0;
  let klass = 1;
  switch (op.op) {
    case "create_user":
    case "create_domain":
      klass = 2;
      break;
    case "delete_user":
    case "delete_domain":
    case "remove_alias":
      klass = 0;
      break;
    case "change_plan":
      klass = price(op.plan) < price(target?.plan) ? 0 : price(op.plan) > price(target?.plan) ? 2 : 1;
      break;
    case "change_role":
      klass = op.role === "org_admin" ? 0 : target?.role === "org_admin" ? 2 : 1;
      break;
    case "disable_user":
      klass = target?.role === "org_admin" ? 2 : 1;
      break;
    case "enable_user":
      klass = target?.role === "org_admin" ? 0 : 1;
      break;
    case "change_org_plan":
      klass = orgPlanRank(state, op.plan);
      break;
    default:
      break;
  }
  return klass * 10 + tieRank(step);
}

/** How a decision changes each counted resource (positive: frees it), without applying it. */
export function resourceUse(state: ConsoleState, decision: Extract<Decision, { ok: true }>): ResourceUse {
  const out: ResourceUse = [];
  const money = decision.ledger.reduce((sum, entry) => sum + entry.amount_cents, 0);
  if (money !== 0) out.push(["money", money]);
  let paid = 0;
  let free = 0;
  let admins = 0;
  let orgAdmins = 0;
  let domains = 0;
  const account = (user: User | undefined, sign: 1 | -1) => {
    if (!user) return;
    if (isPaidPlan(state.catalog, user.plan)) paid += sign;
    else free += sign;
    if (isActiveOrgAdmin(user)) admins += sign;
    if (user.role === "org_admin" && user.status !== "disabled") orgAdmins += sign;
  };
  for (const effect of decision.effects) {
    if (effect.type === "put_user") {
      account(state.users.get(effect.user.login), -1);
      account(effect.user, 1);
    } else if (effect.type === "delete_user") {
      account(state.users.get(effect.login), -1);
    } else if (
      effect.type === "put_record" &&
      effect.kind === "domains" &&
      !state.domains.has(effect.record.name)
    ) {
      domains += 1;
    } else if (
      effect.type === "delete_record" &&
      effect.kind === "domains" &&
      state.domains.has(effect.name)
    ) {
      domains -= 1;
    }
  }
  // Seats and domain slots are freed when the count goes down; admins when it goes up.
  if (paid !== 0) out.push(["paid_seats", -paid]);
  if (free !== 0) out.push(["free_seats", -free]);
  if (admins !== 0) out.push(["admins", admins]);
  if (orgAdmins !== 0) out.push(["org_admins", orgAdmins]);
  if (domains !== 0) out.push(["domains", -domains]);
  const org = orgOf(decision);
  if (org) out.push(...orgPlanResourceUse(state, org));
  return out;
}

/**
 * The room each counted resource has in the live state before any step. For admins the floor is not only
 * the engine's one: the organization never has fewer active org_admins during the plan than it has both
 * before and after it, so an admin handed over (one demoted, another promoted) is promoted first, and the
 * demotion depends on the promotion, even when the owner is another active org_admin.
 */
function capacities(state: ConsoleState, final: ConsoleState): Record<Resource, number> {
  const orgPlan = findOrgPlan(state.catalog, state.org.plan);
  const big = Number.MAX_SAFE_INTEGER / 4;
  const seats = orgPlan
    ? seatsLeft(orgPlan, { paid: state.counters.paid_seats, free: state.counters.free_seats })
    : { paid: big, free: big };
  const admins = state.counters.active_org_admins;
  const orgAdmins = (s: ConsoleState) => {
    let n = 0;
    for (const user of s.users.values()) if (user.role === "org_admin" && user.status !== "disabled") n += 1;
    return n;
  };
  const before = orgAdmins(state);
  return {
    org_admins: before - Math.min(before, orgAdmins(final)),
    money: state.balance,
    paid_seats: seats.paid,
    free_seats: seats.free,
    admins: admins - Math.max(MIN_ACTIVE_ORG_ADMINS, Math.min(admins, final.counters.active_org_admins)),
    domains: orgPlan ? domainsLeft(orgPlan, state.domains.size) : big,
  };
}

/** Signals a refused step waits for, from its refusal: the next step that gives one tries it again. */
function wakeKeysOf(refusal: Refusal, step: DraftStep, state: ConsoleState): string[] {
  switch (refusal.code) {
    case "insufficient_funds":
      return ["money"];
    case "seat_limit":
      return [refusal.details?.kind === "free" ? "free_seats" : "paid_seats"];
    case "last_org_admin":
      return ["admins"];
    case "domain_limit":
      return ["domains"];
    case "org_plan_limit":
      return orgPlanWakeKeys(refusal);
    default:
      return touchedKeys(step.operation, state);
  }
}

interface HeapItem {
  rank: number;
  /** Position in `compareSteps` order, worked out once: the heap compares numbers, not strings. */
  ordinal: number;
  step: DraftStep;
}

/**
 * Orders the steps so that every rule holds after every step, by running each one through the shared rule
 * engine on a copy of the live state, and records for each step exactly what it needs from earlier ones.
 * The ready step that frees the most goes first; a refused step waits until a step gives it what it was
 * refused for (money, a seat, an admin, a domain slot, or a change to a record it reads). Pure.
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
  // Ready steps, lowest (rank, step order) first; the order is worked out once, so the heap compares numbers.
  const ordinals = new Map([...steps].sort(compareSteps).map((s, i) => [s.id, i]));
  const ready = new Heap<HeapItem>((a, b) => a.rank < b.rank || (a.rank === b.rank && a.ordinal < b.ordinal));
  const heap = {
    push: (rank: number, step: DraftStep) => ready.push({ rank, ordinal: ordinals.get(step.id)!, step }),
    pop: () => ready.pop()?.step,
    get size() {
      return ready.size;
    },
  };
  for (const step of steps) if (step.deps.size === 0) heap.push(rankOf(state, step), step);

  const order: ScheduledStep[] = [];
  const tracker = new NeedsTracker(actor, now);
  const uses: ResourceUse[] = [];
  const lastRefusal = new Map<string, Refusal>();
  /** Refused steps by the signal they wait for. */
  const parked = new Map<string, Set<string>>();
  const parkedSteps = new Set<string>();
  let progressSinceSweep = false;

  const wake = (key: string) => {
    const ids = parked.get(key);
    if (!ids) return;
    parked.delete(key);
    for (const id of ids) {
      if (!parkedSteps.delete(id)) continue;
      const step = byId.get(id)!;
      heap.push(rankOf(state, step), step);
    }
  };

  for (;;) {
    let step = heap.pop();
    if (!step) {
      // Nothing ready: try every refused step once more, in case a change no signal names unblocked one.
      if (!progressSinceSweep || parkedSteps.size === 0) break;
      progressSinceSweep = false;
      const retry = [...parkedSteps].map((id) => byId.get(id)!);
      parkedSteps.clear();
      parked.clear();
      for (const s of retry) heap.push(rankOf(state, s), s);
      step = heap.pop()!;
    }
    const decision = decide(state, actor, step.operation, now);
    if (!decision.ok) {
      lastRefusal.set(step.id, decision.refusal);
      parkedSteps.add(step.id);
      for (const key of wakeKeysOf(decision.refusal, step, state)) {
        const set = parked.get(key);
        if (set) set.add(step.id);
        else parked.set(key, new Set([step.id]));
      }
      continue;
    }
    const use = resourceUse(state, decision);
    const fact = tracker.record(state, step, decision);
    applyDecision(state, decision.effects, decision.ledger);
    uses.push(use);
    order.push({
      draft: step,
      amount_cents: decision.ledger.reduce((sum, entry) => sum + entry.amount_cents, 0),
      balance_after: state.balance,
      after: fact.needs,
    });
    lastRefusal.delete(step.id);
    progressSinceSweep = true;
    for (const dependent of dependents.get(step.id) ?? []) {
      const left = waiting.get(dependent)! - 1;
      waiting.set(dependent, left);
      if (left === 0) {
        const ready = byId.get(dependent)!;
        heap.push(rankOf(state, ready), ready);
      }
    }
    for (const [resource, delta] of use) if (delta > 0) wake(resource);
    for (const key of fact.signals) wake(key);
  }

  // Seats, money, admins and domain slots: each user of one depends on the fewest earlier steps that free it
  // so that every order these dependencies allow stays within the limit.
  const counted = countedDeps(capacities(live, state), uses);
  counted.forEach((needs, i) => {
    for (const j of needs) order[i]!.after.add(order[j]!.draft.id);
  });
  for (const s of order) s.after.delete(s.draft.id);

  const failed = [...lastRefusal]
    .map(([id, refusal]) => ({ draft: byId.get(id)!, refusal }))
    .sort((a, b) => compareSteps(a.draft, b.draft));
  const failedIds = new Set(failed.map((f) => f.draft.id));
  const done = new Set(order.map((s) => s.draft.id));
  const skipped = steps.filter((s) => !done.has(s.id) && !failedIds.has(s.id)).sort(compareSteps);
  return { order, failed, skipped, final: state };
}

/** `localeCompare`'s order, with the collator made once (localeCompare makes one per call). */
const collator = new Intl.Collator();

export function compareSteps(a: DraftStep, b: DraftStep): number {
  return (
    KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || collator.compare(a.key, b.key) || collator.compare(a.id, b.id)
  );
}
