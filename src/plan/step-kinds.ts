import type { OperationName, RequestedOperationOf } from "../domain/index.js";
import type { ResourceKind, Symbol as StepSymbol } from "./model.js";

/** The operations a plan holds: wallet top-ups, logouts, credentials, logins and invitations are never planned. */
export type PlannedOperationName = Exclude<
  OperationName,
  "top_up" | "logout" | "issue_token" | "revoke_token" | "login" | "resend_invitation"
>;

interface StepKind<K extends PlannedOperationName> {
  kind: ResourceKind;
  /** The identity of the record the step acts on, as the step's `key` and id name it. */
  key: (op: RequestedOperationOf<K>) => string;
  symbol: StepSymbol;
  /** Whether it can lose something that cannot be had back (an account, a mailbox, a group). */
  destructive: boolean;
}

/**
 * THE table of what each planned operation is, as a plan shows it: the kind of record, its key, the change
 * symbol and whether it is destructive. A step's `kind`, `key`, `symbol` and `destructive` come from here
 * (`shapeOf`), and a plan file whose steps disagree with it is refused.
 */
export const STEP_KINDS: { [K in PlannedOperationName]: StepKind<K> } = {
  update_org: { kind: "org", key: () => "organization", symbol: "~", destructive: false },
  change_org_plan: { kind: "org", key: () => "organization", symbol: "~", destructive: false },
  create_domain: { kind: "domain", key: (op) => op.name, symbol: "+", destructive: false },
  verify_domain: { kind: "domain", key: (op) => op.name, symbol: "~", destructive: false },
  delete_domain: { kind: "domain", key: (op) => op.name, symbol: "-", destructive: true },
  create_user: { kind: "user", key: (op) => op.user.login, symbol: "+", destructive: false },
  update_user: { kind: "user", key: (op) => op.login, symbol: "~", destructive: false },
  disable_user: { kind: "user", key: (op) => op.login, symbol: "~", destructive: true },
  enable_user: { kind: "user", key: (op) => op.login, symbol: "~", destructive: false },
  delete_user: { kind: "user", key: (op) => op.login, symbol: "-", destructive: true },
  change_plan: { kind: "user", key: (op) => op.login, symbol: "~", destructive: false },
  change_role: { kind: "user", key: (op) => op.login, symbol: "~", destructive: false },
  set_password: { kind: "user", key: (op) => op.login, symbol: "~", destructive: false },
  add_alias: { kind: "alias", key: (op) => op.address, symbol: "+", destructive: false },
  remove_alias: { kind: "alias", key: (op) => op.address, symbol: "-", destructive: false },
  create_group: { kind: "group", key: (op) => op.name, symbol: "+", destructive: false },
  update_group: { kind: "group", key: (op) => op.name, symbol: "~", destructive: false },
  rename_group: { kind: "group", key: (op) => op.to, symbol: "~", destructive: false },
  delete_group: { kind: "group", key: (op) => op.name, symbol: "-", destructive: true },
  add_member: { kind: "membership", key: (op) => `${op.group}/${op.login}`, symbol: "+", destructive: false },
  remove_member: {
    kind: "membership",
    key: (op) => `${op.group}/${op.login}`,
    symbol: "-",
    destructive: false,
  },
};

export const PLANNED_OPERATIONS = Object.keys(STEP_KINDS) as PlannedOperationName[];

export function isPlannedOperation(op: string): op is PlannedOperationName {
  return Object.hasOwn(STEP_KINDS, op);
}

/** Where a step stands in the plan, beyond its operation: what changes its symbol or its destructiveness. */
export interface StepContext {
  /** The login a replacement (`-/+`) replaces. */
  replaces?: string;
  /** The step is part of deleting its record (a disable on the way to a deletion). */
  removal?: boolean;
  /** The record is created by this same plan: disabling it loses nothing. */
  createdByPlan?: boolean;
}

export interface StepShape {
  action: PlannedOperationName;
  kind: ResourceKind;
  key: string;
  symbol: StepSymbol;
  destructive: boolean;
}

/** A step's action, kind, key, symbol and destructive flag: the table's, in the step's context. */
export function shapeOf(
  operation: RequestedOperationOf<PlannedOperationName>,
  context: StepContext = {},
): StepShape {
  const entry = STEP_KINDS[operation.op] as StepKind<PlannedOperationName>;
  return {
    action: operation.op,
    kind: entry.kind,
    key: entry.key(operation as never),
    symbol: context.replaces !== undefined ? "-/+" : context.removal ? "-" : entry.symbol,
    destructive: entry.destructive && !context.createdByPlan,
  };
}
