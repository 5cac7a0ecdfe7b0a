/** The stable machine codes of the rule book. Clients may switch on them. */
export const REFUSAL_CODES = [
  "insufficient_funds",
  "seat_limit",
  "alias_limit",
  "domain_limit",
  "org_plan_limit",
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
  /** What to do about this one refusal, when the code's general fix (`fixOf`) says too little. */
  fix?: string;
}

export function refuse(code: RefusalCode, message: string, details?: Record<string, unknown>): Refusal {
  return details ? { code, message, details } : { code, message };
}

/** What to do about each kind of refusal, in the words of someone who manages the organization with orgctl. */
const FIXES: Partial<Record<RefusalCode, string>> = {
  forbidden: "run orgctl with a token of a user whose role may do this (see Roles in the README)",
  seat_limit: "remove users, move users between free and paid plans, or move to a larger org plan",
  domain_limit: "list fewer domains or move to a larger org plan",
  org_plan_limit:
    "remove users or domains (or move users between free and paid plans) until the organization fits, or keep a larger org plan",
  alias_limit: "give the user fewer aliases or a larger plan",
  address_taken: "choose another address; retired provider addresses can never be reused",
  address_reserved: "choose another address",
  alias_permanent: "keep the alias: an alias on the provider domain goes only with its user",
  domain_unverified: "publish the domain's TXT record and plan again",
  domain_in_use: "move every address off the domain first, or keep the domain",
  last_org_admin: "keep at least one active org_admin in org.yaml",
  self_action: "run orgctl with another org_admin's token",
  owner_protected: "leave the owner as it is in the console",
};

const GENERAL_FIX = "change org.yaml so that this step is no longer needed, or fix the console first";

/** The fix of a refusal: its own, else its code's. */
export function fixOf(refusal: Refusal): string {
  return refusal.fix ?? FIXES[refusal.code] ?? GENERAL_FIX;
}
