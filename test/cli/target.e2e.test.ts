/**
 * Never act on the wrong console: every output names its target, CI never falls back to a sandbox, the
 * sandbox is found the same way by every command, and a wrong endpoint or token is named as such.
 * The built CLI against the real console on a loopback port (test/support/console.ts).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliResult, closedPort, hasStackTrace, runCli } from "../support/cli.js";
import { OWNER_TOKEN, OWNER_USER_YAML, startTestConsole, type TestConsole } from "../support/console.js";

const E2E = { timeout: 180_000 };
/** A developer's shell: the implicit sandbox is allowed (CI runs these tests with CI=true). */
const LOCAL = { CI: "" };

const ORG_YAML = `version: 1
organization:
  name: Example Org
  plan: pro
users:
${OWNER_USER_YAML}  - login: bob
    first_name: Bob
    last_name: Baker
    email: bob@console.test
    plan: free
    role: member
`;

function expectError(result: CliResult, code: string): string {
  expect(result.code, result.stdout + result.stderr).toBe(1);
  expect(hasStackTrace(result.stderr), result.stderr).toBe(false);
  expect(result.stderr).not.toContain("internal");
  expect(result.stderr).not.toContain(OWNER_TOKEN);
  const line = result.stderr.split("\n").find((l) => l.startsWith("orgctl: "));
  expect(line, result.stderr).toMatch(new RegExp(`^orgctl: ${code}: `));
  return line!;
}

let dir: string;
let ts: TestConsole;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "orgctl-target-"));
  ts = await startTestConsole();
});
afterAll(async () => {
  await ts?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A fresh folder with org.yaml in `repo/` and an empty `elsewhere/` to run from. */
function workspace(name: string): { repo: string; file: string; elsewhere: string } {
  const root = join(dir, name);
  const repo = join(root, "repo");
  const elsewhere = join(root, "elsewhere");
  mkdirSync(repo, { recursive: true });
  mkdirSync(elsewhere, { recursive: true });
  const file = join(repo, "org.yaml");
  writeFileSync(file, ORG_YAML);
  return { repo, file, elsewhere };
}

describe("in CI, a console must be named", E2E, () => {
  const commands: Array<[string, string[]]> = [
    ["plan", ["plan"]],
    ["apply", ["apply", "--auto-approve"]],
    ["drift", ["drift"]],
    ["import", ["import"]],
    ["wallet", ["wallet"]],
    ["logout", ["logout", "bob"]],
  ];
  for (const [name, args] of commands) {
    it(`${name} exits 1 naming ORGCTL_ENDPOINT and --sandbox, and creates no sandbox`, async () => {
      const ws = workspace(`ci-${name}`);
      const result = await runCli(args, { cwd: ws.repo, env: { CI: "true" } });
      const line = expectError(result, "no_console");
      expect(line).toContain("ORGCTL_ENDPOINT");
      expect(line).toContain("--sandbox");
      expect(existsSync(join(ws.repo, ".orgctl"))).toBe(false);
    });
  }

  it("CI=false and CI=0 are not CI; an explicit --sandbox or an endpoint is accepted in CI", async () => {
    const ws = workspace("ci-explicit");
    for (const ci of ["false", "0", ""]) {
      const result = await runCli(["plan"], { cwd: ws.repo, env: { CI: ci } });
      expect(result.code, result.stderr).toBe(0);
    }
    const sandbox = await runCli(["plan", "--sandbox", join(ws.repo, "ci.db")], {
      cwd: ws.repo,
      env: { CI: "true" },
    });
    expect(sandbox.code, sandbox.stderr).toBe(0);
    const byEnv = await runCli(["plan"], {
      cwd: ws.repo,
      env: { CI: "true", ORGCTL_SANDBOX: join(ws.repo, "env.db") },
    });
    expect(byEnv.code, byEnv.stderr).toBe(0);
    expect(byEnv.stdout).toContain(`console: sandbox ${join(ws.repo, "env.db")}`);
    const remote = await runCli(["plan"], {
      cwd: ws.repo,
      env: { CI: "true", ORGCTL_ENDPOINT: ts.url, ORGCTL_TOKEN: OWNER_TOKEN },
    });
    expect(remote.code, remote.stderr).toBe(0);
  });
});

describe("every output names its target", E2E, () => {
  it("plan text, Markdown and JSON name the endpoint, without credentials", async () => {
    const ws = workspace("named-endpoint");
    const env = { ORGCTL_TOKEN: OWNER_TOKEN };
    const withUser = ts.url.replace("http://", "http://someone:hunter2@");
    const text = await runCli(["plan", "--endpoint", withUser], { cwd: ws.repo, env });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout.split("\n")).toContain(`console: ${ts.url}`);
    expect(text.stdout + text.stderr).not.toContain("hunter2");
    const markdown = await runCli(["plan", "--format", "markdown", "--endpoint", ts.url], {
      cwd: ws.repo,
      env,
    });
    expect(markdown.stdout.split("\n")).toContain(`Console: \`${ts.url}\``);
    const json = await runCli(["plan", "--format", "json", "--endpoint", ts.url], { cwd: ws.repo, env });
    expect(JSON.parse(json.stdout).console.target).toBe(ts.url);
    const drift = await runCli(["drift", "--endpoint", ts.url], { cwd: ws.repo, env });
    expect(drift.stdout.split("\n")).toContain(`console: ${ts.url}`);
  });

  it("the sandbox is named `sandbox <path>` in plans, apply events, wallet, logout and import", async () => {
    const ws = workspace("named-sandbox");
    const label = `sandbox ${join(ws.repo, ".orgctl", "sandbox.db")}`;
    const json = await runCli(["plan", "-f", ws.file, "--format", "json"], { cwd: ws.elsewhere, env: LOCAL });
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout).console.target).toBe(label);

    const apply = await runCli(["apply", "-f", ws.file, "--auto-approve", "--format", "json"], {
      cwd: ws.elsewhere,
      env: LOCAL,
    });
    expect(apply.code, apply.stderr).toBe(0);
    const events = apply.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(events[0]).toMatchObject({ type: "apply_started", target: label });
    expect(events.at(-1)).toMatchObject({ type: "summary", target: label, status: "done" });

    // Nothing left to do: the no-op summary names it too; and the plain lines do.
    const again = await runCli(["apply", "-f", ws.file, "--auto-approve", "--format", "json"], {
      cwd: ws.elsewhere,
      env: LOCAL,
    });
    expect(JSON.parse(again.stdout.trim())).toMatchObject({ type: "summary", target: label });

    // wallet and logout with -f find the same sandbox, from another directory.
    const wallet = await runCli(["wallet", "-f", ws.file], { cwd: ws.elsewhere, env: LOCAL });
    expect(wallet.code, wallet.stderr).toBe(0);
    expect(wallet.stdout.split("\n")[0]).toBe(`Console: ${label}`);
    const walletJson = await runCli(["wallet", "-f", ws.file, "--format", "json"], {
      cwd: ws.elsewhere,
      env: LOCAL,
    });
    expect(JSON.parse(walletJson.stdout).target).toBe(label);
    const logout = await runCli(["logout", "bob", "-f", ws.file], { cwd: ws.elsewhere, env: LOCAL });
    expect(logout.code, logout.stderr).toBe(0);
    expect(logout.stdout).toBe(`Logged out 1 user(s) on ${label}: bob\n`);
    const imported = await runCli(["import", "--sandbox", join(ws.repo, ".orgctl", "sandbox.db")], {
      cwd: ws.elsewhere,
    });
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stderr).toContain(`from ${label}`);
    // No second sandbox was made where the commands ran.
    expect(existsSync(join(ws.elsewhere, ".orgctl"))).toBe(false);
  });

  it("wallet -f on a new folder creates the sandbox next to org.yaml, from org.yaml", async () => {
    const ws = workspace("wallet-first");
    const wallet = await runCli(["wallet", "-f", ws.file, "--format", "json"], {
      cwd: ws.elsewhere,
      env: LOCAL,
    });
    expect(wallet.code, wallet.stderr).toBe(0);
    expect(existsSync(join(ws.repo, ".orgctl", "sandbox.db"))).toBe(true);
    expect(existsSync(join(ws.elsewhere, ".orgctl"))).toBe(false);
    // The sandbox is the organization of org.yaml: planning it next has nothing to say about the org.
    const plan = await runCli(["plan", "-f", ws.file, "--format", "json"], { cwd: ws.elsewhere, env: LOCAL });
    expect(JSON.parse(plan.stdout).console.org).toBe("Example Org");
  });

  it("a saved plan is refused against another console (wrong_console)", async () => {
    const ws = workspace("wrong-console");
    const planFile = join(ws.repo, "plan.json");
    const made = await runCli(["plan", "-f", ws.file, "--out", planFile], { cwd: ws.repo, env: LOCAL });
    expect(made.code, made.stderr).toBe(0);
    const result = await runCli(["apply", planFile, "--endpoint", ts.url], {
      cwd: ws.repo,
      env: { ORGCTL_TOKEN: OWNER_TOKEN },
    });
    const line = expectError(result, "wrong_console");
    expect(line).toContain(ts.url);
    expect(line).toContain(join(ws.repo, ".orgctl", "sandbox.db"));
  });
});

describe("endpoint errors name the problem and the fix", E2E, () => {
  const env = () => ({ ORGCTL_TOKEN: OWNER_TOKEN });

  it("https:// against a plain-HTTP console", async () => {
    const ws = workspace("tls");
    const https = ts.url.replace("http://", "https://");
    const line = expectError(
      await runCli(["plan", "--endpoint", https], { cwd: ws.repo, env: env() }),
      "endpoint_not_https",
    );
    expect(line).toContain(`use ${ts.url}`);
  });

  it("an endpoint ending in /v1", async () => {
    const ws = workspace("v1");
    const line = expectError(
      await runCli(["wallet", "--endpoint", `${ts.url}/v1`], { env: env(), cwd: ws.repo }),
      "endpoint_wrong_path",
    );
    expect(line).toContain("leave /v1 out");
    expect(line).toContain(ts.url);
    expect(line).not.toContain("no route");
  });

  it("an endpoint path where no console answers", async () => {
    const ws = workspace("path");
    const line = expectError(
      await runCli(["import", "--endpoint", `${ts.url}/console`], { env: env(), cwd: ws.repo }),
      "endpoint_wrong_path",
    );
    expect(line).toContain(`${ts.url}/console`);
  });

  it("a wrong token, never printed", async () => {
    const ws = workspace("token");
    const secret = "oct_wrong-token-never-printed";
    const result = await runCli(["plan", "--endpoint", ts.url], {
      cwd: ws.repo,
      env: { ORGCTL_TOKEN: secret },
    });
    const line = expectError(result, "token_rejected");
    expect(line).toContain("ORGCTL_TOKEN");
    expect(result.stdout + result.stderr).not.toContain(secret);
  });

  it("a refused connection, and a host that does not resolve", async () => {
    const ws = workspace("refused");
    const port = await closedPort();
    const line = expectError(
      await runCli(["plan", "--endpoint", `http://127.0.0.1:${port}`], { cwd: ws.repo, env: env() }),
      "console_refused",
    );
    expect(line).toContain(`127.0.0.1:${port}`);
    const unreachable = expectError(
      await runCli(["wallet", "--endpoint", "http://orgctl-test.invalid:8080"], { cwd: ws.repo, env: env() }),
      "console_unreachable",
    );
    expect(unreachable).toContain("does not resolve");
  });
});

describe("orgctl serve on a busy port", E2E, () => {
  it("fails naming the port and --port, and creates no database (a later start bootstraps it and prints the token)", async () => {
    const ws = workspace("busy");
    const db = join(ws.repo, "console.db");
    const busy = Number(new URL(ts.url).port);
    const failed = await runCli(["serve", "--db", db, "--port", String(busy)], { cwd: ws.repo });
    const line = expectError(failed, "port_in_use");
    expect(line).toContain(`port ${busy}`);
    expect(line).toContain("--port");
    expect(failed.stdout).toBe("");
    expect(existsSync(db)).toBe(false);
  });

  it("leaves an existing database byte for byte as it was", async () => {
    const busy = Number(new URL(ts.url).port);
    const before = readFileSync(ts.dbPath);
    const failed = await runCli(["serve", "--db", ts.dbPath, "--port", String(busy)]);
    expectError(failed, "port_in_use");
    expect(readFileSync(ts.dbPath).equals(before)).toBe(true);
  });
});
