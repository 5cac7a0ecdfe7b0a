/**
 * Secrets never leave the places they belong: a full plan/apply/drift/import/wallet cycle against a console
 * with an access log, then every byte produced is searched for every password and every token. Passwords
 * live only in the environment given to orgctl (and, hashed, in the console); tokens only in that
 * environment and in the one response that issued each of them.
 *
 * Already covered elsewhere and not repeated: a disabled user's tokens and sessions are refused (401) in
 * test/console/rules.test.ts and test/console/credentials.test.ts (disabling ends every credential for good); API responses and
 * the SQLite files of API-only traffic in test/console/protocol.test.ts ("secrets").
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningConsole, startConsole } from "../../src/console/server.js";
import { DEFAULT_BOOTSTRAP } from "../../src/console/service.js";
import { type CliResult, hasStackTrace, runCli } from "../support/cli.js";
import { type ApiResponse, callApi, OWNER_TOKEN, OWNER_USER_YAML } from "../support/console.js";

/** Round 1: set on create. Round 2: set by a rotation-label change. */
const ROUND_1 = {
  PW_ALPHA: "Sup3r-Secret-Alpha-91",
  PW_BRAVO: "Sup3r-Secret-Bravo-92",
  PW_CHARLIE: "Sup3r-Secret-Charlie-93",
};
const ROUND_2 = {
  PW_ALPHA: "Rot4ted-Secret-Alpha-71",
  PW_BRAVO: "Rot4ted-Secret-Bravo-72",
  PW_CHARLIE: "Rot4ted-Secret-Charlie-73",
};
const PASSWORDS = [...Object.values(ROUND_1), ...Object.values(ROUND_2)];

function orgYaml(rotation: string): string {
  const user = (login: string, plan: string, role: string, env: string) => `  - login: ${login}
    first_name: ${login[0]!.toUpperCase()}${login.slice(1)}
    last_name: Tester
    email: ${login}@console.test
    plan: ${plan}
    role: ${role}
    password: { env: ${env}, rotation: "${rotation}" }
`;
  return `version: 1
organization:
  name: Example Org
  plan: pro
users:
${OWNER_USER_YAML}${user("alpha", "entry", "org_admin", "PW_ALPHA")}${user("bravo", "free", "member", "PW_BRAVO")}${user("charlie", "free", "billing_admin", "PW_CHARLIE")}`;
}

/** Everything that came out of the system, by where it came from. */
interface Output {
  where: string;
  bytes: Buffer;
}

/** The secret as it is, and base64 / hex / URL-encoded, in case something "hides" it. */
function encodings(secret: string): string[] {
  const raw = Buffer.from(secret, "utf8");
  return [
    secret,
    raw.toString("base64"),
    raw.toString("base64url"),
    raw.toString("hex"),
    encodeURIComponent(secret),
  ];
}

function findLeaks(outputs: Output[], secrets: string[]): string[] {
  const leaks: string[] = [];
  for (const { where, bytes } of outputs) {
    for (const secret of secrets) {
      for (const form of encodings(secret)) {
        if (bytes.includes(Buffer.from(form, "utf8"))) leaks.push(`${secret} (as ${form}) in ${where}`);
      }
    }
  }
  return leaks;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile());
}

describe("secrets through a full orgctl cycle", { timeout: 240_000 }, () => {
  let dir: string;
  let server: RunningConsole;
  let closed = false;
  const accessLog: string[] = [];
  const outputs: Output[] = [];
  const runs: Record<string, CliResult> = {};
  /** Session tokens from the final password checks: secrets too, outside their own responses. */
  const sessionTokens: string[] = [];
  let issuedToken = "";
  let dbWhileRunning: Output[] = [];

  const api = async (method: string, path: string, body?: unknown, token: string | null = OWNER_TOKEN) => {
    const res = await callApi(server.url, method, path, body, token);
    return res;
  };
  /** A response whose bytes count as produced output. */
  const recorded = async (method: string, path: string, body?: unknown): Promise<ApiResponse> => {
    const res = await api(method, path, body);
    outputs.push({
      where: `response ${method} ${path}`,
      bytes: Buffer.from(`${JSON.stringify([...res.headers])}\n${JSON.stringify(res.body)}`),
    });
    return res;
  };

  const cli = async (name: string, args: string[], token: string, passwords: Record<string, string>) => {
    const result = await runCli([...args, "--endpoint", server.url], {
      cwd: dir,
      env: { ORGCTL_TOKEN: token, ...passwords },
    });
    runs[name] = result;
    outputs.push({ where: `${name} stdout`, bytes: Buffer.from(result.stdout) });
    outputs.push({ where: `${name} stderr`, bytes: Buffer.from(result.stderr) });
    expect(hasStackTrace(result.stderr), `${name}: ${result.stderr}`).toBe(false);
    return result;
  };

  const dbFiles = (): Output[] =>
    ["console.db", "console.db-wal", "console.db-shm"].flatMap((name) => {
      try {
        return [{ where: `${name} (while running)`, bytes: readFileSync(join(dir, "console", name)) }];
      } catch {
        return [];
      }
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "orgctl-security-"));
    server = await startConsole({
      dbPath: join(dir, "console", "console.db"),
      host: "127.0.0.1",
      port: 0,
      clock: () => new Date("2026-03-01T12:00:00Z"),
      bootstrap: { ...DEFAULT_BOOTSTRAP, verifier: "auto", token: OWNER_TOKEN },
      accessLog: (line) => accessLog.push(line),
    });

    // An extra API token for the owner: its one response is the only place it may be seen.
    const issued = await api("POST", "/v1/tokens", { login: "admin", name: "security-e2e" });
    expect(issued.status, JSON.stringify(issued.body)).toBe(201);
    issuedToken = issued.body.token as string;
    expect(issuedToken).toMatch(/^oct_/);

    writeFileSync(join(dir, "org.yaml"), orgYaml("r1"));
    await cli("plan --out", ["plan", "-f", "org.yaml", "--out", "plan.json"], OWNER_TOKEN, ROUND_1);
    await cli("plan --format json", ["plan", "-f", "org.yaml", "--format", "json"], issuedToken, ROUND_1);
    await cli(
      "plan --format markdown",
      ["plan", "-f", "org.yaml", "--format", "markdown"],
      issuedToken,
      ROUND_1,
    );
    await cli("apply plan.json", ["apply", "plan.json", "--format", "json"], OWNER_TOKEN, ROUND_1);
    await recorded("GET", "/v1/users");

    // New passwords, applied by changing the rotation label.
    writeFileSync(join(dir, "org.yaml"), orgYaml("r2"));
    await cli("apply -f", ["apply", "-f", "org.yaml", "--auto-approve"], issuedToken, ROUND_2);
    await cli("drift", ["drift", "-f", "org.yaml"], issuedToken, ROUND_2);
    await cli("import", ["import", "--out", "imported.yaml"], OWNER_TOKEN, ROUND_2);
    await cli("wallet", ["wallet", "--format", "json"], issuedToken, ROUND_2);

    for (const path of [
      "/v1/users",
      "/v1/users/alpha",
      "/v1/wallet/ledger",
      "/v1/org",
      "/v1/me",
      "/v1/lock",
    ]) {
      const res = await recorded("GET", path);
      expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(200);
    }
    dbWhileRunning = dbFiles();

    // Last (a login changes the user): the second-round passwords are the ones that work.
    for (const [login, env] of [
      ["alpha", "PW_ALPHA"],
      ["bravo", "PW_BRAVO"],
      ["charlie", "PW_CHARLIE"],
    ] as const) {
      const ok = await api("POST", "/v1/sessions", { login, password: ROUND_2[env] }, null);
      expect(ok.status, `${login} with the rotated password: ${JSON.stringify(ok.body)}`).toBe(201);
      sessionTokens.push(ok.body.token as string);
      const stale = await recorded("POST", "/v1/sessions", { login, password: ROUND_1[env] });
      expect(stale.status, `${login} with the first password`).toBe(401);
    }
  }, 240_000);

  afterAll(async () => {
    if (!closed) await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("ran every command successfully, and the passwords really went through", () => {
    expect(runs["plan --out"]!.code, runs["plan --out"]!.stderr).toBe(0);
    expect(runs["plan --format json"]!.code).toBe(0);
    expect(runs["plan --format markdown"]!.code).toBe(0);
    expect(runs["apply plan.json"]!.code, runs["apply plan.json"]!.stderr).toBe(0);
    expect(runs["apply -f"]!.code, runs["apply -f"]!.stderr).toBe(0);
    expect(runs.drift!.code, runs.drift!.stdout).toBe(0);
    expect(runs.import!.code, runs.import!.stderr).toBe(0);
    expect(runs.wallet!.code, runs.wallet!.stderr).toBe(0);
    // The first apply created three users with passwords; the second reset all three.
    expect(runs["apply plan.json"]!.stdout).toContain('"step_done"');
    expect(runs["apply -f"]!.stdout).toMatch(/alpha/);
    expect(runs["apply -f"]!.stdout).toMatch(/password/i);
    expect(sessionTokens).toHaveLength(3);
  });

  it("the search would find what is there (sanity of the haystack)", () => {
    const files = listFiles(dir).map((path) => relative(dir, path));
    expect(files).toEqual(
      expect.arrayContaining(["org.yaml", "plan.json", "imported.yaml", join("console", "console.db")]),
    );
    expect(dbWhileRunning.map((o) => o.where)).toEqual(
      expect.arrayContaining(["console.db (while running)", "console.db-wal (while running)"]),
    );
    const all = Buffer.concat([...outputs, ...dbWhileRunning].map((o) => o.bytes));
    for (const expected of ["alpha@console.test", "charlie@console.test", "PW_BRAVO"]) {
      expect(all.includes(Buffer.from(expected)), expected).toBe(true);
    }
    expect(findLeaks(dbWhileRunning, ["charlie@console.test"])).not.toEqual([]);
    expect(accessLog.some((line) => line.startsWith("POST /v1/users 201 "))).toBe(true);
    expect(accessLog.some((line) => /^PUT \/v1\/users\/alpha\/password 20\d /.test(line))).toBe(true);
  });

  it("no password and no token in any output, file, response, log line or database file", async () => {
    const logs: Output[] = [{ where: "access log", bytes: Buffer.from(accessLog.join("\n")) }];
    const secrets = [...PASSWORDS, OWNER_TOKEN, issuedToken, ...sessionTokens];
    expect(findLeaks([...outputs, ...logs, ...dbWhileRunning], secrets)).toEqual([]);
    // The working directory: org.yaml, plan.json, imported.yaml, the database; again after a clean shutdown.
    const fileOutputs = () =>
      listFiles(dir).map((path) => ({ where: relative(dir, path), bytes: readFileSync(path) }));
    expect(findLeaks(fileOutputs(), secrets)).toEqual([]);
    await server.close();
    closed = true;
    expect(findLeaks(fileOutputs(), secrets)).toEqual([]);
  });

  it("the access log is one line per request without tokens, query strings or bodies", () => {
    expect(accessLog.length).toBeGreaterThan(20);
    for (const line of accessLog) expect(line).toMatch(/^[A-Z]+ \/v1\/[^\s?]* \d{3} \d+ms$/);
  });
});
