import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliResult, closedPort, hasStackTrace, REPO_ROOT, runCli } from "../support/cli.js";
import { OWNER_TOKEN, startTestConsole, type TestConsole } from "../support/console.js";

/** Each test spawns the CLI (up to 60 s a run) several times. */
const E2E = { timeout: 180_000 };

/** A value no output may ever contain: the password of bob, handed to orgctl only through the environment. */
const SECRET = "Zq7-distinctive-Pa55word-41c9";

/**
 * The live console starts with the owner only; this adds a verified domain, a group, a paid user with an alias
 * and a password reference, and a free user.
 */
const ORG_YAML = `version: 1
organization:
  name: Example Org
  plan: pro
domains:
  - name: example.org
groups:
  - name: staff
    description: Everyone
users:
  - login: admin
    first_name: Org
    last_name: Owner
    email: admin@console.test
    plan: pro
    role: org_admin
    owner: true
    groups: [staff]
  - login: bob
    first_name: Bob
    last_name: Builder
    email: bob@example.org
    plan: entry
    role: org_admin
    aliases: [b@example.org]
    groups: [staff]
    password: {env: BOB_PW}
  - login: cleo
    first_name: Cleo
    last_name: Free
    email: cleo@console.test
    plan: free
`;

/** 6 creations; only bob (entry, €42.00) costs money; the wallet starts at €910.00 (91000 cents). */
const SUMMARY =
  "Plan: 6 to create, 0 to update, 0 to delete, 0 to replace. Wallet: €910.00 → €868.00 (charges €42.00, refunds €0.00).";

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "orgctl-cli-plan-"));
  dirs.push(dir);
  return dir;
}

function writeOrg(content: string): { dir: string; file: string } {
  const dir = tempDir();
  const file = join(dir, "org.yaml");
  writeFileSync(file, content);
  return { dir, file };
}

const schema = JSON.parse(readFileSync(join(REPO_ROOT, "schemas", "plan.schema.json"), "utf8"));
const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats.default(ajv);
const validatePlan = ajv.compile(schema);

function expectSchemaValid(value: unknown): void {
  const ok = validatePlan(value);
  expect(validatePlan.errors ?? []).toEqual([]);
  expect(ok).toBe(true);
}

function expectNoSecret(...texts: string[]): void {
  for (const text of texts) expect(text).not.toContain(SECRET);
}

async function apiOk(ts: TestConsole, method: string, path: string, body?: unknown): Promise<void> {
  const res = await ts.api(method, path, body);
  expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
}

describe("orgctl plan against a live console", E2E, () => {
  let ts: TestConsole;
  let org: { dir: string; file: string };
  let env: Record<string, string>;
  const plan = (args: string[] = [], extraEnv: Record<string, string> = {}): Promise<CliResult> =>
    runCli(["plan", "-f", org.file, "--endpoint", ts.url, ...args], {
      cwd: org.dir,
      env: { ...env, ...extraEnv },
    });

  beforeAll(async () => {
    ts = await startTestConsole();
    org = writeOrg(ORG_YAML);
    env = { ORGCTL_TOKEN: OWNER_TOKEN, BOB_PW: SECRET };
  });
  afterAll(async () => {
    await ts.close();
  });

  it("prints the plan in text with the exact wallet summary", async () => {
    const result = await plan();
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("orgctl plan for Example Org (pro)");
    expect(result.stdout).toContain("+ add domain example.org");
    expect(result.stdout).toContain("+ create group staff");
    expect(result.stdout).toContain("+ create user bob <bob@example.org> on entry as org_admin");
    expect(result.stdout).toContain("+ create user cleo <cleo@console.test> on free as member");
    expect(result.stdout).toContain("+ add alias b@example.org to bob");
    expect(result.stdout).toContain("+ add admin to group staff");
    expect(result.stdout.split("\n")).toContain(SUMMARY);
    expect(result.stdout).not.toContain("Plan failed");
    // Not a TTY and NO_COLOR: no escape sequences.
    expect(result.stdout).not.toContain("\u001b[");
    expectNoSecret(result.stdout, result.stderr);
  });

  it("does not change the console", async () => {
    const before = await ts.api("GET", "/v1/users");
    await plan();
    const after = await ts.api("GET", "/v1/users");
    expect(after.body).toEqual(before.body);
    expect((await ts.api("GET", "/v1/wallet")).body.balance_cents).toBe(91000);
  });

  it("prints JSON that matches schemas/plan.schema.json, byte for byte the same on every run", async () => {
    const first = await plan(["--format", "json"]);
    const second = await plan(["--format", "json"]);
    expect(first.code, first.stderr).toBe(0);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    const parsed = JSON.parse(first.stdout);
    expectSchemaValid(parsed);
    expect(parsed.counts).toMatchObject({ create: 6, update: 0, delete: 0, replace: 0 });
    expect(parsed.errors).toEqual([]);
    expect(parsed.steps).toHaveLength(6);
    expect(parsed.steps.map((s: { amount_cents: number }) => s.amount_cents).sort()).toEqual([
      -4200, 0, 0, 0, 0, 0,
    ]);
    expectNoSecret(first.stdout, first.stderr);
  });

  it("prints Markdown for a pull-request comment", async () => {
    const result = await plan(["--format", "markdown"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.startsWith("<!-- orgctl-plan -->")).toBe(true);
    expect(result.stdout).toContain("6 to create");
    expect(result.stdout).toContain("€910.00 → €868.00");
    expectNoSecret(result.stdout, result.stderr);
  });

  it("exits 2 with --detailed-exitcode when there are changes", async () => {
    const result = await plan(["--detailed-exitcode"]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stdout.split("\n")).toContain(SUMMARY);
  });

  it("writes the JSON plan with --out, equal to --format json, without the secret", async () => {
    const out = join(org.dir, "plan.json");
    const result = await plan(["--out", out]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.split("\n")).toContain(SUMMARY);
    const saved = readFileSync(out, "utf8");
    expectSchemaValid(JSON.parse(saved));
    const json = await plan(["--format", "json"]);
    expect(saved).toBe(json.stdout);
    expectNoSecret(saved);
    // The reference to the secret is there; its value is not.
    expect(saved).toContain("BOB_PW");
  });

  it("never writes the password anywhere it can be read back", async () => {
    const outputs: string[] = [];
    for (const format of ["text", "json", "markdown"]) {
      const result = await plan(["--format", format, "--detailed-exitcode"]);
      expect(result.code, result.stderr).toBe(2);
      outputs.push(result.stdout, result.stderr);
    }
    expectNoSecret(...outputs);
    const files = readdirSync(org.dir, { withFileTypes: true }).filter((e) => e.isFile());
    expect(files.map((e) => e.name)).toEqual(expect.arrayContaining(["org.yaml", "plan.json"]));
    for (const entry of files) expectNoSecret(readFileSync(join(org.dir, entry.name), "utf8"));
  });

  it("checks every password a step will send: a missing variable or a short password fails at its line", async () => {
    const missing = await plan([], { BOB_PW: "" });
    expect(missing.code, missing.stdout + missing.stderr).toBe(1);
    expect(missing.stdout).toMatch(
      new RegExp(
        `${org.file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:27:\\d+ secret_missing: bob: environment variable BOB_PW is not set`,
      ),
    );
    expect(missing.stdout).toContain("fix: export BOB_PW in the job that runs plan and apply");
    const short = "Sh0rt!";
    const weak = await plan([], { BOB_PW: short });
    expect(weak.code).toBe(1);
    expect(weak.stdout).toContain(
      "password_policy: bob: the password has 6 characters; the console needs at least 8",
    );
    expect(weak.stdout + weak.stderr).not.toContain(short);
    expect(hasStackTrace(weak.stderr)).toBe(false);
  });

  it("refuses an unknown --format with a clear message", async () => {
    const result = await plan(["--format", "yaml"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(
      "orgctl: invalid_flag: --format must be one of text, json, markdown (got yaml)",
    );
    expect(hasStackTrace(result.stderr)).toBe(false);
  });

  it("needs ORGCTL_TOKEN for a remote endpoint", async () => {
    const result = await runCli(["plan", "-f", org.file, "--endpoint", ts.url], { cwd: org.dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^orgctl: missing_token: set ORGCTL_TOKEN/m);
    expect(hasStackTrace(result.stderr)).toBe(false);
  });

  it("takes the endpoint from ORGCTL_ENDPOINT", async () => {
    const result = await runCli(["plan", "-f", org.file], {
      cwd: org.dir,
      env: { ...env, ORGCTL_ENDPOINT: ts.url },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.split("\n")).toContain(SUMMARY);
    expect(result.stderr).not.toContain("sandbox");
  });

  it("refuses a wrong token without a stack trace", async () => {
    const result = await plan([], { ORGCTL_TOKEN: "oct_not-a-real-token" });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^orgctl: [a-z_]+: /m);
    expect(hasStackTrace(result.stderr)).toBe(false);
  });

  it("reports a refused connection without a stack trace", async () => {
    const port = await closedPort();
    const result = await runCli(["plan", "-f", org.file, "--endpoint", `http://127.0.0.1:${port}`], {
      cwd: org.dir,
      env,
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("orgctl: console_refused: ");
    expect(result.stderr).toContain(`127.0.0.1:${port}`);
    expect(hasStackTrace(result.stderr)).toBe(false);
  });
});

describe("orgctl plan: a wallet that cannot pay", E2E, () => {
  let ts: TestConsole;
  beforeAll(async () => {
    // €100.00, minus the owner's pro plan (€90.00): €10.00 left.
    ts = await startTestConsole({ balanceCents: 10_000 });
  });
  afterAll(async () => {
    await ts.close();
  });

  it("exits 1 and says how much is missing", async () => {
    const pros = Array.from(
      { length: 5 },
      (_, i) =>
        `  - login: pro${i}\n    first_name: Pro\n    last_name: User\n    email: pro${i}@console.test\n    plan: pro\n`,
    ).join("");
    const org = writeOrg(ORG_YAML + pros);
    const result = await runCli(["plan", "-f", org.file, "--endpoint", ts.url, "--detailed-exitcode"], {
      cwd: org.dir,
      env: { ORGCTL_TOKEN: OWNER_TOKEN, BOB_PW: SECRET },
    });
    expect(result.code).toBe(1);
    const output = result.stdout + result.stderr;
    // bob (€42.00) and five pro users (5 × €90.00) need €492.00; €10.00 is there. Each refused step says its
    // own gap; the fix says what the whole plan lacks.
    expect(output).toMatch(/wallet short by €\d+\.\d\d at step \d+/);
    expect(output).toContain("top up at least €482.00");
    expect(output).toContain("Plan failed");
    expect(hasStackTrace(result.stderr)).toBe(false);
    expectNoSecret(output);
    // Nothing was charged.
    expect((await ts.api("GET", "/v1/wallet")).body.balance_cents).toBe(1000);
  });
});

describe("orgctl plan: in sync", E2E, () => {
  let ts: TestConsole;
  beforeAll(async () => {
    ts = await startTestConsole();
  });
  afterAll(async () => {
    await ts.close();
  });

  it("exits 0 with --detailed-exitcode once the console already matches org.yaml", async () => {
    const org = writeOrg(ORG_YAML);
    const run = () =>
      runCli(["plan", "-f", org.file, "--endpoint", ts.url, "--detailed-exitcode"], {
        cwd: org.dir,
        env: { ORGCTL_TOKEN: OWNER_TOKEN, BOB_PW: SECRET },
      });
    expect((await run()).code).toBe(2);

    await apiOk(ts, "POST", "/v1/domains", { name: "example.org" });
    await apiOk(ts, "POST", "/v1/domains/example.org/verify");
    await apiOk(ts, "POST", "/v1/groups", { name: "staff", description: "Everyone" });
    await apiOk(ts, "POST", "/v1/users", {
      login: "bob",
      email: "bob@example.org",
      first_name: "Bob",
      last_name: "Builder",
      plan: "entry",
      role: "org_admin",
      password: SECRET,
      aliases: ["b@example.org"],
      groups: ["staff"],
    });
    await apiOk(ts, "POST", "/v1/users", {
      login: "cleo",
      email: "cleo@console.test",
      first_name: "Cleo",
      last_name: "Free",
      plan: "free",
      role: "member",
    });
    await apiOk(ts, "PUT", "/v1/groups/staff/members/admin");

    const result = await run();
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout.split("\n")).toContain(
      "No changes. The console matches org.yaml. Wallet: €868.00 → €868.00 (charges €0.00, refunds €0.00).",
    );
    expect(result.stdout).not.toMatch(/^\s+[+~-] /m);
    expectNoSecret(result.stdout, result.stderr);
  });
});

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
