import type { Decision } from "./engine.js";
import type { ConsoleState, User } from "./model.js";
import type { OperationOf } from "./operations.js";
import { isAllowed } from "./permissions.js";
import { refuse } from "./refusal.js";

/**
 * Pending invitations [RI]: a user created without a password is `invited`, and shows as pending until they
 * first log in. An admin may send the invitation again. The console does not send mail itself; resending
 * records when the invitation went, so that pending invitations can be told apart by age.
 */

/** The shortest wait between two invitations to the same user: a token cannot flood someone's mailbox. */
export const RESEND_INTERVAL_MINUTES = 10;

/** When the pending invitation was last sent, or null when the user is not pending (`invited`). */
export function invitedSince(user: Pick<User, "status" | "invited_at" | "created_at">): string | null {
  if (user.status !== "invited") return null;
  return user.invited_at ?? user.created_at;
}

/** What a handler sees of the console (the engine's context). */
interface InvitationContext {
  state: ConsoleState;
  /** The acting user, or null for the console itself. */
  actor: User | null;
  now: Date;
}

/**
 * Who may invite is who may create the user [RI]: org_admin anyone, user_admin only members ("les Admins
 * peuvent uniquement ajouter des Utilisateurs avec un accès Membre"), nobody else.
 */
function inviteRefusal(actor: User | null, target: User) {
  if (!actor || isAllowed(actor.role, "create_user", target.role)) return null;
  if (actor.role === "member") {
    return refuse("forbidden", `${actor.login} is a member and has no admin access`, { action: "invite" });
  }
  const scope = actor.role === "user_admin" ? " users who are not plain members" : " users";
  return refuse("forbidden", `a ${actor.role} may not invite${scope}`, {
    action: "invite",
    role: actor.role,
  });
}

/** resend_invitation: only a pending invitation is resent, and at most once per RESEND_INTERVAL_MINUTES. */
export function resendInvitation(ctx: InvitationContext, op: OperationOf<"resend_invitation">): Decision {
  const target = ctx.state.users.get(op.login);
  if (!target)
    return {
      ok: false,
      refusal: refuse("not_found", `user ${op.login} does not exist`, { login: op.login }),
    };
  const denied = inviteRefusal(ctx.actor, target);
  if (denied) return { ok: false, refusal: denied };
  const since = invitedSince(target);
  if (since === null) {
    return {
      ok: false,
      refusal: refuse(
        "conflict",
        `${target.login} is ${target.status}, not invited: only a pending invitation can be sent again`,
        { login: target.login, status: target.status },
      ),
    };
  }
  // Only resends count: the first invitation, sent at creation, may be followed by one at once.
  const lastResend = target.invited_at ? Date.parse(target.invited_at) : Number.NaN;
  const waitMs = lastResend + RESEND_INTERVAL_MINUTES * 60_000 - ctx.now.getTime();
  if (waitMs > 0) {
    const minutes = Math.ceil(waitMs / 60_000);
    return {
      ok: false,
      refusal: refuse(
        "conflict",
        `the invitation to ${target.login} was resent less than ${RESEND_INTERVAL_MINUTES} minutes ago; send it again in ${minutes} minute(s)`,
        { login: target.login, invited_at: since, retry_after_seconds: Math.ceil(waitMs / 1000) },
      ),
    };
  }
  return {
    ok: true,
    effects: [{ type: "put_user", user: { ...target, invited_at: ctx.now.toISOString() } }],
    ledger: [],
  };
}
