import { pageOf } from "../http.js";
import { json, type RouteTable, requireRead } from "./context.js";

/** Addresses the organization may never hand out again (a deleted user's or alias's). */
export const ADDRESS_ROUTES: RouteTable<"retiredAddresses"> = {
  retiredAddresses: {
    handler(ctx) {
      requireRead(ctx);
      const state = ctx.service.state;
      const retired = [...state.addresses]
        .filter(([, holder]) => holder.kind === "retired")
        .map(([address]) => address)
        .sort();
      const { keys, next } = pageOf(retired, ctx.query, ctx.cursors, "retired_addresses");
      return json(200, { items: keys, next_cursor: next }, state);
    },
  },
};
