import { ApiError } from "../errors.js";
import { pageOf } from "../http.js";
import { groupJson } from "../representation.js";
import { json, type RouteTable, requireRead, sortedKeys } from "./context.js";

/** Reading groups (their changes are operations, in operations.ts). */
export const GROUP_ROUTES: RouteTable<"groups" | "group"> = {
  groups: {
    handler(ctx) {
      requireRead(ctx);
      const state = ctx.service.state;
      const { keys, next } = pageOf(sortedKeys(state.groups), ctx.query, ctx.cursors, "groups");
      return json(200, { items: keys.map((k) => groupJson(state.groups.get(k)!)), next_cursor: next }, state);
    },
  },
  group: {
    handler(ctx) {
      requireRead(ctx);
      const group = ctx.service.state.groups.get(ctx.params.name!);
      if (!group) throw new ApiError(404, "not_found", `group ${ctx.params.name} does not exist`);
      return json(200, groupJson(group), ctx.service.state);
    },
  },
};
