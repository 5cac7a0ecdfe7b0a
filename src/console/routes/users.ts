import { bulkOperation } from "../../api/bulk-actions.js";
import type { BulkResult } from "../../api/wire.js";
import type { Operation } from "../../domain/index.js";
import { pageOf } from "../http.js";
import { userJson, usersPageJson } from "../representation.js";
import { actorOf, json, me, mutationResult, type RouteTable, requireRead, userOf } from "./context.js";

/** Reading users, and the bulk actions on them (their single changes are operations, in operations.ts). */
export const USER_ROUTES: RouteTable<"users" | "usersBulk" | "user"> = {
  users: {
    handler(ctx) {
      requireRead(ctx);
      const state = ctx.service.state;
      const { keys, next } = pageOf(ctx.service.sortedLogins(), ctx.query, ctx.cursors, "users");
      return {
        status: 200,
        body: usersPageJson(state, keys, next),
        headers: { etag: `"${state.org.revision}"` },
      };
    },
  },
  usersBulk: {
    async handler(ctx) {
      const body = ctx.body as BulkResult;
      const operations: Operation[] = body.logins.map((login) => bulkOperation(body.action, login));
      const result = await ctx.service.mutateAll(
        actorOf(ctx),
        operations,
        () => ({ status: 200, body: { action: body.action, logins: body.logins } satisfies BulkResult }),
        ctx.options,
      );
      return mutationResult(ctx, result);
    },
  },
  user: {
    handler(ctx) {
      const user = userOf(ctx.service.state, ctx.params.login!);
      if (user.login !== me(ctx).login) requireRead(ctx);
      return json(200, userJson(ctx.service.state, user), ctx.service.state);
    },
  },
};
