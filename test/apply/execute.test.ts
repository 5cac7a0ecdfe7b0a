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
import { ConsoleApiError } from "../../src/client/errors.js";
import type { Plan } from "../../src/plan/model.js";
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
