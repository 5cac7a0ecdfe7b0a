import { type DiffContext, stepId } from "./context.js";

/** Groups: created, renamed (`previously:`, which keeps the members), described, and pruned when unlisted. */
export function diffGroups(ctx: DiffContext): void {
  const { desired, live, add, memberships } = ctx;
  const desiredGroups = new Set(desired.groups.map((g) => g.name));
  /** Live name → desired name, for groups org.yaml renames (`previously:`). */
  const renamed = new Map<string, string>();
  for (const group of desired.groups) {
    let current = live.groups.get(group.name);
    const old = current
      ? undefined
      : group.previously.find(
          (name) => live.groups.has(name) && !desiredGroups.has(name) && !renamed.has(name),
        );
    if (old !== undefined) {
      // A rename keeps the members; delete + create would lose them.
      renamed.set(old, group.name);
      current = live.groups.get(old)!;
      add({
        summary: `rename group ${old} → ${group.name}`,
        operation: { op: "rename_group", name: old, to: group.name },
        secret: null,
        patch: [{ op: "replace", path: "/name", value: group.name }],
        was: { name: old },
      });
    }
    if (!current) {
      add({
        summary: `create group ${group.name}`,
        operation: { op: "create_group", name: group.name, description: group.description },
        secret: null,
      });
    } else if (current.description !== group.description) {
      add({
        summary: `update group ${group.name} description`,
        operation: { op: "update_group", name: group.name, description: group.description },
        secret: null,
        patch: [{ op: "replace", path: "/description", value: group.description }],
        was: { description: current.description },
        deps: renamed.has(current.name) ? [stepId("group", group.name, "rename_group")] : [],
      });
    }
  }
  // Memberships of a renamed group are its members under the new name.
  for (const [old, name] of renamed) {
    for (const groups of memberships.values()) {
      if (groups.delete(old)) groups.add(name);
    }
  }
  if (desired.policy.unlisted.groups === "prune") {
    for (const name of [...live.groups.keys()].sort()) {
      if (desiredGroups.has(name) || renamed.has(name)) continue;
      add({
        summary: `delete group ${name}`,
        operation: { op: "delete_group", name },
        secret: null,
      });
    }
  }
}

/** The steps that make group `name` exist under that name (its creation or its rename), if this plan has them. */
export function groupReady(ctx: DiffContext, name: string): string[] {
  return [stepId("group", name, "create_group"), stepId("group", name, "rename_group")].filter((id) =>
    ctx.steps.has(id),
  );
}
