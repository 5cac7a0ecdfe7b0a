/**
 * better-sqlite3 is an optional dependency (a config repo installs orgctl with --omit=optional and skips
 * its native build). Simulated here by a resolve hook that makes the package missing, as after such an
 * install: the sandbox and serve say so plainly, and plan, apply, drift and import against an endpoint work.
 * scripts/check-pack.sh proves the same with a real `npm pack` + `npm i --omit=optional`.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliResult, hasStackTrace, runCli } from "../support/cli.js";
import { OWNER_TOKEN, OWNER_USER_YAML, startTestConsole, type TestConsole } from "../support/console.js";

const HOOKS = `export async function resolve(specifier, context, nextResolve) {
  if (specifier === "better-sqlite3" || specifier.startsWith("better-sqlite3/")) {
    const error = new Error("Cannot find package 'better-sqlite3' imported from " + context.parentURL);
    error.code = "ERR_MODULE_NOT_FOUND";
    throw error;
  }
  return nextResolve(specifier, context);
}
`;

let dir: string;
let ts: TestConsole;
let withoutSqlite: Record<string, string>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "orgctl-nosqlite-"));
  writeFileSync(join(dir, "hooks.mjs"), HOOKS);
  writeFileSync(
    join(dir, "preload.mjs"),
    `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(join(dir, "hooks.mjs")).href)});\n`,
  );
  writeFileSync(
    join(dir, "org.yaml"),
    `version: 1\norganization:\n  name: Example Org\n  plan: pro\nusers:\n${OWNER_USER_YAML}  - login: ann\n    first_name: Ann\n    last_name: Lee\n    email: ann@console.test\n    plan: free\n`,
  );
  withoutSqlite = { NODE_OPTIONS: `--import ${pathToFileURL(join(dir, "preload.mjs")).href}`, CI: "" };
  ts = await startTestConsole();
});
afterAll(async () => {
  await ts?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function expectSqliteUnavailable(result: CliResult, serve = false): void {
  expect(result.code, result.stdout + result.stderr).toBe(1);
  expect(hasStackTrace(result.stderr), result.stderr).toBe(false);
  expect(result.stderr).toMatch(/^orgctl: sqlite_unavailable: .*better-sqlite3/m);
  expect(result.stderr).toContain("without --omit=optional");
  if (!serve) expect(result.stderr).toContain("ORGCTL_ENDPOINT");
}

describe("without better-sqlite3", { timeout: 180_000 }, () => {
  it("the hook really hides it: the sandbox cannot start", async () => {
    expectSqliteUnavailable(await runCli(["plan"], { cwd: dir, env: withoutSqlite }));
    expectSqliteUnavailable(
      await runCli(["wallet", "--sandbox", join(dir, "s.db")], { cwd: dir, env: withoutSqlite }),
    );
  });

  it("serve says what to install, and writes no database", async () => {
    const result = await runCli(["serve", "--db", join(dir, "console.db"), "--port", "0"], {
      cwd: dir,
      env: withoutSqlite,
    });
    expectSqliteUnavailable(result, true);
    expect(existsSync(join(dir, "console.db"))).toBe(false);
  });

  it("plan, apply, drift and import work against an endpoint", async () => {
    const env = { ...withoutSqlite, ORGCTL_ENDPOINT: ts.url, ORGCTL_TOKEN: OWNER_TOKEN };
    const plan = await runCli(["plan", "--detailed-exitcode"], { cwd: dir, env });
    expect(plan.code, plan.stderr).toBe(2);
    expect(plan.stdout).toContain(`console: ${ts.url}`);
    const drift = await runCli(["drift"], { cwd: dir, env });
    expect(drift.code, drift.stderr).toBe(2);
    const apply = await runCli(["apply", "--auto-approve"], { cwd: dir, env });
    expect(apply.code, apply.stderr).toBe(0);
    const imported = await runCli(["import", "--out", join(dir, "imported.yaml")], { cwd: dir, env });
    expect(imported.code, imported.stderr).toBe(0);
    const again = await runCli(["plan", "-f", "imported.yaml", "--detailed-exitcode"], { cwd: dir, env });
    expect(again.code, again.stdout + again.stderr).toBe(0);
  });
});
