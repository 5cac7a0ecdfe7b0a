/**
 * Answers lost after the console committed: the real console with the `commit-drop` fault (the mutation is
 * committed, then the connection is dropped before the answer) and a client that does not retry, so that a
 * dropped answer reaches apply itself. Apply must find out whether each such step took effect before it
 * reports it, and its summary must add up: before - charged + refunded = after, the console's own balance.
 * Each seed runs twice: with every step sent alone, and with the deletes sent as one bulk call, whose lost
 * answer is found out as a whole (sent again with its key, or looked up by that key in the ledger).
 */
import { afterEach, describe, expect, it } from "vitest";
import type { ApplyEvent } from "../../src/apply/events.js";
import { applyPlan } from "../../src/apply/execute.js";
import { ConsoleClient } from "../../src/client/console-client.js";
import { parseConfig } from "../../src/config/load.js";
import { buildPlan } from "../../src/plan/build.js";
import { liveView } from "../../src/plan/live.js";
import { OWNER_TOKEN, OWNER_USER_YAML, startTestConsole, type TestConsole } from "../support/console.js";

const NEW_USERS = Array.from({ length: 8 }, (_, i) => `n${i}`);
const ORG_YAML = `version: 1
organization:
  name: Example Org
  plan: pro
policy:
  removed_users: delete
  removal_threshold: { percent: 100, min_users: 0 }
groups:
  - name: staff
users:
${OWNER_USER_YAML}${NEW_USERS.map(
  (login) => `  - login: ${login}
    first_name: New
    last_name: ${login}
    email: ${login}@console.test
    plan: entry
    groups: [staff]
`,
).join("")}`;

let ts: TestConsole | null = null;
let client: ConsoleClient | null = null;
afterEach(async () => {
  await client?.close();
  await ts?.close();
  client = null;
  ts = null;
});

describe("apply when answers are lost after the console committed", () => {
  const SEEDS = [1, 2, 3, 4, 5, 6];
  let foundOut = 0;
  let foundOutInBulk = 0;

  for (const [seed, bulkSize] of SEEDS.flatMap((seed) => [1, 100].map((size) => [seed, size] as const))) {
    it(`seed ${seed}, bulk size ${bulkSize}: every step is found out, and before - charged + refunded = after`, async () => {
      // Set-up without faults: two paid users to delete (refunds), on the same database as the faulty console.
      const setup = await startTestConsole();
      for (const login of ["old1", "old2"]) {
        const body = {
          login,
          email: `${login}@console.test`,
          first_name: "Old",
          last_name: login,
          plan: "pro",
          role: "member",
        };
        expect((await setup.api("POST", "/v1/users", body)).status).toBe(201);
        expect((await setup.api("POST", `/v1/users/${login}/disable`)).status).toBe(200);
      }
      await setup.running.close();
      ts = await startTestConsole({
        dir: setup.dir,
        faults: { rate: 0.4, kinds: ["commit-drop"], latencyMs: 0, seed },
      });
      // No retries: every dropped answer is a lost answer for apply (reads are never faulted by commit-drop).
      client = new ConsoleClient({ endpoint: ts.url, token: OWNER_TOKEN, retries: 0 });
      const config = parseConfig(Buffer.from(ORG_YAML), "org.yaml");
      const plan = buildPlan(config.desired, liveView(await client.readLive()), {
        configFile: "org.yaml",
        configHash: config.hash,
        target: ts.url,
      });
      expect(plan.errors).toEqual([]);
      expect(plan.money.charges_cents).toBeGreaterThan(0);
      expect(plan.money.refunds_cents).toBeGreaterThan(0);
      const before = ts.running.service.state.balance;

      const events: ApplyEvent[] = [];
      const summary = await applyPlan(plan, {
        client,
        parallelism: 1,
        bulkSize,
        emit: (event) => events.push(event),
        resolveSecret: () => "unused",
      });
      const after = ts.running.service.state.balance;

      expect(summary.balance_before_cents).toBe(before);
      expect(summary.balance_after_cents).toBe(after);
      expect(before - summary.charged_cents + summary.refunded_cents).toBe(after);
      // Every step is reported once (done, failed or skipped), and only a step the console holds no trace
      // of may fail: a money step's ledger entry, or, for the others, an answer apply could not get.
      const reported = events.filter(
        (e) => e.type === "step_done" || e.type === "step_failed" || e.type === "step_skipped",
      );
      expect(reported.map((e) => (e as { id: string }).id).sort()).toEqual(
        plan.steps.map((s) => s.id).sort(),
      );
      expect(summary.not_started).toBe(0);
      const keys = new Set(ts.running.service.store.ledgerPage(0, 100_000).map((e) => e.idempotency_key));
      const users = ts.running.service.state.users;
      for (const failed of summary.failures) {
        const step = plan.steps.find((s) => s.id === failed.id)!;
        if (step.amount_cents !== 0) expect(keys.has(`orgctl:${plan.plan_id}:${step.id}`)).toBe(false);
        // What failed did not happen: a user whose creation failed does not exist, one whose deletion failed does.
        if (step.action === "create_user") expect(users.has(step.key)).toBe(false);
        if (step.action === "delete_user") expect(users.has(step.key)).toBe(true);
      }
      // What is reported done did happen.
      for (const done of events.filter((e) => e.type === "step_done")) {
        const step = plan.steps.find((s) => s.id === (done as { id: string }).id)!;
        if (step.action === "create_user") expect(users.has(step.key)).toBe(true);
        if (step.action === "delete_user") expect(users.has(step.key)).toBe(false);
      }
      const replayed = events.filter((e) => e.type === "step_done" && e.replayed);
      foundOut += replayed.length;
      if (bulkSize > 1) {
        foundOutInBulk += replayed.filter((e) => (e as { id: string }).id.endsWith(":delete_user")).length;
      }
    });
  }

  it("lost some answers in those runs (the test exercises what it claims)", () => {
    expect(foundOut).toBeGreaterThan(0);
    expect(foundOutInBulk).toBeGreaterThan(0);
  });
});
