/**
 * `orgctl logout` and `orgctl wallet` end to end: the built CLI (node dist/cmd/orgctl.js) against the real
 * console server on a loopback port, with ORGCTL_TOKEN and --endpoint.
 */
import { execFileSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliResult, hasStackTrace, REPO_ROOT, runCli } from "../support/cli.js";
import { OWNER_TOKEN, startTestConsole, type TestConsole } from "../support/console.js";

const PASSWORD = "correct horse battery";

/** The sources these tests exercise and where the build puts them. */
const SOURCES = [
  "src/cli/logout.ts",
  "src/cli/wallet.ts",
  "src/render/wallet.ts",
  "src/cli/main.ts",
  "src/cli/target.ts",
  "src/client/console-client.ts",
  "cmd/orgctl.ts",
];

/** `npm run build` unless every exercised source is already built and newer in dist. */
function buildIfStale(): void {
  const stale = SOURCES.some((src) => {
    const built = join(REPO_ROOT, "dist", src.replace(/\.ts$/, ".js"));
    return !existsSync(built) || statSync(built).mtimeMs < statSync(join(REPO_ROOT, src)).mtimeMs;
  });
  if (!stale) return;
  try {
    execFileSync("npm", ["run", "build"], {
      cwd: REPO_ROOT,
      stdio: "pipe",
      shell: process.platform === "win32",
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`npm run build failed:\n${stdout?.toString() ?? ""}${stderr?.toString() ?? ""}`);
  }
}

function orgctl(ts: TestConsole, args: string[], token: string = OWNER_TOKEN): Promise<CliResult> {
  return runCli([...args, "--endpoint", ts.url], { env: { ORGCTL_TOKEN: token } });
}

/** Never a stack trace, never a token, on either stream. */
function expectClean(result: CliResult, ...tokens: string[]): void {
  expect(hasStackTrace(result.stderr), result.stderr).toBe(false);
  expect(result.stderr).not.toContain("internal");
  for (const token of [OWNER_TOKEN, ...tokens]) {
    expect(result.stdout).not.toContain(token);
    expect(result.stderr).not.toContain(token);
  }
}

async function createUser(ts: TestConsole, login: string, role = "member"): Promise<void> {
  const res = await ts.api("POST", "/v1/users", {
    login,
    email: `${login}@console.test`,
    first_name: "Test",
    last_name: login,
    plan: "free",
    role,
    password: PASSWORD,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

async function sessionFor(ts: TestConsole, login: string): Promise<string> {
  const res = await ts.api("POST", "/v1/sessions", { login, password: PASSWORD }, { token: null });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.token as string;
}

async function tokenFor(ts: TestConsole, login: string): Promise<string> {
  const res = await ts.api("POST", "/v1/tokens", { login, name: `${login}-token` });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.token as string;
}

async function meStatus(ts: TestConsole, token: string): Promise<number> {
  return (await ts.api("GET", "/v1/me", undefined, { token })).status;
}

async function revisionOf(ts: TestConsole): Promise<number> {
  return (await ts.api("GET", "/v1/org")).body.revision as number;
}

beforeAll(() => buildIfStale(), 180_000);

describe("orgctl logout", () => {
  let ts: TestConsole;
  let opsToken: string;

  beforeAll(async () => {
    ts = await startTestConsole();
    await createUser(ts, "carol");
    await createUser(ts, "dave");
    await createUser(ts, "erin");
    await createUser(ts, "ops", "org_admin");
    opsToken = await tokenFor(ts, "ops");
  });
  afterAll(async () => {
    await ts?.close();
  });

  it("logs out two users: their session tokens stop working, others' do not", async () => {
    const carol = await sessionFor(ts, "carol");
    const dave = await sessionFor(ts, "dave");
    const erin = await sessionFor(ts, "erin");
    expect([await meStatus(ts, carol), await meStatus(ts, dave), await meStatus(ts, erin)]).toEqual([
      200, 200, 200,
    ]);

    const result = await orgctl(ts, ["logout", "carol", "dave"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(`Logged out 2 user(s) on ${ts.url}: carol, dave\n`);
    expectClean(result, carol, dave, erin);

    expect(await meStatus(ts, carol)).toBe(401);
    expect(await meStatus(ts, dave)).toBe(401);
    expect(await meStatus(ts, erin)).toBe(200);
    // A new login works again: logout ends sessions, it does not lock the account.
    expect(await meStatus(ts, await sessionFor(ts, "carol"))).toBe(200);
  });

  it("refuses to log out the owner for another org_admin: exit 1 with the console's owner_protected", async () => {
    const result = await orgctl(ts, ["logout", "admin"], opsToken);
    expect(result.code, result.stdout).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(
      "orgctl: owner_protected: admin is the owner; no other admin may force-log-out the owner\n",
    );
    expectClean(result, opsToken);
  });

  it("is all or nothing: with the owner in the list, nobody is logged out", async () => {
    const erin = await sessionFor(ts, "erin");
    const result = await orgctl(ts, ["logout", "erin", "admin"], opsToken);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("owner_protected");
    expect(await meStatus(ts, erin)).toBe(200);
  });

  it("lets another org_admin log out ordinary users, and the owner log out the owner", async () => {
    const erin = await sessionFor(ts, "erin");
    const byOps = await orgctl(ts, ["logout", "erin"], opsToken);
    expect(byOps.code, byOps.stderr).toBe(0);
    expect(byOps.stdout).toBe(`Logged out 1 user(s) on ${ts.url}: erin\n`);
    expect(await meStatus(ts, erin)).toBe(401);

    const byOwner = await orgctl(ts, ["logout", "admin"]);
    expect(byOwner.code, byOwner.stderr).toBe(0);
    expect(byOwner.stdout).toBe(`Logged out 1 user(s) on ${ts.url}: admin\n`);
  });

  it("validates logins locally, before calling the console", async () => {
    const before = await revisionOf(ts);
    for (const bad of ["Carol", "_x", "carol!", "a".repeat(65), "dave."]) {
      const result = await orgctl(ts, ["logout", "carol", bad]);
      expect(result.code, bad).toBe(1);
      expect(result.stderr, bad).toMatch(/^orgctl: invalid_login: /);
      expectClean(result);
    }
    expect((await orgctl(ts, ["logout", "Carol"])).stderr).toContain("logins are lower case: carol");
    expect(await revisionOf(ts)).toBe(before);
  });

  it("logs a repeated login out once", async () => {
    const result = await orgctl(ts, ["logout", "dave", "dave"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(`Logged out 1 user(s) on ${ts.url}: dave\n`);
  });

  it("reports an unknown user with the console's code", async () => {
    const result = await orgctl(ts, ["logout", "carol", "nobody"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^orgctl: not_found: .*nobody/);
    expectClean(result);
  });

  it("needs at least one login and a token for an endpoint", async () => {
    const none = await orgctl(ts, ["logout"]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("missing required argument");
    const noToken = await runCli(["logout", "carol", "--endpoint", ts.url]);
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toMatch(/^orgctl: missing_token: /);
  });

  it("documents its exit codes", async () => {
    const help = await runCli(["logout", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: orgctl logout [options] <login...>");
    expect(help.stdout).toContain("--endpoint <url>");
    expect(help.stdout).toContain("--sandbox <file>");
    expect(help.stdout).toMatch(/Exit codes:\n\s+0 .*\n\s+1 .*owner_protected/);
  });
});

describe("orgctl wallet", () => {
  let ts: TestConsole;

  beforeAll(async () => {
    // A fresh console: €1,000.00 bootstrap, the owner's pro period (€90.00) charged, 2026-03-01.
    ts = await startTestConsole();
  });
  afterAll(async () => {
    await ts?.close();
  });

  it("shows the balance, the ledger newest first and the renewals due", async () => {
    const result = await orgctl(ts, ["wallet"]);
    expect(result.code, result.stderr).toBe(0);
    expectClean(result);
    const out = result.stdout;
    expect(out).toMatch(new RegExp(`^Console: ${ts.url}\nBalance: €910\\.00 \\(EUR\\)\n`));
    expect(out).toContain("Ledger (all 2, newest first):");
    const rows = out.split("\n").filter((l) => /^\s+\d+\s+2026-03-01/.test(l));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/^\s+2\s+2026-03-01 \d\d:\d\d\s+user_created\s+admin\s+-€90\.00\s+€910\.00/);
    expect(rows[1]).toMatch(/^\s+1\s+2026-03-01 \d\d:\d\d\s+bootstrap\s+-\s+€1,000\.00\s+€1,000\.00/);
    // The amount columns are right-aligned: both rows end the AMOUNT column at the same place.
    const header = out.split("\n").find((l) => l.includes("AMOUNT"))!;
    const amountEnd = header.indexOf("AMOUNT") + "AMOUNT".length;
    expect(rows[0]!.indexOf("-€90.00") + "-€90.00".length).toBe(amountEnd);
    expect(rows[1]!.indexOf("€1,000.00") + "€1,000.00".length).toBe(amountEnd);
    expect(out).toContain("Renewals due in the next 30 days: none");
  });

  it("--format json is a stable, parseable document", async () => {
    const result = await orgctl(ts, ["wallet", "--format", "json", "--days", "366"]);
    expect(result.code, result.stderr).toBe(0);
    expectClean(result);
    const doc = JSON.parse(result.stdout);
    expect(Object.keys(doc)).toEqual([
      "wallet_format_version",
      "target",
      "currency",
      "balance_cents",
      "balance",
      "ledger",
      "renewals",
    ]);
    expect(doc).toMatchObject({
      wallet_format_version: 1,
      target: ts.url,
      currency: "EUR",
      balance_cents: 91_000,
      balance: "€910.00",
      ledger: { total: 2, order: "newest_first" },
      renewals: {
        days: 366,
        // The org plan's fee (pro, €120.00) renews with the owner's plan, first.
        total_cents: 21_000,
        shortfall_cents: 0,
        due: [
          { due: "2027-03-01", login: null, plan: "pro", amount_cents: 12_000, unpaid: false },
          { due: "2027-03-01", login: "admin", plan: "pro", amount_cents: 9_000, unpaid: false },
        ],
      },
    });
    expect(doc.ledger.entries.map((e: { id: number; reason: string }) => [e.id, e.reason])).toEqual([
      [2, "user_created"],
      [1, "bootstrap"],
    ]);
    expect(doc.ledger.entries[0]).toMatchObject({
      login: "admin",
      plan: "pro",
      amount_cents: -9_000,
      balance_after_cents: 91_000,
    });
  });

  it("--entries N shows the last N entries, newest first", async () => {
    // 3 top-ups of €1.00 .. €3.00: entries 3, 4, 5.
    for (const cents of [100, 200, 300]) {
      const res = await ts.api("POST", "/v1/wallet/top-ups", { amount_cents: cents, method: "test" });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
    }
    const text = await orgctl(ts, ["wallet", "--entries", "2", "--days", "366"]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^Console: ${ts.url}\nBalance: €916\\.00 \\(EUR\\)\n`));
    expect(text.stdout).toContain("Ledger (last 2 of 5, newest first):");
    const ids = text.stdout
      .split("\n")
      .map((l) => /^\s+(\d+)\s+2026-/.exec(l)?.[1])
      .filter(Boolean);
    expect(ids).toEqual(["5", "4"]);
    expect(text.stdout).toMatch(/Renewals due in the next 366 days: 2, €210\.00 in all\n\s+DUE/);
    expect(text.stdout).toMatch(/2027-03-01\s+\(organization\)\s+pro\s+€120\.00/);
    expect(text.stdout).toMatch(/2027-03-01\s+admin\s+pro\s+€90\.00/);

    const json = JSON.parse((await orgctl(ts, ["wallet", "--entries", "1", "--format", "json"])).stdout);
    expect(json.ledger.total).toBe(5);
    expect(json.ledger.entries).toHaveLength(1);
    expect(json.ledger.entries[0]).toMatchObject({ id: 5, reason: "top_up", amount_cents: 300 });

    const none = JSON.parse((await orgctl(ts, ["wallet", "--entries", "0", "--format", "json"])).stdout);
    expect(none.ledger).toEqual({ total: 5, order: "newest_first", entries: [] });
  });

  it("reads every page of a ledger longer than one page (the console pages oldest first, 1000 a page)", async () => {
    const before = JSON.parse((await orgctl(ts, ["wallet", "--entries", "0", "--format", "json"])).stdout);
    // 1000 top-ups of one cent: the ledger then holds more than one page, the newest on the last one.
    for (let i = 0; i < 1000; i++) {
      const res = await ts.api("POST", "/v1/wallet/top-ups", { amount_cents: 1, method: "test" });
      expect(res.status).toBe(201);
    }
    const total = before.ledger.total + 1000;
    expect(total).toBeGreaterThan(1000);
    const result = await orgctl(ts, ["wallet", "--entries", "3", "--format", "json"]);
    expect(result.code, result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout);
    expect(doc.balance_cents).toBe(before.balance_cents + 1000);
    expect(doc.ledger.total).toBe(total);
    expect(doc.ledger.entries.map((e: { id: number }) => e.id)).toEqual([total, total - 1, total - 2]);
    expect(doc.ledger.entries[0].balance_after_cents).toBe(doc.balance_cents);
    const text = await orgctl(ts, ["wallet"]);
    expect(text.stdout).toContain(`Ledger (last 10 of ${total}, newest first):`);
  }, 120_000);

  it("refuses bad flags with exit 1 and no request", async () => {
    for (const args of [
      ["--days", "367"],
      ["--days", "-1"],
      ["--days", "ten"],
      ["--entries", "1.5"],
      ["--format", "yaml"],
    ]) {
      const result = await orgctl(ts, ["wallet", ...args]);
      expect(result.code, args.join(" ")).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.stderr, args.join(" ")).toMatch(/^orgctl: invalid_flag: /);
      expectClean(result);
    }
  });

  it("passes the console's refusal through: a member may not read the wallet", async () => {
    await createUser(ts, "mia");
    const session = await sessionFor(ts, "mia");
    const result = await orgctl(ts, ["wallet"], session);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^orgctl: forbidden: /);
    expectClean(result, session);
  });

  it("documents its flags and exit codes", async () => {
    const help = await runCli(["wallet", "--help"]);
    expect(help.code).toBe(0);
    for (const flag of [
      "--days <n>",
      "--entries <n>",
      "--format <format>",
      "--endpoint <url>",
      "--sandbox <file>",
    ]) {
      expect(help.stdout).toContain(flag);
    }
    expect(help.stdout).toMatch(/Exit codes:\n\s+0 .*\n\s+1 /);
  });
});
