/**
 * Errors share one base (src/errors.ts OrgctlError: a code, a kind, an exit code), and the CLI turns them
 * into output and exit codes in one place (src/cli/errors.ts reportFailure): a user error prints its code and
 * message and never a stack; anything else is a bug, said so, with the stack of what was thrown.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { LockHeldError } from "../../src/apply/lock.js";
import { CliError, reportFailure } from "../../src/cli/errors.js";
import { ConsoleApiError } from "../../src/client/errors.js";
import { ConfigInvalidError } from "../../src/config/model.js";
import { ApiError } from "../../src/console/errors.js";
import { BugError, OrgctlError } from "../../src/errors.js";
import { hasStackTrace, REPO_ROOT } from "../support/cli.js";

function report(error: unknown): { code: number; output: string } {
  let output = "";
  const code = reportFailure(error, (text) => {
    output += text;
  });
  return { code, output };
}

/** Every `export class X extends Y` in src/, with its file. */
function exportedClasses(): { file: string; name: string }[] {
  const src = join(REPO_ROOT, "src");
  return readdirSync(src, { recursive: true, encoding: "utf8" })
    .filter((file) => /\.tsx?$/.test(file))
    .flatMap((file) =>
      [
        ...readFileSync(join(src, file), "utf8").matchAll(
          /^export (?:abstract )?class (\w+)(?:<[^>]*>)?\s+extends\b/gm,
        ),
      ].map((match) => ({ file: join(src, file), name: match[1]! })),
    );
}

describe("the error base", () => {
  it("every error class src/ exports extends OrgctlError", async () => {
    const classes = exportedClasses();
    // The scan finds them: the console's, the client's, the config's, apply's and the CLI's.
    expect(classes.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        "ApiError",
        "CliError",
        "ConfigInvalidError",
        "ConsoleApiError",
        "LockHeldError",
      ]),
    );
    const errors: string[] = [];
    for (const { file, name } of classes) {
      const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
      const value = module[name] as { prototype: unknown };
      if (value.prototype instanceof Error && value !== OrgctlError) {
        errors.push(name);
        expect(value.prototype instanceof OrgctlError, `${name} (${file}) extends OrgctlError`).toBe(true);
      }
    }
    expect(errors.length).toBeGreaterThanOrEqual(10);
  });

  it("no class in src/ extends Error itself, but the base and module-private control flow", () => {
    const src = join(REPO_ROOT, "src");
    const direct = readdirSync(src, { recursive: true, encoding: "utf8" })
      .filter((file) => /\.tsx?$/.test(file))
      .flatMap((file) =>
        [
          ...readFileSync(join(src, file), "utf8").matchAll(
            /^(export )?class (\w+)(?:<[^>]*>)? extends Error\b/gm,
          ),
        ]
          .filter((match) => match[1] !== undefined || file.replace(/\\/g, "/") !== "config/fast-yaml.ts")
          .map((match) => `${file}: ${match[2]}`),
      );
    expect(direct).toEqual([`errors.ts: OrgctlError`]);
  });

  it("carries a typed code, a kind and an exit code", () => {
    const error = new CliError("invalid_flag", "--port must be a number", 2);
    expect([error.code, error.kind, error.exitCode]).toEqual(["invalid_flag", "user", 2]);
    expect(new ApiError(500, "internal", "boom").kind).toBe("bug");
    expect(new ApiError(404, "not_found", "no such user").kind).toBe("user");
    expect(new LockHeldError("ci", "2026-01-01T00:00:00Z").code).toBe("locked");
  });
});

describe("reportFailure, where errors become exit codes", () => {
  it("prints a user error as code and message, no stack, and exits with its code", () => {
    expect(report(new CliError("stale_plan", "plan is stale; run plan again"))).toEqual({
      code: 1,
      output: "orgctl: stale_plan: plan is stale; run plan again\n",
    });
    expect(report(new CliError("changes", "changes present", 2)).code).toBe(2);
    const refused = report(new ConsoleApiError(403, "forbidden", "a member may not read the organization"));
    expect(refused).toEqual({
      code: 1,
      output: "orgctl: forbidden: a member may not read the organization\n",
    });
  });

  it("prints each located issue of a config error, at most 50, without a stack", () => {
    const issue = (line: number) => ({
      file: "org.yaml",
      line,
      col: 3,
      code: "unknown_field",
      message: `unknown field ${line}`,
      path: "",
      severity: "error" as const,
    });
    const { code, output } = report(
      new ConfigInvalidError(Array.from({ length: 60 }, (_, i) => issue(i + 1))),
    );
    expect(code).toBe(1);
    const lines = output.trimEnd().split("\n");
    expect(lines[0]).toBe("org.yaml:1:3 unknown_field: unknown field 1");
    expect(lines).toHaveLength(51);
    expect(lines[50]).toBe("orgctl: … and 10 more problem(s); fix these first");
    expect(hasStackTrace(output)).toBe(false);
  });

  it("reports a user-fixable system error with its own code", () => {
    const inUse = Object.assign(new Error("listen EADDRINUSE: address already in use 127.0.0.1:8080"), {
      code: "EADDRINUSE",
    });
    const { code, output } = report(inUse);
    expect(code).toBe(1);
    expect(output).toBe("orgctl: eaddrinuse: listen EADDRINUSE: address already in use 127.0.0.1:8080\n");
  });

  it("reports an unknown thrown Error as a bug, with its stack, exit code 1", () => {
    const { code, output } = report(new TypeError("cannot read properties of undefined"));
    expect(code).toBe(1);
    expect(output).toMatch(
      /^orgctl: internal: cannot read properties of undefined \(this is a bug; please report it\)\n/,
    );
    expect(output).toContain("TypeError: cannot read properties of undefined");
    expect(hasStackTrace(output)).toBe(true);
  });

  it("reports a thrown value that is not an Error as a bug, exit code 1", () => {
    const { code, output } = report("just a string");
    expect(code).toBe(1);
    expect(output.split("\n")[0]).toBe("orgctl: internal: just a string (this is a bug; please report it)");
    expect(report(undefined).code).toBe(1);
    expect(report(new BugError("unexpected")).output).toContain("this is a bug");
  });
});
