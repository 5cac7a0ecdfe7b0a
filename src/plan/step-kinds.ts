import { normalizeAddress, type OperationName, type RequestedOperationOf } from "../domain/index.js";
import type { Symbol as StepSymbol } from "./model.js";
import type { ResourceKind } from "./resource-kinds.js";

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
  /** The console actions this step undoes, when made there: drift names the audit entry that made the difference. */
  reverts?: readonly OperationName[];
  /** What it reads from the records (none when absent): step-facts.ts makes exact `depends_on` from it. */
  reads?: (op: RequestedOperationOf<K>, r: ReadSink) => void;
}

/**
 * Where an operation says what it reads from the records, as keys `<kind>:<name>` (`user:L`, `group:G`,
 * `domain:D`, `member:G/L`, or a new kind's own): a step that reads a record waits for the step that made
 * it, and a step that needs it absent waits for the one that removed it.
 */
export interface ReadSink {
  /** Records that must exist. */
  present(...keys: string[]): void;
  /** Records that must not exist (a create). */
  absent(...keys: string[]): void;
  /** An address the step takes: it must be free, and its custom domain verified. */
  take(address: string): void;
  /** A user that must exist and whose own fields (plan, status, aliases, role…) the decision reads. */
  user(login: string): void;
}

/**
 * THE table of what each planned operation is, as a plan shows it: the kind of record, its key, the change
 * symbol, whether it is destructive, the console actions it reverts and the records it reads. A step's `kind`, `key`, `symbol` and `destructive` come from here
 * (`shapeOf`), and a plan file whose steps disagree with it is refused.
 */
export const STEP_KINDS: { [K in PlannedOperationName]: StepKind<K> } = {
  update_org: { kind: "org", key: () => "organization", symbol: "~", destructive: false },
  change_org_plan: { kind: "org", key: () => "organization", symbol: "~", destructive: false },
  create_domain: {
    kind: "domain",
    key: (op) => op.name,
    symbol: "+",
    destructive: false,
    reverts: ["delete_domain"],
    reads: (op, r) => r.absent(`domain:${normalizeAddress(op.name)}`),
  },
  verify_domain: {
    kind: "domain",
    key: (op) => op.name,
    symbol: "~",
    destructive: false,
    reads: (op, r) => r.present(`domain:${op.name}`),
  },
  delete_domain: {
    kind: "domain",
    key: (op) => op.name,
    symbol: "-",
    destructive: true,
    reverts: ["create_domain"],
    reads: (op, r) => r.present(`domain:${op.name}`),
  },
  create_user: {
    kind: "user",
    key: (op) => op.user.login,
    symbol: "+",
    destructive: false,
    reverts: ["delete_user"],
    reads: (op, r) => {
      r.absent(`user:${op.user.login}`);
      for (const g of op.user.groups ?? []) r.present(`group:${g}`);
      r.take(op.user.email);
      for (const a of op.user.aliases ?? []) r.take(a);
    },
  },
  update_user: {
    kind: "user",
    key: (op) => op.login,
    symbol: "~",
    destructive: false,
    reads: (op, r) => r.user(op.login),
  },
  disable_user: {
    kind: "user",
    key: (op) => op.login,
    symbol: "~",
    destructive: true,
    reverts: ["create_user", "enable_user"],
    reads: (op, r) => r.user(op.login),
  },
  enable_user: {
    kind: "user",
    key: (op) => op.login,
    symbol: "~",
    destructive: false,
    reverts: ["disable_user"],
    reads: (op, r) => r.user(op.login),
  },
  delete_user: {
    kind: "user",
    key: (op) => op.login,
    symbol: "-",
    destructive: true,
    reverts: ["create_user", "enable_user"],
    reads: (op, r) => r.user(op.login),
  },
  change_plan: {
    kind: "user",
    key: (op) => op.login,
    symbol: "~",
    destructive: false,
    reads: (op, r) => r.user(op.login),
  },
  change_role: {
    kind: "user",
    key: (op) => op.login,
    symbol: "~",
    destructive: false,
    reads: (op, r) => r.user(op.login),
  },
  set_password: {
    kind: "user",
    key: (op) => op.login,
    symbol: "~",
    destructive: false,
    reads: (op, r) => r.user(op.login),
  },
  add_alias: {
    kind: "alias",
    key: (op) => op.address,
    symbol: "+",
    destructive: false,
    reads: (op, r) => {
      r.user(op.login);
      r.take(op.address);
    },
  },
  remove_alias: {
    kind: "alias",
    key: (op) => op.address,
    symbol: "-",
    destructive: false,
    reads: (op, r) => r.user(op.login),
  },
  create_group: {
    kind: "group",
    key: (op) => op.name,
    symbol: "+",
    destructive: false,
    reverts: ["delete_group"],
    reads: (op, r) => r.absent(`group:${op.name}`),
  },
  update_group: {
    kind: "group",
    key: (op) => op.name,
    symbol: "~",
    destructive: false,
    reads: (op, r) => r.present(`group:${op.name}`),
  },
  rename_group: {
    kind: "group",
    key: (op) => op.to,
    symbol: "~",
    destructive: false,
    reads: (op, r) => {
      r.present(`group:${op.name}`);
      r.absent(`group:${op.to}`);
    },
  },
  delete_group: {
    kind: "group",
    key: (op) => op.name,
    symbol: "-",
    destructive: true,
    reverts: ["create_group"],
    reads: (op, r) => r.present(`group:${op.name}`),
  },
  add_member: {
    kind: "membership",
    key: (op) => `${op.group}/${op.login}`,
    symbol: "+",
    destructive: false,
    reads: (op, r) => r.present(`group:${op.group}`, `user:${op.login}`),
  },
  remove_member: {
    kind: "membership",
    key: (op) => `${op.group}/${op.login}`,
    symbol: "-",
    destructive: false,
    reads: (op, r) => r.present(`group:${op.group}`, `member:${op.group}/${op.login}`),
  },
};

export const PLANNED_OPERATIONS = Object.keys(STEP_KINDS) as PlannedOperationName[];

/** The console actions a step of this operation undoes (none for most). */
export function revertsOf(op: PlannedOperationName): readonly OperationName[] {
  return STEP_KINDS[op].reverts ?? [];
}

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
