// Kept apart from the client so that the CLI can recognize these errors without loading undici.

/** The console refused or failed a request: `{"error":{code,message,details}}`. `message` is the console's. */
export class ConsoleApiError extends Error {
  override readonly name = "ConsoleApiError";
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown>;
  readonly retryAfterSeconds?: number;

  constructor(
    status: number,
    code: string,
    message: string,
    details: Record<string, unknown> = {},
    retryAfterSeconds?: number,
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
    if (retryAfterSeconds !== undefined) this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The console could not be reached (connection refused or reset, timeout, DNS) after all retries. */
export class ConsoleUnreachableError extends Error {
  override readonly name = "ConsoleUnreachableError";
  readonly code = "console_unreachable";
  readonly endpoint: string;
  readonly attempts: number;

  constructor(message: string, endpoint: string, attempts: number, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.endpoint = endpoint;
    this.attempts = attempts;
  }
}

/** The counts the console reports do not match what the lists returned: planning from it could delete. */
export class PartialReadError extends Error {
  override readonly name = "PartialReadError";
  readonly code = "partial_read";
  readonly expected: Record<string, number>;
  readonly read: Record<string, number>;

  constructor(message: string, expected: Record<string, number>, read: Record<string, number>) {
    super(message);
    this.expected = expected;
    this.read = read;
  }
}
