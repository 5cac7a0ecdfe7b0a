/** An error the user can fix: printed as `orgctl: <code>: <message>` with no stack, exit code 1. */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
