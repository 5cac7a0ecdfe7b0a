import type { BlockedStep, PlanCounts, PlanStep } from "../model.js";

/** How many records the plan creates, updates, deletes and replaces, and how many steps wait, fail or are skipped. */
export function countSteps(
  steps: PlanStep[],
  blocked: BlockedStep[],
  failed: number,
  skipped: number,
): PlanCounts {
  const counts: PlanCounts = {
    create: 0,
    update: 0,
    delete: 0,
    replace: 0,
    blocked: blocked.length,
    failed,
    skipped,
  };
  const replaced = new Set<string>();
  const deleted = new Set(steps.filter((s) => s.action === "delete_user").map((s) => s.key));
  for (const step of steps) {
    if (step.replaces) {
      replaced.add(step.replaces);
      continue;
    }
    // A user disabled on the way to deletion is one deletion, not two changes.
    if (step.action === "disable_user" && deleted.has(step.key)) continue;
    if (step.symbol === "+") counts.create += 1;
    else if (step.symbol === "-") counts.delete += 1;
    else counts.update += 1;
  }
  counts.replace = replaced.size;
  return counts;
}
