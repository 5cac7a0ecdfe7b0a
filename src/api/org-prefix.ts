/**
 * Where a request goes on a console that hosts many organizations (issue 12): every org-scoped route `/v1/X`
 * is also served at `/v1/orgs/{slug}/X`, for that organization. The console-wide routes (health, the list of
 * organizations) and the caller's own account (`/v1/me`, which lives in the token's own organization) are
 * never prefixed. THE one place the client gives a path its organization; the prefix itself is the API's
 * (`orgScopedPath` in src/api/routes.ts, which the console parses with `splitOrgScope`).
 */
import { orgScopedPath } from "./routes.js";

/** An organization's slug, as org.yaml's `organization.slug` and the console spell it. */
export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

const CONSOLE_WIDE = [/^\/v1\/healthz$/, /^\/v1\/orgs(?:\/.*)?$/, /^\/v1\/me(?:\/.*)?$/];

/** `/v1/users` → `/v1/orgs/acme/users` when `org` is `acme`; unchanged without an org or for a console-wide route. */
export function orgPath(pathname: string, org: string | null): string {
  if (org === null || !pathname.startsWith("/v1/")) return pathname;
  if (CONSOLE_WIDE.some((re) => re.test(pathname))) return pathname;
  if (!SLUG_PATTERN.test(org)) throw new Error(`${JSON.stringify(org)} is not an organization slug`);
  return orgScopedPath(org, pathname);
}
