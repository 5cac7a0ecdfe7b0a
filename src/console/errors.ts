import type { Refusal, RefusalCode } from "../domain/index.js";
import { OrgctlError } from "../errors.js";

/** Codes the HTTP layer adds to the rule book's refusal codes, with their status. */
export const PROTOCOL_STATUS = {
  unauthenticated: 401,
  precondition_failed: 412,
  payload_too_large: 413,
  unsupported_media_type: 415,
  idempotency_mismatch: 422,
  locked: 423,
  token_limit: 422,
  rate_limited: 429,
  method_not_allowed: 405,
  unavailable: 503,
  internal: 500,
} as const;

export type ProtocolCode = keyof typeof PROTOCOL_STATUS;

export type ErrorCode = RefusalCode | ProtocolCode;

/** An error the API answers with `{"error":{code,message,details}}`. Never carries a stack to the client. */
export class ApiError extends OrgctlError<ErrorCode> {
  constructor(
    readonly status: number,
    code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    // A 500 is the console failing, not the caller: the CLI reports it (an in-process sandbox) as a bug.
    super(code, message, { kind: code === "internal" ? "bug" : "user" });
  }
}

/** The status of each refusal; `ErrorBody` in console-api.yaml lists every code here and in PROTOCOL_STATUS. */
export const REFUSAL_STATUS: Record<RefusalCode, number> = {
  invalid: 400,
  insufficient_funds: 402,
  payment_failed: 402,
  forbidden: 403,
  self_action: 403,
  owner_protected: 403,
  account_disabled: 403,
  not_found: 404,
  conflict: 409,
  address_taken: 409,
  seat_limit: 422,
  alias_limit: 422,
  domain_limit: 422,
  org_plan_limit: 422,
  group_limit: 422,
  address_reserved: 422,
  alias_permanent: 422,
  domain_unverified: 422,
  domain_in_use: 422,
  must_disable_first: 422,
  last_org_admin: 422,
};

export function fromRefusal(refusal: Refusal): ApiError {
  return new ApiError(REFUSAL_STATUS[refusal.code], refusal.code, refusal.message, refusal.details ?? {});
}
