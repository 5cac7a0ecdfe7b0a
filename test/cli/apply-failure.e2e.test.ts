import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliResult, hasStackTrace, runCli } from "../support/cli.js";
import { OWNER_TOKEN, OWNER_USER_YAML, startTestConsole, type TestConsole } from "../support/console.js";

/**
 * A step that fails (pat's password variable is set when the plan is saved, gone when it is applied): what
 * depends on it is skipped, everything independent is done, the next plan holds exactly what is left, and
 * the next apply finishes it. Without the variable, plan and apply -f refuse up front.
 */

const PASSWORD = "Pw8-missing-then-set-never-shown-b51a";
const EVENT_TYPES = ["apply_started", "step_started", "step_done", "step_failed", "step_skipped", "summary"];

/** Twelve groups for pat: ten are joined at creation, the last two by membership steps after it. */
const GROUPS = Array.from({ length: 12 }, (_, i) => `g${String(i + 1).padStart(2, "0")}`);

const ORG_YAML = `version: 1
organization:
  name: Example Org
  plan: pro
domains:
  - name: fail.example
groups:
${GROUPS.map((g) => `  - name: ${g}`).join("\n")}
  - name: staff
users:
${OWNER_USER_YAML}  - login: pat
    first_name: Pat
    last_name: Failing
    email: pat@console.test
    plan: entry
    aliases: [pat@fail.example, pat.b@fail.example]
    groups: [${GROUPS.join(", ")}]
    password: { env: MISSING_PW }
  - login: quinn
    first_name: Quinn
    last_name: Fine
    email: quinn@console.test
    plan: entry
    aliases: [quinn@fail.example]
    groups: [staff]
  - login: rae
    first_name: Rae
    last_name: Fine
    email: rae@fail.example
    plan: free
`;

const PAT_CREATE = "user/pat:create_user";
const PAT_DEPENDENTS = [
  "alias/pat.b@fail.example:add_alias",
  "alias/pat@fail.example:add_alias",
  "membership/g11/pat:add_member",
  "membership/g12/pat:add_member",
];

interface Event {
  type: string;
  id?: string;
  because?: string;
  [key: string]: unknown;
}

interface PlanJson {
  plan_id: string;
  steps: Array<{ id: string; amount_cents: number }>;
  errors: unknown[];
}

interface LedgerEntry {
  amount_cents: number;
  reason: string;
  login: string | null;
}

/** Parses `--format json` output: one JSON object per line, each a documented event, in a valid order. */
function parseEvents(stdout: string): Event[] {
  const lines = stdout.split("\n").filter((line) => line.trim() !== "");
  const events = lines.map((line) => JSON.parse(line) as Event);
  for (const event of events) expect(EVENT_TYPES).toContain(event.type);
  expect(events[0]?.type).toBe("apply_started");
  expect(events[events.length - 1]?.type).toBe("summary");
  expect(events.filter((e) => e.type === "apply_started")).toHaveLength(1);
  expect(events.filter((e) => e.type === "summary")).toHaveLength(1);
  const started = events.filter((e) => e.type === "step_started").map((e) => e.id);
  const finished = events.filter((e) => e.type === "step_done" || e.type === "step_failed").map((e) => e.id);
  expect([...finished].sort()).toEqual([...started].sort());
  const skipped = events.filter((e) => e.type === "step_skipped").map((e) => e.id);
  for (const id of skipped) expect(started).not.toContain(id);
  for (const event of events) {
    if (event.type === "step_done" || event.type === "step_failed" || event.type === "step_skipped") {
      expect(events.indexOf(event)).toBeGreaterThan(0);
    }
  }
  return events;
}

describe("orgctl apply when a step fails", () => {
  let ts: TestConsole;
  let dir: string;
  const outputs: string[] = [];

  beforeAll(async () => {
    ts = await startTestConsole();
    dir = mkdtempSync(join(tmpdir(), "orgctl-apply-failure-"));
    writeFileSync(join(dir, "org.yaml"), ORG_YAML);
  });
  afterAll(async () => {
    await ts?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const cli = async (args: string[], env: Record<string, string> = {}): Promise<CliResult> => {
    const result = await runCli([...args, "--endpoint", ts.url], {
      cwd: dir,
      env: { ORGCTL_TOKEN: OWNER_TOKEN, ...env },
    });
    outputs.push(result.stdout, result.stderr);
    expect(hasStackTrace(result.stderr), result.stderr).toBe(false);
    return result;
  };
  const revision = async () => (await ts.api("GET", "/v1/org")).body.revision as number;
  const ledger = async () =>
    (await ts.api("GET", "/v1/wallet/ledger?limit=1000")).body.items as LedgerEntry[];

  it("without a terminal and without --auto-approve, asks for it and changes nothing", async () => {
    const before = await revision();
    const result = await cli(["apply", "-f", "org.yaml"], { MISSING_PW: PASSWORD });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("--auto-approve");
    expect(result.stderr).toContain("confirmation_required");
    expect(await revision()).toBe(before);
    expect((await ts.api("GET", "/v1/lock")).body).toEqual({ held: false });
  });

  it("fails the step, skips its dependents, does the independent steps, and plans exactly what is left", async () => {
    // Planned from org.yaml without the variable, nothing is sent: the password is checked first.
    const before = await revision();
    const refused = await cli(["apply", "-f", "org.yaml", "--auto-approve"]);
    expect(refused.code, refused.stdout + refused.stderr).toBe(1);
    expect(refused.stdout).toMatch(/org\.yaml:36:\d+ secret_missing: pat: environment variable MISSING_PW/);
    expect(await revision()).toBe(before);

    const planned = await cli(["plan", "-f", "org.yaml", "--format", "json", "--out", "failing.json"], {
      MISSING_PW: PASSWORD,
    });
    expect(planned.code, planned.stderr).toBe(0);
    const plan = JSON.parse(planned.stdout) as PlanJson;
    const allIds = plan.steps.map((s) => s.id);
    expect(allIds).toContain(PAT_CREATE);
    for (const id of PAT_DEPENDENTS) expect(allIds).toContain(id);
    const independent = allIds.filter((id) => id !== PAT_CREATE && !PAT_DEPENDENTS.includes(id));
    expect(independent).toEqual(expect.arrayContaining(["user/quinn:create_user", "user/rae:create_user"]));

    // 1. The saved plan, applied with MISSING_PW unset.
    const result = await cli(["apply", "failing.json", "--auto-approve", "--format", "json"]);
    expect(result.code, result.stdout + result.stderr).toBe(1);
    const events = parseEvents(result.stdout);
    expect(events[0]).toMatchObject({ type: "apply_started", plan_id: plan.plan_id, steps: allIds.length });

    const failed = events.filter((e) => e.type === "step_failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ id: PAT_CREATE, code: "secret_missing" });
    expect(String(failed[0]!.message)).toContain("MISSING_PW");

    const skipped = events.filter((e) => e.type === "step_skipped");
    expect(skipped.map((e) => e.id).sort()).toEqual([...PAT_DEPENDENTS].sort());
    for (const e of skipped) expect([PAT_CREATE, ...PAT_DEPENDENTS]).toContain(e.because);

    const done = events.filter((e) => e.type === "step_done").map((e) => e.id);
    expect([...done].sort()).toEqual([...independent].sort());

    const summary = events[events.length - 1]!;
    expect(summary).toMatchObject({
      type: "summary",
      status: "failed",
      plan_id: plan.plan_id,
      total: allIds.length,
      done: independent.length,
      failed: 1,
      skipped: PAT_DEPENDENTS.length,
      not_started: 0,
    });
    expect(summary.failures).toEqual([
      expect.objectContaining({
        id: PAT_CREATE,
        code: "secret_missing",
        summary: expect.stringContaining("pat"),
      }),
    ]);

    // pat was not created nor charged; quinn was.
    expect((await ts.api("GET", "/v1/users/pat")).status).toBe(404);
    expect((await ts.api("GET", "/v1/users/quinn")).status).toBe(200);
    const charged = (await ledger()).filter((e) => e.reason === "user_created").map((e) => e.login);
    expect(charged).not.toContain("pat");
    expect(charged).toContain("quinn");
    expect((await ts.api("GET", "/v1/lock")).body).toEqual({ held: false });

    // 2. The next plan holds exactly the rest: pat's creation and memberships. Now that fail.example exists,
    // pat's two aliases ride in the create call instead of being steps of their own.
    const left = await cli(["plan", "-f", "org.yaml", "--format", "json", "--out", "rest.json"], {
      MISSING_PW: PASSWORD,
    });
    expect(left.code, left.stderr).toBe(0);
    const leftPlan = JSON.parse(left.stdout) as PlanJson;
    expect(leftPlan.errors).toEqual([]);
    const rest = ["membership/g11/pat:add_member", "membership/g12/pat:add_member"];
    expect(leftPlan.steps.map((s) => s.id).sort()).toEqual([...rest, PAT_CREATE].sort());
    const create = leftPlan.steps.find((s) => s.id === PAT_CREATE) as unknown as {
      operation: { user: { aliases: string[] } };
    };
    expect([...create.operation.user.aliases].sort()).toEqual(["pat.b@fail.example", "pat@fail.example"]);

    // 3. In text, the summary names the failed step and its code, and says what to do.
    const text = await cli(["apply", "rest.json", "--auto-approve"]);
    expect(text.code, text.stdout + text.stderr).toBe(1);
    expect(text.stdout).toContain(`Apply failed: 0 done, 1 failed, ${rest.length} skipped of 3.`);
    expect(text.stdout).toMatch(/✗ step \d+ create user pat <pat@console\.test>.*: secret_missing: /);
    expect(text.stdout).toContain("skipped  add pat to group g11");
    expect(text.stdout).toContain("orgctl apply` again");

    // 4. With the variable set, the apply finishes and the console matches the file.
    const fixed = await cli(["apply", "-f", "org.yaml", "--auto-approve", "--format", "json"], {
      MISSING_PW: PASSWORD,
    });
    expect(fixed.code, fixed.stdout + fixed.stderr).toBe(0);
    const fixedEvents = parseEvents(fixed.stdout);
    expect(fixedEvents[fixedEvents.length - 1]).toMatchObject({
      status: "done",
      done: 3,
      failed: 0,
      skipped: 0,
    });

    const converged = await cli(["plan", "-f", "org.yaml", "--detailed-exitcode", "--out", "plan.json"], {
      MISSING_PW: PASSWORD,
    });
    expect(converged.code, converged.stdout + converged.stderr).toBe(0);
    expect(converged.stdout).toContain("No changes.");
    // Nothing left: in JSON, a single summary line of the documented shape.
    const nothing = await cli(["apply", "-f", "org.yaml", "--auto-approve", "--format", "json"], {
      MISSING_PW: PASSWORD,
    });
    expect(nothing.code, nothing.stdout + nothing.stderr).toBe(0);
    const nothingLines = nothing.stdout.split("\n").filter((l) => l.trim() !== "");
    expect(nothingLines).toHaveLength(1);
    const balanceNow = (await ts.api("GET", "/v1/wallet?days=0")).body.balance_cents as number;
    expect(JSON.parse(nothingLines[0]!)).toEqual({
      type: "summary",
      target: ts.url,
      status: "done",
      plan_id: expect.any(String),
      total: 0,
      done: 0,
      failed: 0,
      skipped: 0,
      not_started: 0,
      balance_before_cents: balanceNow,
      balance_after_cents: balanceNow,
      charged_cents: 0,
      refunded_cents: 0,
      failures: [],
    });

    const pat = await ts.api("GET", "/v1/users/pat");
    expect(pat.status).toBe(200);
    expect([...(pat.body.groups as string[])].sort()).toEqual(GROUPS);
    expect([...(pat.body.aliases as string[])].sort()).toEqual(["pat.b@fail.example", "pat@fail.example"]);
  });

  it("refuses a plan the console would refuse: exit 1, nothing applied, JSON lines stay JSON", async () => {
    const extra = Array.from(
      { length: 20 },
      (_, i) =>
        `  - login: extra${i}\n    first_name: Extra\n    last_name: N${i}\n    email: extra${i}@console.test\n    plan: entry\n`,
    ).join("");
    writeFileSync(join(dir, "short.yaml"), ORG_YAML + extra);
    const before = await revision();
    const env = { MISSING_PW: PASSWORD };

    const text = await cli(["apply", "-f", "short.yaml", "--auto-approve"], env);
    expect(text.code, text.stdout + text.stderr).toBe(1);
    expect(text.stdout).toContain("insufficient_funds: wallet short by");
    expect(text.stdout).toContain("nothing will be applied");

    const json = await cli(["apply", "-f", "short.yaml", "--auto-approve", "--format", "json"], env);
    expect(json.code, json.stdout + json.stderr).toBe(1);
    for (const line of json.stdout.split("\n").filter((l) => l.trim() !== "")) {
      const event = JSON.parse(line) as Event;
      expect(EVENT_TYPES).toContain(event.type);
    }
    // The reason is still shown, on stderr.
    expect(json.stderr).toContain("insufficient_funds: wallet short by");

    expect(await revision()).toBe(before);
    expect((await ts.api("GET", "/v1/lock")).body).toEqual({ held: false });
  });

  it("never lets the password out: not in any output, the plan file, or the console's database", async () => {
    // The password did reach the console: pat logs in with it.
    const session = await ts.api(
      "POST",
      "/v1/sessions",
      { login: "pat", password: PASSWORD },
      { token: null },
    );
    expect(session.status, JSON.stringify(session.body)).toBe(201);
    expect(outputs.length).toBeGreaterThan(10);
    for (const text of outputs) expect(text).not.toContain(PASSWORD);
    const planFile = readFileSync(join(dir, "plan.json"), "utf8");
    expect(planFile).not.toContain(PASSWORD);
    const bytes = Buffer.from(PASSWORD, "utf8");
    expect(existsSync(ts.dbPath)).toBe(true);
    for (const file of [ts.dbPath, `${ts.dbPath}-wal`]) {
      if (existsSync(file)) expect(readFileSync(file).includes(bytes), file).toBe(false);
    }
  });
});
