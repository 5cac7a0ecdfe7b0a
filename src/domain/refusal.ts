/** The stable machine codes of the rule book. Clients may switch on them. */
export const REFUSAL_CODES = [
  "insufficient_funds",
  "seat_limit",
  "alias_limit",
  "domain_limit",
  "group_limit",
  "address_taken",
  "address_reserved",
  "alias_permanent",
  "domain_unverified",
  "domain_in_use",
  "must_disable_first",
  "last_org_admin",
  "forbidden",
  "self_action",
  "owner_protected",
  "account_disabled",
  "payment_failed",
  "not_found",
  "conflict",
  "invalid",
] as const;

export type RefusalCode = (typeof REFUSAL_CODES)[number];

/** Why the console said no: a stable code, a sentence that names the thing and says what to do. */
export interface Refusal {
  code: RefusalCode;
  message: string;
  details?: Record<string, unknown>;
}

export function refuse(code: RefusalCode, message: string, details?: Record<string, unknown>): Refusal {
  return details ? { code, message, details } : { code, message };
}
