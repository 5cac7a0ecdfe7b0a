import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MAX_CONFIG_BYTES, MAX_YAML_NODES } from "../../src/config/load.js";
import { type CliResult, hasStackTrace, REPO_ROOT, runCli } from "../support/cli.js";

/** Each test spawns the CLI (up to 60 s a run) several times. */
const E2E = { timeout: 180_000 };

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Writes org.yaml into a fresh temp dir and runs `orgctl validate -f org.yaml` there. */
async function validate(content: string | Uint8Array): Promise<CliResult> {
  const dir = mkdtempSync(join(tmpdir(), "orgctl-cli-validate-"));
  dirs.push(dir);
  writeFileSync(join(dir, "org.yaml"), content);
  return runCli(["validate", "-f", "org.yaml"], { cwd: dir });
}

/** Exit 1, nothing on stdout, the located error on stderr, and no stack trace. */
function expectLocatedError(result: CliResult, line: number, col: number, code: string): string {
  expect(result.code, result.stderr).toBe(1);
  expect(result.stdout).not.toContain("is valid");
  expect(hasStackTrace(result.stderr), result.stderr).toBe(false);
  expect(result.stderr).not.toContain("internal");
  const errorLines = result.stderr.split("\n").filter((l) => l.startsWith("org.yaml:"));
  expect(errorLines.length, result.stderr).toBeGreaterThan(0);
  for (const l of errorLines) expect(l).toMatch(/^org\.yaml:\d+:\d+ (warning: )?[a-z0-9_]+: \S.*$/);
  const wanted = errorLines.find((l) => l.startsWith(`org.yaml:${line}:${col} ${code}: `));
  expect(wanted, `want org.yaml:${line}:${col} ${code}: ... in\n${result.stderr}`).toBeDefined();
  return wanted!;
}

const OWNER = `  - login: admin
    first_name: Org
    last_name: Owner
    email: admin@console.test
    plan: pro
    role: org_admin
    owner: true
`;

/** Lines 1-4: header; line 5: `users:`; lines 6-12: the owner. The next user starts on line 13. */
const HEADER = `version: 1
organization:
  name: Example Org
  plan: pro
users:
${OWNER}`;

const SECOND_ADMIN = `  - login: bob
    first_name: Bob
    last_name: Builder
    email: bob@console.test
    plan: entry
    role: org_admin
`;

describe("orgctl validate: hostile and malformed files", E2E, () => {
  it("accepts the baseline used by the cases below", async () => {
    const result = await validate(HEADER + SECOND_ADMIN);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe("org.yaml is valid: 2 users, 0 groups, 0 domains.\n");
    expect(result.stderr).toBe("");
  });

  it("reports a YAML syntax error where it is", async () => {
    const result = await validate("version: 1\norganization:\n  name: Example Org\n  plan: pro: x\n");
    const line = expectLocatedError(result, 4, 9, "yaml_syntax");
    expect(line).toContain("fix the YAML syntax");
  });

  it("reports a duplicate key at the second occurrence", async () => {
    const result = await validate("version: 1\norganization:\n  name: A\n  plan: pro\n  name: B\n");
    const line = expectLocatedError(result, 5, 3, "duplicate_key");
    expect(line).toContain("keep one of them");
  });

  it("refuses 1,000-deep block nesting where the limit is crossed, without a JavaScript message", async () => {
    const deep = Array.from({ length: 1000 }, (_, i) => `${" ".repeat(i + 2)}k${i}:`).join("\n");
    const result = await validate(`${HEADER}${SECOND_ADMIN}policy:\n${deep} leaf\n`);
    // policy: (line 19) is depth 1; k0 (depth 2) is on line 20, column 3; depth 65 is line 83, column 66.
    const line = expectLocatedError(result, 83, 66, "too_deep");
    expect(line).toContain("flatten");
    expect(result.stderr).not.toMatch(/call stack|RangeError/i);
  });

  it("locates a duplicate key near the end of a large users list, in validate and in plan alike", async () => {
    const many = Array.from(
      { length: 3000 },
      (_, i) =>
        `  - login: u${i}\n    first_name: U\n    last_name: U${i}\n    email: u${i}@console.test\n    plan: free\n`,
    ).join("");
    const text = `${HEADER}${SECOND_ADMIN}${many}`.replace(
      "    email: u2999@console.test\n",
      "    email: u2999@console.test\n    last_name: again\n",
    );
    expect(text.length).toBeGreaterThan(256 * 1024);
    const dir = mkdtempSync(join(tmpdir(), "orgctl-cli-validate-"));
    dirs.push(dir);
    writeFileSync(join(dir, "org.yaml"), text);
    const at = text.split("\n").indexOf("    last_name: again") + 1;
    for (const command of ["validate", "plan"]) {
      // plan names its console explicitly: CI (CI=true) refuses an implicit sandbox.
      const sandbox = command === "plan" ? ["--sandbox", join(dir, "sandbox.db")] : [];
      const result = await runCli([command, "-f", "org.yaml", ...sandbox], { cwd: dir });
      const line = expectLocatedError(result, at, 5, "duplicate_key");
      expect(line).toContain('the key "last_name" appears twice');
    }
  });

  it("suggests the declared group or domain nearest to a misspelt one, and says how to fix a seat limit", async () => {
    const text = `version: 1
organization:
  name: Example Org
  plan: entry
domains:
  - name: example.org
groups:
  - name: engineering
users:
${OWNER}  - login: bob
    first_name: Bob
    last_name: Builder
    email: bob@exmaple.org
    plan: entry
    role: org_admin
    groups: [enginering]
  - login: cat
    first_name: Cat
    last_name: Third
    email: cat@console.test
    plan: entry
`;
    const result = await validate(text);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'unknown_group: group enginering is not declared; did you mean "engineering"?',
    );
    expect(result.stderr).toContain(
      'unknown_domain: exmaple.org is neither a declared domain nor the provider\'s (console.test); did you mean "example.org"?',
    );
    expect(result.stderr).toContain(
      "seat_limit: 3 users on paid plans but the entry org plan has 2 paid seats;",
    );
    expect(result.stderr).toContain("move users to the free plan, remove some, or choose a larger org plan");
  });

  it("suggests the nearest field for a misspelt one", async () => {
    const result = await validate(HEADER + SECOND_ADMIN.replace("first_name: Bob", "frist_name: Bob"));
    const line = expectLocatedError(result, 14, 5, "unknown_field");
    expect(line).toContain('unknown field "frist_name"; did you mean "first_name"?');
    // The user now also misses first_name; that is reported at the user.
    expectLocatedError(result, 13, 5, "missing_field");
  });

  it("reports a value of the wrong type", async () => {
    const result = await validate(HEADER.replace("owner: true", 'owner: "yes"'));
    const line = expectLocatedError(result, 12, 12, "wrong_type");
    expect(line).toContain("/users/0/owner must be boolean");
  });

  it("refuses a literal password without echoing it", async () => {
    const secret = "Hunter2-literal-9f3c";
    const result = await validate(`${HEADER}    password: ${secret}\n${SECOND_ADMIN}`);
    const line = expectLocatedError(result, 13, 15, "password_literal");
    expect(line).toContain("{env: VARIABLE} or {file: path}");
    expect(result.stderr).not.toContain(secret);
    expect(result.stdout).not.toContain(secret);
  });

  it("refuses a billion-laughs alias bomb quickly", async () => {
    const lines = ["version: 1", "organization:", "  name: Example Org", "bomb:"];
    lines.push("  a0: &a0 [x,x,x,x,x,x,x,x,x]");
    for (let i = 1; i <= 9; i++)
      lines.push(
        `  a${i}: &a${i} [${Array(9)
          .fill(`*a${i - 1}`)
          .join(",")}]`,
      );
    const started = Date.now();
    const result = await validate(`${lines.join("\n")}\n`);
    expect(Date.now() - started).toBeLessThan(20_000);
    const line = expectLocatedError(result, 1, 1, "alias_bomb");
    expect(line).toContain("too many YAML aliases");
  });

  it("locates the first invalid UTF-8 byte", async () => {
    const text = HEADER + SECOND_ADMIN;
    const bytes = Buffer.from(text.replace("last_name: Builder", "last_name: Bui@@der"), "utf8");
    const at = bytes.indexOf("@@");
    bytes[at] = 0xff;
    bytes[at + 1] = 0xfe;
    // `    last_name: Bui` is 18 characters: the bad byte is column 19 of line 15.
    const line = expectLocatedError(await validate(bytes), 15, 19, "invalid_utf8");
    expect(line).toContain("not valid UTF-8");
  });

  it("refuses a number beyond the allowed range", async () => {
    const result = await validate(
      "version: 1\norganization:\n  name: Example Org\npolicy:\n  min_balance_cents: 99999999999999999999999\n",
    );
    const line = expectLocatedError(result, 5, 22, "invalid_value");
    expect(line).toContain("/policy/min_balance_cents");
  });

  it("refuses a 10 MB file before parsing it", async () => {
    const filler = `# ${"x".repeat(1022)}\n`.repeat(10 * 1024);
    const result = await validate(HEADER + SECOND_ADMIN + filler);
    const line = expectLocatedError(result, 1, 1, "file_too_large");
    expect(line).toMatch(/the limit is \d+ bytes/);
  });

  it("refuses a file over the value cap the same way in validate and plan (one check, on one path)", async () => {
    // 36,000 users of 9 lines each: under the byte cap, over the value cap. Plan once split the users list in
    // halves and checked the cap per half, so it accepted what validate refused.
    const many = Array.from(
      { length: 36_000 },
      (_, i) =>
        `  - login: u${i}\n    first_name: U\n    last_name: U\n    email: u${i}@console.test\n    plan: free\n` +
        "    role: member\n    groups: []\n    aliases: []\n    profile: {}\n",
    ).join("");
    const text = `${HEADER}${SECOND_ADMIN}${many}`;
    expect(text.split("\n").length).toBeGreaterThan(MAX_YAML_NODES);
    expect(text.length).toBeLessThan(MAX_CONFIG_BYTES);
    const dir = mkdtempSync(join(tmpdir(), "orgctl-cli-validate-"));
    dirs.push(dir);
    writeFileSync(join(dir, "org.yaml"), text);
    for (const command of ["validate", "plan"]) {
      const sandbox = command === "plan" ? ["--sandbox", join(dir, "sandbox.db")] : [];
      const result = await runCli([command, "-f", "org.yaml", ...sandbox], { cwd: dir });
      const line = expectLocatedError(result, 1, 1, "file_too_large");
      expect(line, command).toContain(`the limit is ${MAX_YAML_NODES}`);
    }
  });

  it("reports a missing file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "orgctl-cli-validate-"));
    dirs.push(dir);
    const result = await runCli(["validate", "-f", "org.yaml"], { cwd: dir });
    const line = expectLocatedError(result, 1, 1, "file_not_found");
    expect(line).toContain("cannot read org.yaml");
  });

  it("refuses a directory given as org.yaml, with a plain located error", async () => {
    const dir = mkdtempSync(join(tmpdir(), "orgctl-cli-validate-"));
    dirs.push(dir);
    mkdirSync(join(dir, "org.yaml"));
    const result = await runCli(["validate", "-f", "org.yaml"], { cwd: dir });
    const line = expectLocatedError(result, 1, 1, "not_a_file");
    expect(line).toContain("org.yaml is a directory");
    expect(result.stderr).not.toMatch(/EISDIR|illegal operation/);
  });

  it("plan takes a directory as a fleet: one with no org file in it is refused plainly (no_org_files)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "orgctl-cli-validate-"));
    dirs.push(dir);
    mkdirSync(join(dir, "org.yaml"));
    // plan names its console explicitly: CI (CI=true) refuses an implicit sandbox.
    const result = await runCli(["plan", "-f", "org.yaml", "--sandbox", join(dir, "sandbox.db")], {
      cwd: dir,
    });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toBe("");
    expect(hasStackTrace(result.stderr), result.stderr).toBe(false);
    expect(result.stderr).toContain("no_org_files: org.yaml holds no org file");
    expect(result.stderr).not.toMatch(/EISDIR|illegal operation|internal/);
  });

  it("refuses directories and missing folders for the other files it reads and writes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "orgctl-cli-validate-"));
    dirs.push(dir);
    writeFileSync(join(dir, "org.yaml"), HEADER + SECOND_ADMIN);
    mkdirSync(join(dir, "a-folder"));
    writeFileSync(join(dir, "broken.json"), '{\n  "format_version": 1,\n  "plan_id": }\n');
    const cases: { args: string[]; code: string; says: string }[] = [
      { args: ["apply", "a-folder"], code: "not_a_file", says: "a-folder is a directory" },
      { args: ["apply", "missing.json"], code: "file_not_found", says: "cannot read missing.json" },
      { args: ["apply", "broken.json"], code: "invalid_plan", says: "broken.json:3:14: " },
      { args: ["plan", "--out", "a-folder"], code: "not_a_file", says: "a-folder is a directory" },
      { args: ["plan", "--out", "no/such/plan.json"], code: "file_not_found", says: "folder does not exist" },
      {
        args: ["import", "--out", "a-folder", "--overwrite"],
        code: "not_a_file",
        says: "a-folder is a directory",
      },
      {
        args: ["serve", "--db", "a-folder"],
        code: "not_a_file",
        says: "a-folder is a directory, not a database file",
      },
      {
        args: ["plan", "--sandbox", "a-folder"],
        code: "not_a_file",
        says: "a-folder is a directory, not a sandbox",
      },
      {
        args: ["serve", "--db", "c.db", "--catalog", "a-folder"],
        code: "not_a_file",
        says: "a-folder is a directory",
      },
      {
        args: ["serve", "--db", "c.db", "--catalog", "broken.json"],
        code: "invalid_catalog",
        says: "broken.json:3:14: ",
      },
    ];
    for (const c of cases) {
      const result = await runCli(c.args, { cwd: dir });
      const context = `${c.args.join(" ")}\n${result.stderr}`;
      expect(result.code, context).toBe(1);
      expect(result.stderr, context).toContain(`orgctl: ${c.code}: `);
      expect(result.stderr, context).toContain(c.says);
      expect(result.stderr, context).not.toContain("internal");
      expect(result.stderr, context).not.toMatch(/EISDIR|ENOENT|illegal operation|in JSON at position/);
      expect(hasStackTrace(result.stderr), context).toBe(false);
    }
  });

  it("defaults to org.yaml in the working directory", async () => {
    const dir = mkdtempSync(join(tmpdir(), "orgctl-cli-validate-"));
    dirs.push(dir);
    writeFileSync(join(dir, "org.yaml"), HEADER + SECOND_ADMIN);
    const result = await runCli(["validate"], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("org.yaml is valid");
  });
});

describe("orgctl validate: semantic checks", E2E, () => {
  it("refuses a login used twice", async () => {
    const result = await validate(HEADER + SECOND_ADMIN.replace("login: bob", "login: admin"));
    const line = expectLocatedError(result, 13, 12, "conflict");
    expect(line).toContain("login admin is used twice");
  });

  it("refuses an address held by two users", async () => {
    const result = await validate(`${HEADER + SECOND_ADMIN}    aliases: [admin@console.test]\n`);
    const line = expectLocatedError(result, 19, 15, "address_taken");
    expect(line).toContain("admin@console.test is already used by admin");
  });

  it("refuses the provider's reserved abuse@ address", async () => {
    const result = await validate(
      `${HEADER + SECOND_ADMIN}    aliases: [bob.b@console.test, abuse@console.test]\n`,
    );
    const line = expectLocatedError(result, 19, 35, "address_reserved");
    expect(line).toContain("abuse@console.test is reserved");
  });

  it("refuses an address on a domain that is not declared", async () => {
    const result = await validate(
      HEADER + SECOND_ADMIN.replace("bob@console.test", "bob@undeclared.example"),
    );
    const line = expectLocatedError(result, 16, 12, "unknown_domain");
    expect(line).toContain("undeclared.example is neither a declared domain");
  });

  it("refuses a group that is not declared", async () => {
    const result = await validate(`${HEADER + SECOND_ADMIN}    groups: [ghosts]\n`);
    const line = expectLocatedError(result, 19, 13, "unknown_group");
    expect(line).toContain("group ghosts is not declared");
  });

  it("refuses a file without an active org_admin", async () => {
    const result = await validate(HEADER.replace("    role: org_admin\n", ""));
    const line = expectLocatedError(result, 6, 3, "last_org_admin");
    expect(line).toContain("at least one");
  });

  it("refuses more paid users than the org plan has seats", async () => {
    const third = SECOND_ADMIN.replace("login: bob", "login: cleo").replace("bob@", "cleo@");
    const result = await validate(
      (HEADER + SECOND_ADMIN + third).replace("plan: pro\nusers:", "plan: entry\nusers:"),
    );
    const line = expectLocatedError(result, 6, 3, "seat_limit");
    expect(line).toContain("3 users on paid plans but the entry org plan has 2 paid seats");
  });

  it("refuses more aliases than the user's plan allows", async () => {
    const aliases = Array.from({ length: 11 }, (_, i) => `bob${i}@console.test`).join(", ");
    const result = await validate(`${HEADER + SECOND_ADMIN}    aliases: [${aliases}]\n`);
    const line = expectLocatedError(result, 19, 14, "alias_limit");
    expect(line).toContain("plan entry allows 10 aliases and bob would have 11");
  });

  it("warns about a single org_admin and still exits 0", async () => {
    const result = await validate(HEADER);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe("org.yaml is valid: 1 user, 0 groups, 0 domains.\n");
    expect(result.stderr).toContain("org.yaml:6:3 warning: single_org_admin: ");
    expect(hasStackTrace(result.stderr)).toBe(false);
  });
});

describe("orgctl validate: the shipped examples", E2E, () => {
  const examples = readdirSync(join(REPO_ROOT, "examples"), { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(REPO_ROOT, "examples", e.name, "org.yaml")))
    .map((e) => e.name)
    .sort();

  it("finds the examples", () => {
    expect(examples).toEqual(expect.arrayContaining(["agency", "family", "small-business"]));
  });

  it.each(examples)("examples/%s/org.yaml is valid", async (name) => {
    const file = join("examples", name, "org.yaml");
    const result = await runCli(["validate", "-f", file]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(
        `^${file.replace(/[.\\/]/g, "\\$&")} is valid: \\d+ users?, \\d+ groups?, \\d+ domains?\\.\\n$`,
      ),
    );
    expect(result.stderr).not.toMatch(/^\S+:\d+:\d+ [a-z0-9_]+: /m);
  });
});
