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
  /** Any kind of record kept by name, as the console keeps it: new kinds need no list route of their own. */
  records: { method: "GET", path: "/v1/records/{kind}" },
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

/**
 * Many organizations per console (issue 12): every org-scoped route `/v1/X` is also served at
 * `/v1/orgs/{slug}/X`, acting in organization `slug`. Console-wide routes (healthz, the organizations list)
 * are not.
 */
export const ORG_SCOPE = "/v1/orgs/{slug}";

/** `/v1/orgs/{slug}/X` as its slug (still percent-encoded) and the route path `/v1/X`; null for any other path. */
export function splitOrgScope(path: string): { slug: string; path: string } | null {
  const match = /^\/v1\/orgs\/([^/]+)(\/.+)$/.exec(path);
  return match ? { slug: match[1]!, path: `${API_PREFIX}${match[2]!}` } : null;
}

/** `path` (a path of this API, `/v1/X`) as served in organization `slug`. */
export function orgScopedPath(slug: string, path: string): string {
  return `${pathOf(ORG_SCOPE, { slug })}${path.slice(API_PREFIX.length)}`;
}

/** A route's path with its `{name}` parameters filled in, each percent-encoded as one path segment. */
export function pathOf(template: string, params: Record<string, string> = {}): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`${template} needs the parameter ${name}`);
    return encodeURIComponent(value);
  });
}
