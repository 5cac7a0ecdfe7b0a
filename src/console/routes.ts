import { API } from "../api/routes.js";
import { ADDRESS_ROUTES } from "./routes/addresses.js";
import { AUDIT_ROUTES } from "./routes/audit.js";
import type { ApiRouteName, Route, RouteTable } from "./routes/context.js";
import { DOMAIN_ROUTES } from "./routes/domains.js";
import { GROUP_ROUTES } from "./routes/groups.js";
import { LOCK_ROUTES } from "./routes/lock.js";
import { ME_ROUTES } from "./routes/me.js";
import { OPERATION_ROUTE_LIST } from "./routes/operations.js";
import { ORG_ROUTES } from "./routes/org.js";
import { ORGS_ROUTES } from "./routes/orgs.js";
import { RECORD_ROUTES } from "./routes/records.js";
import { SESSION_ROUTES } from "./routes/sessions.js";
import { TOKEN_ROUTES } from "./routes/tokens.js";
import { USER_ROUTES } from "./routes/users.js";
import { WALLET_ROUTES } from "./routes/wallet.js";
import { requestHash } from "./service.js";

export { MAX_API_TOKENS_PER_USER, MAX_SESSIONS_PER_USER, TOKEN_DAYS_DEFAULT } from "./credential-service.js";
export { LOCK_TTL_MAX_SECONDS } from "./lock-service.js";
export type { RequestContext, Route, RouteResult } from "./routes/context.js";

/**
 * The console's handling of every named route of the API table, one module per resource (src/console/routes/).
 * The type makes the table complete: a route added to `API` without its handling here does not compile, and
 * a handling for a route the table does not name cannot be written. Methods and paths come from the table.
 */
const HANDLING: RouteTable<ApiRouteName> = {
  ...ORG_ROUTES,
  ...ME_ROUTES,
  ...WALLET_ROUTES,
  ...DOMAIN_ROUTES,
  ...USER_ROUTES,
  ...ADDRESS_ROUTES,
  ...GROUP_ROUTES,
  ...RECORD_ROUTES,
  ...TOKEN_ROUTES,
  ...SESSION_ROUTES,
  ...AUDIT_ROUTES,
  ...LOCK_ROUTES,
  ...ORGS_ROUTES,
};

/** Every route the console serves: the named routes of the API table, then one per domain operation. */
export const ROUTES: Route[] = [
  ...(Object.keys(HANDLING) as ApiRouteName[]).map((name) => ({
    method: API[name].method,
    template: API[name].path,
    ...HANDLING[name],
  })),
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
