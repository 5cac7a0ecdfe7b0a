import { createHmac, randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { type BulkAction, bulkOperation } from "../api/bulk-actions.js";
import { OPERATION_ROUTES, type RoutedOperationName } from "../api/operations.js";
import { API, type RouteSpec } from "../api/routes.js";
import {
  type Action,
  type Actor,
  type ConsoleState,
  decide,
  fieldsOf,
  forecastRenewals,
  isAllowed,
  type Operation,
  type RequestedOperationOf,
  type Role,
  targetOf,
  type User,
} from "../domain/index.js";
import type { CursorCodec } from "./cursors.js";
import { ApiError } from "./errors.js";
import { limitOf, pageOf } from "./http.js";
import type { LoginThrottle } from "./login-throttle.js";
import { DUMMY_PASSWORD_HASH, verifyPassword } from "./passwords.js";
import { clientAddress } from "./rate-limit.js";
import { domainJson, groupJson, orgJson, userJson, usersPageJson } from "./representation.js";
import { secretsEqual } from "./secrets.js";
import type { ConsoleService, MutationOptions, Render } from "./service.js";
import { newToken, requestHash } from "./service.js";
import { type AuditActor, hashToken, type TokenInfo } from "./store.js";

export interface RequestContext {
  service: ConsoleService;
  /** The authenticated user; null on public routes. */
  me: User | null;
  /** Who asks, as the audit log records it (anonymous on public routes). */
  actor: AuditActor;
  /** What the request acts on, once known: the audit log names it if the request is refused. */
  subject?: { action: string; target: string; fields: string[] };
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  request: IncomingMessage;
  options: MutationOptions;
  /** Verifies a domain's TXT record when the verifier is `dns`. */
  resolveTxt: (name: string) => Promise<string[]>;
  /** Signs and checks list cursors. */
  cursors: CursorCodec;
  /** Counts password attempts per login and address. */
  loginThrottle: LoginThrottle;
}

export interface RouteResult {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

export interface Route {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  template: string;
  public?: boolean;
  /** Self-service routes (the user's own account): the only ones a member may call. Every other route is an admin route. */
  selfService?: boolean;
  /** Lock routes and logins do not change the organization and carry no revision. */
  handler: (ctx: RequestContext) => Promise<RouteResult> | RouteResult;
}

type Body = Record<string, unknown>;

const SESSION_HOURS = 12;
/** How long an API token lives unless the request says otherwise (`expires_in_days`, at most 365). */
export const TOKEN_DAYS_DEFAULT = 90;
/** Live API tokens one user may hold, and login sessions kept per user (the oldest end first). */
export const MAX_API_TOKENS_PER_USER = 50;
export const MAX_SESSIONS_PER_USER = 100;
/** The longest lease the apply lock grants; a holder renews it while it works. */
export const LOCK_TTL_MAX_SECONDS = 600;

function me(ctx: RequestContext): User {
  if (!ctx.me) throw new ApiError(401, "unauthenticated", "send Authorization: Bearer <token>");
  return ctx.me;
}

function actorOf(ctx: RequestContext): Actor {
  return { kind: "user", login: me(ctx).login };
}

function requireRole(ctx: RequestContext, allowed: (role: Role) => boolean, what: string): void {
  const user = me(ctx);
  if (!allowed(user.role)) {
    throw new ApiError(403, "forbidden", `a ${user.role} may not ${what}`, { role: user.role });
  }
}

function requireRead(ctx: RequestContext): void {
  requireRole(ctx, (role) => isAllowed(role, "read"), "read the organization");
}

function requireAction(ctx: RequestContext, action: Action, what: string): void {
  requireRole(ctx, (role) => isAllowed(role, action), what);
}

function json(status: number, body: unknown, state?: ConsoleState): RouteResult {
  return {
    status,
    body: JSON.stringify(body),
    headers: state ? { etag: `"${state.org.revision}"` } : {},
  };
}

async function mutate(
  ctx: RequestContext,
  operation: Operation,
  render: Render,
  extra: MutationOptions = {},
): Promise<RouteResult> {
  ctx.subject = { action: operation.op, target: targetOf(operation), fields: fieldsOf(operation) };
  const result = await ctx.service.mutate(actorOf(ctx), operation, render, {
    ...ctx.options,
    actor: ctx.actor,
    ...extra,
  });
  return {
    status: result.status,
    body: result.body,
    headers: {
      etag: `"${ctx.service.state.org.revision}"`,
      ...(result.replayed ? { "idempotent-replayed": "true" } : {}),
    },
  };
}

function userOf(state: ConsoleState, login: string): User {
  const user = state.users.get(login);
  if (!user) throw new ApiError(404, "not_found", `user ${login} does not exist`, { login });
  return user;
}

const renderUser =
  (login: string, status = 200): Render =>
  (state) => ({ status, body: userJson(state, userOf(state, login)) });
const renderGroup =
  (name: string, status = 200): Render =>
  (state) => ({ status, body: groupJson(state.groups.get(name)!) });
const noContent: Render = () => ({ status: 204, body: null });

function sortedKeys(map: Map<string, unknown>): string[] {
  return [...map.keys()].sort();
}

/** A route's method and template, from the API table. */
function at(spec: RouteSpec): Pick<Route, "method" | "template"> {
  return { method: spec.method, template: spec.path };
}

/** What the console does around one operation's route: what only it makes, and how it answers. */
interface OperationHandling<K extends RoutedOperationName> {
  /** The whole operation: the requested one with what only the console makes (a token, a DNS lookup). */
  complete?: (op: RequestedOperationOf<K>, ctx: RequestContext) => Operation | Promise<Operation>;
  /** The answer, from the state after the change. */
  render: (op: RequestedOperationOf<K>, ctx: RequestContext) => Render;
  /** The password the request carries, for the store to hash (never part of the operation). */
  password?: (op: RequestedOperationOf<K>, ctx: RequestContext) => MutationOptions["password"] | undefined;
}

const passwordOf = (ctx: RequestContext): string | undefined => {
  const password = (ctx.body as Body | undefined)?.password;
  return typeof password === "string" ? password : undefined;
};

const HANDLING: { [K in RoutedOperationName]: OperationHandling<K> } = {
  top_up: {
    render: () => (state, entries) => ({
      status: 201,
      body: { entry: entries[0], balance_cents: state.balance },
    }),
  },
  update_org: {
    render: (_op, ctx) => (state) => ({
      status: 200,
      body: orgJson(state, userOf(state, me(ctx).login), ctx.service.now()),
    }),
  },
  change_org_plan: {
    render: (_op, ctx) => (state) => ({
      status: 200,
      body: orgJson(state, userOf(state, me(ctx).login), ctx.service.now()),
    }),
  },
  create_domain: {
    complete: (op) => ({ ...op, verification_token: randomBytes(16).toString("hex") }),
    render: (op) => (state) => ({ status: 201, body: domainJson(state, state.domains.get(op.name)!) }),
  },
  verify_domain: {
    async complete(op, ctx) {
      const state = ctx.service.state;
      const domain = state.domains.get(op.name);
      let txt: string[] = [];
      // Only look up DNS when it can matter; the rule engine decides whether the record proves ownership.
      if (domain && domain.status === "pending" && state.org.verifier === "dns") {
        txt = await ctx.resolveTxt(`_orgctl-verification.${op.name}`);
      }
      return { ...op, txt_values: txt };
    },
    render: (op) => (state) => ({ status: 200, body: domainJson(state, state.domains.get(op.name)!) }),
  },
  delete_domain: { render: () => noContent },
  create_user: {
    // The engine only needs to know a password is set; the hash is made and stored at the edge.
    complete: (op, ctx) => ({ ...op, user: { ...op.user, password_hash: passwordOf(ctx) ? "set" : null } }),
    render: (op) => renderUser(op.user.login, 201),
    password: (op, ctx) => {
      const plain = passwordOf(ctx);
      return plain ? { login: op.user.login, plain } : undefined;
    },
  },
  update_user: { render: (op) => renderUser(op.login) },
  disable_user: { render: (op) => renderUser(op.login) },
  enable_user: { render: (op) => renderUser(op.login) },
  delete_user: { render: () => noContent },
  change_plan: { render: (op) => renderUser(op.login) },
  change_role: { render: (op) => renderUser(op.login) },
  set_password: {
    render: () => noContent,
    password: (op, ctx) => ({ login: op.login, plain: String((ctx.body as Body).password) }),
  },
  logout: { render: () => noContent },
  resend_invitation: { render: (op) => renderUser(op.login) },
  add_alias: { render: (op) => renderUser(op.login, 201) },
  remove_alias: { render: (op) => renderUser(op.login) },
  create_group: { render: (op) => renderGroup(op.name, 201) },
  update_group: { render: (op) => renderGroup(op.name) },
  rename_group: { render: (op) => renderGroup(op.to) },
  delete_group: { render: () => noContent },
  add_member: { render: (op) => renderGroup(op.group) },
  remove_member: { render: (op) => renderGroup(op.group) },
};

/**
 * The console's route for each domain operation, declared from the API table: the request is read back into
 * the operation by the table's own parser, completed with what only the console makes, and run through
 * `mutate` (role check by the rule engine, one transaction with its ledger and audit entries).
 */
const OPERATION_ROUTE_LIST: Route[] = (Object.keys(OPERATION_ROUTES) as RoutedOperationName[]).map((name) => {
  const spec = OPERATION_ROUTES[name] as (typeof OPERATION_ROUTES)[RoutedOperationName];
  const handling = HANDLING[name] as OperationHandling<RoutedOperationName>;
  return {
    method: spec.method,
    template: spec.path,
    async handler(ctx: RequestContext) {
      const requested = spec.parse(
        ctx.params,
        (ctx.body ?? {}) as Body,
      ) as RequestedOperationOf<RoutedOperationName>;
      const operation = handling.complete
        ? await handling.complete(requested, ctx)
        : (requested as unknown as Operation);
      const password = handling.password?.(requested, ctx);
      return mutate(ctx, operation, handling.render(requested, ctx), password ? { password } : {});
    },
  };
});

export const ROUTES: Route[] = [
  { ...at(API.healthz), public: true, handler: () => json(200, { status: "ok" }) },

  // --- organization -------------------------------------------------------------------------------------
  {
    ...at(API.org),
    handler(ctx) {
      requireRead(ctx);
      return json(200, orgJson(ctx.service.state, me(ctx), ctx.service.now()), ctx.service.state);
    },
  },
  {
    ...at(API.me),
    selfService: true,
    handler: (ctx) => json(200, userJson(ctx.service.state, me(ctx)), ctx.service.state),
  },
  {
    ...at(API.updateMe),
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
  {
    ...at(API.myPassword),
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
  {
    ...at(API.catalog),
    handler(ctx) {
      requireRead(ctx);
      return json(200, ctx.service.state.catalog, ctx.service.state);
    },
  },

  // --- wallet -------------------------------------------------------------------------------------------
  {
    ...at(API.wallet),
    handler(ctx) {
      requireRead(ctx);
      const raw = ctx.query.get("days") ?? "30";
      const days = Number(raw);
      if (!Number.isInteger(days) || days < 0 || days > 366) {
        throw new ApiError(400, "invalid", "days must be a whole number from 0 to 366", { days: raw });
      }
      const state = ctx.service.state;
      return json(
        200,
        {
          balance_cents: state.balance,
          currency: state.catalog.currency,
          renewals_due: forecastRenewals(
            state.users.values(),
            state.catalog,
            ctx.service.now(),
            days,
            state.org,
          ),
        },
        state,
      );
    },
  },
  {
    ...at(API.ledger),
    handler(ctx) {
      requireRead(ctx);
      const limit = limitOf(ctx.query);
      const cursor = ctx.query.get("cursor");
      const after = cursor ? Number(ctx.cursors.decode("ledger", cursor)) : 0;
      const items = ctx.service.store.ledgerPage(after, limit + 1);
      const page = items.slice(0, limit);
      const next = items.length > limit ? ctx.cursors.encode("ledger", page[page.length - 1]!.id) : null;
      return json(200, { items: page, next_cursor: next }, ctx.service.state);
    },
  },

  // --- domains ------------------------------------------------------------------------------------------
  {
    ...at(API.domains),
    handler(ctx) {
      requireRead(ctx);
      const state = ctx.service.state;
      const { keys, next } = pageOf(sortedKeys(state.domains), ctx.query, ctx.cursors, "domains");
      return json(
        200,
        { items: keys.map((k) => domainJson(state, state.domains.get(k)!)), next_cursor: next },
        state,
      );
    },
  },

  // --- users --------------------------------------------------------------------------------------------
  {
    ...at(API.users),
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
  {
    ...at(API.usersBulk),
    async handler(ctx) {
      const body = ctx.body as { action: BulkAction; logins: string[] };
      const operations: Operation[] = body.logins.map((login) => bulkOperation(body.action, login));
      const result = await ctx.service.mutateAll(
        actorOf(ctx),
        operations,
        () => ({ status: 200, body: { action: body.action, logins: body.logins } }),
        ctx.options,
      );
      return {
        status: result.status,
        body: result.body,
        headers: {
          etag: `"${ctx.service.state.org.revision}"`,
          ...(result.replayed ? { "idempotent-replayed": "true" } : {}),
        },
      };
    },
  },
  {
    ...at(API.user),
    handler(ctx) {
      const user = userOf(ctx.service.state, ctx.params.login!);
      if (user.login !== me(ctx).login) requireRead(ctx);
      return json(200, userJson(ctx.service.state, user), ctx.service.state);
    },
  },

  {
    ...at(API.retiredAddresses),
    handler(ctx) {
      requireRead(ctx);
      const state = ctx.service.state;
      const retired = [...state.addresses]
        .filter(([, holder]) => holder.kind === "retired")
        .map(([address]) => address)
        .sort();
      const { keys, next } = pageOf(retired, ctx.query, ctx.cursors, "retired_addresses");
      return json(200, { items: keys, next_cursor: next }, state);
    },
  },

  // --- groups -------------------------------------------------------------------------------------------
  {
    ...at(API.groups),
    handler(ctx) {
      requireRead(ctx);
      const state = ctx.service.state;
      const { keys, next } = pageOf(sortedKeys(state.groups), ctx.query, ctx.cursors, "groups");
      return json(200, { items: keys.map((k) => groupJson(state.groups.get(k)!)), next_cursor: next }, state);
    },
  },
  {
    ...at(API.group),
    handler(ctx) {
      requireRead(ctx);
      const group = ctx.service.state.groups.get(ctx.params.name!);
      if (!group) throw new ApiError(404, "not_found", `group ${ctx.params.name} does not exist`);
      return json(200, groupJson(group), ctx.service.state);
    },
  },

  // --- credentials --------------------------------------------------------------------------------------
  {
    ...at(API.tokens),
    handler(ctx) {
      const user = me(ctx);
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
      // Everyone sees the credentials they may revoke: their own, and those the rule engine lets them end.
      const visible = page.filter(
        (token) =>
          token.login === user.login ||
          decide(ctx.service.state, actorOf(ctx), { op: "revoke_token", login: token.login }, now).ok,
      );
      const next = scanned.length > limit ? ctx.cursors.encode("tokens", page[page.length - 1]!.id) : null;
      return json(200, { items: visible.map(tokenJson), next_cursor: next });
    },
  },
  {
    ...at(API.issueToken),
    handler(ctx) {
      const body = ctx.body as Body;
      const login = String(body.login);
      const name = typeof body.name === "string" ? body.name : "api";
      const days = typeof body.expires_in_days === "number" ? body.expires_in_days : TOKEN_DAYS_DEFAULT;
      const now = ctx.service.now();
      const expiresAt = new Date(now.getTime() + days * 86_400_000).toISOString();
      const token = newToken("oct");
      const id = `tok_${randomBytes(9).toString("hex")}`;
      ctx.subject = { action: "issue_token", target: `user/${login}`, fields: [`/tokens/${id}`] };
      // The token is stored hashed with the mutation; the plain token is only in this one response, which is
      // why token requests are never stored for idempotent replay.
      return ctx.service
        .mutate(
          actorOf(ctx),
          { op: "issue_token", login },
          () => {
            if (ctx.service.store.liveTokenCount(login, "api", now) >= MAX_API_TOKENS_PER_USER) {
              throw new ApiError(
                422,
                "token_limit",
                `${login} already holds ${MAX_API_TOKENS_PER_USER} API tokens; revoke one (${API.revokeToken.method} ${API.revokeToken.path}) first`,
                { login, limit: MAX_API_TOKENS_PER_USER },
              );
            }
            ctx.service.store.insertToken({
              id,
              token,
              login,
              kind: "api",
              name,
              created_at: now.toISOString(),
              expires_at: expiresAt,
              issued_by: me(ctx).login,
            });
            return { status: 201, body: { id, login, name, expires_at: expiresAt } };
          },
          { ifMatch: ctx.options.ifMatch, actor: ctx.actor, auditFields: [`/tokens/${id}`] },
        )
        .then(() => json(201, { id, login, name, expires_at: expiresAt, token }));
    },
  },
  {
    ...at(API.revokeToken),
    handler(ctx) {
      const id = ctx.params.id!;
      const token = ctx.service.store.tokenById(id);
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
      ctx.subject = { action: "revoke_token", target: `user/${token.login}`, fields: [`/tokens/${id}`] };
      return mutate(
        ctx,
        { op: "revoke_token", login: token.login },
        () => {
          ctx.service.store.deleteToken(id);
          return { status: 204, body: null };
        },
        { auditFields: [`/tokens/${id}`] },
      );
    },
  },
  {
    ...at(API.login),
    public: true,
    async handler(ctx) {
      const body = ctx.body as Body;
      const login = String(body.login);
      const address = clientAddress(ctx.request.socket.remoteAddress);
      ctx.loginThrottle.begin(login, address, Date.now());
      // Unknown logins, users without a password, wrong passwords and disabled users get one answer after one
      // scrypt each: a faster or different answer would tell a guesser which logins exist or that a guess was
      // right. Whether the user may log in is the rule engine's call, asked before anything is written.
      const stored = ctx.service.store.passwordHash(login);
      const matches = await verifyPassword(String(body.password), stored ?? DUMMY_PASSWORD_HASH);
      const allowed = decide(
        ctx.service.state,
        { kind: "user", login },
        { op: "login", login },
        ctx.service.now(),
      );
      if (!matches || stored === null || !allowed.ok) {
        // The audit log (org_admins only) keeps the real reason; the caller gets the one answer.
        const reason = !matches || stored === null ? null : allowed.ok ? null : allowed.refusal;
        ctx.service.auditRefusal({
          actor: ctx.actor,
          action: "login",
          target: `user/${login}`,
          fields: [],
          outcome: "refused",
          code: reason?.code ?? "unauthenticated",
          message: reason?.message ?? "wrong login or password",
          idempotency_key: null,
        });
        throw new ApiError(401, "unauthenticated", "wrong login or password; check both and try again");
      }
      const token = newToken("ocs");
      const id = `ses_${randomBytes(9).toString("hex")}`;
      const now = ctx.service.now();
      const expires = new Date(now.getTime() + SESSION_HOURS * 3_600_000).toISOString();
      await ctx.service.mutate(
        { kind: "user", login },
        { op: "login", login },
        () => {
          ctx.service.store.liveTokenCount(login, "session", now);
          ctx.service.store.insertToken({
            id,
            token,
            login,
            kind: "session",
            name: "login",
            created_at: now.toISOString(),
            expires_at: expires,
          });
          ctx.service.store.trimSessions(login, MAX_SESSIONS_PER_USER);
          return { status: 201, body: null };
        },
        {
          actor: { kind: "user", login, credential: { id, kind: "session", name: "login" } },
          auditFields: [`/tokens/${id}`],
        },
      );
      ctx.loginThrottle.succeeded(login, address, Date.now());
      return json(201, { token, login, expires_at: expires });
    },
  },

  // --- audit log ----------------------------------------------------------------------------------------
  {
    ...at(API.audit),
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

  // --- apply lock ---------------------------------------------------------------------------------------
  {
    ...at(API.lock),
    handler(ctx) {
      requireRead(ctx);
      const lock = ctx.service.store.currentLock(ctx.service.now());
      return json(200, lock ? { held: true, lock: leaseJson(lock) } : { held: false });
    },
  },
  {
    ...at(API.takeLock),
    handler(ctx) {
      ctx.subject = { action: "lock_acquire", target: "lock", fields: [] };
      requireAction(ctx, "take_lock", "take the apply lock");
      const body = ctx.body as { holder: string; ttl_seconds: number };
      const now = ctx.service.now();
      const credential = ctx.actor.credential!;
      const presented = lockIdOf(ctx);
      const key = ctx.options.idempotency?.key ?? null;
      // A retried acquire whose answer was lost presents the same credential and Idempotency-Key: it gets the
      // same secret lock id back, derived from both, so the console never stores the id itself.
      const secret = ctx.service.store.tokenHash(credential.id);
      const keyed = key && secret ? lockIdFor(secret, key) : null;
      return ctx.service.store.transaction(() => {
        const current = ctx.service.store.currentLock(now);
        const renewing =
          current !== null && presented !== null && secretsEqual(hashToken(presented), current.lock_hash);
        const retried =
          current !== null &&
          keyed !== null &&
          current.credential_id === credential.id &&
          secretsEqual(hashToken(keyed), current.lock_hash);
        if (current && !renewing && !retried) {
          throw new ApiError(
            423,
            "locked",
            `the apply lock is held by ${current.holder} since ${current.since}; wait for it or retry later`,
            { holder: current.holder, since: current.since, expires_at: current.expires_at },
          );
        }
        const expiresAt = new Date(now.getTime() + body.ttl_seconds * 1000).toISOString();
        if (current && renewing) {
          ctx.service.store.putLock({ ...current, expires_at: expiresAt });
          return json(200, leaseJson({ ...current, expires_at: expiresAt }));
        }
        const lockId = current ? keyed! : (keyed ?? `lck_${randomBytes(18).toString("base64url")}`);
        const lease = {
          lock_hash: hashToken(lockId),
          holder: current?.holder ?? body.holder,
          since: current?.since ?? now.toISOString(),
          expires_at: expiresAt,
          credential_id: credential.id,
          acquire_key_hash: key ? hashToken(key) : null,
        };
        ctx.service.store.putLock(lease);
        if (!current) ctx.service.store.appendAudit(lockAudit(ctx, "lock_acquire", key), now);
        return json(current ? 200 : 201, { lock_id: lockId, ...leaseJson(lease) });
      });
    },
  },
  {
    ...at(API.releaseLock),
    handler(ctx) {
      const force = ctx.query.get("force") === "true";
      const action = force ? "lock_break" : "lock_release";
      ctx.subject = { action, target: "lock", fields: [] };
      requireAction(ctx, "take_lock", "release the apply lock");
      if (force) requireAction(ctx, "break_lock", "release someone else's apply lock (force)");
      const presented = lockIdOf(ctx);
      const now = ctx.service.now();
      return ctx.service.store.transaction(() => {
        const current = ctx.service.store.currentLock(now);
        if (!current) return { status: 204, body: "" };
        if (!force && (presented === null || !secretsEqual(hashToken(presented), current.lock_hash))) {
          throw new ApiError(
            423,
            "locked",
            `the apply lock is held by ${current.holder} since ${current.since}; only its holder may release it (with its lock id), or an org_admin with ?force=true once the holder is surely gone`,
            { holder: current.holder, since: current.since, expires_at: current.expires_at },
          );
        }
        ctx.service.store.releaseLock();
        ctx.service.store.appendAudit(lockAudit(ctx, action, ctx.options.idempotency?.key ?? null), now);
        return { status: 204, body: "" };
      });
    },
  },
  ...OPERATION_ROUTE_LIST,
];

/**
 * What makes two requests "the same" for an idempotency key. Passwords are left out so that no derivative of
 * a secret is stored: a retry with the same key replays whatever the first password set did.
 */
export function requestFingerprint(method: string, path: string, login: string, body: unknown): string {
  const clean =
    body && typeof body === "object" && "password" in body
      ? { ...(body as Record<string, unknown>), password: "<secret>" }
      : body;
  return requestHash([method, path, login, clean ?? null]);
}

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

function leaseJson(lock: { holder: string; since: string; expires_at: string }) {
  return { holder: lock.holder, since: lock.since, expires_at: lock.expires_at };
}

function lockIdOf(ctx: RequestContext): string | null {
  const raw = ctx.request.headers["x-lock-id"];
  const value = Array.isArray(raw) ? raw[0] : raw;
  return value && value.length <= 200 ? value : null;
}

/** The lock id a credential gets for an acquire key: keyed by the credential's secret hash, never stored. */
function lockIdFor(credentialHash: string, key: string): string {
  return `lck_${createHmac("sha256", credentialHash).update(`apply-lock\0${key}`).digest("base64url")}`;
}

function lockAudit(
  ctx: RequestContext,
  action: "lock_acquire" | "lock_release" | "lock_break",
  key: string | null,
) {
  return {
    actor: ctx.actor,
    action,
    target: "lock",
    fields: [],
    outcome: "ok" as const,
    code: null,
    message: null,
    idempotency_key: key,
  };
}
