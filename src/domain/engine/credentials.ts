import { hasNoMoreRights } from "../permissions.js";
import { refuse } from "../refusal.js";
import { findUser, type Handlers, isRefusal, no, ok, permit, protectOwner } from "./context.js";

export const CREDENTIAL_HANDLERS: Handlers<
  "set_password" | "logout" | "issue_token" | "revoke_token" | "login"
> = {
  set_password(ctx, op) {
    const target = findUser(ctx, op.login);
    if (isRefusal(target)) return no(target);
    if (ctx.actor?.login !== target.login) {
      const denied = permit(ctx, "edit_user", target) ?? protectOwner(ctx, target, "change the password of");
      if (denied) return no(denied);
    }
    return ok([
      { type: "put_user", user: { ...target, password_set: true, password_rotation: op.rotation ?? null } },
    ]);
  },

  logout(ctx, op) {
    const target = findUser(ctx, op.login);
    if (isRefusal(target)) return no(target);
    if (ctx.actor?.login !== target.login) {
      const denied = permit(ctx, "edit_user", target) ?? protectOwner(ctx, target, "force-log-out");
      if (denied) return no(denied);
    }
    return ok([{ type: "revoke_sessions", login: target.login }]);
  },

  /**
   * A token acts as its user. Anyone (but a member) may issue tokens for themselves; an org_admin may also
   * issue one for another user whose role grants nothing the org_admin lacks (an automation account). Nobody
   * but the owner ever obtains a credential that acts as the owner.
   */
  issue_token(ctx, op) {
    const target = findUser(ctx, op.login);
    if (isRefusal(target)) return no(target);
    if (ctx.actor && ctx.actor.login !== target.login) {
      if (target.login === ctx.state.org.owner) {
        return no(
          refuse(
            "owner_protected",
            `${target.login} is the owner; only the owner can obtain a token that acts as the owner`,
            { login: target.login },
          ),
        );
      }
      const denied = permit(ctx, "issue_token");
      if (denied) return no(denied);
      if (!hasNoMoreRights(target.role, ctx.actor.role)) {
        return no(
          refuse(
            "forbidden",
            `${target.login} has rights that ${ctx.actor.login} lacks; it must issue its own token`,
            {
              login: target.login,
            },
          ),
        );
      }
    }
    if (target.role === "member") {
      return no(
        refuse("invalid", `${target.login} is a member; API tokens act as admin users only`, {
          login: target.login,
        }),
      );
    }
    if (target.status === "disabled")
      return no(refuse("account_disabled", `${target.login} is disabled; enable it first`));
    return ok();
  },

  /** Revoking a credential ends access like a force logout: the same people may do it. */
  revoke_token(ctx, op) {
    const target = findUser(ctx, op.login);
    if (isRefusal(target)) return no(target);
    if (ctx.actor?.login !== target.login) {
      const denied =
        permit(ctx, "edit_user", target) ?? protectOwner(ctx, target, "revoke the credentials of");
      if (denied) return no(denied);
    }
    return ok();
  },

  login(ctx, op) {
    const target = findUser(ctx, op.login);
    if (isRefusal(target)) return no(target);
    // Only the console (after checking the password) or the user themselves logs a user in.
    if (ctx.actor && ctx.actor.login !== target.login) {
      return no(
        refuse("forbidden", `only ${target.login} can log in as ${target.login}`, { login: target.login }),
      );
    }
    if (target.status === "disabled") {
      return no(
        refuse(
          "account_disabled",
          `${target.login} is disabled and cannot log in; ask an admin to enable it`,
        ),
      );
    }
    return ok([
      { type: "put_user", user: { ...target, status: "active", last_login_at: ctx.now.toISOString() } },
    ]);
  },
};
