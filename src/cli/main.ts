import { Command, CommanderError } from "commander";
import { ConsoleApiError, ConsoleUnreachableError, PartialReadError } from "../client/errors.js";
import { ConfigInvalidError, formatIssue } from "../config/model.js";
import { ApiError } from "../console/errors.js";
import { packageVersion } from "../package-root.js";
import { registerApply } from "./apply.js";
import { CliError } from "./errors.js";
import { registerImport } from "./import.js";
import { registerInvite } from "./invite.js";
import { registerLogout } from "./logout.js";
import { registerPlan } from "./plan.js";
import { registerServe } from "./serve.js";
import { registerUsers } from "./users.js";
import { registerValidate } from "./validate.js";
import { registerWallet } from "./wallet.js";

const MAX_ISSUES_PRINTED = 50;

export const EXIT_HELP = `
Exit codes:
  0    success (plan/drift: no changes)
  1    error: bad input, refused plan, failed apply, unreachable console, or "no" at apply's prompt
  2    changes present (plan --detailed-exitcode), drift found (drift), or apply done with steps
       still blocked on domain verification
  130  apply interrupted with Ctrl-C (run apply again to finish)`;

export function buildProgram(): Command {
  const program = new Command()
    .name("orgctl")
    .description("Infrastructure as code for an organization's admin console.")
    .version(packageVersion(), "-v, --version")
    .showHelpAfterError()
    .exitOverride()
    .addHelpText("after", EXIT_HELP);
  registerValidate(program);
  registerPlan(program);
  registerApply(program);
  registerImport(program);
  registerServe(program);
  registerLogout(program);
  registerWallet(program);
  registerUsers(program);
  registerInvite(program);
  return program;
}

/** Runs the CLI and returns the exit code. The only place errors become exit codes. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return Number(process.exitCode ?? 0);
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : 1;
    }
    if (error instanceof CliError) {
      process.stderr.write(`orgctl: ${error.code}: ${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof ConfigInvalidError) {
      // The same problem repeated (a broken file can yield thousands) is printed once, and at most 50.
      const lines = [...new Set(error.issues.map(formatIssue))];
      for (const line of lines.slice(0, MAX_ISSUES_PRINTED)) process.stderr.write(`${line}\n`);
      if (lines.length > MAX_ISSUES_PRINTED) {
        process.stderr.write(
          `orgctl: … and ${lines.length - MAX_ISSUES_PRINTED} more problem(s); fix these first\n`,
        );
      }
      return 1;
    }
    if (
      error instanceof ConsoleApiError ||
      error instanceof ConsoleUnreachableError ||
      error instanceof PartialReadError
    ) {
      process.stderr.write(`orgctl: ${error.code}: ${error.message}\n`);
      return 1;
    }
    if (error instanceof ApiError) {
      process.stderr.write(`orgctl: ${error.code}: ${error.message}\n`);
      return 1;
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (
      code === "EADDRINUSE" ||
      code === "EACCES" ||
      code === "SQLITE_CANTOPEN" ||
      code === "SQLITE_NOTADB"
    ) {
      process.stderr.write(`orgctl: ${code.toLowerCase()}: ${(error as Error).message}\n`);
      return 1;
    }
    process.stderr.write(
      `orgctl: internal: ${(error as Error).message ?? String(error)} (this is a bug; please report it)\n`,
    );
    return 1;
  }
}
