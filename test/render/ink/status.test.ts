import { describe, expect, it, vi } from "vitest";
import type { ApplyEvent } from "../../../src/apply/events.js";
import {
  type ApplyStatus,
  applyReducer,
  createApplyStore,
  finishedCount,
  initialStatus,
} from "../../../src/render/ink/status.js";
import { summaryLine } from "../../../src/render/text.js";
import { samplePlan } from "../builder.js";

const plan = samplePlan();
const byIndex = (i: number) => plan.steps.find((s) => s.index === i)!;
const ev = {
  started: (i: number): ApplyEvent => {
    const s = byIndex(i);
    return { type: "step_started", id: s.id, index: i, summary: s.summary, symbol: s.symbol };
  },
  done: (i: number, balance: number, replayed = false): ApplyEvent => {
    const s = byIndex(i);
    return {
      type: "step_done",
      id: s.id,
      index: i,
      summary: s.summary,
      amount_cents: s.amount_cents,
      balance_cents: balance,
      replayed,
    };
  },
  failed: (i: number, code: string, message: string): ApplyEvent => {
    const s = byIndex(i);
    return { type: "step_failed", id: s.id, index: i, summary: s.summary, code, message };
  },
  skipped: (i: number, because: string): ApplyEvent => {
    const s = byIndex(i);
    return { type: "step_skipped", id: s.id, index: i, summary: s.summary, because };
  },
};

const fold = (events: ApplyEvent[], from: ApplyStatus = initialStatus(plan)) =>
  events.reduce(applyReducer, from);

// samplePlan: 9 steps, wallet €120.00; #3 refunds €12.33, #4 refunds €5.00, #5 charges €90.00, #6 charges €30.00.
const RUN: ApplyEvent[] = [
  { type: "apply_started", plan_id: plan.plan_id, steps: 9, parallelism: 2, balance_cents: 12_500 },
  ev.started(1),
  ev.done(1, 12_500),
  ev.started(3),
  ev.done(3, 13_733, true),
  ev.started(4),
  ev.failed(4, "conflict", "user dave is locked"),
  ev.skipped(5, "user/dave:delete_user"),
  ev.started(6),
  ev.done(6, 10_733),
  ev.started(2),
];

describe("initialStatus", () => {
  it("has every step pending, in run order, with index, symbol, summary and amount", () => {
    const status = initialStatus({ ...plan, steps: [...plan.steps].reverse() });
    expect(status.phase).toBe("planned");
    expect(status.total).toBe(9);
    expect(status.steps.map((s) => s.index)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(status.steps.every((s) => s.state === "pending")).toBe(true);
    expect(status.steps[4]).toEqual({
      id: "user/dave:create_user",
      index: 5,
      symbol: "-/+",
      summary: "create user dave <dave@acme.test> on pro as member with password",
      amount_cents: -9000,
      state: "pending",
    });
    expect(status.counts).toEqual({ pending: 9, running: 0, done: 0, failed: 0, skipped: 0 });
    expect(status.headline).toBe(summaryLine(plan));
    expect(status.balance_cents).toBe(12_000);
    expect(status.planned_balance_after_cents).toBe(1733);
    expect(status.summary).toBeNull();
  });
});

describe("applyReducer", () => {
  it("counts steps, follows the live balance and collects failures over a run", () => {
    const status = fold(RUN);
    expect(status.phase).toBe("running");
    expect(status.parallelism).toBe(2);
    expect(status.counts).toEqual({ pending: 3, running: 1, done: 3, failed: 1, skipped: 1 });
    expect(finishedCount(status)).toBe(5);
    expect(status.balance_before_cents).toBe(12_500);
    expect(status.balance_cents).toBe(10_733);
    expect(status.charged_cents).toBe(3000);
    expect(status.refunded_cents).toBe(1233);
    expect(status.failures).toEqual([
      {
        id: "user/dave:delete_user",
        index: 4,
        summary: "delete user dave <dave@old.test> (pro)",
        code: "conflict",
        message: "user dave is locked",
      },
    ]);
    expect(status.steps.map((s) => s.state)).toEqual([
      "done",
      "running",
      "done",
      "failed",
      "skipped",
      "done",
      "pending",
      "pending",
      "pending",
    ]);
    expect(status.steps[2]!.replayed).toBe(true);
    expect(status.steps[3]!.code).toBe("conflict");
    expect(status.steps[4]!.because).toBe("user/dave:delete_user");
  });

  it("does not touch the state it is given", () => {
    const start = initialStatus(plan);
    const snapshot = structuredClone({ ...start, positions: null });
    fold(RUN, start);
    expect({ ...start, positions: null }).toEqual(snapshot);
  });

  it("ignores repeated and late events for a finished step", () => {
    const status = fold(RUN);
    expect(applyReducer(status, ev.done(1, 1))).toBe(status);
    expect(applyReducer(status, ev.failed(1, "late", "too late"))).toBe(status);
    expect(applyReducer(status, ev.started(3))).toBe(status);
    expect(applyReducer(status, ev.started(2))).toBe(status);
  });

  it("counts a step done without a step_started", () => {
    const status = fold([ev.done(9, 12_000)]);
    expect(status.counts).toEqual({ pending: 8, running: 0, done: 1, failed: 0, skipped: 0 });
  });

  it("adds a step the plan does not have instead of losing it", () => {
    const status = fold([
      { type: "step_started", id: "user/zed:create_user", index: 10, summary: "create zed", symbol: "+" },
    ]);
    expect(status.total).toBe(10);
    expect(status.counts.running).toBe(1);
    expect(status.steps.at(-1)).toMatchObject({ id: "user/zed:create_user", index: 10, state: "running" });
    expect(initialStatus(plan).positions.has("user/zed:create_user")).toBe(false);
  });

  it("takes the final numbers from the summary event", () => {
    const status = fold([
      ...RUN,
      ev.done(2, 10_733),
      {
        type: "summary",
        status: "failed",
        plan_id: plan.plan_id,
        total: 9,
        done: 4,
        failed: 1,
        skipped: 1,
        not_started: 3,
        balance_before_cents: 12_500,
        balance_after_cents: 10_700,
        charged_cents: 3000,
        refunded_cents: 1233,
        failures: [
          {
            id: "user/dave:delete_user",
            index: 4,
            summary: "delete user dave",
            code: "conflict",
            message: "locked",
          },
        ],
      },
    ]);
    expect(status.phase).toBe("finished");
    expect(status.summary).toMatchObject({ status: "failed", done: 4, not_started: 3 });
    expect(status.summary).not.toHaveProperty("type");
    expect(status.balance_cents).toBe(10_700);
    expect(status.failures).toHaveLength(1);
    expect(status.counts).toEqual({ pending: 3, running: 0, done: 4, failed: 1, skipped: 1 });
  });
});

describe("createApplyStore", () => {
  it("notifies subscribers of changes only, until they unsubscribe", () => {
    const store = createApplyStore(plan);
    const listener = vi.fn();
    const unsubscribe = store.subscribe(listener);
    store.emit(ev.started(1));
    expect(listener).toHaveBeenCalledTimes(1);
    expect(store.getSnapshot().counts.running).toBe(1);
    store.emit(ev.started(1));
    expect(listener).toHaveBeenCalledTimes(1);
    unsubscribe();
    store.emit(ev.done(1, 12_000));
    expect(listener).toHaveBeenCalledTimes(1);
    expect(store.getSnapshot().counts.done).toBe(1);
  });
});
