import { ApiError } from "../errors.js";
import { limitOf } from "../http.js";
import { json, type RouteTable, requireAction } from "./context.js";

/** The audit log, newest first, filtered by actor, target, action and time. */
export const AUDIT_ROUTES: RouteTable<"audit"> = {
  audit: {
    handler(ctx) {
      ctx.subject = { action: "read_audit", target: "audit", fields: [] };
      requireAction(ctx, "read_audit", "read the audit log");
      const limit = limitOf(ctx.query);
      const cursor = ctx.query.get("cursor");
      const filter = (name: string, pattern: RegExp, what: string): string | undefined => {
        const value = ctx.query.get(name);
        if (value === null) return undefined;
        if (!pattern.test(value))
          throw new ApiError(400, "invalid", `${name} must be ${what}`, { [name]: value });
        return value;
      };
      const time = (name: string): string | undefined => {
        const value = filter(
          name,
          /^\d{4}-\d{2}-\d{2}(?:T[\d:.]+(?:Z|[+-]\d{2}:\d{2}))?$/,
          "an ISO 8601 time",
        );
        if (value === undefined) return undefined;
        const at = new Date(value);
        if (Number.isNaN(at.getTime()))
          throw new ApiError(400, "invalid", `${name} must be an ISO 8601 time`);
        return at.toISOString();
      };
      const query = {
        beforeId: cursor ? Number(ctx.cursors.decode("audit", cursor)) : null,
        limit: limit + 1,
        actor: filter("actor", /^[a-z0-9._-]{1,64}$/, "a login"),
        target: filter("target", /^[a-z]+(?:\/[^\s]{1,320})?$/, "a target such as user/bob or group/eng"),
        action: filter("action", /^[a-z_]{1,40}$/, "an action such as update_user"),
        since: time("since"),
        until: time("until"),
      };
      const items = ctx.service.store.auditPage(query);
      const page = items.slice(0, limit);
      const next = items.length > limit ? ctx.cursors.encode("audit", page[page.length - 1]!.id) : null;
      return json(200, { items: page, next_cursor: next });
    },
  },
};
