import type { DesiredOrg } from "../../config/model.js";
import type { PlanIssue } from "../model.js";

/**
 * Stage 4, thresholds: many users removed at once is more often a mistake (an empty read, a bad merge) than
 * meant; past the policy's threshold the plan is an error unless forced.
 */
export function removalThreshold(
  policy: DesiredOrg["policy"],
  existingUsers: number,
  removedUsers: string[],
  force: boolean,
): PlanIssue | null {
  const threshold = policy.removal_threshold;
  const existing = existingUsers;
  const removing = new Set(removedUsers).size;
  if (!force && existing >= threshold.min_users && removing * 100 > existing * threshold.percent) {
    return {
      code: "removal_threshold",
      message: `this plan would delete, disable or replace ${removing} of ${existing} users (more than ${threshold.percent}%)`,
      fix: "check org.yaml; if this is really meant, run again with --force",
    };
  }
  return null;
}
