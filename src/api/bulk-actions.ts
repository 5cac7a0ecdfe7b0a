import type { Operation } from "../domain/index.js";

/**
 * The console's bulk user actions (`POST /v1/users/bulk`, BulkUsersRequest in schemas/console-api.yaml): each
 * names the domain operation it runs for every login of the batch. The console decides each one with the one
 * rule engine and commits all of them, or none, in one transaction; apply and `orgctl logout` send through
 * this table, so an action's operation is written once.
 */
export const BULK_ACTIONS = {
  delete: "delete_user",
  disable: "disable_user",
  logout: "logout",
} as const satisfies Record<string, Operation["op"]>;

export type BulkAction = keyof typeof BULK_ACTIONS;

/** The console's maxItems for the logins of one bulk request. */
export const BULK_MAX_LOGINS = 1000;

/** The operation a bulk action runs for one login. */
export function bulkOperation(action: BulkAction, login: string): Operation {
  return { op: BULK_ACTIONS[action], login };
}

/** The bulk action that runs `op`, or null when `op` has none. */
export function bulkActionOf(op: string): BulkAction | null {
  for (const [action, name] of Object.entries(BULK_ACTIONS)) if (name === op) return action as BulkAction;
  return null;
}
