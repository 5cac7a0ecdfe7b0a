import {
  credentialById,
  draftApiToken,
  issueApiToken,
  revocationOf,
  visibleCredentials,
} from "../credential-service.js";
import { limitOf } from "../http.js";
import type { TokenInfo } from "../store.js";
import { actorOf, type Body, json, mutate, type RouteTable } from "./context.js";

function tokenJson(token: TokenInfo) {
  return {
    id: token.id,
    login: token.login,
    kind: token.kind,
    name: token.name,
    created_at: token.created_at,
    last_used_at: token.last_used_at,
    expires_at: token.expires_at,
    issued_by: token.issued_by,
  };
}

/** API tokens and sessions: listing, issuing and revoking them (the rules are in credential-service.ts). */
export const TOKEN_ROUTES: RouteTable<"tokens" | "issueToken" | "revokeToken"> = {
  tokens: {
    handler(ctx) {
      const now = ctx.service.now();
      const login = ctx.query.get("login") ?? undefined;
      const limit = limitOf(ctx.query);
      const cursor = ctx.query.get("cursor");
      // A page scans at most `limit` credentials, so its cost does not grow with the organization; it may
      // show fewer than it scanned, and `next_cursor` says whether there are more.
      const scanned = ctx.service.store.tokensPage(
        now,
        cursor ? String(ctx.cursors.decode("tokens", cursor)) : "",
        limit + 1,
        login,
      );
      const page = scanned.slice(0, limit);
      const visible = visibleCredentials(ctx.service, actorOf(ctx), page, now);
      const next = scanned.length > limit ? ctx.cursors.encode("tokens", page[page.length - 1]!.id) : null;
      return json(200, { items: visible.map(tokenJson), next_cursor: next });
    },
  },
  issueToken: {
    async handler(ctx) {
      const body = ctx.body as Body;
      const draft = draftApiToken(
        ctx.service.now(),
        String(body.login),
        typeof body.name === "string" ? body.name : undefined,
        typeof body.expires_in_days === "number" ? body.expires_in_days : undefined,
      );
      ctx.subject = { action: "issue_token", target: `user/${draft.login}`, fields: [`/tokens/${draft.id}`] };
      const issued = await issueApiToken(ctx.service, draft, actorOf(ctx), {
        ifMatch: ctx.options.ifMatch,
        actor: ctx.actor,
      });
      return json(201, issued);
    },
  },
  revokeToken: {
    handler(ctx) {
      const id = ctx.params.id!;
      const token = credentialById(ctx.service, id);
      ctx.subject = { action: "revoke_token", target: `user/${token.login}`, fields: [`/tokens/${id}`] };
      return mutate(ctx, { op: "revoke_token", login: token.login }, revocationOf(ctx.service, id), {
        auditFields: [`/tokens/${id}`],
      });
    },
  },
};
