import { API } from "../api/routes.js";
import type { ConsoleClient } from "../client/console-client.js";
import type { SecretRef } from "../config/model.js";
import type { Plan, PlanStep } from "../plan/model.js";
import { BulkSender, ReadySteps } from "./batches.js";
import { DEFAULT_BULK_SIZE } from "./defaults.js";
import type { ApplyEvent, ApplySummary, StepFailure } from "./events.js";
import { failureOf, type StepOutcome } from "./outcome.js";

/** How many times a step whose answer was lost is sent again (each with the client's own retries). */
const LOST_ANSWER_ROUNDS = 3;

export interface ApplyOptions {
  client: ConsoleClient;
  parallelism: number;
  /**
   * Up to how many ready disables or deletes go in one bulk call (src/apply/batches.ts); 1 sends every step
   * alone. Default DEFAULT_BULK_SIZE.
   */
  bulkSize?: number;
  emit: (event: ApplyEvent) => void;
  resolveSecret: (ref: SecretRef) => string;
  /** Aborting stops scheduling new steps; steps in flight finish. */
  signal?: AbortSignal;
}

type StepState = "pending" | "running" | "done" | "failed" | "skipped";

/** The idempotency key of a step: the same plan and step always send the same key. */
export function stepKey(plan: Plan, step: PlanStep): string {
  return `orgctl:${plan.plan_id}:${step.id}`;
}

/**
 * Runs a plan's steps against the console: in plan order, each as soon as the steps in its `depends_on` are
 * done (the planner records exactly what each step needs), up to `parallelism` at a time, each with an
 * idempotency key so that a retried or re-sent step takes effect at most once. When a step fails, exactly
 * the steps that depend on it, directly or through others, are skipped, and the rest goes on. A step whose
 * answer was lost is sent again with its key before it is reported: the console replays its answer if it
 * took effect. Emits events; renders nothing.
 */
export async function applyPlan(plan: Plan, options: ApplyOptions): Promise<ApplySummary> {
  const { client, emit } = options;
  const steps = [...plan.steps].sort((a, b) => a.index - b.index);
  const byId = new Map(steps.map((s) => [s.id, s]));
  const state = new Map<string, StepState>(steps.map((s) => [s.id, "pending"]));
  /** For each step, how many of its dependencies are not done yet; and who waits for each step. */
  const waitingFor = new Map<string, number>();
  const dependents = new Map<string, PlanStep[]>();
  for (const step of steps) {
    const deps = new Set(step.depends_on.filter((id) => id !== step.id && byId.has(id)));
    waitingFor.set(step.id, deps.size);
    for (const dep of deps) {
      const list = dependents.get(dep);
      if (list) list.push(step);
      else dependents.set(dep, [step]);
    }
  }
  // Ready steps, lowest plan index first: starting one costs O(log n). Ready disables and deletes start
  // together, as one bulk call.
  const ready = new ReadySteps(Math.max(1, options.bulkSize ?? DEFAULT_BULK_SIZE));
  const bulk = new BulkSender(plan, client, runStep);
  for (const step of steps) if (waitingFor.get(step.id) === 0) ready.push(step);
  const failures: StepFailure[] = [];
  /** Steps whose answer was lost (the console could not be reached): not reported until found out. */
  const unknown: PlanStep[] = [];
  const startBalance = await readBalance(client, plan.money.balance_before_cents);
  let balance = startBalance;
  let charged = 0;
  let refunded = 0;
  let running = 0;
  // Once the console is unreachable (after the client's retries), every further step would fail the same
  // way: stop starting new ones until the steps whose answers were lost are found out.
  let halted = false;
  /** Set when orgctl itself failed while recording a step: apply stops cleanly and rethrows it. */
  let fatal: { error: unknown } | null = null;
  let finished: () => void = () => {};
  /** `pump`, with a failure of its own (an emit that throws) turned into a clean stop. */
  const pumpSafely = () => {
    try {
      pump();
    } catch (error) {
      stopWith(error);
    }
    if (running === 0) finished();
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

  function pump(): void {
    while (!halted && !(options.signal?.aborted ?? false) && running < parallelism && ready.size > 0) {
      const group = ready.next().filter((step) => state.get(step.id) === "pending");
      if (group.length === 0) continue;
      for (const step of group) {
        emit({
          type: "step_started",
          id: step.id,
          index: step.index,
          summary: step.summary,
          symbol: step.symbol,
        });
        state.set(step.id, "running");
      }
      running += 1;
      // Never a floating promise: settle() turns whatever a step throws into a failed step, and a failure
      // of our own (an emit that throws) into a clean stop.
      void settle(group);
    }
  }

  /** Runs until nothing runs; then finds out what happened to lost answers, and goes on if it can. */
  for (;;) {
    await new Promise<void>((resolve) => {
      finished = resolve;
      options.signal?.addEventListener("abort", pumpSafely, { once: true });
      pumpSafely();
    });
    options.signal?.removeEventListener("abort", pumpSafely);
    if (fatal || unknown.length === 0) break;
    // The console could not be reached for these steps: send each again with its key. The console replays
    // the answer of a step that took effect; one that did not takes effect now (its dependencies are done).
    const lost = unknown.splice(0);
    const outcomes = new Map<PlanStep, StepOutcome>();
    const unanswered = (step: PlanStep) => {
      const outcome = outcomes.get(step);
      return !outcome || (!outcome.ok && outcome.code === "console_unreachable");
    };
    let reachable = false;
    for (let round = 0; round < LOST_ANSWER_ROUNDS && lost.some(unanswered); round++) {
      for (const step of lost.filter(unanswered)) {
        const outcome = await bulk.resend(step, round);
        outcomes.set(step, outcome);
        if (outcome.ok || outcome.code !== "console_unreachable") reachable = true;
      }
    }
    // Still no answer for a step that moves money (or went in a bulk call that does): the ledger says whether
    // it took effect, by its key.
    const silent = lost.filter(unanswered);
    const ledgerKey = (step: PlanStep) => bulk.ledgerKeyOf(step, stepKey(plan, step));
    if (silent.some((step) => ledgerKey(step) !== null)) {
      const keys = await ledgerKeys(client);
      if (keys) {
        reachable = true;
        for (const step of silent) {
          const key = ledgerKey(step);
          if (key === null) continue;
          const committed = keys.has(key);
          outcomes.set(
            step,
            committed
              ? { ok: true, replayed: true }
              : {
                  ok: false,
                  code: "console_unreachable",
                  message: "the console did not answer; its ledger shows that this step did not take effect",
                  known: true,
                },
          );
        }
      }
    }
    try {
      for (const step of lost) await record(step, outcomes.get(step)!, true);
    } catch (error) {
      stopWith(error);
    }
    if (fatal || !reachable || (options.signal?.aborted ?? false)) break;
    halted = false;
  }

  /** Runs one step, or several as one bulk call, and records each one's outcome. Never rejects. */
  async function settle(group: PlanStep[]): Promise<void> {
    try {
      let outcomes: Map<PlanStep, StepOutcome>;
      try {
        outcomes =
          group.length === 1 ? new Map([[group[0]!, await runStep(group[0]!)]]) : await bulk.send(group);
      } catch (error) {
        outcomes = new Map(group.map((step) => [step, failureOf(error)]));
      }
      for (const step of group) await record(step, outcomes.get(step)!, false);
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

  /** Skips every step that depends on `failed`, directly or through other steps, exactly those. */
  function skipDependentsOf(failed: PlanStep): void {
    const queue: PlanStep[] = [failed];
    while (queue.length > 0) {
      const blocker = queue.shift()!;
      for (const dependent of dependents.get(blocker.id) ?? []) {
        if (state.get(dependent.id) !== "pending") continue;
        state.set(dependent.id, "skipped");
        emit({
          type: "step_skipped",
          id: dependent.id,
          index: dependent.index,
          summary: dependent.summary,
          because: blocker.id,
        });
        queue.push(dependent);
      }
    }
  }

  /** `last`: the step's answer was already looked for once; an unreachable console is now its failure. */
  async function record(step: PlanStep, outcome: StepOutcome, last: boolean): Promise<void> {
    if (outcome.ok) {
      state.set(step.id, "done");
      if (step.amount_cents < 0) charged -= step.amount_cents;
      else refunded += step.amount_cents;
      for (const dependent of dependents.get(step.id) ?? []) {
        const left = waitingFor.get(dependent.id)! - 1;
        waitingFor.set(dependent.id, left);
        if (left === 0 && state.get(dependent.id) === "pending") ready.push(dependent);
      }
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
    if (outcome.code === "console_unreachable") {
      halted = true;
      if (!last) {
        // The request may have been committed before its answer was lost: find out before reporting it.
        state.set(step.id, "running");
        unknown.push(step);
        return;
      }
    }
    state.set(step.id, "failed");
    const message =
      outcome.code === "console_unreachable" && !outcome.known
        ? `${outcome.message}; orgctl could not find out whether this step took effect: run orgctl plan again once the console answers`
        : outcome.message;
    failures.push({ id: step.id, index: step.index, summary: step.summary, code: outcome.code, message });
    emit({
      type: "step_failed",
      id: step.id,
      index: step.index,
      summary: step.summary,
      code: outcome.code,
      message,
    });
    skipDependentsOf(step);
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

  // Every step counted in charged and refunded is one the console confirmed, so the balance read now moves
  // by exactly their sum (when it cannot be read, the balance is worked out from them).
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

/** The idempotency keys in the wallet's ledger, or null when it cannot be read. */
async function ledgerKeys(client: ConsoleClient): Promise<Set<string> | null> {
  try {
    const entries = await client.listAll<{ idempotency_key: string | null }>(API.ledger.path);
    return new Set(entries.map((e) => e.idempotency_key).filter((k): k is string => k !== null));
  } catch {
    return null;
  }
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
