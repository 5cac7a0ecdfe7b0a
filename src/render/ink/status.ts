/**
 * The state of an apply as the terminal UI shows it, and the pure reducer that folds apply events into it.
 * The ink components only draw an `ApplyStatus`; nothing here imports React or ink.
 */
import type { ApplyEvent, ApplySummary, StepFailure } from "../../apply/events.js";
import type { Cents } from "../../domain/money.js";
import type { Plan } from "../../plan/model.js";
import { summaryLine } from "../text.js";

export type StepState = "pending" | "running" | "done" | "failed" | "skipped";

export interface StepStatus {
  id: string;
  /** 1-based position in run order. */
  index: number;
  symbol: string;
  summary: string;
  /** Signed wallet movement planned for the step: negative is a charge, positive a refund. */
  amount_cents: Cents;
  state: StepState;
  /** Set when failed. */
  code?: string;
  message?: string;
  /** Set when skipped: the id of the failed or skipped step it needed. */
  because?: string;
  /** Set when done: the console answered from its idempotency store. */
  replayed?: boolean;
}

export type StepCounts = Record<StepState, number>;

export interface ApplyStatus {
  /** `planned` until `apply_started`, `running` until `summary`, then `finished`. */
  phase: "planned" | "running" | "finished";
  plan_id: string;
  org: string;
  /** The console applied to: its endpoint URL or `sandbox FILE`. */
  target: string;
  /** The plan's summary line (`Plan: 3 to create, … Wallet: … .`). */
  headline: string;
  total: number;
  parallelism: number | null;
  /** Every step of the plan, in run order. */
  steps: readonly StepStatus[];
  /** Where each step id is in `steps`. Shared between states: never mutated. */
  positions: ReadonlyMap<string, number>;
  counts: StepCounts;
  /** The wallet balance when the apply started (the plan's until `apply_started` says otherwise). */
  balance_before_cents: Cents;
  /** The live wallet balance: from `apply_started`, then each `step_done`, then the summary. */
  balance_cents: Cents;
  /** The balance the plan expects at the end. */
  planned_balance_after_cents: Cents;
  charged_cents: Cents;
  refunded_cents: Cents;
  /** Failures so far, in the order they happened (the summary's list once it arrives). */
  failures: readonly StepFailure[];
  /** Set when the `summary` event arrives. */
  summary: ApplySummary | null;
}

export function emptyCounts(): StepCounts {
  return { pending: 0, running: 0, done: 0, failed: 0, skipped: 0 };
}

/** Every step pending, the balance the plan started from, no summary. */
export function initialStatus(plan: Plan): ApplyStatus {
  const steps: StepStatus[] = [...plan.steps]
    .sort((a, b) => a.index - b.index)
    .map((s) => ({
      id: s.id,
      index: s.index,
      symbol: s.symbol,
      summary: s.summary,
      amount_cents: s.amount_cents,
      state: "pending",
    }));
  return {
    phase: "planned",
    plan_id: plan.plan_id,
    org: plan.console.org,
    target: plan.console.target,
    headline: summaryLine(plan),
    total: steps.length,
    parallelism: null,
    steps,
    positions: new Map(steps.map((s, i) => [s.id, i])),
    counts: { ...emptyCounts(), pending: steps.length },
    balance_before_cents: plan.money.balance_before_cents,
    balance_cents: plan.money.balance_before_cents,
    planned_balance_after_cents: plan.money.balance_after_cents,
    charged_cents: 0,
    refunded_cents: 0,
    failures: [],
    summary: null,
  };
}

const FINAL: ReadonlySet<StepState> = new Set(["done", "failed", "skipped"]);

type StepEvent = Extract<ApplyEvent, { id: string }>;

/**
 * Moves one step to `next`, keeping the counters right. A step that is already done, failed or skipped stays
 * so (a late or repeated event changes nothing). A step the plan does not have is added at the end.
 */
function moveStep(
  state: ApplyStatus,
  event: StepEvent,
  next: StepState,
  extra: Partial<StepStatus>,
): ApplyStatus | null {
  let steps = state.steps;
  let positions = state.positions;
  let position = positions.get(event.id);
  let counts = state.counts;
  let total = state.total;
  if (position === undefined) {
    const symbol = event.type === "step_started" ? event.symbol : "?";
    const added: StepStatus = {
      id: event.id,
      index: event.index,
      symbol,
      summary: event.summary,
      amount_cents: 0,
      state: "pending",
    };
    position = steps.length;
    steps = [...steps, added];
    positions = new Map(positions).set(event.id, position);
    counts = { ...counts, pending: counts.pending + 1 };
    total += 1;
  }
  const current = steps[position]!;
  if (FINAL.has(current.state) || current.state === next) return null;
  const updated = [...steps];
  updated[position] = { ...current, ...extra, state: next };
  return {
    ...state,
    steps: updated,
    positions,
    total,
    counts: { ...counts, [current.state]: counts[current.state] - 1, [next]: counts[next] + 1 },
  };
}

/** Folds one apply event into the status. Pure: returns the same object when the event changes nothing. */
export function applyReducer(state: ApplyStatus, event: ApplyEvent): ApplyStatus {
  switch (event.type) {
    case "apply_started":
      return {
        ...state,
        phase: state.phase === "finished" ? "finished" : "running",
        parallelism: event.parallelism,
        balance_before_cents: event.balance_cents,
        balance_cents: event.balance_cents,
      };
    case "step_started":
      return moveStep(state, event, "running", {}) ?? state;
    case "step_done": {
      const next = moveStep(state, event, "done", { replayed: event.replayed });
      if (!next) return state;
      return {
        ...next,
        balance_cents: event.balance_cents,
        charged_cents: next.charged_cents + Math.max(0, -event.amount_cents),
        refunded_cents: next.refunded_cents + Math.max(0, event.amount_cents),
      };
    }
    case "step_failed": {
      const next = moveStep(state, event, "failed", { code: event.code, message: event.message });
      if (!next) return state;
      const failure: StepFailure = {
        id: event.id,
        index: event.index,
        summary: event.summary,
        code: event.code,
        message: event.message,
      };
      return { ...next, failures: [...next.failures, failure] };
    }
    case "step_skipped":
      return moveStep(state, event, "skipped", { because: event.because }) ?? state;
    case "summary": {
      const { type: _type, ...summary } = event;
      return {
        ...state,
        phase: "finished",
        summary,
        balance_before_cents: summary.balance_before_cents,
        balance_cents: summary.balance_after_cents,
        charged_cents: summary.charged_cents,
        refunded_cents: summary.refunded_cents,
        failures: summary.failures,
      };
    }
    default:
      return state;
  }
}

/** Steps that are done, failed or skipped. */
export function finishedCount(status: ApplyStatus): number {
  return status.counts.done + status.counts.failed + status.counts.skipped;
}

/**
 * A tiny external store around the reducer (the shape `useSyncExternalStore` wants): the apply core calls
 * `emit`, the ink view subscribes. No React here.
 */
export interface ApplyStatusStore {
  emit(event: ApplyEvent): void;
  getSnapshot(): ApplyStatus;
  subscribe(listener: () => void): () => void;
}

export function createApplyStore(plan: Plan): ApplyStatusStore {
  let status = initialStatus(plan);
  const listeners = new Set<() => void>();
  return {
    emit(event) {
      const next = applyReducer(status, event);
      if (next === status) return;
      status = next;
      for (const listener of [...listeners]) listener();
    },
    getSnapshot: () => status,
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}
