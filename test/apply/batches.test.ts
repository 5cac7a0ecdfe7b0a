/** Which ready steps apply sends together, and the key a bulk call carries. */
import { describe, expect, it } from "vitest";
import { batchKey, ReadySteps } from "../../src/apply/batches.js";
import type { Plan, PlanStep } from "../../src/plan/model.js";

/** Just what ReadySteps and batchKey read of a step. */
function step(index: number, action: string, login: string, secret = false): PlanStep {
  return {
    id: `user/${login}:${action}`,
    index,
    action,
    key: login,
    operation: { op: action, login },
    ...(secret ? { secret: { env: "PW" } } : {}),
  } as unknown as PlanStep;
}

const ids = (steps: PlanStep[]) => steps.map((s) => s.id);

describe("ReadySteps", () => {
  it("starts steps in plan order, taking along the ready steps of the same bulk action up to the size", () => {
    const ready = new ReadySteps(3);
    for (const s of [
      step(5, "disable_user", "e"),
      step(1, "update_user", "a"),
      step(2, "disable_user", "b"),
      step(9, "delete_user", "z"),
      step(3, "disable_user", "c"),
      step(4, "disable_user", "d"),
      step(6, "disable_user", "f"),
    ]) {
      ready.push(s);
    }
    expect(ready.size).toBe(7);
    expect(ids(ready.next())).toEqual(["user/a:update_user"]);
    expect(ids(ready.next())).toEqual(["user/b:disable_user", "user/c:disable_user", "user/d:disable_user"]);
    expect(ids(ready.next())).toEqual(["user/e:disable_user", "user/f:disable_user"]);
    expect(ready.size).toBe(1);
    expect(ids(ready.next())).toEqual(["user/z:delete_user"]);
    expect(ready.next()).toEqual([]);
    expect(ready.size).toBe(0);
  });

  it("sends every step alone with a size of 1", () => {
    const ready = new ReadySteps(1);
    ready.push(step(2, "delete_user", "b"));
    ready.push(step(1, "delete_user", "a"));
    expect(ids(ready.next())).toEqual(["user/a:delete_user"]);
    expect(ids(ready.next())).toEqual(["user/b:delete_user"]);
  });

  it("never batches a step that has no bulk action or that carries a secret", () => {
    const ready = new ReadySteps(10);
    ready.push(step(1, "enable_user", "a"));
    ready.push(step(2, "enable_user", "b"));
    ready.push(step(3, "delete_user", "c", true));
    ready.push(step(4, "delete_user", "d"));
    expect(ids(ready.next())).toEqual(["user/a:enable_user"]);
    expect(ids(ready.next())).toEqual(["user/b:enable_user"]);
    expect(ids(ready.next())).toEqual(["user/c:delete_user"]);
    expect(ids(ready.next())).toEqual(["user/d:delete_user"]);
  });
});

describe("batchKey", () => {
  const plan = { plan_id: "p1" } as Plan;
  it("is the same for the same steps in any order, and differs for other steps, action or plan", () => {
    const a = step(1, "delete_user", "a");
    const b = step(2, "delete_user", "b");
    const key = batchKey(plan, "delete", [a, b]);
    expect(key).toMatch(/^orgctl:p1:bulk-delete:[0-9a-f]{32}$/);
    expect(batchKey(plan, "delete", [b, a])).toBe(key);
    expect(batchKey(plan, "delete", [a])).not.toBe(key);
    expect(batchKey(plan, "disable", [a, b])).not.toBe(key);
    expect(batchKey({ plan_id: "p2" } as Plan, "delete", [a, b])).not.toBe(key);
    expect(key.length).toBeLessThanOrEqual(200);
  });
});
