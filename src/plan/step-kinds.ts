import { normalizeAddress } from "../domain/addresses.js";
import type {
  ListedKind,
  NamedRecords,
  Operation,
  OperationName,
  RequestedOperationOf,
} from "../domain/index.js";
import type { PlanStep, Symbol as StepSymbol } from "./model.js";

// The kind table: what the planner and its renderers know of each kind of record (RESOURCE_KINDS, one entry
// per kind) and of each operation on it (STEP_KINDS, one entry per planned operation). A new kind of record
// listed by the records route adds its entries here (and RECORD_OPERATIONS) and nowhere else in the planner:
// diff/records.ts diffs it and live.ts reads it generically.

/** The kinds of record a plan changes; each has one entry in `RESOURCE_KINDS` (the compiler asks for it). */
export type ResourceKind = "org" | "domain" | "group" | "user" | "alias" | "membership";

/** Where a drifted step's record lives in the audit log, and which entries changed what it differs in. */
export interface AuditSubject {
  target: string;
  /** Fields that, changed in the console, explain the drift (any of them). */
  fields: string[];
  /** Actions that explain the drift whatever fields they name (a record made or removed in the console). */
  actions: string[];
}

/** What `audit` gets besides the step: its changed fields, the actions it reverts, and the alias lookup. */
export interface AuditInputs {
  /** The JSON pointers of the fields the step changes. */
  fields: string[];
  /** The console actions the step reverts (`reverts` of its operation in `STEP_KINDS`). */
  reverts: readonly OperationName[];
  /** The user an alias address belongs to (live for removals, org.yaml for additions). */
  ownerOfAddress: (address: string) => string | null;
}

export interface ResourceKindSpec {
  /** The plan's section title for steps of this kind (text renderer). */
  title: string;
  /** The audit log's record behind a drifted step of this kind, or null when it cannot tell. */
  audit: (step: PlanStep, inputs: AuditInputs) => AuditSubject | null;
}

/** The usual audit subject: the record `<noun>/<key>`, its changed fields, the actions its step reverts. */
export const recordSubject =
  (noun: string, withFields = true) =>
  (step: PlanStep, { fields, reverts }: AuditInputs): AuditSubject => ({
    target: `${noun}/${step.key}`,
    fields: withFields ? fields : [],
    actions: [...reverts],
  });

/**
 * THE table of resource kinds, in the order plans list them: steps sort by it (schedule.ts `compareSteps`),
 * the text renderer shows one section per entry with its title, and drift's attribution asks each entry
 * where its records live in the audit log. What each operation is (its kind, key, symbol, the actions it
 * reverts, the records it reads) is `STEP_KINDS` below.
 */
export const RESOURCE_KINDS: { readonly [K in ResourceKind]: ResourceKindSpec } = {
  org: { title: "Organization", audit: (_step, { fields }) => ({ target: "org", fields, actions: [] }) },
  domain: { title: "Domains", audit: recordSubject("domain", false) },
  group: { title: "Groups", audit: recordSubject("group") },
  user: {
    title: "Users",
    audit: (step, inputs) =>
      recordSubject("user")(
        step,
        step.action === "set_password" ? { ...inputs, fields: ["/password"] } : inputs,
      ),
  },
  alias: {
    title: "Aliases",
    audit: (step, { ownerOfAddress }) => {
      const login = ownerOfAddress(step.key);
      return login ? { target: `user/${login}`, fields: ["/aliases"], actions: [] } : null;
    },
  },
  membership: {
    title: "Memberships",
    audit: (step) => {
      const [group, login] = step.key.split("/");
      return { target: `group/${group}`, fields: [`/members/${login}`], actions: [] };
    },
  },
};

/** Every kind, in plan order. */
export const RESOURCE_KIND_LIST = Object.keys(RESOURCE_KINDS) as ResourceKind[];

/** Each kind's position in plan order, for sorting steps. */
export const KIND_ORDER = Object.fromEntries(RESOURCE_KIND_LIST.map((kind, i) => [kind, i])) as {
  readonly [K in ResourceKind]: number;
};

/**
 * How the planner makes each kind listed by the records route (`LISTED_KINDS`) equal to org.yaml's list of
 * it: the operations that create, update and delete one of its records (diff/records.ts runs them, with
 * each step's org.yaml position). The compiler asks for an entry per listed kind.
 */
export interface RecordOperations<K extends ListedKind> {
  create: (record: NamedRecords[K]) => Operation;
  /** Makes every field of the live record what `record` says. */
  update: (record: NamedRecords[K]) => Operation;
  delete: (name: string) => Operation;
}

export const RECORD_OPERATIONS: { readonly [K in ListedKind]: RecordOperations<K> } = {};

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
