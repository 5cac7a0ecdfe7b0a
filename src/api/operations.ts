import type { OperationName, RequestedOperation, RequestedOperationOf, Role } from "../domain/index.js";
import { type HttpMethod, pathOf } from "./routes.js";

type Body = Record<string, unknown>;

/** A request as sent: method, path with its parameters filled in, and the JSON body when there is one. */
export interface WireRequest {
  method: HttpMethod;
  path: string;
  body?: Body;
}

/** How one operation travels over the API, both ways. */
export interface OperationRoute<K extends OperationName> {
  method: Exclude<HttpMethod, "GET">;
  /** The path template, as schemas/console-api.yaml names it. */
  path: string;
  /** The values of the path's `{name}` parameters. */
  params: (op: RequestedOperationOf<K>) => Record<string, string>;
  /** The JSON body, without the secret; absent for routes that take none. */
  body?: (op: RequestedOperationOf<K>) => Body;
  /** The body field that takes the secret (resolved at the last moment, never stored in a plan). */
  secretField?: "password";
  /**
   * The operation a request asks for, as the console reads it back. The body has passed the route's schema
   * in console-api.yaml; what only the console makes (a verification token, a password hash) it adds itself.
   */
  parse: (params: Record<string, string>, body: Body) => RequestedOperationOf<K>;
}

/** The operations a client sends as one request each (credentials and logins have routes of their own). */
export type RoutedOperationName = Exclude<OperationName, "issue_token" | "revoke_token" | "login">;

const str = (value: unknown): string => String(value);
const optionalString = (value: unknown): string | null => (typeof value === "string" ? value : null);

/**
 * THE table from each domain operation to its route: method, path template, body builder, and the parser the
 * console declares its route with. The client sends through it (`requestOf`), the console routes through it,
 * and a test holds it to schemas/console-api.yaml. No other code writes an operation's path.
 */
export const OPERATION_ROUTES: { [K in RoutedOperationName]: OperationRoute<K> } = {
  top_up: {
    method: "POST",
    path: "/v1/wallet/top-ups",
    params: () => ({}),
    body: (op) => ({ amount_cents: op.amount_cents, method: op.method }),
    parse: (_p, body) => ({
      op: "top_up",
      amount_cents: Number(body.amount_cents),
      method: str(body.method),
    }),
  },
  update_org: {
    method: "PATCH",
    path: "/v1/org",
    params: () => ({}),
    body: (op) => ({ name: op.name }),
    parse: (_p, body) => ({ op: "update_org", name: str(body.name) }),
  },
  change_org_plan: {
    method: "PUT",
    path: "/v1/org/plan",
    params: () => ({}),
    body: (op) => ({ plan: op.plan }),
    parse: (_p, body) => ({ op: "change_org_plan", plan: str(body.plan) }),
  },
  create_domain: {
    method: "POST",
    path: "/v1/domains",
    params: () => ({}),
    body: (op) => ({ name: op.name }),
    // Domain names compare case-insensitively and are stored in lower case.
    parse: (_p, body) => ({ op: "create_domain", name: str(body.name).trim().toLowerCase() }),
  },
  verify_domain: {
    method: "POST",
    path: "/v1/domains/{name}/verify",
    params: (op) => ({ name: op.name }),
    parse: (p) => ({ op: "verify_domain", name: p.name!.toLowerCase() }),
  },
  delete_domain: {
    method: "DELETE",
    path: "/v1/domains/{name}",
    params: (op) => ({ name: op.name }),
    parse: (p) => ({ op: "delete_domain", name: p.name!.toLowerCase() }),
  },
  create_user: {
    method: "POST",
    path: "/v1/users",
    params: () => ({}),
    body: ({ user }) => ({
      login: user.login,
      email: user.email,
      first_name: user.first_name,
      last_name: user.last_name,
      plan: user.plan,
      role: user.role,
      ...(user.profile && Object.keys(user.profile).length > 0 ? { profile: user.profile } : {}),
      ...(user.groups && user.groups.length > 0 ? { groups: user.groups } : {}),
      ...(user.aliases && user.aliases.length > 0 ? { aliases: user.aliases } : {}),
      ...(user.password_rotation ? { password_rotation: user.password_rotation } : {}),
    }),
    secretField: "password",
    parse: (_p, body) => ({
      op: "create_user",
      user: {
        login: str(body.login),
        email: str(body.email),
        first_name: str(body.first_name),
        last_name: str(body.last_name),
        plan: str(body.plan),
        role: body.role as Role,
        password_rotation: optionalString(body.password_rotation),
        profile: (body.profile as Record<string, string>) ?? {},
        groups: (body.groups as string[]) ?? [],
        aliases: (body.aliases as string[]) ?? [],
      },
    }),
  },
  update_user: {
    method: "PATCH",
    path: "/v1/users/{login}",
    params: (op) => ({ login: op.login }),
    body: (op) => ({
      ...(op.first_name !== undefined ? { first_name: op.first_name } : {}),
      ...(op.last_name !== undefined ? { last_name: op.last_name } : {}),
      ...(op.profile !== undefined ? { profile: op.profile } : {}),
    }),
    parse: (p, body) => ({
      op: "update_user",
      login: p.login!,
      ...(typeof body.first_name === "string" ? { first_name: body.first_name } : {}),
      ...(typeof body.last_name === "string" ? { last_name: body.last_name } : {}),
      ...(body.profile ? { profile: body.profile as Record<string, string | null> } : {}),
    }),
  },
  disable_user: {
    method: "POST",
    path: "/v1/users/{login}/disable",
    params: (op) => ({ login: op.login }),
    parse: (p) => ({ op: "disable_user", login: p.login! }),
  },
  enable_user: {
    method: "POST",
    path: "/v1/users/{login}/enable",
    params: (op) => ({ login: op.login }),
    parse: (p) => ({ op: "enable_user", login: p.login! }),
  },
  delete_user: {
    method: "DELETE",
    path: "/v1/users/{login}",
    params: (op) => ({ login: op.login }),
    parse: (p) => ({ op: "delete_user", login: p.login! }),
  },
  change_plan: {
    method: "PUT",
    path: "/v1/users/{login}/plan",
    params: (op) => ({ login: op.login }),
    body: (op) => ({ plan: op.plan }),
    parse: (p, body) => ({ op: "change_plan", login: p.login!, plan: str(body.plan) }),
  },
  change_role: {
    method: "PUT",
    path: "/v1/users/{login}/role",
    params: (op) => ({ login: op.login }),
    body: (op) => ({ role: op.role }),
    parse: (p, body) => ({ op: "change_role", login: p.login!, role: body.role as Role }),
  },
  set_password: {
    method: "PUT",
    path: "/v1/users/{login}/password",
    params: (op) => ({ login: op.login }),
    body: (op) => (op.rotation ? { rotation: op.rotation } : {}),
    secretField: "password",
    parse: (p, body) => ({ op: "set_password", login: p.login!, rotation: optionalString(body.rotation) }),
  },
  logout: {
    method: "DELETE",
    path: "/v1/users/{login}/sessions",
    params: (op) => ({ login: op.login }),
    parse: (p) => ({ op: "logout", login: p.login! }),
  },
  resend_invitation: {
    method: "POST",
    path: "/v1/users/{login}/invitation",
    params: (op) => ({ login: op.login }),
    parse: (p) => ({ op: "resend_invitation", login: p.login! }),
  },
  add_alias: {
    method: "POST",
    path: "/v1/users/{login}/aliases",
    params: (op) => ({ login: op.login }),
    body: (op) => ({ address: op.address }),
    parse: (p, body) => ({ op: "add_alias", login: p.login!, address: str(body.address) }),
  },
  remove_alias: {
    method: "DELETE",
    path: "/v1/users/{login}/aliases/{address}",
    params: (op) => ({ login: op.login, address: op.address }),
    parse: (p) => ({ op: "remove_alias", login: p.login!, address: p.address! }),
  },
  create_group: {
    method: "POST",
    path: "/v1/groups",
    params: () => ({}),
    body: (op) => ({ name: op.name, description: op.description }),
    parse: (_p, body) => ({
      op: "create_group",
      name: str(body.name),
      description: typeof body.description === "string" ? body.description : "",
    }),
  },
  update_group: {
    method: "PATCH",
    path: "/v1/groups/{name}",
    params: (op) => ({ name: op.name }),
    body: (op) => ({ description: op.description }),
    parse: (p, body) => ({ op: "update_group", name: p.name!, description: str(body.description) }),
  },
  rename_group: {
    method: "POST",
    path: "/v1/groups/{name}/rename",
    params: (op) => ({ name: op.name }),
    body: (op) => ({ name: op.to }),
    parse: (p, body) => ({ op: "rename_group", name: p.name!, to: str(body.name) }),
  },
  delete_group: {
    method: "DELETE",
    path: "/v1/groups/{name}",
    params: (op) => ({ name: op.name }),
    parse: (p) => ({ op: "delete_group", name: p.name! }),
  },
  add_member: {
    method: "PUT",
    path: "/v1/groups/{name}/members/{login}",
    params: (op) => ({ name: op.group, login: op.login }),
    parse: (p) => ({ op: "add_member", group: p.name!, login: p.login! }),
  },
  remove_member: {
    method: "DELETE",
    path: "/v1/groups/{name}/members/{login}",
    params: (op) => ({ name: op.group, login: op.login }),
    parse: (p) => ({ op: "remove_member", group: p.name!, login: p.login! }),
  },
};

/** The route of an operation, or null for the few that have routes of their own (tokens, logins). */
export function routeOf<K extends OperationName>(op: K): OperationRoute<K> | null {
  return (OPERATION_ROUTES as unknown as Partial<Record<OperationName, OperationRoute<K>>>)[op] ?? null;
}

/**
 * The request that carries out an operation. `secret` is the resolved password for the routes that take one;
 * it goes into the body here, at the last moment, and nowhere else.
 */
export function requestOf(operation: RequestedOperation, secret?: string): WireRequest {
  const route = routeOf(operation.op) as OperationRoute<OperationName> | null;
  if (!route) throw new Error(`${operation.op} is not sent as an operation request`);
  const op = operation as never;
  let body = route.body?.(op);
  if (secret !== undefined) {
    if (!route.secretField) throw new Error(`${operation.op} never carries a secret`);
    body = { ...(body ?? {}), [route.secretField]: secret };
  }
  return {
    method: route.method,
    path: pathOf(route.path, route.params(op)),
    ...(body !== undefined ? { body } : {}),
  };
}
