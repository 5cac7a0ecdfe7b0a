import type { IncomingMessage } from "node:http";
import type { API, RouteSpec } from "../../api/routes.js";
import {
  type Action,
  type Actor,
  type ConsoleState,
  fieldsOf,
  isAllowed,
  type Operation,
  type Role,
  targetOf,
  type User,
} from "../../domain/index.js";
import type { CursorCodec } from "../cursors.js";
import { ApiError } from "../errors.js";
import type { LoginThrottle } from "../login-throttle.js";
import type { ConsoleOrgs } from "../orgs.js";
import { groupJson, userJson } from "../representation.js";
import type { ConsoleService, MutationOptions, MutationResult, Render } from "../service.js";
import type { AuditActor } from "../store.js";

export interface RequestContext {
  /** The organization the request acts in. */
  service: ConsoleService;
  /** Every organization of the console. */
  orgs: ConsoleOrgs;
  /** The caller's own organization (null on public routes). */
  home: ConsoleService | null;
  /** True when a partner's user acts in an organization its partner manages (`me` is then its stand-in). */
  standIn: boolean;
  /**
   * The slug of the organization prefix when no organization has it. Only public routes get this far: they
   * answer as they would any refused caller, so they tell nobody which organizations exist.
   */
  unknownOrg: string | null;
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

/** What the console does on one route of the API table: who may call it and how it answers. */
export interface RouteHandling {
  public?: boolean;
  /** Self-service routes (the user's own account): the only ones a member may call. Every other route is an admin route. */
  selfService?: boolean;
  /** Console-wide routes (healthz, the organizations list): not served under the organization prefix (`ORG_SCOPE`). */
  consoleWide?: boolean;
  /** Lock routes and logins do not change the organization and carry no revision. */
  handler: (ctx: RequestContext) => Promise<RouteResult> | RouteResult;
}

export interface Route extends RouteHandling {
  method: RouteSpec["method"];
  template: string;
}

/** The name of a route in the API table (src/api/routes.ts). */
export type ApiRouteName = keyof typeof API;

/** The console's handling of some routes of the API table, by their name there. */
export type RouteTable<K extends ApiRouteName> = { [N in K]: RouteHandling };

export type Body = Record<string, unknown>;

export function me(ctx: RequestContext): User {
  if (!ctx.me) throw new ApiError(401, "unauthenticated", "send Authorization: Bearer <token>");
  return ctx.me;
}

export function actorOf(ctx: RequestContext): Extract<Actor, { kind: "user" }> {
  const user = me(ctx);
  return ctx.standIn
    ? { kind: "user", login: user.login, standIn: user }
    : { kind: "user", login: user.login };
}

function requireRole(ctx: RequestContext, allowed: (role: Role) => boolean, what: string): void {
  const user = me(ctx);
  if (!allowed(user.role)) {
    throw new ApiError(403, "forbidden", `a ${user.role} may not ${what}`, { role: user.role });
  }
}

export function requireRead(ctx: RequestContext): void {
  requireRole(ctx, (role) => isAllowed(role, "read"), "read the organization");
}

export function requireAction(ctx: RequestContext, action: Action, what: string): void {
  requireRole(ctx, (role) => isAllowed(role, action), what);
}

export function json(status: number, body: unknown, state?: ConsoleState): RouteResult {
  return {
    status,
    body: JSON.stringify(body),
    headers: state ? { etag: `"${state.org.revision}"` } : {},
  };
}

/** The answer of a committed (or replayed) mutation, with the revision it left. */
export function mutationResult(ctx: RequestContext, result: MutationResult): RouteResult {
  return {
    status: result.status,
    body: result.body,
    headers: {
      etag: `"${ctx.service.state.org.revision}"`,
      ...(result.replayed ? { "idempotent-replayed": "true" } : {}),
    },
  };
}

export async function mutate(
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
  return mutationResult(ctx, result);
}

export function userOf(state: ConsoleState, login: string): User {
  const user = state.users.get(login);
  if (!user) throw new ApiError(404, "not_found", `user ${login} does not exist`, { login });
  return user;
}

export const renderUser =
  (login: string, status = 200): Render =>
  (state) => ({ status, body: userJson(state, userOf(state, login)) });
export const renderGroup =
  (name: string, status = 200): Render =>
  (state) => ({ status, body: groupJson(state.groups.get(name)!) });
export const noContent: Render = () => ({ status: 204, body: null });

export function sortedKeys(map: Map<string, unknown>): string[] {
  return [...map.keys()].sort();
}
