/** What every path of the console API starts with; the endpoint a user gives is the URL it is served under. */
export const API_PREFIX = "/v1";

/** An HTTP method of the console API. */
export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** One route of the console API: its method and path template (`/v1/users/{login}`), as console-api.yaml names it. */
export interface RouteSpec {
  method: HttpMethod;
  path: string;
}

/**
 * The routes that are not one domain operation each: reads, self-service, credentials, the apply lock, bulk
 * actions and the audit log. The console declares its routes from this table and `OPERATION_ROUTES`, and
 * the client calls them through it, so that a path is written once (schemas/console-api.yaml describes them,
 * test/api/table.test.ts holds the two together).
 */
export const API = {
  healthz: { method: "GET", path: "/v1/healthz" },
  org: { method: "GET", path: "/v1/org" },
  me: { method: "GET", path: "/v1/me" },
  updateMe: { method: "PATCH", path: "/v1/me" },
  myPassword: { method: "PUT", path: "/v1/me/password" },
  catalog: { method: "GET", path: "/v1/catalog" },
  wallet: { method: "GET", path: "/v1/wallet" },
  ledger: { method: "GET", path: "/v1/wallet/ledger" },
  domains: { method: "GET", path: "/v1/domains" },
  users: { method: "GET", path: "/v1/users" },
  user: { method: "GET", path: "/v1/users/{login}" },
  usersBulk: { method: "POST", path: "/v1/users/bulk" },
  retiredAddresses: { method: "GET", path: "/v1/addresses/retired" },
  groups: { method: "GET", path: "/v1/groups" },
  group: { method: "GET", path: "/v1/groups/{name}" },
  tokens: { method: "GET", path: "/v1/tokens" },
  issueToken: { method: "POST", path: "/v1/tokens" },
  revokeToken: { method: "DELETE", path: "/v1/tokens/{id}" },
  login: { method: "POST", path: "/v1/sessions" },
  audit: { method: "GET", path: "/v1/audit" },
  lock: { method: "GET", path: "/v1/lock" },
  takeLock: { method: "POST", path: "/v1/lock" },
  releaseLock: { method: "DELETE", path: "/v1/lock" },
  orgs: { method: "GET", path: "/v1/orgs" },
  createOrg: { method: "POST", path: "/v1/orgs" },
} as const satisfies Record<string, RouteSpec>;

/** A route's path with its `{name}` parameters filled in, each percent-encoded as one path segment. */
export function pathOf(template: string, params: Record<string, string> = {}): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`${template} needs the parameter ${name}`);
    return encodeURIComponent(value);
  });
}
