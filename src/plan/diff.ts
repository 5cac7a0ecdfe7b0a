import { orderAliasMoves, registerFreedAliases } from "./diff/aliases.js";
import { createContext, type DiffInput, type DiffResult } from "./diff/context.js";
import { diffDomains, orderDomainDeletes } from "./diff/domains.js";
import { diffGroups } from "./diff/groups.js";
import { diffOrg } from "./diff/org.js";
import { diffRecords } from "./diff/records.js";
import { diffUsers } from "./diff/users.js";

// One file per resource in ./diff/ over a shared context (context.ts: the inputs, the steps so far, the
// cross-resource indexes, and `add`, which takes each step's shape from the step table in step-kinds.ts).
export { changesOf, type DiffInput, type DiffResult, type DraftStep } from "./diff/context.js";

/**
 * Compares the desired organization with the live one and lists the steps that make them equal, each with
 * the steps it depends on. Pure. Ordering against the rules is the scheduler's job.
 */
export function diff(input: DiffInput): DiffResult {
  const ctx = createContext(input);
  diffOrg(ctx);
  diffDomains(ctx);
  diffGroups(ctx);
  diffRecords(ctx);
  const userSteps = diffUsers(ctx);
  // Removals first register which addresses they free; then creations and updates can wait for them.
  registerFreedAliases(ctx);
  for (const run of userSteps) run();
  orderAliasMoves(ctx);
  orderDomainDeletes(ctx);
  // Drop dependencies on steps that do not exist (e.g. a group that already exists).
  const { steps, errors, warnings, removedUsers } = ctx;
  for (const step of steps.values()) for (const dep of step.deps) if (!steps.has(dep)) step.deps.delete(dep);
  return { steps: [...steps.values()], errors, warnings, removedUsers };
}
