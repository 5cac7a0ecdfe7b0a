/**
 * Apply sends ready disables and deletes as bulk calls, against the real console over HTTP. The console's
 * access log counts the requests, its audit log says which idempotency key each user's change came with, and
 * every step is still reported on its own: done, failed or skipped, with a summary that adds up.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { ApplyEvent, ApplySummary } from "../../src/apply/events.js";
import { applyPlan } from "../../src/apply/execute.js";
import { ConsoleClient } from "../../src/client/console-client.js";
import { parseConfig } from "../../src/config/load.js";
import { buildPlan } from "../../src/plan/build.js";
import { liveView } from "../../src/plan/live.js";
import type { Plan } from "../../src/plan/model.js";
import { OWNER_TOKEN, OWNER_USER_YAML, startTestConsole, type TestConsole } from "../support/console.js";

/** org.yaml with the owner only: every other user of the console is removed (disabled, then deleted). */
const ORG_YAML = `version: 1
organization:
  name: Example Org
  plan: pro
policy:
  removed_users: delete
  removal_threshold: { percent: 100, min_users: 0 }
users:
${OWNER_USER_YAML}`;

interface Setup {
  ts: TestConsole;
  client: ConsoleClient;
  /** Every request the console answered, as its access log writes it: `METHOD /path STATUS`. */
  requests: string[];
}

const opened: Setup[] = [];
afterEach(async () => {
  for (const { ts, client } of opened.splice(0)) {
    await client.close();
    await ts.close();
  }
});

/** A console with `logins` as active paid users (so deleting each refunds its unused period). */
async function consoleWith(logins: string[]): Promise<Setup> {
  const requests: string[] = [];
  const ts = await startTestConsole({
    accessLog: (line) => requests.push(line.replace(/ \d+ms$/, "")),
  });
  const client = new ConsoleClient({ endpoint: ts.url, token: OWNER_TOKEN });
  const setup = { ts, client, requests };
  opened.push(setup);
  for (const login of logins) {
    const body = {
      login,
      email: `${login}@console.test`,
      first_name: "Old",
      last_name: login,
      plan: "entry",
      role: "member",
      password: "a long enough password 1",
    };
    expect((await ts.api("POST", "/v1/users", body)).status).toBe(201);
  }
  return setup;
}

async function planOf({ ts, client }: Setup): Promise<Plan> {
  const config = parseConfig(Buffer.from(ORG_YAML), "org.yaml");
  const plan = buildPlan(config.desired, liveView(await client.readLive()), {
    configFile: "org.yaml",
    configHash: config.hash,
    target: ts.url,
  });
  expect(plan.errors).toEqual([]);
  return plan;
}

async function apply(
  setup: Setup,
  plan: Plan,
  bulkSize: number,
): Promise<{ events: ApplyEvent[]; summary: ApplySummary; requests: string[] }> {
  const events: ApplyEvent[] = [];
  const from = setup.requests.length;
  const summary = await applyPlan(plan, {
    client: setup.client,
    parallelism: 1,
    bulkSize,
    emit: (event) => events.push(event),
    resolveSecret: () => "unused",
  });
  // Only the changes: apply's reads of the wallet are not what is counted.
  const requests = setup.requests.slice(from).filter((line) => !line.startsWith("GET "));
  return { events, summary, requests };
}

/** The ids of the steps reported with `type`, sorted. */
function idsOf(events: ApplyEvent[], type: ApplyEvent["type"]): string[] {
  return events
    .filter((e) => e.type === type)
    .map((e) => (e as { id: string }).id)
    .sort();
}

/** The idempotency key each user's change of `action` came with, by login, from the console's audit log. */
async function auditKeys(ts: TestConsole, action: string): Promise<Map<string, string | null>> {
  const res = await ts.api("GET", `/v1/audit?action=${action}&limit=500`);
  expect(res.status).toBe(200);
  const entries = res.body.items as { target: string; outcome: string; idempotency_key: string | null }[];
  return new Map(
    entries
      .filter((e) => e.outcome === "ok")
      .map((e) => [e.target.replace(/^user\//, ""), e.idempotency_key]),
  );
}

const USERS = Array.from({ length: 12 }, (_, i) => `old${String(i).padStart(2, "0")}`);

describe("apply's bulk calls", () => {
  it("removes 12 users in 6 bulk calls of up to 5, and reports each of the 24 steps on its own", async () => {
    const setup = await consoleWith(USERS);
    const plan = await planOf(setup);
    expect(plan.steps.map((s) => s.action).sort()).toEqual([
      ...USERS.map(() => "delete_user"),
      ...USERS.map(() => "disable_user"),
    ]);
    const before = setup.ts.running.service.state.balance;

    const { events, summary, requests } = await apply(setup, plan, 5);

    // 12 disables in calls of 5, 5 and 2, then the deletes they free, in calls of 5, 5 and 2.
    expect(requests).toEqual(Array.from({ length: 6 }, () => "POST /v1/users/bulk 200"));
    const ids = plan.steps.map((s) => s.id).sort();
    expect(idsOf(events, "step_started")).toEqual(ids);
    expect(idsOf(events, "step_done")).toEqual(ids);
    expect(summary).toMatchObject({ status: "done", done: 24, failed: 0, skipped: 0, not_started: 0 });
    const after = setup.ts.running.service.state.balance;
    expect(summary.refunded_cents).toBe(plan.money.refunds_cents);
    expect(summary.refunded_cents).toBeGreaterThan(0);
    expect(before - summary.charged_cents + summary.refunded_cents).toBe(after);
    expect(summary.balance_after_cents).toBe(after);
    // Each step's amount is reported with it, as when it is sent alone.
    for (const step of plan.steps) {
      const done = events.find((e) => e.type === "step_done" && e.id === step.id);
      expect(done).toMatchObject({ amount_cents: step.amount_cents });
    }
    expect([...setup.ts.running.service.state.users.keys()]).toEqual(["admin"]);

    // The console audited every user's change, each with the key of the bulk call that carried it.
    for (const action of ["disable_user", "delete_user"]) {
      const keys = await auditKeys(setup.ts, action);
      expect([...keys.keys()].sort()).toEqual(USERS);
      const calls = new Set(keys.values());
      expect(calls.size).toBe(3);
      for (const key of calls) {
        expect(key).toMatch(
          new RegExp(`^orgctl:${plan.plan_id}:bulk-${action.replace("_user", "")}:[0-9a-f]{32}$`),
        );
      }
    }
  });

  it("sends one request per step with a bulk size of 1, each with its step's key", async () => {
    const setup = await consoleWith(USERS.slice(0, 3));
    const plan = await planOf(setup);
    const { summary, requests } = await apply(setup, plan, 1);
    expect(summary).toMatchObject({ status: "done", done: 6 });
    expect(requests.sort()).toEqual(
      USERS.slice(0, 3)
        .flatMap((login) => [`DELETE /v1/users/${login} 204`, `POST /v1/users/${login}/disable 200`])
        .sort(),
    );
    const keys = await auditKeys(setup.ts, "delete_user");
    for (const login of USERS.slice(0, 3)) {
      expect(keys.get(login)).toBe(`orgctl:${plan.plan_id}:user/${login}:delete_user`);
    }
  });

  it("sends a refused bulk call's steps one by one: each gets its own answer, and skips follow depends_on", async () => {
    const logins = USERS.slice(0, 6);
    const setup = await consoleWith(logins);
    const plan = await planOf(setup);
    // After planning, someone else deletes old02: its disable must fail, and only its delete be skipped.
    const gone = "old02";
    expect((await setup.ts.api("POST", `/v1/users/${gone}/disable`)).status).toBe(200);
    expect((await setup.ts.api("DELETE", `/v1/users/${gone}`)).status).toBe(204);
    const before = setup.ts.running.service.state.balance;

    const { events, summary, requests } = await apply(setup, plan, 100);

    const disable = plan.steps.find((s) => s.action === "disable_user" && s.key === gone)!;
    const remove = plan.steps.find((s) => s.action === "delete_user" && s.key === gone)!;
    expect(remove.depends_on).toContain(disable.id);
    // The bulk disable is refused as a whole (404), then each disable goes alone; the deletes that are still
    // possible go together.
    expect(requests).toEqual([
      "POST /v1/users/bulk 404",
      ...logins.map((login) => `POST /v1/users/${login}/disable ${login === gone ? 404 : 200}`),
      "POST /v1/users/bulk 200",
    ]);
    expect(idsOf(events, "step_failed")).toEqual([disable.id]);
    expect(events.find((e) => e.type === "step_failed")).toMatchObject({ code: "not_found" });
    expect(events.filter((e) => e.type === "step_skipped")).toEqual([
      expect.objectContaining({ id: remove.id, because: disable.id }),
    ]);
    expect(idsOf(events, "step_done")).toEqual(
      plan.steps
        .filter((s) => s.key !== gone)
        .map((s) => s.id)
        .sort(),
    );
    expect(summary).toMatchObject({ status: "failed", done: 10, failed: 1, skipped: 1, not_started: 0 });
    expect(summary.failures.map((f) => f.id)).toEqual([disable.id]);
    const after = setup.ts.running.service.state.balance;
    expect(before - summary.charged_cents + summary.refunded_cents).toBe(after);
    expect(summary.refunded_cents).toBe(plan.money.refunds_cents - Math.abs(remove.amount_cents));

    // The disables that went alone came with their own step keys; the deletes with one bulk key.
    const disables = await auditKeys(setup.ts, "disable_user");
    for (const login of logins.filter((l) => l !== gone)) {
      expect(disables.get(login)).toBe(`orgctl:${plan.plan_id}:user/${login}:disable_user`);
    }
    const deletes = await auditKeys(setup.ts, "delete_user");
    const deleteKeys = new Set(logins.filter((l) => l !== gone).map((l) => deletes.get(l)));
    expect(deleteKeys.size).toBe(1);
    expect([...deleteKeys][0]).toMatch(new RegExp(`^orgctl:${plan.plan_id}:bulk-delete:`));
  });
});
