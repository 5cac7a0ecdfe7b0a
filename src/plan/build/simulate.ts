import {
  type Actor,
  type ConsoleState,
  fixOf,
  formatEuro,
  type Operation,
  type Refusal,
} from "../../domain/index.js";
import type { DraftStep } from "../diff.js";
import type { PlanIssue, PlannedOperation, PlanStep } from "../model.js";
import { schedule } from "../schedule.js";

export interface Simulation {
  /** The scheduled steps, numbered in run order, with their wallet movement. */
  steps: PlanStep[];
  /** The state after the last step, with the policy minimum still taken off its balance. */
  final: ConsoleState;
  /** One issue per refused step and per step skipped because a step it needs is refused. */
  errors: PlanIssue[];
  /** How much money the whole plan lacks (computed once, when asked). */
  shortfall: () => number;
  failed: number;
  skipped: number;
}

/**
 * Stage 3, simulate: schedules the runnable steps by deciding each with the rule engine on a copy of the live
 * state. The policy's minimum balance is enforced by shifting the simulated wallet: the engine's "never below
 * zero" then means "never below the minimum".
 */
export function simulate(
  state: ConsoleState,
  actor: Actor,
  runnable: DraftStep[],
  now: Date,
  minBalance: number,
): Simulation {
  const simulated: ConsoleState = { ...state, balance: state.balance - minBalance };
  const scheduled = schedule(simulated, actor, runnable, now);
  const errors: PlanIssue[] = [];

  // The refused steps would come next, in this order: number them from where the plan stops.
  let shortfallCents: number | null = null;
  const computeShortfall = () => {
    shortfallCents ??= shortfall(state, actor, runnable, now, minBalance);
    return shortfallCents;
  };
  scheduled.failed.forEach(({ draft, refusal }, i) => {
    errors.push(failureIssue(draft, refusal, scheduled.order.length + 1 + i, minBalance, computeShortfall));
  });
  for (const draft of scheduled.skipped) {
    errors.push({
      code: "skipped",
      message: `${draft.summary}: not possible because a step it needs fails`,
      step_id: draft.id,
    });
  }

  const steps: PlanStep[] = scheduled.order.map((s, i) => ({
    id: s.draft.id,
    index: i + 1,
    action: s.draft.action,
    kind: s.draft.kind,
    key: s.draft.key,
    symbol: s.draft.symbol,
    destructive: s.draft.destructive,
    summary: s.draft.summary,
    ...(s.draft.replaces ? { replaces: s.draft.replaces } : {}),
    operation: requestedOf(s.draft.operation),
    ...(s.draft.secret ? { secret: s.draft.secret } : {}),
    ...(s.draft.source ? { source: s.draft.source } : {}),
    ...(s.draft.patch ? { patch: s.draft.patch } : {}),
    ...(s.draft.changes ? { changes: s.draft.changes } : {}),
    amount_cents: s.amount_cents,
    balance_after_cents: s.balance_after + minBalance,
    depends_on: [...s.after].sort(),
  }));
  return {
    steps,
    final: scheduled.final,
    errors,
    shortfall: computeShortfall,
    failed: scheduled.failed.length,
    skipped: scheduled.skipped.length,
  };
}

/**
 * The operation as a plan holds it: what only the console makes (a domain's verification token, a password's
 * hash, the TXT values it looks up itself) is left out. The engine simulated the whole operation.
 */
function requestedOf(operation: Operation): PlannedOperation {
  switch (operation.op) {
    case "create_domain":
      return { op: "create_domain", name: operation.name };
    case "create_user": {
      const { password_hash: _hash, ...user } = operation.user;
      return { op: "create_user", user };
    }
    case "verify_domain":
      return { op: "verify_domain", name: operation.name };
    default:
      return operation as PlannedOperation;
  }
}

/**
 * How much money the plan lacks: the same schedule with a wallet that cannot run out, and the lowest point
 * it reaches below the policy minimum.
 */
function shortfall(
  state: ConsoleState,
  actor: Actor,
  steps: DraftStep[],
  now: Date,
  minBalance: number,
): number {
  const boost = 1_000_000_000_000;
  const rich: ConsoleState = { ...state, balance: state.balance - minBalance + boost };
  const run = schedule(rich, actor, steps, now);
  let lowest = rich.balance;
  for (const step of run.order) lowest = Math.min(lowest, step.balance_after);
  return Math.max(0, boost - lowest);
}

function failureIssue(
  draft: DraftStep,
  refusal: Refusal,
  position: number,
  minBalance: number,
  computeShortfall: () => number,
): PlanIssue {
  if (refusal.code === "insufficient_funds") {
    // This step's own gap (the simulation's zero is the policy minimum), and what the whole plan lacks.
    const total = computeShortfall();
    const own = typeof refusal.details?.short_cents === "number" ? refusal.details.short_cents : total;
    const policy = minBalance > 0 ? ` (keeping the policy minimum of ${formatEuro(minBalance)})` : "";
    return {
      code: "insufficient_funds",
      message: `wallet short by ${formatEuro(own)} at step ${position} (${draft.summary})${policy}`,
      fix:
        own === total
          ? `top up at least ${formatEuro(total)}`
          : `top up at least ${formatEuro(total)}: what the whole plan lacks, not only this step`,
      step_id: draft.id,
    };
  }
  return {
    code: refusal.code,
    message: `step ${position} (${draft.summary}) would be refused: ${refusal.message}`,
    fix: fixOf(refusal),
    step_id: draft.id,
  };
}
