import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { type CliResult, hasStackTrace, REPO_ROOT, runCli } from "../support/cli.js";
import { OWNER_TOKEN, startTestConsole, type TestConsole } from "../support/console.js";

/**
 * Each shipped example, applied for real against a fresh console bootstrapped for it: the apply converges
 * (a second plan has no changes), and the wallet moves exactly as the plan said, step by step, to the cent.
 */

/** The password of tom in examples/small-business, handed to orgctl only through the environment. */
const TOM_PASSWORD = "Tq4-bakery-S3cret-only-in-env-77f1";

interface LedgerEntry {
  id: number;
  amount_cents: number;
  reason: string;
  login: string | null;
  idempotency_key: string | null;
  balance_after_cents: number;
}

interface Step {
  id: string;
  amount_cents: number;
}

interface SavedPlan {
  plan_id: string;
  steps: Step[];
  errors: unknown[];
  money: {
    balance_before_cents: number;
    balance_after_cents: number;
    charges_cents: number;
    refunds_cents: number;
  };
}

interface ExampleUser {
  login: string;
  owner?: boolean;
  first_name: string;
  last_name: string;
  email: string;
  plan: string;
}

interface ExampleFile {
  organization: { name: string; plan: string };
  users: ExampleUser[];
}

type ApplyMode = "saved plan" | "-f text" | "-f json";

const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function ledger(ts: TestConsole): Promise<LedgerEntry[]> {
  const items: LedgerEntry[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
    const res = await ts.api("GET", `/v1/wallet/ledger?limit=1000${query}`);
    expect(res.status).toBe(200);
    items.push(...(res.body.items as LedgerEntry[]));
    cursor = res.body.next_cursor as string | null;
  } while (cursor);
  return items;
}

async function balance(ts: TestConsole): Promise<number> {
  const res = await ts.api("GET", "/v1/wallet?days=0");
  expect(res.status).toBe(200);
  return res.body.balance_cents as number;
}

function expectClean(result: CliResult, secret?: string): void {
  expect(hasStackTrace(result.stderr)).toBe(false);
  if (secret) {
    expect(result.stdout).not.toContain(secret);
    expect(result.stderr).not.toContain(secret);
  }
}

/** The JSON lines of `apply --format json`: every line parses and is one of the documented events. */
function events(stdout: string): Array<Record<string, unknown> & { type: string }> {
  const lines = stdout.split("\n").filter((line) => line.trim() !== "");
  const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown> & { type: string });
  for (const event of parsed) {
    expect([
      "apply_started",
      "step_started",
      "step_done",
      "step_failed",
      "step_skipped",
      "summary",
    ]).toContain(event.type);
  }
  return parsed;
}

const EXAMPLES: Array<{ name: string; mode: ApplyMode; env: Record<string, string>; secret?: string }> = [
  { name: "family", mode: "saved plan", env: {} },
  {
    name: "small-business",
    mode: "-f text",
    env: { ACME_TOM_PASSWORD: TOM_PASSWORD },
    secret: TOM_PASSWORD,
  },
  { name: "agency", mode: "-f json", env: {} },
];

describe("orgctl apply on the shipped examples", () => {
  for (const example of EXAMPLES) {
    it(`applies examples/${example.name} (${example.mode}), converges, and moves the wallet as planned`, async () => {
      const source = join(REPO_ROOT, "examples", example.name, "org.yaml");
      const desired = parse(readFileSync(source, "utf8")) as ExampleFile;
      const owner = desired.users.find((u) => u.owner === true);
      expect(owner, "the example marks its owner").toBeDefined();
      const ts = await startTestConsole({
        orgName: desired.organization.name,
        orgPlan: desired.organization.plan,
        ownerLogin: owner!.login,
        ownerEmail: owner!.email,
        ownerFirstName: owner!.first_name,
        ownerLastName: owner!.last_name,
        ownerPlan: owner!.plan,
        balanceCents: 10_000_000,
      });
      cleanups.push(() => ts.close());
      const dir = mkdtempSync(join(tmpdir(), `orgctl-apply-${example.name}-`));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      copyFileSync(source, join(dir, "org.yaml"));
      const env = { ORGCTL_TOKEN: OWNER_TOKEN, ...example.env };
      const cli = (args: string[]) => runCli([...args, "--endpoint", ts.url], { cwd: dir, env });

      const before = await ledger(ts);
      const lastBefore = before.reduce((max, e) => Math.max(max, e.id), 0);

      // 1. The plan, saved.
      const planned = await cli(["plan", "-f", "org.yaml", "--format", "json", "--out", "plan.json"]);
      expect(planned.code, planned.stderr).toBe(0);
      expectClean(planned, example.secret);
      const planText = readFileSync(join(dir, "plan.json"), "utf8");
      const plan = JSON.parse(planText) as SavedPlan;
      expect(plan.errors).toEqual([]);
      expect(plan.steps.length).toBeGreaterThan(0);
      expect(plan.money.balance_before_cents).toBe(await balance(ts));

      // 2. The apply.
      let applied: CliResult;
      if (example.mode === "saved plan") {
        // A saved plan is applied as is, without a prompt (and so without --auto-approve).
        applied = await cli(["apply", "plan.json", "--format", "json"]);
      } else if (example.mode === "-f text") {
        applied = await cli(["apply", "-f", "org.yaml", "--auto-approve"]);
      } else {
        applied = await cli([
          "apply",
          "-f",
          "org.yaml",
          "--auto-approve",
          "--format",
          "json",
          "--parallelism",
          "8",
        ]);
      }
      expect(applied.code, `${applied.stdout}\n${applied.stderr}`).toBe(0);
      expectClean(applied, example.secret);

      // Same inputs (config, revision) give the same plan: apply -f ran the very plan that was saved.
      if (example.mode === "-f text") {
        expect(applied.stdout).toContain(`plan ${plan.plan_id}`);
        expect(applied.stdout).toMatch(
          new RegExp(`Apply done: ${plan.steps.length} done, 0 failed, 0 skipped`),
        );
      } else {
        const stream = events(applied.stdout);
        const started = stream[0]!;
        const summary = stream[stream.length - 1]!;
        if (example.mode === "-f json") {
          expect(started).toMatchObject({ type: "apply_started", plan_id: plan.plan_id, parallelism: 8 });
        }
        expect(summary).toMatchObject({
          type: "summary",
          status: "done",
          plan_id: plan.plan_id,
          total: plan.steps.length,
          done: plan.steps.length,
          failed: 0,
          skipped: 0,
          not_started: 0,
        });
        const done = stream.filter((e) => e.type === "step_done").map((e) => e.id);
        expect(new Set(done)).toEqual(new Set(plan.steps.map((s) => s.id)));
        expect(done).toHaveLength(plan.steps.length);
      }

      // 3. Converged.
      const again = await cli(["plan", "-f", "org.yaml", "--detailed-exitcode"]);
      expect(again.code, again.stdout + again.stderr).toBe(0);
      expectClean(again, example.secret);

      // 4. The money: what the apply added to the ledger is what the plan predicted, step by step.
      const added = (await ledger(ts)).filter((e) => e.id > lastBefore);
      const sum = added.reduce((total, e) => total + e.amount_cents, 0);
      expect(sum).toBe(plan.money.refunds_cents - plan.money.charges_cents);
      expect(await balance(ts)).toBe(plan.money.balance_after_cents);
      const keyOf = (step: Step) => `orgctl:${plan.plan_id}:${step.id}`;
      const stepKeys = new Set(plan.steps.map(keyOf));
      for (const entry of added) {
        expect(stepKeys.has(entry.idempotency_key ?? ""), `ledger entry ${JSON.stringify(entry)}`).toBe(true);
      }
      for (const step of plan.steps) {
        const entries = added.filter((e) => e.idempotency_key === keyOf(step));
        const moved = entries.reduce((total, e) => total + e.amount_cents, 0);
        expect(moved, `ledger for step ${step.id}`).toBe(step.amount_cents);
        if (step.amount_cents !== 0) expect(entries.length, step.id).toBeGreaterThan(0);
      }
      // These examples only create: one ledger entry per charged step, none twice.
      const keys = added.map((e) => e.idempotency_key);
      expect(new Set(keys).size).toBe(keys.length);
      expect(added.length).toBe(plan.steps.filter((s) => s.amount_cents !== 0).length);

      // 5. The lock was released.
      expect((await ts.api("GET", "/v1/lock")).body).toEqual({ held: false });

      // 6. Secrets: the password went to the console (tom can log in) but is nowhere to be read back.
      if (example.secret) {
        expect(planText).toContain("ACME_TOM_PASSWORD");
        expect(planText).not.toContain(example.secret);
        const login = await ts.api(
          "POST",
          "/v1/sessions",
          { login: "tom", password: example.secret },
          { token: null },
        );
        expect(login.status, JSON.stringify(login.body)).toBe(201);
        const secretBytes = Buffer.from(example.secret, "utf8");
        for (const file of [ts.dbPath, `${ts.dbPath}-wal`]) {
          if (!existsSync(file)) continue;
          expect(readFileSync(file).includes(secretBytes), `${file} holds the password`).toBe(false);
        }
        expect(existsSync(ts.dbPath)).toBe(true);
      }
    }, 60_000);
  }
});
