import type { Profile, Role, User } from "./model.js";

/** A user as given to `create_user`. The password hash is made at the edge; the engine only sees whether one is set. */
export interface NewUser {
  login: string;
  email: string;
  first_name: string;
  last_name: string;
  plan: string;
  role: Role;
  password_hash?: string | null;
  password_rotation?: string | null;
  profile?: Profile;
  groups?: string[];
  aliases?: string[];
}

/** A profile change: a string sets the field, `null` clears it. */
export type ProfilePatch = Partial<Record<keyof Profile, string | null>>;

/** Every change the console can make, as a value. The planner's steps are the same union. */
export type Operation =
  | { op: "top_up"; amount_cents: number; method: string }
  | { op: "update_org"; name: string }
  /** The organization moves to another org plan [MF]: prorated, limits at once, period unchanged. */
  | { op: "change_org_plan"; plan: string }
  | { op: "create_domain"; name: string; verification_token: string }
  | { op: "verify_domain"; name: string; txt_values?: string[] }
  | { op: "delete_domain"; name: string }
  | { op: "create_user"; user: NewUser }
  | { op: "update_user"; login: string; first_name?: string; last_name?: string; profile?: ProfilePatch }
  | { op: "disable_user"; login: string }
  | { op: "enable_user"; login: string }
  | { op: "delete_user"; login: string }
  | { op: "change_plan"; login: string; plan: string }
  | { op: "change_role"; login: string; role: Role }
  | { op: "set_password"; login: string; rotation?: string | null }
  | { op: "logout"; login: string }
  /** Sends a pending invitation again (to the user's external email) [RI]. */
  | { op: "resend_invitation"; login: string }
  | { op: "add_alias"; login: string; address: string }
  | { op: "remove_alias"; login: string; address: string }
  | { op: "create_group"; name: string; description: string }
  | { op: "update_group"; name: string; description: string }
  /** A group gets a new name and keeps its description and members. */
  | { op: "rename_group"; name: string; to: string }
  | { op: "delete_group"; name: string }
  | { op: "add_member"; group: string; login: string }
  | { op: "remove_member"; group: string; login: string }
  | { op: "issue_token"; login: string }
  | { op: "revoke_token"; login: string }
  | { op: "login"; login: string };

export type OperationName = Operation["op"];
export type OperationOf<K extends OperationName> = Extract<Operation, { op: K }>;

/**
 * An operation as a client asks for it, and as a plan holds it: the console itself makes a new domain's
 * verification token and a password's hash, so those are not part of the request. Every `Operation` is one.
 */
export type RequestedOperation =
  | Exclude<Operation, { op: "create_domain" | "create_user" }>
  | { op: "create_domain"; name: string }
  | { op: "create_user"; user: Omit<NewUser, "password_hash"> };

export type RequestedOperationOf<K extends OperationName> = Extract<RequestedOperation, { op: K }>;

/** Who asks: a user of the organization (through their token or session), or the console itself. */
/**
 * Who acts. `standIn` is the acting user of a partner's user in an organization its partner manages (see
 * `partnerActingUser` in tenancy.ts): it is not a user of that organization, and acts as org_admin only.
 */
export type Actor = { kind: "user"; login: string; standIn?: User } | { kind: "system" };

/**
 * Operations that change nothing org.yaml manages (credentials, last login, a resent invitation): they do not move the
 * organization's revision, so a login never makes a saved plan stale.
 */
const REVISIONLESS: ReadonlySet<OperationName> = new Set([
  "login",
  "issue_token",
  "revoke_token",
  "resend_invitation",
]);

export function movesRevision(operation: Operation): boolean {
  return !REVISIONLESS.has(operation.op);
}

/** What an operation acts on, as the audit log names it: `user/bob`, `group/eng`, `domain/x.example`, `org`, `wallet`. */
export function targetOf(operation: Operation): string {
  switch (operation.op) {
    case "top_up":
      return "wallet";
    case "update_org":
    case "change_org_plan":
      return "org";
    case "create_domain":
    case "verify_domain":
    case "delete_domain":
      return `domain/${operation.name}`;
    case "create_group":
    case "update_group":
    case "delete_group":
      return `group/${operation.name}`;
    case "rename_group":
      return `group/${operation.to}`;
    case "add_member":
    case "remove_member":
      return `group/${operation.group}`;
    case "create_user":
      return `user/${operation.user.login}`;
    default:
      return `user/${operation.login}`;
  }
}

/**
 * The fields of its target that an operation changes, as JSON pointers (`/last_name`, `/profile/mobile`,
 * `/members/bob`), never their values: the audit log records who changed what without copying data or secrets.
 */
export function fieldsOf(operation: Operation): string[] {
  switch (operation.op) {
    case "update_user":
      return [
        ...(operation.first_name !== undefined ? ["/first_name"] : []),
        ...(operation.last_name !== undefined ? ["/last_name"] : []),
        ...Object.keys(operation.profile ?? {})
          .sort()
          .map((field) => `/profile/${field}`),
      ];
    case "update_org":
      return ["/name"];
    case "change_org_plan":
      return ["/plan"];
    case "update_group":
      return ["/description"];
    case "rename_group":
      return ["/name"];
    case "change_plan":
      return ["/plan"];
    case "change_role":
      return ["/role"];
    case "set_password":
      return ["/password"];
    case "disable_user":
    case "enable_user":
      return ["/status"];
    case "add_alias":
    case "remove_alias":
      return ["/aliases"];
    case "add_member":
    case "remove_member":
      return [`/members/${operation.login}`];
    case "verify_domain":
      return ["/status"];
    case "resend_invitation":
      return ["/invited_at"];
    default:
      return [];
  }
}
