import { logIn, refuseLoginToUnknownOrg } from "../credential-service.js";
import { clientAddress } from "../rate-limit.js";
import { type Body, json, type RouteTable } from "./context.js";

/** Logging in with a password (the rules are in credential-service.ts). */
export const SESSION_ROUTES: RouteTable<"login"> = {
  login: {
    public: true,
    async handler(ctx) {
      const body = ctx.body as Body;
      const attempt = {
        login: String(body.login),
        password: String(body.password),
        address: clientAddress(ctx.request.socket.remoteAddress),
        actor: ctx.actor,
      };
      if (ctx.unknownOrg !== null) return refuseLoginToUnknownOrg(ctx.loginThrottle, ctx.unknownOrg, attempt);
      const session = await logIn(ctx.service, ctx.loginThrottle, attempt);
      return json(201, session);
    },
  },
};
