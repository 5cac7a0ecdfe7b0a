import type { Operation as JsonPatchOperation } from "fast-json-patch";
import type { SecretRef } from "../config/model.js";
import type { Cents, RenewalForecast, RequestedOperationOf, Role, TxtRecord } from "../domain/index.js";
import type { PlannedOperationName } from "./step-kinds.js";

/** 2: steps carry their domain operation (no HTTP), old and new values, source positions; failed/skipped/blocked counts. */
export const PLAN_FORMAT_VERSION = 2 as const;

/** Terraform-like change symbols. */
export type Symbol = "+" | "~" | "-" | "-/+";

import type { ResourceKind } from "./step-kinds.js";

/** The kinds of record a plan changes: the kind table in src/plan/step-kinds.ts. */
export type { ResourceKind };

/** The domain operation a step carries out, as the client asks for it (src/api/operations.ts sends it). */
export type PlannedOperation = RequestedOperationOf<PlannedOperationName>;

/** One changed field: its live value and the value org.yaml wants (null when absent). */
export interface FieldChange {
  path: string;
  from: unknown;
  to: unknown;
}

/** Who last changed a drifted record, from the console's audit log. */
export interface Attribution {
  /** The acting user, or null for the console itself. */
  by: string | null;
  /** Through what: `session`, `api token "<name>"`, or `console`. */
  via: string;
  at: string;
  action: string;
}

export interface PlanStep {
  /** Stable identity within the plan, e.g. `user/bob:create`. */
  id: string;
  /** 1-based position in run order. */
  index: number;
  /** `operation.op`; with kind, key, symbol and destructive, from the table in step-kinds.ts. */
  action: PlannedOperationName;
  kind: ResourceKind;
  /** The resource's identity key (login, group name, domain, address, group/login). */
  key: string;
  symbol: Symbol;
  /** One line, in plain words. */
  summary: string;
  destructive: boolean;
  /** Set on the steps of a replacement (`-/+`): the login replaced. */
  replaces?: string;
  /** What the step does, as a value: apply sends exactly this (src/api/operations.ts maps it to a request). */
  operation: PlannedOperation;
  /** The password the step sends, as a reference apply resolves at the last moment; never the value. */
  secret?: SecretRef;
  /** `file:line:col` of the org.yaml entry behind the step; absent for records org.yaml does not list. */
  source?: string;
  /** Field-level change for updates (RFC 6902, from fast-json-patch). */
  patch?: JsonPatchOperation[];
  /** Each changed field's live → desired value; every step that changes a field of an existing record has them. */
  changes?: FieldChange[];
  /** Drift only: who last changed this record in the console, when the audit log tells. */
  attribution?: Attribution;
  /** Signed wallet movement: negative is a charge, positive a refund. */
  amount_cents: Cents;
  balance_after_cents: Cents;
  /** Steps that must be done first. */
  depends_on: string[];
}

export interface BlockedStep {
  id: string;
  action: PlannedOperationName;
  kind: ResourceKind;
  key: string;
  summary: string;
  /** `file:line:col` of the org.yaml entry behind the step. */
  source?: string;
  domain: string;
  /** Null when the domain does not exist yet: its record is known once it is created. */
  txt_record: TxtRecord | null;
  reason: string;
}

export interface PlanIssue {
  code: string;
  message: string;
  /** A warning about a difference apply leaves in place (a permanent alias): drift reports it. */
  drift?: boolean;
  /** What to do about it. */
  fix?: string;
  step_id?: string;
  /** `file:line:col` where the cause is in org.yaml. */
  source?: string;
}

/** The org plan change a plan makes, as its cost summary shows it. */
export interface OrgPlanMoney {
  from: string;
  to: string;
  /** Prorated over the org plan's days left: negative is a charge, positive a refund. */
  amount_cents: Cents;
  yearly_fee_before_cents: Cents;
  yearly_fee_after_cents: Cents;
}

export interface MoneySummary {
  currency: "EUR";
  balance_before_cents: Cents;
  balance_after_cents: Cents;
  charges_cents: Cents;
  refunds_cents: Cents;
  lowest_balance_cents: Cents;
  min_balance_cents: Cents;
  yearly_cost_before_cents: Cents;
  yearly_cost_after_cents: Cents;
  /** Present when the plan changes the org plan. */
  org_plan?: OrgPlanMoney;
  renewals_due: RenewalForecast[];
  renewals_horizon_days: number;
  shortfall_cents: Cents;
  /** The console day prices were computed on (prorating depends on it). */
  priced_on: string;
}

export interface PlanCounts {
  create: number;
  update: number;
  delete: number;
  replace: number;
  /** Steps waiting for a domain's verification (`blocked`). */
  blocked: number;
  /** Steps the simulation refused (each is an error). */
  failed: number;
  /** Steps left out because a step they need is refused. */
  skipped: number;
}

export interface Plan {
  format_version: typeof PLAN_FORMAT_VERSION;
  /** sha256 over config hash, live revision and steps: the same inputs give the same id. */
  plan_id: string;
  config: { file: string; hash: string };
  console: {
    /** Where the plan was made: the endpoint URL (never with credentials) or `sandbox FILE`. */
    target: string;
    revision: number;
    org: string;
    org_plan: string;
    actor: { login: string; role: Role };
  };
  steps: PlanStep[];
  blocked: BlockedStep[];
  errors: PlanIssue[];
  warnings: PlanIssue[];
  counts: PlanCounts;
  money: MoneySummary;
  /** Drift only: read-only facts that are never steps (each user's last login, pending invitations). */
  facts?: ReadOnlyFacts;
}

/** What drift reports beside the differences [RI]; never part of a plan or a plan file. */
export interface ReadOnlyFacts {
  users: {
    login: string;
    status: "active" | "disabled" | "invited";
    last_login_at: string | null;
    invited_at: string | null;
  }[];
}

export function hasChanges(plan: Plan): boolean {
  return plan.steps.length > 0 || plan.blocked.length > 0;
}
