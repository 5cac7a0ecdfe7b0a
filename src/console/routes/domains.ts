import { pageOf } from "../http.js";
import { domainJson } from "../representation.js";
import { json, type RouteTable, requireRead, sortedKeys } from "./context.js";

/** Reading the organization's domains (their changes are operations, in operations.ts). */
export const DOMAIN_ROUTES: RouteTable<"domains"> = {
  domains: {
    handler(ctx) {
      requireRead(ctx);
      const state = ctx.service.state;
      const { keys, next } = pageOf(sortedKeys(state.domains), ctx.query, ctx.cursors, "domains");
      return json(
        200,
        { items: keys.map((k) => domainJson(state, state.domains.get(k)!)), next_cursor: next },
        state,
      );
    },
  },
};
