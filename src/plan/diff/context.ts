import jsonPatch from "fast-json-patch";
import type { DesiredOrg, SecretRef } from "../../config/model.js";
import {
  type ConsoleState,
  customDomainOf as customDomainIn,
  type Operation,
  ownerProtectedRefusal,
  type Refusal,
  selfActionRefusal,
} from "../../domain/index.js";
import type {
  FieldChange,
  PlanIssue,
  PlannedOperation,
  ResourceKind,
  Symbol as StepSymbol,
} from "../model.js";
import { type PlannedOperationName, type StepContext, shapeOf } from "../step-kinds.js";

/** A step before scheduling: what to do and what it needs first. */
export interface DraftStep {
  id: string;
  /** `operation.op`; with kind, key, symbol and destructive, from the table in step-kinds.ts (never set by hand). */
  action: PlannedOperationName;
  kind: ResourceKind;
  key: string;
  symbol: StepSymbol;
  summary: string;
  destructive: boolean;
  operation: Operation;
  secret: SecretRef | null;
  patch?: jsonPatch.Operation[];
  /** Each changed field's live and desired value (null when absent), from `patch` and the live record. */
  changes?: FieldChange[];
  replaces?: string;
  /** `file:line:col` of the org.yaml entry behind the step; absent for a record org.yaml does not list. */
  source?: string;
  deps: Set<string>;
  /** The custom domain this step needs verified, if any. */
  needsDomain?: string;
}

export interface DiffResult {
  steps: DraftStep[];
  errors: PlanIssue[];
  warnings: PlanIssue[];
  /** Existing users this plan deletes, disables or replaces (for the removal threshold). */
  removedUsers: string[];
}

export interface DiffInput {
  desired: DesiredOrg;
  live: ConsoleState;
  actor: string;
  /** `file:line:col` of a place in org.yaml, for issues. */
  source?: (path: (string | number)[]) => string;
}

/** A step as a resource's diff asks for it: what it does and why; what it is comes from the step table. */
export type NewStep = Omit<
  DraftStep,
  "deps" | "id" | "changes" | "action" | "kind" | "key" | "symbol" | "destructive"
> & {
  deps?: string[];
  id?: string;
  /** The live record the patch applies to, in the patch's shape: the old values come from it. */
  was?: unknown;
  /** Where the step stands in the plan beyond a replacement (`replaces`): the table's symbol and flag follow. */
  context?: Omit<StepContext, "replaces">;
};

/** What every resource's diff shares: the inputs, the steps and issues so far, and the cross-resource indexes. */
export interface DiffContext {
  desired: DesiredOrg;
  live: ConsoleState;
  actor: string;
  source: (path: (string | number)[]) => string;
  steps: Map<string, DraftStep>;
  errors: PlanIssue[];
  warnings: PlanIssue[];
  removedUsers: string[];
  /** Position of each login in org.yaml's users. */
  userIndex: Map<string, number>;
  /** login → the live groups it is in (a group org.yaml renames under its new name). */
  memberships: Map<string, Set<string>>;
  /** Steps that free an address (remove alias, delete user) by address, so that re-use can wait for them. */
  frees: Map<string, string>;
  /** The domains this plan removes: each waits for the removal of its last address. */
  domainDeletes: DraftStep[];
  /** `file:line:col` of a user's entry in org.yaml, or of one of its fields; "" when not listed. */
  at(login: string, field?: string): string;
  /** Adds a step; its action, kind, key, symbol and destructive flag come from the step table. */
  add(step: NewStep): DraftStep;
  customDomainOf(address: string): string | undefined;
  /** The engine's refusal of the acting user doing `what` to `login` (themselves, or the owner), if any. */
  actorMayNot(login: string, what: string): Refusal | null;
}

export const stepId = (kind: ResourceKind, key: string, action: string) => `${kind}/${key}:${action}`;

export function createContext(input: DiffInput): DiffContext {
  const { desired, live, actor } = input;
  const source = input.source ?? (() => "");
  const steps = new Map<string, DraftStep>();
  const userIndex = new Map(desired.users.map((u, i) => [u.login, i]));
  // login → groups, built once: asking each group about each user is quadratic at 10,000 users.
  const memberships = new Map<string, Set<string>>();
  for (const group of live.groups.values()) {
    for (const member of group.members) {
      const set = memberships.get(member);
      if (set) set.add(group.name);
      else memberships.set(member, new Set([group.name]));
    }
  }
  const at = (login: string, field?: string) => {
    const i = userIndex.get(login);
    return i === undefined ? "" : source(field ? ["users", i, field] : ["users", i]);
  };

  const domainIndex = new Map(desired.domains.map((d, i) => [d.name, i]));
  const groupIndex = new Map(desired.groups.map((g, i) => [g.name, i]));
  /** The org.yaml entry an operation comes from: the field it changes when there is one. */
  const entryOf = (operation: Operation): string => {
    const listed = (index: Map<string, number>, list: string, name: string) => {
      const i = index.get(name);
      return i === undefined ? "" : source([list, i]);
    };
    switch (operation.op) {
      case "update_org":
        return source(["organization", "name"]);
      case "create_domain":
      case "verify_domain":
        return listed(domainIndex, "domains", operation.name);
      case "create_group":
      case "update_group":
        return listed(groupIndex, "groups", operation.name);
      case "rename_group":
        return listed(groupIndex, "groups", operation.to);
      case "create_user":
        return at(operation.user.login);
      case "change_plan":
        return at(operation.login, "plan");
      case "change_role":
        return at(operation.login, "role");
      case "disable_user":
      case "enable_user":
        return at(operation.login, "status") || at(operation.login);
      case "set_password":
        return at(operation.login, "password");
      case "add_alias":
      case "remove_alias":
        return at(operation.login, "aliases") || at(operation.login);
      case "add_member":
      case "remove_member":
        return at(operation.login, "groups") || at(operation.login);
      case "update_user":
        return at(operation.login);
      default:
        return "";
    }
  };

  const add = (step: NewStep): DraftStep => {
    const { was, deps, context, ...rest } = step;
    const shape = shapeOf(step.operation as PlannedOperation, {
      ...(step.replaces !== undefined ? { replaces: step.replaces } : {}),
      ...context,
    });
    const id = step.id ?? stepId(shape.kind, shape.key, shape.action);
    const draft: DraftStep = { ...rest, ...shape, id, deps: new Set(deps ?? []) };
    // A resource's diff may name its entry itself (`source`); the known operations are found here.
    const entry = draft.source ? "" : entryOf(step.operation);
    if (entry) draft.source = entry;
    if (step.patch && was !== undefined) draft.changes = changesOf(was, step.patch);
    steps.set(id, draft);
    return draft;
  };

  return {
    desired,
    live,
    actor,
    source,
    steps,
    errors: [],
    warnings: [],
    removedUsers: [],
    userIndex,
    memberships,
    frees: new Map(),
    domainDeletes: [],
    at,
    add,
    customDomainOf: (address) => customDomainIn(live, address) ?? undefined,
    actorMayNot: (login, what) =>
      selfActionRefusal(actor, login, what) ?? ownerProtectedRefusal(live.org.owner, actor, login, what),
  };
}

/** The live and desired value of each field a patch changes; absent values are null. */
export function changesOf(was: unknown, patch: jsonPatch.Operation[]): FieldChange[] {
  return patch.map((op) => {
    let from: unknown = null;
    try {
      from = jsonPatch.getValueByPointer(was, op.path) ?? null;
    } catch {
      from = null;
    }
    const to = op.op === "add" || op.op === "replace" ? (op.value ?? null) : null;
    return { path: op.path, from, to };
  });
}
