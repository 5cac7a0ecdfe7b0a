import { render } from "ink-testing-library";
import { afterEach, describe, expect, it } from "vitest";
import type { ApplyEvent, ApplySummary } from "../../../src/apply/events.js";
import type { Plan } from "../../../src/plan/model.js";
import {
  ApplyProgress,
  ApplyProgressApp,
  progressBar,
  SPINNER_FRAMES,
  startProgressView,
  stepWindow,
} from "../../../src/render/ink/progress.js";
import { applyReducer, createApplyStore, initialStatus } from "../../../src/render/ink/status.js";
import { summaryLine } from "../../../src/render/text.js";
import { buildPlan, step } from "../builder.js";
import { plain, streams, tick, waitFor } from "./fake-tty.js";

const mounted: { unmount: () => void }[] = [];
afterEach(() => {
  for (const m of mounted.splice(0)) m.unmount();
});

function planOf(n: number): Plan {
  return buildPlan({
    steps: Array.from({ length: n }, (_, i) =>
      step({
        id: `user/u${i + 1}:create_user`,
        kind: "user",
        action: "create_user",
        symbol: "+",
        summary: `create user u${i + 1}`,
        amount_cents: i === 0 ? -9000 : 0,
      }),
    ),
  });
}

const started = (i: number): ApplyEvent => ({
  type: "step_started",
  id: `user/u${i}:create_user`,
  index: i,
  summary: `create user u${i}`,
  symbol: "+",
});
const done = (i: number, balance: number, amount = 0): ApplyEvent => ({
  type: "step_done",
  id: `user/u${i}:create_user`,
  index: i,
  summary: `create user u${i}`,
  amount_cents: amount,
  balance_cents: balance,
  replayed: false,
});
const failed = (i: number, code: string, message: string): ApplyEvent => ({
  type: "step_failed",
  id: `user/u${i}:create_user`,
  index: i,
  summary: `create user u${i}`,
  code,
  message,
});
const skipped = (i: number, because: string): ApplyEvent => ({
  type: "step_skipped",
  id: `user/u${i}:create_user`,
  index: i,
  summary: `create user u${i}`,
  because,
});

const plan5 = planOf(5);
// Three of five finished (one each done, failed, skipped), one running, one pending.
const MIDWAY: ApplyEvent[] = [
  { type: "apply_started", plan_id: plan5.plan_id, steps: 5, parallelism: 2, balance_cents: 12_000 },
  started(1),
  done(1, 3000, -9000),
  started(2),
  failed(2, "quota_exceeded", "the organization has no free seat left"),
  skipped(3, "user/u2:create_user"),
  started(4),
];
const SUMMARY: ApplySummary = {
  status: "failed",
  plan_id: plan5.plan_id,
  total: 5,
  done: 3,
  failed: 1,
  skipped: 1,
  not_started: 0,
  balance_before_cents: 12_000,
  balance_after_cents: 3000,
  charged_cents: 9000,
  refunded_cents: 0,
  failures: [
    {
      id: "user/u2:create_user",
      index: 2,
      summary: "create user u2",
      code: "quota_exceeded",
      message: "the organization has no free seat left",
    },
  ],
};
const FINISHED: ApplyEvent[] = [
  ...MIDWAY,
  done(4, 3000),
  started(5),
  done(5, 3000),
  { type: "summary", ...SUMMARY },
];

const statusAfter = (events: ApplyEvent[], plan = plan5) => events.reduce(applyReducer, initialStatus(plan));

function draw(events: ApplyEvent[], plan = plan5) {
  const app = render(<ApplyProgress status={statusAfter(events, plan)} />);
  mounted.push(app);
  return plain(app.lastFrame());
}

const rowOf = (frame: string, summary: string) =>
  frame.split("\n").find((l) => l.includes(`${summary}`)) ?? "";

describe("progressBar", () => {
  it("fills in proportion and ends with finished/total", () => {
    expect(progressBar(8, 12, 12)).toBe("████████░░░░ 8/12");
    expect(progressBar(0, 5, 10)).toBe("░░░░░░░░░░ 0/5");
    expect(progressBar(0, 0, 4)).toBe("████ 0/0");
  });
});

describe("stepWindow", () => {
  const status = statusAfter([done(1, 0), done(2, 0), started(40), started(41)], planOf(1000));

  it("shows at most 15 rows from a few above the first running step, counting the rest", () => {
    const w = stepWindow(status.steps, 15);
    expect(w.rows).toHaveLength(15);
    expect(w.rows[0]!.index).toBe(36);
    expect(w.rows.filter((s) => s.state === "running").map((s) => s.index)).toEqual([40, 41]);
    expect(w.above).toEqual({ pending: 33, running: 0, done: 2, failed: 0, skipped: 0 });
    expect(w.below).toEqual({ pending: 950, running: 0, done: 0, failed: 0, skipped: 0 });
  });

  it("shows the tail once nothing is running or pending, and everything when it fits", () => {
    const all = statusAfter(
      Array.from({ length: 20 }, (_, i) => done(i + 1, 0)),
      planOf(20),
    );
    expect(stepWindow(all.steps, 15).rows.map((s) => s.index)).toEqual(
      Array.from({ length: 15 }, (_, i) => i + 6),
    );
    expect(stepWindow(statusAfter([], plan5).steps, 15).rows).toHaveLength(5);
  });
});

describe("ApplyProgress", () => {
  it("names the console in its title", () => {
    expect(draw(MIDWAY).split("\n")[0]).toContain("on https://console.acme.example");
  });

  it("shows the headline, the bar at 3/5, the live wallet and a marker per step state", () => {
    const frame = draw(MIDWAY);
    expect(frame.replace(/\s+/g, " ")).toContain(summaryLine(plan5));
    expect(frame).toContain(`${"█".repeat(14)}${"░".repeat(10)} 3/5`);
    expect(frame).toContain("Wallet: €30.00 (from €120.00) · charged €90.00 · refunded €0.00");
    expect(rowOf(frame, "create user u1")).toMatch(/✓ #1 \+ create user u1 · charge €90\.00$/);
    expect(rowOf(frame, "create user u2")).toMatch(/✗ #2 \+ create user u2 — quota_exceeded$/);
    expect(rowOf(frame, "create user u3")).toMatch(
      /↷ #3 \+ create user u3 \(skipped: needs user\/u2:create_user\)$/,
    );
    const running = rowOf(frame, "create user u4");
    expect(SPINNER_FRAMES).toContain(running.trim()[0]);
    expect(rowOf(frame, "create user u5")).toMatch(/^ *· #5 \+ create user u5$/);
    expect(frame).not.toContain("Apply failed");
  });

  it("shows the final summary with the balance and each failure's code and message", () => {
    const frame = draw(FINISHED);
    expect(frame).toContain("5/5");
    expect(frame).toContain("Apply failed: 3 done, 1 failed, 1 skipped of 5.");
    expect(frame).toContain("Wallet: €120.00 → €30.00 (charges €90.00, refunds €0.00).");
    expect(frame).toContain("✗ #2 create user u2: quota_exceeded: the organization has no free seat left");
    expect(frame).toContain("orgctl apply` again");
  });

  it("says done, without failures or advice, when everything went through", () => {
    const events: ApplyEvent[] = [
      ...[1, 2, 3, 4, 5].flatMap((i) => [started(i), done(i, 3000)]),
      {
        type: "summary",
        ...SUMMARY,
        status: "done",
        done: 5,
        failed: 0,
        skipped: 0,
        failures: [],
      },
    ];
    const frame = draw(events);
    expect(frame).toContain("Apply done: 5 done, 0 failed, 0 skipped of 5.");
    expect(frame).not.toContain("Failures:");
    expect(frame).not.toContain("✗");
    expect(frame).not.toContain("again");
  });

  it("keeps the marker of a row cut at the terminal width", () => {
    const long = buildPlan({
      steps: [
        step({
          id: "user/l:create_user",
          kind: "user",
          action: "create_user",
          symbol: "+",
          summary: "x".repeat(300),
        }),
      ],
    });
    const frame = draw(
      [skipped(1, "user/k:create_user")].map((e) => ({ ...e, id: "user/l:create_user" })),
      long,
    );
    const row = frame.split("\n").find((l) => l.includes("xxx"))!;
    expect(row).toMatch(/^ ↷ #1 \+ x+…$/);
  });

  it("stays short with 1,000 steps: 15 rows plus the counts of the rest", () => {
    const plan = planOf(1000);
    const events = [
      ...Array.from({ length: 500 }, (_, i) => [started(i + 1), done(i + 1, 0)]).flat(),
      failed(501, "conflict", "taken"),
      started(502),
    ];
    const frame = draw(events, plan);
    const stepRows = frame.split("\n").filter((l) => / #\s*\d+ /.test(l));
    expect(stepRows).toHaveLength(15);
    expect(frame).toContain("501/1000");
    expect(frame).toContain("↑ 497 earlier step(s): 497 done");
    expect(frame).toContain("↓ 488 later step(s): 488 pending");
    expect(rowOf(frame, "create user u501 ")).toContain("✗");
    expect(frame.split("\n").length).toBeLessThan(26);
  });

  it("drops a long plan's rows for the summary once finished", () => {
    const plan = planOf(30);
    const summary: ApplyEvent = {
      type: "summary",
      ...SUMMARY,
      total: 30,
      done: 30,
      failed: 0,
      failures: [],
      status: "done",
    };
    const frame = draw([...Array.from({ length: 30 }, (_, i) => done(i + 1, 0)), summary], plan);
    expect(frame).not.toMatch(/ #\s*\d+ /);
    expect(frame).toContain("30/30");
  });

  it("redraws as a store receives events (useApplyStatus)", async () => {
    const store = createApplyStore(plan5);
    const app = render(<ApplyProgressApp store={store} />);
    mounted.push(app);
    expect(plain(app.lastFrame())).toContain("0/5");
    for (const e of MIDWAY) store.emit(e);
    await waitFor(() => expect(plain(app.lastFrame())).toContain("3/5"));
    expect(plain(app.lastFrame())).toContain("quota_exceeded");
  });
});

describe("startProgressView", () => {
  it("draws each event and the summary, then unmounts on finish", async () => {
    const { stdout, options } = streams();
    const view = startProgressView(plan5, options);
    const emit = view.emit; // the CLI passes it around unbound
    for (const e of FINISHED) emit(e);
    await view.finish();
    const text = stdout.text();
    expect(text).toContain("5/5");
    expect(text).toContain("Apply failed: 3 done, 1 failed, 1 skipped of 5.");
    const written = stdout.writes.length;
    emit(started(1));
    await view.finish();
    await tick();
    expect(stdout.writes).toHaveLength(written);
  });
});
