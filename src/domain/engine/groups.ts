import { withMember, withoutMember } from "../members.js";
import { type Refusal, refuse } from "../refusal.js";
import { GROUP_NAME } from "../rules.js";
import {
  type Context,
  deleteRecord,
  findGroup,
  findUser,
  type Handlers,
  isRefusal,
  no,
  ok,
  permit,
  putRecord,
} from "./context.js";

export const GROUP_HANDLERS: Handlers<
  "create_group" | "update_group" | "rename_group" | "delete_group" | "add_member" | "remove_member"
> = {
  create_group(ctx, op) {
    const denied = permit(ctx, "manage_groups");
    if (denied) return no(denied);
    const taken = newGroupNameRefusal(ctx, op.name);
    if (taken) return no(taken);
    return ok([putRecord("groups", { name: op.name, description: op.description, members: [] })]);
  },

  update_group(ctx, op) {
    const denied = permit(ctx, "manage_groups");
    if (denied) return no(denied);
    const group = findGroup(ctx, op.name);
    if (isRefusal(group)) return no(group);
    return ok([putRecord("groups", { ...group, description: op.description })]);
  },

  rename_group(ctx, op) {
    const denied = permit(ctx, "manage_groups");
    if (denied) return no(denied);
    const group = findGroup(ctx, op.name);
    if (isRefusal(group)) return no(group);
    const taken = newGroupNameRefusal(ctx, op.to);
    if (taken) return no(taken);
    return ok([deleteRecord("groups", op.name), putRecord("groups", { ...group, name: op.to })]);
  },

  delete_group(ctx, op) {
    const denied = permit(ctx, "manage_groups");
    if (denied) return no(denied);
    const group = findGroup(ctx, op.name);
    if (isRefusal(group)) return no(group);
    return ok([deleteRecord("groups", op.name)]);
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
    return ok([putRecord("groups", { ...group, members: withMember(group.members, op.login) })]);
  },

  remove_member(ctx, op) {
    const denied = permit(ctx, "manage_groups");
    if (denied) return no(denied);
    const group = findGroup(ctx, op.group);
    if (isRefusal(group)) return no(group);
    if (!group.members.includes(op.login))
      return no(refuse("not_found", `${op.login} is not in group ${op.group}`));
    return ok([putRecord("groups", { ...group, members: withoutMember(group.members, op.login) })]);
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
