// Kept apart from the client so that the CLI can recognize these errors without loading undici.
import { OrgctlError } from "../errors.js";

/** The console refused or failed a request: `{"error":{code,message,details}}`. `message` is the console's. */
export class ConsoleApiError extends OrgctlError {
  override readonly name = "ConsoleApiError";
  readonly status: number;
  readonly details: Record<string, unknown>;
  readonly retryAfterSeconds?: number;

  constructor(
    status: number,
    code: string,
    message: string,
    details: Record<string, unknown> = {},
    retryAfterSeconds?: number,
  ) {
    super(code, message);
    this.status = status;
    this.details = details;
    if (retryAfterSeconds !== undefined) this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The console could not be reached (connection refused or reset, timeout, DNS) after all retries. */
export class ConsoleUnreachableError extends OrgctlError<"console_unreachable"> {
  override readonly name = "ConsoleUnreachableError";
  readonly endpoint: string;
  readonly attempts: number;

  constructor(message: string, endpoint: string, attempts: number, cause?: unknown) {
    super("console_unreachable", message, { cause });
    this.endpoint = endpoint;
    this.attempts = attempts;
  }
}

/** The counts the console reports do not match what the lists returned: planning from it could delete. */
export class PartialReadError extends OrgctlError<"partial_read"> {
  override readonly name = "PartialReadError";
  readonly expected: Record<string, number>;
  readonly read: Record<string, number>;

  constructor(message: string, expected: Record<string, number>, read: Record<string, number>) {
    super("partial_read", message);
    this.expected = expected;
    this.read = read;
  }
}
