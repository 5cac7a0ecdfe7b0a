import type {
  BillingStatus,
  Day,
  DomainStatus,
  LedgerReason,
  NamedRecords,
  Profile,
  RecordKind,
  RenewalForecast,
  Role,
  TxtRecord,
  UserStatus,
  Verifier,
} from "../domain/index.js";
import type { BulkAction } from "./bulk-actions.js";

/*
 * The JSON the console answers with, declared once: the console's representation (src/console/representation.ts)
 * renders these types and the client (src/client/) reads them. schemas/console-api.yaml describes the same
 * shapes for everyone else.
 */

/** The organization (`API.org`), as seen by the caller `me`. */
export interface OrgInfo {
  name: string;
  plan: string;
  owner: string;
  provider_domain: string;
  verifier: Verifier;
  revision: number;
  /** The org plan's yearly period and whether its last renewal was paid. */
  period_start: Day;
  period_end: Day;
  billing: BillingStatus;
  /** The console's clock (ISO 8601): prorated prices are computed on the console's day. */
  now: string;
  limits: { paid_seats: number; free_seats: number; custom_domains: number };
  seats_used: { paid: number; free: number };
  /** Users, and the records of every kind kept by name (`domains`, `groups`, and any kind added since). */
  counts: { users: number } & { [K in RecordKind]: number };
  me: { login: string; role: Role; owner: boolean };
}

/** A user (`API.user`, and the items of `API.users`). */
export interface UserInfo {
  login: string;
  email: string;
  first_name: string;
  last_name: string;
  plan: string;
  role: Role;
  status: UserStatus;
  billing: BillingStatus;
  owner: boolean;
  period_start: Day;
  period_end: Day;
  aliases: string[];
  groups: string[];
  profile: Profile;
  password_set: boolean;
  password_rotation: string | null;
  last_login_at: string | null;
  /** When the pending invitation was last sent; null unless status is invited. */
  invited_at: string | null;
  created_at: string;
}

/** A domain (the items of `API.domains`). */
export interface DomainInfo {
  name: string;
  status: DomainStatus;
  verification: TxtRecord;
  /** support@ and postmaster@ of the domain → the login receiving them. */
  routing: Record<string, string>;
  created_at: string;
  verified_at: string | null;
}

/**
 * A record of one kind kept by name, as the console keeps it (the items of `API.records`): a kind added to
 * `RECORD_KINDS` is on the wire as its record, with no wire type of its own.
 */
export type RecordInfo<K extends RecordKind> = NamedRecords[K];

/** A group (`API.group`, and the items of `API.groups`). */
export interface GroupInfo {
  name: string;
  description: string;
  members: string[];
}

/** The wallet (`API.wallet`): its balance and the renewals due within the asked number of days. */
export interface WalletInfo {
  balance_cents: number;
  currency: string;
  renewals_due: RenewalForecast[];
}

/** One entry of the wallet's ledger (the items of `API.ledger`, and a top-up's `entry`). */
export interface LedgerEntryInfo {
  id: number;
  at: string;
  amount_cents: number;
  reason: LedgerReason;
  login: string | null;
  plan: string | null;
  memo: string;
  idempotency_key: string | null;
  balance_after_cents: number;
}

/** One page of a list: its items, and the cursor of the next page (null on the last). */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** The apply lock's lease as anyone may see it (`API.lock`): never its id. */
export interface LeaseInfo {
  holder: string;
  since: string;
  expires_at: string;
}

/** The lease a holder gets when it takes the lock (`API.takeLock`): with the secret id it renews and releases it by. */
export interface AcquiredLease extends LeaseInfo {
  lock_id: string;
}

/** The answer to a bulk action on users (`API.usersBulk`). */
export interface BulkResult {
  action: BulkAction;
  logins: string[];
}
