/**
 * Who has to act on an error: `user` — the input, a flag, the console's answer or the network; the message
 * says what to do — or `bug` — orgctl itself went wrong; report it. Only a bug shows a stack trace.
 */
export type ErrorKind = "user" | "bug";

/** The exit code of a command that failed. */
export const EXIT_FAILURE = 1;

export interface OrgctlErrorOptions {
  /** Default `user`. */
  kind?: ErrorKind;
  /** Default 1 (EXIT_FAILURE). */
  exitCode?: number;
  cause?: unknown;
}

/**
 * The one base of orgctl's errors: a stable, typed `code` (printed as `orgctl: <code>: <message>`), the
 * `kind` that says who has to act, and the `exitCode` the CLI ends with. The CLI turns these into output and
 * exit codes in exactly one place (src/cli/errors.ts `reportFailure`).
 */
export class OrgctlError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly kind: ErrorKind;
  readonly exitCode: number;

  constructor(code: Code, message: string, options: OrgctlErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.kind = options.kind ?? "user";
    this.exitCode = options.exitCode ?? EXIT_FAILURE;
  }
}

/** Something orgctl did not expect: a thrown value that is not an OrgctlError. Always a bug. */
export class BugError extends OrgctlError<"internal"> {
  override readonly name = "BugError";

  constructor(message: string, cause?: unknown) {
    super("internal", message, { kind: "bug", cause });
  }
}

/** System errors a user fixes (a port in use, a file that cannot be opened), reported with their own code. */
const USER_SYSTEM_CODES = new Set(["EADDRINUSE", "EACCES", "SQLITE_CANTOPEN", "SQLITE_NOTADB"]);

/** Any thrown value as an OrgctlError: itself, a user-fixable system error, or a bug. */
export function asOrgctlError(error: unknown): OrgctlError {
  if (error instanceof OrgctlError) return error;
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (typeof code === "string" && USER_SYSTEM_CODES.has(code)) {
    return new OrgctlError(code.toLowerCase(), (error as Error).message, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new BugError(message, error);
}
