import type {
  ConsoleState,
  Group,
  LedgerDraft,
  NamedRecords,
  Organization,
  RecordKind,
  Role,
  User,
} from "../model.js";
import type { OperationName, OperationOf } from "../operations.js";
import { type Action, isAllowed } from "../permissions.js";
import { type Refusal, refuse } from "../refusal.js";
import { ownerProtectedRefusal, selfActionRefusal } from "../rules.js";

/** A change to the console's records. Effects replace whole records; they never patch them in place. */
export type Effect =
  | { type: "put_org"; org: Organization }
  | { type: "put_user"; user: User }
  | { type: "delete_user"; login: string; retire: string[] }
  /** Puts a record of a kind kept by name (`NamedRecords`): a domain, a group, … */
  | PutRecord
  | { type: "delete_record"; kind: RecordKind; name: string }
  | { type: "revoke_sessions"; login: string }
  /** Ends every credential of the user, API tokens included, for good. */
  | { type: "revoke_tokens"; login: string };

/** `put_record` for each kind, with the record typed by its kind. */
export type PutRecord = {
  [K in RecordKind]: { type: "put_record"; kind: K; record: NamedRecords[K] };
}[RecordKind];

export const putRecord = <K extends RecordKind>(kind: K, record: NamedRecords[K]): Effect =>
  ({ type: "put_record", kind, record }) as PutRecord;
export const deleteRecord = (kind: RecordKind, name: string): Effect => ({
  type: "delete_record",
  kind,
  name,
});

export type Decision =
  | { ok: true; effects: Effect[]; ledger: LedgerDraft[] }
  | { ok: false; refusal: Refusal };

export const ok = (effects: Effect[] = [], ledger: LedgerDraft[] = []): Decision => ({
  ok: true,
  effects,
  ledger,
});
export const no = (refusal: Refusal): Decision => ({ ok: false, refusal });

export interface Context {
  state: ConsoleState;
  /** The acting user, or null for the console itself. */
  actor: User | null;
  now: Date;
  today: string;
}

export type Handler<K extends OperationName> = (ctx: Context, op: OperationOf<K>) => Decision;

/** The handlers of some operations, one per operation; the engine assembles its table from these maps. */
export type Handlers<K extends OperationName> = { [P in K]: Handler<P> };

// ---------------------------------------------------------------------------------------------------------
// Shared checks

export function permit(ctx: Context, action: Action, target?: User, targetRoleAfter?: Role): Refusal | null {
  const actor = ctx.actor;
  if (!actor) return null;
  if (actor.role === "member") {
    return refuse("forbidden", `${actor.login} is a member and has no admin access`, { action });
  }
  const targetRole = targetRoleAfter ?? target?.role;
  if (!isAllowed(actor.role, action, targetRole)) {
    const scope =
      targetRole !== undefined && actor.role === "user_admin" ? " on users who are not plain members" : "";
    return refuse("forbidden", `a ${actor.role} may not ${action.replace(/_/g, " ")}${scope}`, {
      action,
      role: actor.role,
    });
  }
  return null;
}

export function protectOwner(ctx: Context, target: User, what: string): Refusal | null {
  return ownerProtectedRefusal(ctx.state.org.owner, ctx.actor?.login ?? null, target.login, what);
}

export function notSelf(ctx: Context, target: User, what: string): Refusal | null {
  return selfActionRefusal(ctx.actor?.login ?? null, target.login, what);
}

export function findUser(ctx: Context, login: string): User | Refusal {
  const user = ctx.state.users.get(login);
  return user ?? refuse("not_found", `user ${login} does not exist`, { login });
}

export function findGroup(ctx: Context, name: string): Group | Refusal {
  const group = ctx.state.groups.get(name);
  return group ?? refuse("not_found", `group ${name} does not exist`, { group: name });
}

/** Tells a lookup's refusal from its record: users and groups have no `code`. */
export function isRefusal(value: User | Group | Refusal): value is Refusal {
  return "code" in value;
}
