import { ConsoleApiError, ConsoleUnreachableError } from "../client/errors.js";

/** `known`: the console's ledger showed that an unanswered step did not take effect. */
export type StepOutcome =
  | { ok: true; replayed: boolean }
  | { ok: false; code: string; message: string; known?: boolean };

/** Whatever a step threw, as a failed step: a console refusal keeps its code, anything else is `internal`. */
export function failureOf(error: unknown): { ok: false; code: string; message: string } {
  if (error instanceof ConsoleApiError || error instanceof ConsoleUnreachableError) {
    return { ok: false, code: error.code, message: error.message };
  }
  const code = error !== null && typeof error === "object" ? (error as { code?: unknown }).code : undefined;
  if (typeof code === "string" && error instanceof Error) return { ok: false, code, message: error.message };
  const what = error instanceof Error ? error.message : String(error);
  return {
    ok: false,
    code: "internal",
    message: `orgctl failed while sending this step (${what}); this is a bug, please report it`,
  };
}
