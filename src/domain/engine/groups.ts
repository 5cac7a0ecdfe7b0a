import { type Refusal, refuse } from "../refusal.js";
import { type Context, findGroup, findUser, type Handlers, isRefusal, no, ok, permit } from "./context.js";

export const GROUP_NAME = /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/;

export const GROUP_HANDLERS: Handlers<
  "create_group" | "update_group" | "rename_group" | "delete_group" | "add_member" | "remove_member"
> = {
  create_group(ctx, op) {
    const denied = permit(ctx, "manage_groups");
    if (denied) return no(denied);
    const taken = newGroupNameRefusal(ctx, op.name);
    if (taken) return no(taken);
    return ok([{ type: "put_group", group: { name: op.name, description: op.description, members: [] } }]);
  },

  update_group(ctx, op) {
    const denied = permit(ctx, "manage_groups");
    if (denied) return no(denied);
    const group = findGroup(ctx, op.name);
    if (isRefusal(group)) return no(group);
    return ok([{ type: "put_group", group: { ...group, description: op.description } }]);
  },

  rename_group(ctx, op) {
    const denied = permit(ctx, "manage_groups");
    if (denied) return no(denied);
    const group = findGroup(ctx, op.name);
    if (isRefusal(group)) return no(group);
    const taken = newGroupNameRefusal(ctx, op.to);
    if (taken) return no(taken);
    return ok([
      { type: "delete_group", name: op.name },
      { type: "put_group", group: { ...group, name: op.to } },
    ]);
  },

  delete_group(ctx, op) {
    const denied = permit(ctx, "manage_groups");
    if (denied) return no(denied);
    const group = findGroup(ctx, op.name);
    if (isRefusal(group)) return no(group);
    return ok([{ type: "delete_group", name: op.name }]);
  },

  add_member(ctx, op) {
    const denied = permit(ctx, "manage_groups");
    if (denied) return no(denied);
    const group = findGroup(ctx, op.group);
    if (isRefusal(group)) return no(group);
    const user = findUser(ctx, op.login);
    if (isRefusal(user)) return no(user);
    // PUT semantics: adding a current member is a no-op, not a refusal.
    if (group.members.includes(op.login)) return ok();
    return ok([{ type: "put_group", group: { ...group, members: withMember(group.members, op.login) } }]);
  },

  remove_member(ctx, op) {
    const denied = permit(ctx, "manage_groups");
    if (denied) return no(denied);
    const group = findGroup(ctx, op.group);
    if (isRefusal(group)) return no(group);
    if (!group.members.includes(op.login))
      return no(refuse("not_found", `${op.login} is not in group ${op.group}`));
    return ok([
      { type: "put_group", group: { ...group, members: group.members.filter((m) => m !== op.login) } },
    ]);
  },
};

/** Why `name` cannot be a new group's name (invalid or taken), or null. */
function newGroupNameRefusal(ctx: Context, name: string): Refusal | null {
  if (!GROUP_NAME.test(name)) {
    return refuse(
      "invalid",
      `group name ${name} is not valid; use 1-64 lower-case letters, digits, dots, dashes or underscores`,
    );
  }
  if (ctx.state.groups.has(name)) return refuse("conflict", `group ${name} already exists`, { group: name });
  return null;
}

/**
 * `members` (sorted) with `login` inserted in its place: one binary search and a copy, where sorting again
 * would compare every member on each join of a large group.
 */
export function withMember(members: readonly string[], login: string): string[] {
  let low = 0;
  let high = members.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (members[middle]! < login) low = middle + 1;
    else high = middle;
  }
  const next = members.slice();
  next.splice(low, 0, login);
  return next;
}
