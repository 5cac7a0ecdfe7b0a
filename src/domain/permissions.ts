import type { Role } from "./model.js";

export type Action =
  | "read"
  | "top_up"
  | "change_plan"
  | "create_user"
  | "delete_user"
  | "edit_user"
  | "change_role"
  | "manage_groups"
  | "manage_domains"
  | "manage_org"
  | "change_org_plan"
  | "issue_token"
  | "take_lock"
  | "break_lock"
  | "read_audit";

/** `members`: allowed only when the target user is (or will be) a plain member. */
export type Grant = "yes" | "no" | "members";

/** The role/permission matrix of the rule book, as data. */
export const PERMISSIONS: Record<Action, Record<Role, Grant>> = {
  read: { org_admin: "yes", billing_admin: "yes", user_admin: "yes", member: "no" },
  top_up: { org_admin: "yes", billing_admin: "yes", user_admin: "no", member: "no" },
  change_plan: { org_admin: "yes", billing_admin: "yes", user_admin: "no", member: "no" },
  create_user: { org_admin: "yes", billing_admin: "no", user_admin: "members", member: "no" },
  delete_user: { org_admin: "yes", billing_admin: "no", user_admin: "members", member: "no" },
  edit_user: { org_admin: "yes", billing_admin: "no", user_admin: "members", member: "no" },
  change_role: { org_admin: "yes", billing_admin: "no", user_admin: "no", member: "no" },
  manage_groups: { org_admin: "yes", billing_admin: "no", user_admin: "yes", member: "no" },
  manage_domains: { org_admin: "yes", billing_admin: "no", user_admin: "no", member: "no" },
  manage_org: { org_admin: "yes", billing_admin: "no", user_admin: "no", member: "no" },
  /** Changing the organization plan [MF]: an org_admin's action, though it moves the wallet. */
  change_org_plan: { org_admin: "yes", billing_admin: "no", user_admin: "no", member: "no" },
  /** Issuing an API token for another (non-owner) user, such as an automation account. Anyone may for themselves. */
  issue_token: { org_admin: "yes", billing_admin: "no", user_admin: "no", member: "no" },
  /** The apply lock serializes writers: every role that may change something may take it. */
  take_lock: { org_admin: "yes", billing_admin: "yes", user_admin: "yes", member: "no" },
  /** Releasing a lease without its id, for a holder that died: the operator's way out, audited. */
  break_lock: { org_admin: "yes", billing_admin: "no", user_admin: "no", member: "no" },
  read_audit: { org_admin: "yes", billing_admin: "no", user_admin: "no", member: "no" },
};

const GRANT_RANK: Record<Grant, number> = { no: 0, members: 1, yes: 2 };

/** Whether `role` may perform `action` on a target whose role is `targetRole` (if the action has one). */
export function isAllowed(role: Role, action: Action, targetRole?: Role): boolean {
  const grant = PERMISSIONS[action][role];
  if (grant === "members") return targetRole === "member";
  return grant === "yes";
}

/**
 * Whether everything `role` may do, `than` may do too. A credential that acts as a user of `role` may only be
 * handed to someone whose own role passes this, so that nobody gains rights through another person's token.
 */
export function hasNoMoreRights(role: Role, than: Role): boolean {
  return (Object.keys(PERMISSIONS) as Action[]).every(
    (action) => GRANT_RANK[PERMISSIONS[action][role]] <= GRANT_RANK[PERMISSIONS[action][than]],
  );
}
