import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConsoleStore, type LedgerEntry } from "../../src/console/store.js";
import { CLI, ensureBuilt, hasStackTrace, runCli } from "../support/cli.js";
import { callApi, OWNER_TOKEN, type ServeProcess, spawnServe } from "../support/console.js";

/**
 * The console (not the CLI) is killed with SIGKILL in the middle of an apply, then started again on the same
 * database:
 * - the CLI fails cleanly: exit 1 after its retries, `console_unreachable` step failures, no stack trace, no hang;
 * - the database the killed console left is consistent (balance = ledger sum, no half-written user);
 * - the dead CLI's lease is still held (the pinned clock never lets it run out): an operator releases it with
 *   DELETE /v1/lock?force=true (an org_admin breaking a dead holder's lease);
 * - the next apply converges, the plan after it is empty, and every user was charged exactly once.
 */

const USERS = 150;
const KILL_AFTER = 30;
const NOW = "2026-03-01T12:00:00Z";
const START_BALANCE = 10_000_000;
const ALIAS_EVERY = 10;
/** From SIGKILL of the console to the CLI's exit: its retries for every step left, but no hang. */
const CLI_EXIT_WITHIN_MS = 90_000;

interface ApplyEvent {
  type: string;
  id?: string;
  code?: string;
  message?: string;
  status?: string;
  [key: string]: unknown;
}

const login = (i: number) => `user${String(i).padStart(3, "0")}`;

function orgYaml(): string {
  const lines = [
    "version: 1",
    "organization:",
    "  name: Example Org",
    "  plan: pro",
    "domains:",
    "  - name: kill.example",
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
      "    first_name: User",
      `    last_name: N${i}`,
      `    email: ${login(i)}@console.test`,
      "    plan: entry",
      i === 1 ? "    role: org_admin" : "    role: member",
      "    groups: [staff]",
    );
    if (i % ALIAS_EVERY === 0) lines.push(`    aliases: [${login(i)}@kill.example]`);
  }
  return `${lines.join("\n")}\n`;
}

function childEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.toUpperCase().startsWith("ORGCTL_")) env[key] = value;
  }
  delete env.FORCE_COLOR;
  return { ...env, NO_COLOR: "1", ORGCTL_TOKEN: OWNER_TOKEN };
}

async function ledger(url: string): Promise<LedgerEntry[]> {
  const items: LedgerEntry[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
    const res = await callApi(url, "GET", `/v1/wallet/ledger?limit=1000${query}`);
    expect(res.status).toBe(200);
    items.push(...(res.body.items as LedgerEntry[]));
    cursor = res.body.next_cursor as string | null;
  } while (cursor);
  return items;
}

describe("the console killed with SIGKILL in the middle of an apply", () => {
  let dir: string;
  let dbPath: string;
  const servers: ServeProcess[] = [];
  const serveEnv = {
    ORGCTL_NOW: NOW,
    ORGCTL_BALANCE_CENTS: String(START_BALANCE),
    ORGCTL_ORG_PLAN: "pro",
  };

  beforeAll(() => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), "orgctl-console-kill-"));
    dbPath = join(dir, "console.db");
    writeFileSync(join(dir, "org.yaml"), orgYaml());
  });
  afterAll(async () => {
    for (const server of servers) {
      if (server.child.exitCode === null && server.child.signalCode === null) {
        server.child.kill("SIGKILL");
        await server.exited;
      }
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("leaves a consistent database, and the next apply converges charging every user once", async () => {
    // 1. A console, and an apply against it.
    const first = await spawnServe(dbPath, serveEnv);
    servers.push(first);
    const apply = spawn(
      process.execPath,
      [
        CLI,
        "apply",
        "-f",
        "org.yaml",
        "--auto-approve",
        "--format",
        "json",
        "--parallelism",
        "4",
        "--endpoint",
        first.url,
      ],
      { cwd: dir, env: childEnv(), stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    apply.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const applyExited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      apply.once("exit", (code, signal) => resolve({ code, signal })),
    );
    const events: ApplyEvent[] = [];
    const badLines: string[] = [];
    let killedAt = -1;
    let killedTime = 0;
    const lines = createInterface({ input: apply.stdout });
    const linesClosed = new Promise<void>((resolve) => lines.once("close", () => resolve()));
    lines.on("line", (line) => {
      let event: ApplyEvent;
      try {
        event = JSON.parse(line) as ApplyEvent;
      } catch {
        badLines.push(line);
        return;
      }
      events.push(event);
      const done = events.filter((e) => e.type === "step_done").length;
      if (killedAt < 0 && done >= KILL_AFTER) {
        killedAt = done;
        killedTime = Date.now();
        first.child.kill("SIGKILL");
      }
    });

    // 2. The console dies; the CLI gives up cleanly, after its retries, without hanging.
    let timer: NodeJS.Timeout | undefined;
    const end = await Promise.race([
      applyExited,
      new Promise<"hang">((resolve) => {
        timer = setTimeout(() => resolve("hang"), CLI_EXIT_WITHIN_MS + 30_000);
      }),
    ]);
    clearTimeout(timer);
    if (end === "hang") apply.kill("SIGKILL");
    expect(end, `the CLI hung after the console died: ${stderr}`).not.toBe("hang");
    if (end === "hang") return;
    await linesClosed;
    const serverEnd = await first.exited;
    expect(serverEnd, "the console was killed, not stopped").toBeNull();
    expect(first.child.signalCode).toBe("SIGKILL");
    expect(killedAt, `the apply ended before ${KILL_AFTER} steps were done: ${stderr}`).toBe(KILL_AFTER);
    const exitAfterMs = Date.now() - killedTime;
    if (process.env.ORGCTL_CHAOS_VERBOSE) {
      const { status, done, failed, skipped } = events.at(-1) ?? ({} as ApplyEvent);
      process.stderr.write(
        `the CLI exited ${exitAfterMs} ms after the kill: ${JSON.stringify({ status, done, failed, skipped })}\n`,
      );
    }
    expect(exitAfterMs).toBeLessThan(CLI_EXIT_WITHIN_MS);
    expect(end.signal, stderr).toBeNull();
    expect(end.code, stderr).toBe(1);
    expect(hasStackTrace(stderr), stderr).toBe(false);
    expect(stderr).not.toContain("internal");
    expect(badLines, "stdout carries JSON lines only").toEqual([]);
    const started = events[0]!;
    expect(started.type).toBe("apply_started");
    const total = started.steps as number;
    expect(total).toBe(1 + 1 + USERS + USERS / ALIAS_EVERY); // domain, group, users, aliases
    const summary = events[events.length - 1]!;
    expect(summary).toMatchObject({ type: "summary", status: "failed" });
    const failed = events.filter((e) => e.type === "step_failed");
    expect(failed.length).toBeGreaterThan(0);
    for (const failure of failed) expect(failure.code, failure.message).toBe("console_unreachable");
    expect(summary.failed).toBe(failed.length);
    const done = events.filter((e) => e.type === "step_done").length;
    expect(summary.done).toBe(done);
    expect(done).toBeLessThan(total);

    // 3. What the killed console left on disk is consistent.
    const store = new ConsoleStore(dbPath);
    try {
      expect(store.checkConsistency()).toEqual([]);
    } finally {
      store.close();
    }

    // 4. Started again on the same database, on a new port: the dead CLI's lease is still there.
    const second = await spawnServe(dbPath, serveEnv);
    servers.push(second);
    expect(second.url).not.toBe(first.url);
    const held = await callApi(second.url, "GET", "/v1/lock");
    expect(held.status).toBe(200);
    expect(held.body.held, "the killed apply's lease").toBe(true);
    expect(held.body.lock.holder).toContain(`(pid ${apply.pid})`);
    const cli = async (args: string[]) => {
      const result = await runCli([...args, "--endpoint", second.url], {
        cwd: dir,
        env: { ORGCTL_TOKEN: OWNER_TOKEN },
      });
      expect(hasStackTrace(result.stderr), result.stderr).toBe(false);
      return result;
    };
    const refused = await cli(["apply", "-f", "org.yaml", "--auto-approve"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("locked");
    // The operator, having checked that the holder is gone, releases its lease.
    const released = await callApi(second.url, "DELETE", "/v1/lock?force=true", undefined, OWNER_TOKEN);
    expect(released.status).toBe(204);
    expect((await callApi(second.url, "GET", "/v1/lock")).body).toEqual({ held: false });

    // 5. The next apply does what is left, and then there is nothing to do.
    const before = await ledger(second.url);
    const createdBefore = new Set(before.filter((e) => e.reason === "user_created").map((e) => e.login));
    const again = await cli([
      "apply",
      "-f",
      "org.yaml",
      "--auto-approve",
      "--format",
      "json",
      "--parallelism",
      "4",
    ]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    const rerun = again.stdout
      .split("\n")
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as ApplyEvent);
    expect(rerun[rerun.length - 1]).toMatchObject({ type: "summary", status: "done", failed: 0, skipped: 0 });
    const creates = rerun.filter((e) => e.type === "step_done" && String(e.id).endsWith(":create_user"));
    expect(creates.length).toBe(USERS + 1 - createdBefore.size);
    const plan = await cli(["plan", "-f", "org.yaml", "--detailed-exitcode"]);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);

    // 6. The money: one charge per user, no key used twice, and the balance is the ledger's sum.
    const entries = await ledger(second.url);
    const perLogin = new Map<string, number>();
    for (const e of entries.filter((x) => x.reason === "user_created")) {
      perLogin.set(e.login ?? "", (perLogin.get(e.login ?? "") ?? 0) + 1);
    }
    expect(perLogin.size).toBe(USERS + 1);
    for (const [who, count] of perLogin) expect(count, `user_created entries for ${who}`).toBe(1);
    const keys = entries.map((e) => e.idempotency_key).filter((k): k is string => k !== null);
    expect(keys.length - new Set(keys).size, "idempotency keys used twice").toBe(0);
    const sum = entries.reduce((total, e) => total + e.amount_cents, 0);
    const wallet = await callApi(second.url, "GET", "/v1/wallet?days=0");
    expect(wallet.body.balance_cents).toBe(sum);
    expect(sum).toBe(START_BALANCE - 9000 - USERS * 4200);
    expect((await callApi(second.url, "GET", "/v1/lock")).body).toEqual({ held: false });

    second.child.kill("SIGTERM");
    await second.exited;
    const after = new ConsoleStore(dbPath);
    try {
      expect(after.checkConsistency()).toEqual([]);
    } finally {
      after.close();
    }
  }, 240_000);
});
