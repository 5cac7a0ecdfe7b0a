import { API } from "../api/routes.js";
import type { ConsoleClient } from "../client/console-client.js";
import { ConsoleApiError, ConsoleUnreachableError } from "../client/errors.js";
import type { SecretRef } from "../config/model.js";
import type { Plan, PlanStep } from "../plan/model.js";
import type { ApplyEvent, ApplySummary, StepFailure } from "./events.js";
import { executionGraph } from "./graph.js";

export const DEFAULT_PARALLELISM = 4;

export interface ApplyOptions {
  client: ConsoleClient;
  parallelism: number;
  emit: (event: ApplyEvent) => void;
  resolveSecret: (ref: SecretRef) => string;
  /** Aborting stops scheduling new steps; steps in flight finish. */
  signal?: AbortSignal;
}

type StepState = "pending" | "running" | "done" | "failed" | "skipped";

type StepOutcome = { ok: true; replayed: boolean } | { ok: false; code: string; message: string };

/** Whatever a step threw, as a failed step: a console refusal keeps its code, anything else is `internal`. */
function failureOf(error: unknown): { ok: false; code: string; message: string } {
  if (error instanceof ConsoleApiError || error instanceof ConsoleUnreachableError) {
    return { ok: false, code: error.code, message: error.message };
  }
  const code = error !== null && typeof error === "object" ? (error as { code?: unknown }).code : undefined;
  if (typeof code === "string" && error instanceof Error) return { ok: false, code, message: error.message };
  const what = error instanceof Error ? error.message : String(error);
  return {
    ok: false,
    code: "internal",
    message: `orgctl failed while sending this step (${what}); this is a bug, please report it`,
  };
}

/** The idempotency key of a step: the same plan and step always send the same key. */
export function stepKey(plan: Plan, step: PlanStep): string {
  return `orgctl:${plan.plan_id}:${step.id}`;
}

/**
 * Runs a plan's steps against the console: in plan order, independent steps in parallel up to
 * `parallelism`, each with an idempotency key so that a retried or re-sent step takes effect at most once.
 * When a step fails, what depends on it is skipped and independent steps go on. Emits events; renders nothing.
 */
export async function applyPlan(plan: Plan, options: ApplyOptions): Promise<ApplySummary> {
  const { client, emit } = options;
  const steps = [...plan.steps].sort((a, b) => a.index - b.index);
  const waits = executionGraph(steps);
  const state = new Map<string, StepState>(steps.map((s) => [s.id, "pending"]));
  const failures: StepFailure[] = [];
  const startBalance = await readBalance(client, plan.money.balance_before_cents);
  let balance = startBalance;
  let charged = 0;
  let refunded = 0;
  let running = 0;
  // Once the console is unreachable (after the client's retries), every further step would fail the same
  // way: stop starting new ones and leave them for the next apply.
  let halted = false;
  /** Set when orgctl itself failed while recording a step: apply stops cleanly and rethrows it. */
  let fatal: { error: unknown } | null = null;
  let finished: () => void = () => {};
  let pump: () => void = () => {};
  /** `pump`, with a failure of its own (an emit that throws) turned into a clean stop. */
  const pumpSafely = () => {
    try {
      pump();
    } catch (error) {
      stopWith(error);
      if (running === 0) finished();
    }
  };
  let lastBalanceRead = 0;
  const parallelism = Math.max(1, options.parallelism);

  emit({
    type: "apply_started",
    plan_id: plan.plan_id,
    steps: steps.length,
    parallelism,
    balance_cents: balance,
  });

  await new Promise<void>((resolve) => {
    finished = resolve;
    pump = () => {
      const interrupted = (options.signal?.aborted ?? false) || halted;
      for (const step of steps) {
        if (state.get(step.id) !== "pending") continue;
        const needs = [...(waits.get(step.id) ?? [])];
        const blocker = needs.find((id) => state.get(id) === "failed" || state.get(id) === "skipped");
        if (blocker) {
          state.set(step.id, "skipped");
          emit({
            type: "step_skipped",
            id: step.id,
            index: step.index,
            summary: step.summary,
            because: blocker,
          });
          continue;
        }
        if (interrupted || running >= parallelism) continue;
        if (!needs.every((id) => state.get(id) === "done")) continue;
        emit({
          type: "step_started",
          id: step.id,
          index: step.index,
          summary: step.summary,
          symbol: step.symbol,
        });
        state.set(step.id, "running");
        running += 1;
        // Never a floating promise: settle() turns whatever a step throws into a failed step, and a failure
        // of our own (an emit that throws) into a clean stop.
        void settle(step);
      }
      if (running === 0) resolve();
    };
    options.signal?.addEventListener("abort", pumpSafely, { once: true });
    pumpSafely();
  });

  /** Runs one step and records its outcome. Never rejects. */
  async function settle(step: PlanStep): Promise<void> {
    try {
      let outcome: StepOutcome;
      try {
        outcome = await runStep(step);
      } catch (error) {
        outcome = failureOf(error);
      }
      await record(step, outcome);
    } catch (error) {
      // Recording or reporting the outcome failed (a bug of ours, e.g. an emit that throws): start nothing
      // more, let what runs finish, then applyPlan rejects with this error. Never an unhandled rejection.
      stopWith(error);
    }
    // Only now is the step finished: the pump must not see zero running while its balance read is pending.
    running -= 1;
    pumpSafely();
  }

  function stopWith(error: unknown): void {
    fatal ??= { error };
    halted = true;
  }

  async function record(step: PlanStep, outcome: StepOutcome): Promise<void> {
    if (outcome.ok) {
      state.set(step.id, "done");
      if (step.amount_cents < 0) charged -= step.amount_cents;
      else refunded += step.amount_cents;
      if (step.amount_cents !== 0) {
        balance += step.amount_cents;
        // Show the real balance, read at most a few times a second.
        if (Date.now() - lastBalanceRead > 250) {
          lastBalanceRead = Date.now();
          balance = await readBalance(client, balance);
        }
      }
      emit({
        type: "step_done",
        id: step.id,
        index: step.index,
        summary: step.summary,
        amount_cents: step.amount_cents,
        balance_cents: balance,
        replayed: outcome.replayed,
      });
      return;
    }
    state.set(step.id, "failed");
    if (outcome.code === "console_unreachable") halted = true;
    failures.push({
      id: step.id,
      index: step.index,
      summary: step.summary,
      code: outcome.code,
      message: outcome.message,
    });
    emit({
      type: "step_failed",
      id: step.id,
      index: step.index,
      summary: step.summary,
      code: outcome.code,
      message: outcome.message,
    });
  }

  async function runStep(step: PlanStep): Promise<StepOutcome> {
    try {
      const secret = step.secret ? options.resolveSecret(step.secret) : undefined;
      const result = await client.perform(step.operation, stepKey(plan, step), secret);
      return { ok: true, replayed: Boolean(result?.replayed) };
    } catch (error) {
      return failureOf(error);
    }
  }

  if (fatal) throw (fatal as { error: unknown }).error;

  const endBalance = await readBalance(client, balance);
  const counts = { done: 0, failed: 0, skipped: 0, not_started: 0 };
  for (const value of state.values()) {
    if (value === "done") counts.done += 1;
    else if (value === "failed") counts.failed += 1;
    else if (value === "skipped") counts.skipped += 1;
    else counts.not_started += 1;
  }
  const summary: ApplySummary = {
    status: counts.failed > 0 ? "failed" : counts.not_started > 0 ? "interrupted" : "done",
    plan_id: plan.plan_id,
    ...counts,
    total: steps.length,
    balance_before_cents: startBalance,
    balance_after_cents: endBalance,
    charged_cents: charged,
    refunded_cents: refunded,
    failures,
  };
  emit({ type: "summary", ...summary });
  return summary;
}

async function readBalance(client: ConsoleClient, fallback: number): Promise<number> {
  try {
    const wallet = await client.request<{ balance_cents: number }>(API.wallet.method, API.wallet.path, {
      query: { days: 0 },
    });
    return wallet.body.balance_cents;
  } catch {
    return fallback;
  }
}
