import { Command, CommanderError } from "commander";
import { packageVersion } from "../package-root.js";
import { registerApply } from "./apply.js";
import { reportFailure } from "./errors.js";
import { registerImport } from "./import.js";
import { registerInvite } from "./invite.js";
import { registerLogout } from "./logout.js";
import { registerOwnerToken } from "./owner-token.js";
import { registerPlan } from "./plan.js";
import { registerServe } from "./serve.js";
import { registerUsers } from "./users.js";
import { registerValidate } from "./validate.js";
import { registerWallet } from "./wallet.js";

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
  registerOwnerToken(program);
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
    return reportFailure(error, (text) => process.stderr.write(text));
  }
}
