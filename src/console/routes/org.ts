import { orgJson } from "../representation.js";
import { json, me, type RouteTable, requireRead } from "./context.js";

/** The organization as a whole: liveness, the organization, and its catalog of plans and prices. */
export const ORG_ROUTES: RouteTable<"healthz" | "org" | "catalog"> = {
  healthz: { public: true, consoleWide: true, handler: () => json(200, { status: "ok" }) },
  org: {
    handler(ctx) {
      requireRead(ctx);
      return json(200, orgJson(ctx.service.state, me(ctx), ctx.service.now()), ctx.service.state);
    },
  },
  catalog: {
    handler(ctx) {
      requireRead(ctx);
      return json(200, ctx.service.state.catalog, ctx.service.state);
    },
  },
};
