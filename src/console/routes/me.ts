import { userJson } from "../representation.js";
import { type Body, json, me, mutate, noContent, type RouteTable, renderUser } from "./context.js";

/** Self-service: the caller's own account, the only routes a member may call. */
export const ME_ROUTES: RouteTable<"me" | "updateMe" | "myPassword"> = {
  me: {
    selfService: true,
    handler: (ctx) => json(200, userJson(ctx.service.state, me(ctx)), ctx.service.state),
  },
  updateMe: {
    selfService: true,
    handler: (ctx) =>
      mutate(
        ctx,
        {
          op: "update_user",
          login: me(ctx).login,
          profile: (ctx.body as Body).profile as Record<string, string | null>,
        },
        renderUser(me(ctx).login),
      ),
  },
  myPassword: {
    selfService: true,
    handler: (ctx) => {
      const login = me(ctx).login;
      // A self-service change keeps the admin's rotation label, so it never triggers a reset by orgctl.
      const rotation = me(ctx).password_rotation ?? null;
      return mutate(ctx, { op: "set_password", login, rotation }, noContent, {
        password: { login, plain: String((ctx.body as Body).password) },
      });
    },
  },
};
