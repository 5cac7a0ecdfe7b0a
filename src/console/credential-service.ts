import { randomBytes } from "node:crypto";
import { API } from "../api/routes.js";
import { type Actor, decide } from "../domain/index.js";
import { ApiError } from "./errors.js";
import type { LoginThrottle } from "./login-throttle.js";
import { DUMMY_PASSWORD_HASH, verifyPassword } from "./passwords.js";
import { type ConsoleService, newToken, type Render } from "./service.js";
import type { AuditActor, TokenInfo } from "./store.js";

/**
 * The console's credential rules: how API tokens are issued, seen and revoked, and how a password becomes a
 * login session. The rule engine decides who may; these say what is written, and what is never told.
 */

const SESSION_HOURS = 12;
const WRONG_LOGIN = "wrong login or password; check both and try again";
/** How long an API token lives unless the request says otherwise (`expires_in_days`, at most 365). */
export const TOKEN_DAYS_DEFAULT = 90;
/** Live API tokens one user may hold, and login sessions kept per user (the oldest end first). */
export const MAX_API_TOKENS_PER_USER = 50;
export const MAX_SESSIONS_PER_USER = 100;

/** An API token about to be issued: its id names it in the audit log even when issuing it is refused. */
export interface ApiTokenDraft {
  id: string;
  token: string;
  login: string;
  name: string;
  created_at: Date;
  expires_at: string;
}

export function draftApiToken(now: Date, login: string, name: string | undefined, days: number | undefined) {
  const lifetime = days ?? TOKEN_DAYS_DEFAULT;
  return {
    id: `tok_${randomBytes(9).toString("hex")}`,
    token: newToken("oct"),
    login,
    name: name ?? "api",
    created_at: now,
    expires_at: new Date(now.getTime() + lifetime * 86_400_000).toISOString(),
  } satisfies ApiTokenDraft;
}

/**
 * Issues `draft` for `issuer`: stored hashed with the mutation, within the per-user limit. The plain token is
 * only in the value returned here, which is why token requests are never stored for idempotent replay.
 */
export async function issueApiToken(
  service: ConsoleService,
  draft: ApiTokenDraft,
  issuer: Actor,
  options: { ifMatch: number | null | undefined; actor: AuditActor },
) {
  const { id, token, login, name, created_at: now } = draft;
  await service.mutate(
    issuer,
    { op: "issue_token", login },
    () => {
      if (service.store.liveTokenCount(login, "api", now) >= MAX_API_TOKENS_PER_USER) {
        throw new ApiError(
          422,
          "token_limit",
          `${login} already holds ${MAX_API_TOKENS_PER_USER} API tokens; revoke one (${API.revokeToken.method} ${API.revokeToken.path}) first`,
          { login, limit: MAX_API_TOKENS_PER_USER },
        );
      }
      service.store.insertToken({
        id,
        token,
        login,
        kind: "api",
        name,
        created_at: now.toISOString(),
        expires_at: draft.expires_at,
        issued_by: issuer.kind === "user" ? issuer.login : null,
      });
      return { status: 201, body: { id, login, name, expires_at: draft.expires_at } };
    },
    { ifMatch: options.ifMatch, actor: options.actor, auditFields: [`/tokens/${id}`] },
  );
  return { id, login, name, expires_at: draft.expires_at, token };
}

/** The credentials of `page` that `viewer` may see: their own, and those the rule engine lets them end. */
export function visibleCredentials(
  service: ConsoleService,
  viewer: Actor & { login: string },
  page: TokenInfo[],
  now: Date,
): TokenInfo[] {
  return page.filter(
    (token) =>
      token.login === viewer.login ||
      decide(service.state, viewer, { op: "revoke_token", login: token.login }, now).ok,
  );
}

/** The credential `id`, or a 404 that says where to list them. */
export function credentialById(service: ConsoleService, id: string): TokenInfo {
  const token = service.store.tokenById(id);
  if (!token) {
    throw new ApiError(
      404,
      "not_found",
      `there is no credential ${id}; list them with ${API.tokens.method} ${API.tokens.path}`,
      {
        id,
      },
    );
  }
  return token;
}

/** Ends credential `id` inside the revocation's transaction. */
export function revocationOf(service: ConsoleService, id: string): Render {
  return () => {
    service.store.deleteToken(id);
    return { status: 204, body: null };
  };
}

/** A login attempt: who, with which password, from which address, and who the audit log names as asking. */
export interface LoginAttempt {
  login: string;
  password: string;
  address: string;
  actor: AuditActor;
}

/**
 * Exchanges a login and password for a session token. Unknown logins, users without a password, wrong
 * passwords and disabled users get one answer after one scrypt each: a faster or different answer would tell
 * a guesser which logins exist or that a guess was right. Whether the user may log in is the rule engine's
 * call, asked before anything is written.
 */
export async function logIn(service: ConsoleService, throttle: LoginThrottle, attempt: LoginAttempt) {
  const { login, address } = attempt;
  // Login names repeat across organizations: each organization's `ops` has attempts of its own.
  const throttled = `org ${service.orgId} ${login}`;
  throttle.begin(throttled, address, Date.now());
  const stored = service.store.passwordHash(login);
  const matches = await verifyPassword(attempt.password, stored ?? DUMMY_PASSWORD_HASH);
  const allowed = decide(service.state, { kind: "user", login }, { op: "login", login }, service.now());
  if (!matches || stored === null || !allowed.ok) {
    // The audit log (org_admins only) keeps the real reason; the caller gets the one answer.
    const reason = !matches || stored === null ? null : allowed.ok ? null : allowed.refusal;
    service.auditRefusal({
      actor: attempt.actor,
      action: "login",
      target: `user/${login}`,
      fields: [],
      outcome: "refused",
      code: reason?.code ?? "unauthenticated",
      message: reason?.message ?? "wrong login or password",
      idempotency_key: null,
    });
    throw new ApiError(401, "unauthenticated", WRONG_LOGIN);
  }
  const token = newToken("ocs");
  const id = `ses_${randomBytes(9).toString("hex")}`;
  const now = service.now();
  const expires = new Date(now.getTime() + SESSION_HOURS * 3_600_000).toISOString();
  await service.mutate(
    { kind: "user", login },
    { op: "login", login },
    () => {
      service.store.liveTokenCount(login, "session", now);
      service.store.insertToken({
        id,
        token,
        login,
        kind: "session",
        name: "login",
        created_at: now.toISOString(),
        expires_at: expires,
      });
      service.store.trimSessions(login, MAX_SESSIONS_PER_USER);
      return { status: 201, body: null };
    },
    {
      actor: { kind: "user", login, credential: { id, kind: "session", name: "login" } },
      auditFields: [`/tokens/${id}`],
    },
  );
  throttle.succeeded(throttled, address, Date.now());
  return { token, login, expires_at: expires };
}

/**
 * A login under the prefix of an organization that does not exist. It costs the same scrypt, counts against
 * the same limits and gets the same answer as a wrong password, so a login tells nobody which organizations
 * exist. There is no organization whose audit log could keep it.
 */
export async function refuseLoginToUnknownOrg(
  throttle: LoginThrottle,
  slug: string,
  attempt: Pick<LoginAttempt, "login" | "password" | "address">,
): Promise<never> {
  throttle.begin(`slug ${slug} ${attempt.login}`, attempt.address, Date.now());
  await verifyPassword(attempt.password, DUMMY_PASSWORD_HASH);
  throw new ApiError(401, "unauthenticated", WRONG_LOGIN);
}
