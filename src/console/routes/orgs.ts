import { API } from "../../api/routes.js";
import {
  actsInManagedOrgs,
  defaultOwnerPlan,
  mayCreateOrgs,
  partnerLogin,
  type Role,
} from "../../domain/index.js";
import { ApiError } from "../errors.js";
import { limitOf } from "../http.js";
import { DEFAULT_BOOTSTRAP, SYSTEM_ACTOR } from "../service.js";
import type { OrgListing } from "../store.js";
import { json, me, type RequestContext, type RouteResult, type RouteTable } from "./context.js";

/** The caller's own organization, where the organizations routes act (never served under a prefix). */
function homeOf(ctx: RequestContext) {
  const home = ctx.home;
  if (!home) throw new ApiError(401, "unauthenticated", "send Authorization: Bearer <token>");
  return { service: home, tenant: ctx.orgs.tenant(home.orgId), role: me(ctx).role as Role };
}

/** Organizations of one console (issue 12): those the caller may act in, and a partner creating one. */
export const ORGS_ROUTES: RouteTable<"orgs" | "createOrg"> = {
  orgs: {
    consoleWide: true,
    handler(ctx) {
      ctx.subject = { action: "list_orgs", target: "orgs", fields: [] };
      const { service, tenant, role } = homeOf(ctx);
      const limit = limitOf(ctx.query);
      const cursor = ctx.query.get("cursor");
      const after = cursor ? String(ctx.cursors.decode("orgs", cursor)) : "";
      // The page is the caller's own organization and, for a partner's org_admins, the ones it manages
      // (actsInManagedOrgs: exactly where actingRole in src/domain/tenancy.ts lets them act).
      const rows = service.store.orgsPage(after, limit + 1, actsInManagedOrgs(tenant, role));
      const page = rows.slice(0, limit);
      const next = rows.length > limit ? ctx.cursors.encode("orgs", page[page.length - 1]!.slug) : null;
      return json(200, { items: page, next_cursor: next });
    },
  },
  createOrg: {
    consoleWide: true,
    handler(ctx): RouteResult {
      const body = ctx.body as {
        slug: string;
        name: string;
        plan: string;
        owner: { login: string; first_name: string; last_name: string; email: string; plan?: string };
      };
      ctx.subject = { action: "create_org", target: `org/${body.slug}`, fields: [] };
      const { service: home, tenant, role } = homeOf(ctx);
      if (!mayCreateOrgs(tenant, role)) {
        throw new ApiError(
          403,
          "forbidden",
          `only the org_admins of a partner organization may create organizations; ${tenant.slug} is ${tenant.partner ? `a partner, and a ${role} may not` : "not a partner"}`,
          { role },
        );
      }
      const replayed = home.replay(ctx.options.idempotency);
      if (replayed) {
        return { status: replayed.status, body: replayed.body, headers: { "idempotent-replayed": "true" } };
      }
      home.checkRevision(ctx.options.ifMatch);
      const idempotency = ctx.options.idempotency;
      const partner = home.state.org;
      const listing: OrgListing = {
        slug: body.slug,
        name: body.name,
        plan: body.plan,
        managed_by: tenant.slug,
        partner: false,
      };
      const answer = JSON.stringify(listing);
      ctx.orgs.create(
        {
          slug: body.slug,
          managedBy: tenant.id,
          // In the new organization's log the partner's user is named as everywhere it acts for the partner.
          actor: { ...ctx.actor, login: partnerLogin(tenant.slug, me(ctx).login) },
          bootstrap: {
            ...DEFAULT_BOOTSTRAP,
            orgName: body.name,
            orgPlan: body.plan,
            ownerLogin: body.owner.login,
            ownerEmail: body.owner.email.toLowerCase(),
            ownerFirstName: body.owner.first_name,
            ownerLastName: body.owner.last_name,
            ownerPlan: body.owner.plan ?? defaultOwnerPlan(home.state.catalog),
            // A new organization's wallet starts empty: its partner tops it up under the prefix.
            balanceCents: 0,
            providerDomain: partner.provider_domain,
            verifier: partner.verifier,
            catalog: home.state.catalog,
          },
        },
        () => {
          const now = home.now();
          home.store.appendAudit(
            {
              actor: ctx.actor ?? SYSTEM_ACTOR,
              action: "create_org",
              target: `org/${body.slug}`,
              fields: [],
              outcome: "ok",
              code: null,
              message: null,
              idempotency_key: idempotency?.key ?? null,
            },
            now,
          );
          if (idempotency)
            home.store.saveIdempotent(
              idempotency.scope,
              idempotency.key,
              idempotency.requestHash,
              { status: 201, body: answer },
              now,
            );
        },
      );
      return {
        status: 201,
        body: answer,
        headers: { location: `${API.orgs.path}/${encodeURIComponent(body.slug)}` },
      };
    },
  },
};
