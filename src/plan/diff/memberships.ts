import type { DesiredUser } from "../../config/model.js";
import { type DiffContext, stepId } from "./context.js";
import { groupReady } from "./groups.js";

/** Adds `login` to `group`, after `deps` and after the group exists. */
export function addMember(ctx: DiffContext, group: string, login: string, deps: string[]): void {
  ctx.add({
    summary: `add ${login} to group ${group}`,
    operation: { op: "add_member", group, login },
    secret: null,
    deps: [...deps, ...groupReady(ctx, group)],
  });
}

/** An existing user's memberships: the groups org.yaml adds, and (when pruned) the ones it does not list. */
export function diffMemberships(ctx: DiffContext, want: DesiredUser): void {
  const login = want.login;
  const haveGroups = ctx.memberships.get(login) ?? new Set<string>();
  for (const group of want.groups) if (!haveGroups.has(group)) addMember(ctx, group, login, []);
  if (ctx.desired.policy.unlisted.memberships === "prune") {
    for (const group of haveGroups) {
      if (want.groups.includes(group)) continue;
      // Deleting the group removes the membership with it.
      if (ctx.steps.has(stepId("group", group, "delete_group"))) continue;
      ctx.add({
        summary: `remove ${login} from group ${group}`,
        operation: { op: "remove_member", group, login },
        secret: null,
        deps: groupReady(ctx, group),
      });
    }
  }
}
