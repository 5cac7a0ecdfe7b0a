/**
 * applyPlan never leaves a promise rejection unhandled: whatever a step's call throws (an Error, a string,
 * null, synchronously or asynchronously) becomes a failed step, and a failure of orgctl's own while recording
 * a step (an emit that throws) stops the apply cleanly and rejects applyPlan. vitest fails the run on an
 * unhandled rejection, and each test also listens for one itself, so that the failure names the test.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ApplyEvent } from "../../src/apply/events.js";
import { applyPlan } from "../../src/apply/execute.js";
import type { ConsoleClient } from "../../src/client/console-client.js";
import { ConsoleApiError, ConsoleUnreachableError } from "../../src/client/errors.js";
import type { PlannedOperation as Operation, Plan } from "../../src/plan/model.js";
import { buildPlan, step } from "../render/builder.js";

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeEach(() => {
  unhandled.length = 0;
  process.on("unhandledRejection", onUnhandled);
});
afterEach(() => {
  process.off("unhandledRejection", onUnhandled);
});

/** Lets pending promise jobs and timers run, so that a rejection would have been reported. */
const settleEventLoop = () => new Promise((resolve) => setTimeout(resolve, 20));

function threeSteps(): Plan {
  return buildPlan({
    steps: [
      step({ id: "group/a:create_group", kind: "group", action: "create_group", symbol: "+", summary: "a" }),
      step({ id: "group/b:create_group", kind: "group", action: "create_group", symbol: "+", summary: "b" }),
      step({ id: "group/c:create_group", kind: "group", action: "create_group", symbol: "+", summary: "c" }),
    ],
  });
}

/** A client whose operation for group b (the second) throws `thrown` (sync or async); every other call succeeds. */
function clientThrowing(thrown: () => unknown, mode: "sync" | "async"): ConsoleClient {
  const ok = { status: 200, body: { balance_cents: 12_000 }, etag: null, replayed: false };
  return {
    request: () => Promise.resolve(ok),
    perform() {
      if (mutations++ === 1) {
        if (mode === "sync") throw thrown();
        return Promise.reject(thrown());
      }
      return Promise.resolve(ok);
    },
  } as unknown as ConsoleClient;
}
let mutations = 0;
beforeEach(() => {
  mutations = 0;
});

describe("applyPlan: a step that throws", () => {
  const throws: [string, () => unknown][] = [
    ["an Error", () => new Error("socket exploded")],
    ["a string", () => "just a string"],
    ["null", () => null],
    ["undefined", () => undefined],
    ["an object with a numeric code", () => ({ code: 42 })],
  ];
  for (const mode of ["sync", "async"] as const) {
    it.each(throws)(`%s thrown ${mode}hronously becomes a failed step`, async (_name, thrown) => {
      const events: ApplyEvent[] = [];
      const summary = await applyPlan(threeSteps(), {
        client: clientThrowing(thrown, mode),
        parallelism: 1,
        emit: (event) => events.push(event),
        resolveSecret: () => "unused",
      });
      await settleEventLoop();
      expect(unhandled).toEqual([]);
      expect(summary.status).toBe("failed");
      expect({ done: summary.done, failed: summary.failed }).toEqual({ done: 2, failed: 1 });
      expect(summary.failures[0]).toMatchObject({ id: "group/b:create_group", code: "internal" });
      expect(summary.failures[0]!.message).toMatch(/this is a bug, please report it$/);
      expect(events.filter((e) => e.type === "step_failed")).toHaveLength(1);
      expect(events.at(-1)?.type).toBe("summary");
    });
  }

  it("keeps a console refusal's own code and message", async () => {
    const summary = await applyPlan(threeSteps(), {
      client: clientThrowing(() => new ConsoleApiError(409, "conflict", "group b exists"), "async"),
      parallelism: 2,
      emit: () => {},
      resolveSecret: () => "unused",
    });
    expect(summary.failures).toEqual([
      expect.objectContaining({ code: "conflict", message: "group b exists" }),
    ]);
  });
});

describe("applyPlan: orgctl's own failure while reporting a step", () => {
  for (const on of ["step_done", "step_started", "step_failed"] as const) {
    it(`an emit that throws on ${on} stops cleanly and rejects applyPlan`, async () => {
      const calls: string[] = [];
      const client = {
        request(method: string) {
          calls.push(method);
          return Promise.resolve({ status: 200, body: { balance_cents: 1 }, etag: null, replayed: false });
        },
        perform() {
          calls.push("perform");
          if (on === "step_failed") return Promise.reject(new ConsoleApiError(409, "conflict", "no"));
          return Promise.resolve({ status: 200, body: {}, etag: null, replayed: false });
        },
      } as unknown as ConsoleClient;
      const run = applyPlan(threeSteps(), {
        client,
        parallelism: 1,
        emit: (event) => {
          if (event.type === on) throw new Error(`renderer broke on ${on}`);
        },
        resolveSecret: () => "unused",
      });
      await expect(run).rejects.toThrow(`renderer broke on ${on}`);
      await settleEventLoop();
      expect(unhandled).toEqual([]);
      // Nothing more was started after the failure: at most the first step's mutation went out.
      expect(calls.filter((m) => m !== "GET")).toHaveLength(on === "step_started" ? 0 : 1);
    });
  }
});

/**
 * A fake console for apply: a wallet, an idempotency store, and answers lost on demand. `lose(path, n)`
 * commits the next `n` sends of that path and then throws as if the connection dropped before the answer.
 */
function fakeConsole(balance: number) {
  const committed = new Map<string, { amount: number }>();
  const losses = new Map<string, number>();
  const failing = new Set<string>();
  const sent: string[] = [];
  const ledger: { idempotency_key: string }[] = [];
  let down = false;
  const unreachable = () =>
    new ConsoleUnreachableError("the connection was reset (after 5 attempts)", "http://x", 5);
  const client = {
    request(method: string, path: string, options?: { idempotencyKey?: string; body?: { amount?: number } }) {
      if (down) return Promise.reject(unreachable());
      if (method === "GET") {
        return Promise.resolve({
          status: 200,
          body: { balance_cents: balance },
          etag: null,
          replayed: false,
        });
      }
      sent.push(path);
      const key = options!.idempotencyKey!;
      if (failing.has(path)) return Promise.reject(new ConsoleApiError(422, "invalid", `${path} refused`));
      const replayed = committed.has(key);
      if (!replayed) {
        const amount = amounts.get(path) ?? 0;
        committed.set(key, { amount });
        balance += amount;
        if (amount !== 0) ledger.push({ idempotency_key: key });
      }
      const lost = losses.get(path) ?? 0;
      if (lost > 0) {
        losses.set(path, lost - 1);
        if (losses.get(path) === 0 && goDown.has(path)) down = true;
        return Promise.reject(unreachable());
      }
      return Promise.resolve({ status: 200, body: {}, etag: null, replayed });
    },
    perform(operation: Operation, idempotencyKey: string) {
      return client.request("POST", (operation as { name: string }).name, { idempotencyKey });
    },
    listAll() {
      return !down ? Promise.resolve([...ledger]) : Promise.reject(unreachable());
    },
  } as unknown as ConsoleClient & {
    request(method: string, path: string, options?: { idempotencyKey?: string }): Promise<unknown>;
  };
  const amounts = new Map<string, number>();
  const goDown = new Set<string>();
  return {
    client,
    sent,
    balance: () => balance,
    /** What a send of `path` moves in the wallet. */
    price(path: string, amount: number) {
      amounts.set(path, amount);
    },
    lose(path: string, times: number) {
      losses.set(path, times);
    },
    refuse(path: string) {
      failing.add(path);
    },
    /** After the last lost answer of `path`, the console answers nothing more. */
    downAfter(path: string) {
      goDown.add(path);
    },
  };
}

/** An operation the fake console knows by its tag (the fake keys everything by it, as a console keys by path). */
const at = (tag: string) => ({ op: "update_org", name: tag }) as Operation;

describe("applyPlan follows depends_on and nothing else", () => {
  // a ← b ← c (a chain), d ← e, and f, which shares nothing with a but its user.
  const chain = () =>
    buildPlan({
      steps: [
        step({
          id: "alias/x:add_alias",
          kind: "alias",
          action: "add_alias",
          symbol: "+",
          summary: "a",
          operation: at("/a"),
        }),
        step({
          id: "user/b:create_user",
          kind: "user",
          action: "create_user",
          symbol: "+",
          summary: "b",
          operation: at("/b"),
          depends_on: ["alias/x:add_alias"],
        }),
        step({
          id: "membership/g/b:add_member",
          kind: "membership",
          action: "add_member",
          symbol: "+",
          summary: "c",
          operation: at("/c"),
          depends_on: ["user/b:create_user"],
        }),
        step({
          id: "group/d:create_group",
          kind: "group",
          action: "create_group",
          symbol: "+",
          summary: "d",
          operation: at("/d"),
        }),
        step({
          id: "membership/d/x:add_member",
          kind: "membership",
          action: "add_member",
          symbol: "+",
          summary: "e",
          operation: at("/e"),
          depends_on: ["group/d:create_group"],
        }),
        step({
          id: "user/x:update_user",
          kind: "user",
          action: "update_user",
          symbol: "~",
          summary: "f",
          operation: at("/f"),
        }),
      ],
    });

  for (const parallelism of [1, 4]) {
    it(`a failed step skips exactly its transitive dependents (parallelism ${parallelism})`, async () => {
      const fake = fakeConsole(10_000);
      fake.refuse("/a");
      const events: ApplyEvent[] = [];
      const summary = await applyPlan(chain(), {
        client: fake.client,
        parallelism,
        emit: (event) => events.push(event),
        resolveSecret: () => "unused",
      });
      expect(events.filter((e) => e.type === "step_failed").map((e) => e.id)).toEqual(["alias/x:add_alias"]);
      expect(events.filter((e) => e.type === "step_skipped").map((e) => [e.id, e.because])).toEqual([
        ["user/b:create_user", "alias/x:add_alias"],
        ["membership/g/b:add_member", "user/b:create_user"],
      ]);
      expect(new Set(events.filter((e) => e.type === "step_done").map((e) => e.id))).toEqual(
        new Set(["group/d:create_group", "membership/d/x:add_member", "user/x:update_user"]),
      );
      expect(summary).toMatchObject({ status: "failed", done: 3, failed: 1, skipped: 2, not_started: 0 });
      expect(fake.sent.sort()).toEqual(["/a", "/d", "/e", "/f"]);
    });
  }

  it("starts a step only once everything it depends on is done", async () => {
    const fake = fakeConsole(10_000);
    const order: string[] = [];
    const client = {
      ...fake.client,
      perform: (operation: Operation, key: string) => {
        order.push((operation as { name: string }).name);
        return fake.client.perform(operation, key);
      },
    } as unknown as ConsoleClient;
    await applyPlan(chain(), { client, parallelism: 8, emit: () => {}, resolveSecret: () => "" });
    expect(order.indexOf("/a")).toBeLessThan(order.indexOf("/b"));
    expect(order.indexOf("/b")).toBeLessThan(order.indexOf("/c"));
    expect(order.indexOf("/d")).toBeLessThan(order.indexOf("/e"));
  });
});

describe("applyPlan when an answer is lost after the step took effect", () => {
  const money = () =>
    buildPlan({
      balance: 10_000,
      steps: [
        step({
          id: "user/old:delete_user",
          kind: "user",
          action: "delete_user",
          symbol: "-",
          summary: "refund",
          operation: at("/refund"),
          amount_cents: 3000,
        }),
        step({
          id: "user/new:create_user",
          kind: "user",
          action: "create_user",
          symbol: "+",
          summary: "charge",
          operation: at("/charge"),
          amount_cents: -4200,
        }),
        step({
          id: "membership/g/new:add_member",
          kind: "membership",
          action: "add_member",
          symbol: "+",
          summary: "member",
          operation: at("/member"),
          depends_on: ["user/new:create_user"],
        }),
      ],
    });
  const run = async (fake: ReturnType<typeof fakeConsole>) => {
    const events: ApplyEvent[] = [];
    const summary = await applyPlan(money(), {
      client: fake.client,
      parallelism: 2,
      emit: (event) => events.push(event),
      resolveSecret: () => "",
    });
    // The summary adds up, whatever was lost.
    expect(summary.balance_before_cents - summary.charged_cents + summary.refunded_cents).toBe(
      summary.balance_after_cents,
    );
    expect(summary.balance_after_cents).toBe(fake.balance());
    return { events, summary };
  };
  const prepare = () => {
    const fake = fakeConsole(10_000);
    fake.price("/refund", 3000);
    fake.price("/charge", -4200);
    return fake;
  };

  it("sends it again with its key, and reports it done from the console's replayed answer", async () => {
    const fake = prepare();
    fake.lose("/charge", 1);
    const { events, summary } = await run(fake);
    expect(events.filter((e) => e.type === "step_failed")).toEqual([]);
    const charge = events.find((e) => e.type === "step_done" && e.id === "user/new:create_user");
    expect(charge).toMatchObject({ replayed: true, amount_cents: -4200 });
    // What depended on it ran after it was found out.
    expect(summary).toMatchObject({ status: "done", done: 3, charged_cents: 4200, refunded_cents: 3000 });
    expect(fake.sent.filter((p) => p === "/charge")).toHaveLength(2);
  });

  it("reads the ledger when the second answer is lost too: a committed step is done", async () => {
    const fake = prepare();
    fake.lose("/charge", 2);
    const { summary } = await run(fake);
    expect(summary).toMatchObject({ status: "done", done: 3, charged_cents: 4200 });
  });

  it("reads the ledger when the second answer is lost too: a step that never took effect failed", async () => {
    const fake = prepare();
    fake.refuse("/never");
    const events: ApplyEvent[] = [];
    // The console drops the charge before committing it: every send is lost, and the ledger has no entry.
    const client = {
      ...fake.client,
      perform: (operation: Operation, key: string) =>
        (operation as { name: string }).name === "/charge"
          ? Promise.reject(new ConsoleUnreachableError("reset", "http://x", 5))
          : fake.client.perform(operation, key),
    } as unknown as ConsoleClient;
    const summary = await applyPlan(money(), {
      client,
      parallelism: 2,
      emit: (event) => events.push(event),
      resolveSecret: () => "",
    });
    expect(summary).toMatchObject({ status: "failed", done: 1, failed: 1, skipped: 1, charged_cents: 0 });
    expect(summary.failures[0]).toMatchObject({ id: "user/new:create_user", code: "console_unreachable" });
    expect(summary.failures[0]!.message).toContain("did not take effect");
    expect(summary.balance_before_cents + summary.refunded_cents - summary.charged_cents).toBe(
      summary.balance_after_cents,
    );
  });

  it("when the console stops answering altogether, says it could not find out, and still adds up", async () => {
    const fake = prepare();
    fake.lose("/charge", 1);
    fake.downAfter("/charge");
    const events: ApplyEvent[] = [];
    const summary = await applyPlan(money(), {
      client: fake.client,
      parallelism: 1,
      emit: (event) => events.push(event),
      resolveSecret: () => "",
    });
    expect(summary.failures).toEqual([
      expect.objectContaining({ id: "user/new:create_user", code: "console_unreachable" }),
    ]);
    expect(summary.failures[0]!.message).toContain("could not find out whether this step took effect");
    // Nothing more can be read: the balance is the one the confirmed steps give.
    expect(summary.balance_before_cents + summary.refunded_cents - summary.charged_cents).toBe(
      summary.balance_after_cents,
    );
  });
});
