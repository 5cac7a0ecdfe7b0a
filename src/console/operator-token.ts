import { draftApiToken, issueApiToken } from "./credential-service.js";
import { ApiError } from "./errors.js";
import { type Clock, ConsoleService } from "./service.js";
import type { AuditActor, ConsoleStore } from "./store.js";

/** The console operator, as the audit log names it: whoever holds the database file. */
export const OPERATOR_ACTOR: AuditActor = { kind: "system", login: null, credential: null };

export interface OwnerTokenIssued {
  id: string;
  org: string;
  login: string;
  name: string;
  expires_at: string;
  token: string;
}

/**
 * Issues an API token for the owner of organization `slug`, as the console operator. An organization a
 * partner creates has an owner with no credential, and no one over HTTP may obtain one for them (owner
 * protection); whoever holds the database already holds every right in it, so this gives nobody more than they
 * have. The rule engine still decides (a disabled owner gets none), the per-user limit holds, the token is
 * stored hashed, and the organization's audit log records the issue.
 */
export async function issueOwnerToken(
  store: ConsoleStore,
  clock: Clock,
  request: { slug: string; name?: string | undefined; days?: number | undefined },
): Promise<OwnerTokenIssued> {
  const tenants = store.tenants();
  const tenant = tenants.find((t) => t.slug === request.slug);
  if (!tenant) {
    throw new ApiError(404, "not_found", `there is no organization ${request.slug} in this database`, {
      slugs: tenants.map((t) => t.slug).sort(),
    });
  }
  const service = ConsoleService.ofOrg(store.forOrg(tenant.id), clock);
  const owner = service.state.org.owner;
  const draft = draftApiToken(service.now(), owner, request.name ?? "owner", request.days);
  const issued = await issueApiToken(
    service,
    draft,
    { kind: "system" },
    { ifMatch: null, actor: OPERATOR_ACTOR },
  );
  return { org: tenant.slug, ...issued };
}
