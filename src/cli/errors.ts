import { ConfigInvalidError, formatIssue } from "../config/model.js";
import { asOrgctlError, OrgctlError } from "../errors.js";

/** An error the user can fix: printed as `orgctl: <code>: <message>` with no stack, exit code 1 by default. */
export class CliError extends OrgctlError {
  constructor(code: string, message: string, exitCode = 1) {
    super(code, message, { exitCode });
  }
}

/** A broken file can yield thousands of issues: at most this many are printed. */
const MAX_ISSUES_PRINTED = 50;

/**
 * THE place where a failed command's error becomes output and an exit code. A user error prints its code and
 * message (a config error, each located issue) and never a stack; anything else is a bug: said so, with the
 * stack of what was thrown, so that it can be reported.
 */
export function reportFailure(error: unknown, write: (text: string) => void): number {
  const failure = asOrgctlError(error);
  if (failure instanceof ConfigInvalidError) {
    // The same problem repeated is printed once. A file read only in part says where it stopped, last.
    const notRead = failure.issues.at(-1)?.code === "not_read" ? failure.issues.at(-1) : undefined;
    const lines = [...new Set((notRead ? failure.issues.slice(0, -1) : failure.issues).map(formatIssue))];
    for (const line of lines.slice(0, MAX_ISSUES_PRINTED)) write(`${line}\n`);
    if (lines.length > MAX_ISSUES_PRINTED) {
      write(`orgctl: … and ${lines.length - MAX_ISSUES_PRINTED} more problem(s); fix these first\n`);
    }
    if (notRead) write(`${formatIssue(notRead)}\n`);
  } else if (failure.kind === "bug") {
    write(`orgctl: ${failure.code}: ${failure.message} (this is a bug; please report it)\n`);
    const thrown = failure.cause instanceof Error ? failure.cause : failure;
    if (thrown.stack) write(`${thrown.stack}\n`);
  } else {
    write(`orgctl: ${failure.code}: ${failure.message}\n`);
  }
  return failure.exitCode;
}
