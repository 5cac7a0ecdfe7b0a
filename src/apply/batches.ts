import { createHash } from "node:crypto";
import { BULK_MAX_LOGINS, type BulkAction, bulkActionOf } from "../api/bulk-actions.js";
import { API } from "../api/routes.js";
import type { ConsoleClient } from "../client/console-client.js";
import { Heap } from "../plan/heap.js";
import type { Plan, PlanStep } from "../plan/model.js";
import { failureOf, type StepOutcome } from "./outcome.js";

/**
 * Bulk calls for apply. Steps that disable or delete a user and are ready at the same time (none waits for
 * another) go to the console together, up to `bulkSize` per bulk call (`API.usersBulk`), instead of one request
 * each. The plan and the report do not change: every step is still started, done, failed or skipped on its
 * own, with its own amount. Steps that carry nothing but their login are batched; logouts would be too, but
 * a plan never holds one.
 *
 * The console commits a bulk call all or nothing. When it refuses one (one login would be refused, or a
 * console without that bulk action), nothing took effect, and apply sends that batch's steps again one by
 * one, each with its own idempotency key, so that each gets its own precise answer. When a bulk call's
 * answer is lost, it is found out as a whole, like a single step: sent again with the same key (the console
 * replays it if it took effect), and when that never gets an answer, looked up by its key in the ledger.
 */

/** The most a bulk call can carry: the console's maxItems. */
export const MAX_BULK_SIZE = BULK_MAX_LOGINS;

/** A bulk call: the steps it carries, in plan order, and its idempotency key. */
export interface Batch {
  action: BulkAction;
  steps: PlanStep[];
  key: string;
}

/** The bulk action of each step action met so far: every ready step is asked, one look-up each. */
const bulkActionByStepAction = new Map<string, BulkAction | null>();

/** The bulk action a step can travel in, or null when it goes alone. */
function bulkActionOfStep(step: PlanStep): BulkAction | null {
  if (step.secret) return null;
  let action = bulkActionByStepAction.get(step.action);
  if (action === undefined) {
    action = bulkActionOf(step.action);
    bulkActionByStepAction.set(step.action, action);
  }
  return action;
}

/**
 * The key of a bulk call, from the plan and the steps it carries: the same batch of the same plan sends the
 * same key, so that sending it again replays it rather than acting twice.
 */
export function batchKey(plan: Plan, action: BulkAction, steps: PlanStep[]): string {
  const ids = steps.map((s) => s.id).sort();
  const digest = createHash("sha256").update(ids.join("\n")).digest("hex").slice(0, 32);
  return `orgctl:${plan.plan_id}:bulk-${action}:${digest}`;
}

/**
 * Apply's ready steps: a queue by plan index, as before, plus one pool per bulk action. `next` starts what
 * comes first in plan order; when that is a step with a bulk action, it takes along the other ready steps of
 * the same action (lowest index first), up to the bulk size.
 */
export class ReadySteps {
  private readonly single = new Heap<PlanStep>((a, b) => a.index < b.index);
  private readonly pools = new Map<BulkAction, Heap<PlanStep>>();
  private count = 0;

  /** `bulkSize` 1 sends every step alone, as apply did before bulk calls. */
  constructor(private readonly bulkSize: number) {}

  get size(): number {
    return this.count;
  }

  push(step: PlanStep): void {
    this.count += 1;
    const action = this.bulkSize > 1 ? bulkActionOfStep(step) : null;
    if (action === null) {
      this.single.push(step);
      return;
    }
    let pool = this.pools.get(action);
    if (!pool) {
      pool = new Heap<PlanStep>((a, b) => a.index < b.index);
      this.pools.set(action, pool);
    }
    pool.push(step);
  }

  /** The steps to start together: one step, or several of one bulk action. Empty when nothing is ready. */
  next(): PlanStep[] {
    let from = this.single;
    let first = peek(this.single);
    for (const pool of this.pools.values()) {
      const top = peek(pool);
      if (top && (!first || top.index < first.index)) {
        first = top;
        from = pool;
      }
    }
    if (!first) return [];
    const taken: PlanStep[] = [from.pop()!];
    if (from !== this.single) while (taken.length < this.bulkSize && from.size > 0) taken.push(from.pop()!);
    this.count -= taken.length;
    return taken;
  }
}

function loginOf(step: PlanStep): string {
  return (step.operation as { login: string }).login;
}

function peek(heap: Heap<PlanStep>): PlanStep | undefined {
  const top = heap.pop();
  if (top) heap.push(top);
  return top;
}

/**
 * Sends steps as bulk calls, and finds out what happened to a bulk call whose answer was lost. `sendAlone`
 * is apply's own way of sending one step with its own key.
 */
export class BulkSender {
  /** The batch each step was last sent in, while that batch may have taken effect. */
  private readonly batchOf = new Map<PlanStep, Batch>();
  /** The answer of each batch sent again in a round of the lost-answer search: one call per batch per round. */
  private readonly resent = new Map<
    Batch,
    { round: number; outcomes: Promise<Map<PlanStep, StepOutcome>> }
  >();

  constructor(
    private readonly plan: Plan,
    private readonly client: ConsoleClient,
    private readonly sendAlone: (step: PlanStep) => Promise<StepOutcome>,
  ) {}

  /** Sends `steps` (several, of one bulk action) as one bulk call; each step's outcome. Never rejects. */
  async send(steps: PlanStep[]): Promise<Map<PlanStep, StepOutcome>> {
    const action = bulkActionOfStep(steps[0]!)!;
    const batch: Batch = { action, steps, key: batchKey(this.plan, action, steps) };
    for (const step of steps) this.batchOf.set(step, batch);
    return this.call(batch);
  }

  /**
   * In the search for lost answers: a step that went in a bulk call is found out with its whole batch, sent
   * again with the batch's key once per round; any other step is sent again alone.
   */
  async resend(step: PlanStep, round: number): Promise<StepOutcome> {
    const batch = this.batchOf.get(step);
    if (!batch) return this.sendAlone(step);
    let cached = this.resent.get(batch);
    if (!cached || cached.round !== round) {
      cached = { round, outcomes: this.call(batch) };
      this.resent.set(batch, cached);
    }
    return (await cached.outcomes).get(step)!;
  }

  /**
   * The idempotency key whose ledger entries show whether a step took effect, or null when the ledger
   * cannot tell: a step that moves no money leaves no entry, unless its bulk call holds one that does.
   */
  ledgerKeyOf(step: PlanStep, stepKey: string): string | null {
    const batch = this.batchOf.get(step);
    if (batch) return batch.steps.some((s) => s.amount_cents !== 0) ? batch.key : null;
    return step.amount_cents !== 0 ? stepKey : null;
  }

  private async call(batch: Batch): Promise<Map<PlanStep, StepOutcome>> {
    const outcomes = new Map<PlanStep, StepOutcome>();
    let outcome: StepOutcome;
    try {
      const result = await this.client.request<unknown>(API.usersBulk.method, API.usersBulk.path, {
        body: { action: batch.action, logins: batch.steps.map(loginOf) },
        idempotencyKey: batch.key,
      });
      outcome = { ok: true, replayed: result.replayed };
    } catch (error) {
      outcome = failureOf(error);
    }
    if (outcome.ok || outcome.code === "console_unreachable") {
      for (const step of batch.steps) outcomes.set(step, outcome);
      return outcomes;
    }
    // Refused, so nothing took effect: each step on its own, with its own key, gets its own answer.
    for (const step of batch.steps) {
      this.batchOf.delete(step);
      outcomes.set(step, await this.sendAlone(step));
    }
    return outcomes;
  }
}
