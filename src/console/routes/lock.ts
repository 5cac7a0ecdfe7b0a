import { acquireLock, currentLease, releaseLock } from "../lock-service.js";
import type { AuditActor } from "../store.js";
import { json, type RequestContext, type RouteTable, requireAction, requireRead } from "./context.js";

function lockIdOf(ctx: RequestContext): string | null {
  const raw = ctx.request.headers["x-lock-id"];
  const value = Array.isArray(raw) ? raw[0] : raw;
  return value && value.length <= 200 ? value : null;
}

/** The apply lock: reading, taking or renewing, and releasing it (the rules are in lock-service.ts). */
export const LOCK_ROUTES: RouteTable<"lock" | "takeLock" | "releaseLock"> = {
  lock: {
    handler(ctx) {
      requireRead(ctx);
      const lease = currentLease(ctx.service);
      return json(200, lease ? { held: true, lock: lease } : { held: false });
    },
  },
  takeLock: {
    handler(ctx) {
      ctx.subject = { action: "lock_acquire", target: "lock", fields: [] };
      requireAction(ctx, "take_lock", "take the apply lock");
      const body = ctx.body as { holder: string; ttl_seconds: number };
      const { status, body: answer } = acquireLock(ctx.service, {
        actor: ctx.actor as AuditActor & { credential: NonNullable<AuditActor["credential"]> },
        presented: lockIdOf(ctx),
        key: ctx.options.idempotency?.key ?? null,
        holder: body.holder,
        ttlSeconds: body.ttl_seconds,
      });
      return json(status, answer);
    },
  },
  releaseLock: {
    handler(ctx) {
      const force = ctx.query.get("force") === "true";
      ctx.subject = { action: force ? "lock_break" : "lock_release", target: "lock", fields: [] };
      requireAction(ctx, "take_lock", "release the apply lock");
      if (force) requireAction(ctx, "break_lock", "release someone else's apply lock (force)");
      releaseLock(ctx.service, {
        actor: ctx.actor,
        presented: lockIdOf(ctx),
        key: ctx.options.idempotency?.key ?? null,
        force,
      });
      return { status: 204, body: "" };
    },
  },
};
