import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, ensureBuilt, hasStackTrace, runCli } from "../support/cli.js";
import { OWNER_TOKEN, startTestConsole, type TestConsole } from "../support/console.js";

/**
 * An apply killed with SIGKILL halfway (no chance to release anything), then run again: it converges, and
 * no step is charged twice.
 *
 * What happens to the lock: the dead process still holds the console's apply lease. A lease lasts
 * LOCK_TTL_SECONDS (60 s) past its last renewal; here the console's clock is pinned, so it would never run
 * out. A plain `apply` meanwhile fails with `locked`, naming the dead holder; an operator (this test) who has
 * checked that the holder is gone breaks it with DELETE /v1/lock?force=true, as documented.
 */

const USERS = 200;
const KILL_AFTER = 40;
/** Every 50th user gets a password from this variable. */
const PASSWORD = "Kx9-sigkill-Pa55-never-on-disk-3e0d";

interface LedgerEntry {
  id: number;
  amount_cents: number;
  reason: string;
  login: string | null;
  idempotency_key: string | null;
}

interface ApplyEvent {
  type: string;
  id?: string;
  [key: string]: unknown;
}

const login = (i: number) => `user${String(i).padStart(3, "0")}`;

function orgYaml(): string {
  const lines = [
    "version: 1",
    "organization:",
    "  name: Example Org",
    "  plan: ultra",
    "groups:",
    "  - name: staff",
    "users:",
    "  - login: admin",
    "    owner: true",
    "    first_name: Org",
    "    last_name: Owner",
    "    email: admin@console.test",
    "    plan: pro",
    "    role: org_admin",
  ];
  for (let i = 1; i <= USERS; i++) {
    lines.push(
      `  - login: ${login(i)}`,
      `    first_name: User`,
      `    last_name: N${i}`,
      `    email: ${login(i)}@console.test`,
      "    plan: entry",
      "    groups: [staff]",
    );
    if (i % 50 === 0) lines.push("    password: { env: KILL_PW }");
  }
  return `${lines.join("\n")}\n`;
}

function childEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.toUpperCase().startsWith("ORGCTL_")) env[key] = value;
  }
  delete env.FORCE_COLOR;
  return { ...env, NO_COLOR: "1", ORGCTL_TOKEN: OWNER_TOKEN, KILL_PW: PASSWORD };
}

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

describe("orgctl apply killed with SIGKILL halfway", () => {
  let ts: TestConsole;
  let dir: string;
  const outputs: string[] = [];

  beforeAll(async () => {
    ensureBuilt();
    ts = await startTestConsole({ orgPlan: "ultra", balanceCents: 10_000_000 });
    dir = mkdtempSync(join(tmpdir(), "orgctl-apply-kill-"));
    writeFileSync(join(dir, "org.yaml"), orgYaml());
  });
  afterAll(async () => {
    await ts?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const cli = async (args: string[]) => {
    const result = await runCli([...args, "--endpoint", ts.url], {
      cwd: dir,
      env: { ORGCTL_TOKEN: OWNER_TOKEN, KILL_PW: PASSWORD },
    });
    outputs.push(result.stdout, result.stderr);
    expect(hasStackTrace(result.stderr), result.stderr).toBe(false);
    return result;
  };

  it("converges on the next apply, charging every user exactly once", async () => {
    // 1. Start the apply and kill it after KILL_AFTER steps are done.
    const child = spawn(
      process.execPath,
      [CLI, "apply", "-f", "org.yaml", "--auto-approve", "--format", "json", "--endpoint", ts.url],
      { cwd: dir, env: childEnv(), stdio: ["ignore", "pipe", "pipe"] },
    );
    const seen: ApplyEvent[] = [];
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once("exit", (code, signal) => resolve({ code, signal })),
    );
    let killedAt = -1;
    const lines = createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      outputs.push(line);
      const event = JSON.parse(line) as ApplyEvent;
      seen.push(event);
      const done = seen.filter((e) => e.type === "step_done").length;
      if (killedAt < 0 && done >= KILL_AFTER) {
        killedAt = done;
        child.kill("SIGKILL");
      }
    });
    const end = await exited;
    outputs.push(stderr);
    expect(end.signal, `the apply ended on its own: ${stderr}`).toBe("SIGKILL");
    expect(killedAt).toBe(KILL_AFTER);
    const started = seen[0]!;
    expect(started.type).toBe("apply_started");
    const total = started.steps as number;
    expect(total).toBe(USERS + 1); // the group, then the users
    expect(seen.some((e) => e.type === "summary")).toBe(false);

    // Halfway for real: some users exist, not all.
    const afterKill = await ledger(ts);
    const createdAtKill = afterKill.filter((e) => e.reason === "user_created" && e.login !== "admin").length;
    expect(createdAtKill).toBeGreaterThanOrEqual(KILL_AFTER - 1);
    expect(createdAtKill).toBeLessThan(USERS);

    // 2. The dead process still holds the lock; a new apply is refused and names it.
    const held = await ts.api("GET", "/v1/lock");
    expect(held.status).toBe(200);
    expect(held.body.held).toBe(true);
    expect(held.body.lock.holder).toContain(`(pid ${child.pid})`);
    const refused = await cli(["apply", "-f", "org.yaml", "--auto-approve"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("locked");
    expect(refused.stderr).toContain(`(pid ${child.pid})`);
    expect(refused.stderr).toContain(`since ${held.body.lock.since}`);

    // Its lock id died with it; an org_admin breaks the lease instead of waiting for it to expire.
    expect(held.body.lock.lock_id).toBeUndefined();
    const released = await ts.api("DELETE", "/v1/lock?force=true");
    expect(released.status).toBe(204);
    expect((await ts.api("GET", "/v1/lock")).body).toEqual({ held: false });

    // 3. Run again: only what is left, then nothing.
    const createdBeforeRerun = (await ledger(ts)).filter(
      (e) => e.reason === "user_created" && e.login !== "admin",
    ).length;
    const again = await cli(["apply", "-f", "org.yaml", "--auto-approve", "--format", "json"]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    const events = again.stdout
      .split("\n")
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as ApplyEvent);
    const summary = events[events.length - 1]!;
    expect(summary).toMatchObject({ type: "summary", status: "done", failed: 0, skipped: 0 });
    // The second apply created exactly the users the first one had not.
    const creates = events.filter((e) => e.type === "step_done" && String(e.id).endsWith(":create_user"));
    expect(creates.length).toBe(USERS - createdBeforeRerun);

    const plan = await cli(["plan", "-f", "org.yaml", "--detailed-exitcode"]);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);

    // 4. The money: one charge per user, no key used twice, and the balance is the ledger's sum.
    const entries = await ledger(ts);
    const created = entries.filter((e) => e.reason === "user_created");
    const perLogin = new Map<string, number>();
    for (const e of created) perLogin.set(e.login ?? "", (perLogin.get(e.login ?? "") ?? 0) + 1);
    expect(perLogin.size).toBe(USERS + 1);
    for (const [who, count] of perLogin) expect(count, `user_created entries for ${who}`).toBe(1);
    for (let i = 1; i <= USERS; i++) expect(perLogin.has(login(i))).toBe(true);
    const keys = entries.map((e) => e.idempotency_key).filter((k): k is string => k !== null);
    expect(new Set(keys).size).toBe(keys.length);
    const sum = entries.reduce((total, e) => total + e.amount_cents, 0);
    const wallet = await ts.api("GET", "/v1/wallet?days=0");
    expect(wallet.body.balance_cents).toBe(sum);
    expect(sum).toBe(10_000_000 - 9000 - USERS * 4200);
    expect((await ts.api("GET", "/v1/lock")).body).toEqual({ held: false });

    // 5. The passwords reached the console and nothing else.
    const session = await ts.api(
      "POST",
      "/v1/sessions",
      { login: login(50), password: PASSWORD },
      { token: null },
    );
    expect(session.status).toBe(201);
    for (const text of outputs) expect(text).not.toContain(PASSWORD);
    const bytes = Buffer.from(PASSWORD, "utf8");
    for (const file of [ts.dbPath, `${ts.dbPath}-wal`]) {
      if (existsSync(file)) expect(readFileSync(file).includes(bytes), file).toBe(false);
    }
  }, 60_000);
});
