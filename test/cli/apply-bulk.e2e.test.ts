/**
 * `orgctl apply --bulk-size`: the flag reaches apply (counted at the console's access log), 1 sends each step
 * alone, a bad value is refused up front with `invalid_flag`, and `--help` documents it.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { hasStackTrace, runCli } from "../support/cli.js";
import { OWNER_TOKEN, OWNER_USER_YAML, startTestConsole, type TestConsole } from "../support/console.js";

const ORG_YAML = `version: 1
organization:
  name: Example Org
  plan: pro
policy:
  removed_users: delete
  removal_threshold: { percent: 100, min_users: 0 }
users:
${OWNER_USER_YAML}`;
const LOGINS = ["gone1", "gone2", "gone3", "gone4"];

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A console with four users that org.yaml removes; the changes it answers, as its access log writes them. */
async function setUp(): Promise<{ ts: TestConsole; dir: string; changes: string[] }> {
  const changes: string[] = [];
  const ts = await startTestConsole({
    accessLog: (line) => {
      if (!line.startsWith("GET ")) changes.push(line.replace(/ \d+ms$/, ""));
    },
  });
  const dir = mkdtempSync(join(tmpdir(), "orgctl-bulk-cli-"));
  cleanups.push(async () => {
    await ts.close();
    rmSync(dir, { recursive: true, force: true });
  });
  for (const login of LOGINS) {
    const body = {
      login,
      email: `${login}@console.test`,
      first_name: "G",
      last_name: login,
      plan: "entry",
      role: "member",
    };
    expect((await ts.api("POST", "/v1/users", body)).status).toBe(201);
  }
  writeFileSync(join(dir, "org.yaml"), ORG_YAML);
  changes.length = 0;
  return { ts, dir, changes };
}

async function apply(ts: TestConsole, dir: string, extra: string[]) {
  return runCli(
    [
      "apply",
      "-f",
      join(dir, "org.yaml"),
      "--auto-approve",
      "--format",
      "json",
      "--endpoint",
      ts.url,
      ...extra,
    ],
    { env: { ORGCTL_TOKEN: OWNER_TOKEN } },
  );
}

/** The lock and its release are requests too; only the users' changes are counted. */
const userChanges = (changes: string[]) => changes.filter((line) => line.includes("/v1/users"));

describe("orgctl apply --bulk-size", () => {
  it("sends ready disables and deletes in bulk by default, and reports every step", async () => {
    const { ts, dir, changes } = await setUp();
    const result = await apply(ts, dir, []);
    expect(result.code, result.stderr).toBe(0);
    expect(userChanges(changes)).toEqual(["POST /v1/users/bulk 200", "POST /v1/users/bulk 200"]);
    const done = result.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { type: string; id?: string })
      .filter((e) => e.type === "step_done")
      .map((e) => e.id)
      .sort();
    expect(done).toEqual(LOGINS.flatMap((l) => [`user/${l}:delete_user`, `user/${l}:disable_user`]).sort());
  });

  it("sends one request per step with --bulk-size 1", async () => {
    const { ts, dir, changes } = await setUp();
    const result = await apply(ts, dir, ["--bulk-size", "1"]);
    expect(result.code, result.stderr).toBe(0);
    expect(userChanges(changes).sort()).toEqual(
      LOGINS.flatMap((l) => [`DELETE /v1/users/${l} 204`, `POST /v1/users/${l}/disable 200`]).sort(),
    );
  });

  it("refuses a size outside 1 to 1000 before it changes anything", async () => {
    const { ts, dir, changes } = await setUp();
    for (const bad of ["0", "1001", "2.5", "many"]) {
      const result = await apply(ts, dir, ["--bulk-size", bad]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("invalid_flag");
      expect(result.stderr).toContain("--bulk-size must be a whole number from 1 to 1000");
      expect(hasStackTrace(result.stderr)).toBe(false);
    }
    expect(changes).toEqual([]);
  });

  it("is documented in apply --help", async () => {
    const result = await runCli(["apply", "--help"]);
    expect(result.stdout).toMatch(/--bulk-size <n>/);
    expect(result.stdout).toContain("one by one");
  });
});
