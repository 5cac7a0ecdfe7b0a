import { customDomainNameRefusal, normalizeAddress, verificationRecord } from "../addresses.js";
import { findOrgPlan } from "../catalog.js";
import type { Domain } from "../model.js";
import { refuse } from "../refusal.js";
import { domainLimitRefusal } from "../rules.js";
import { provesOwnership, verifiesWithoutDns } from "../verification.js";
import { deleteRecord, type Handlers, no, ok, permit, putRecord } from "./context.js";

export const DOMAIN_HANDLERS: Handlers<"create_domain" | "verify_domain" | "delete_domain"> = {
  create_domain(ctx, op) {
    const denied = permit(ctx, "manage_domains");
    if (denied) return no(denied);
    const name = normalizeAddress(op.name);
    const badName = customDomainNameRefusal(ctx.state.org.provider_domain, name);
    if (badName) return no(badName);
    if (ctx.state.domains.has(name))
      return no(refuse("conflict", `domain ${name} already exists`, { domain: name }));
    const orgPlan = findOrgPlan(ctx.state.catalog, ctx.state.org.plan) ?? {
      name: ctx.state.org.plan,
      paid_seats: 0,
      free_seats: 0,
      custom_domains: 0,
    };
    const full = domainLimitRefusal(orgPlan, ctx.state.domains.size, 1);
    if (full) return no(full);
    const domain: Domain = {
      name,
      status: verifiesWithoutDns(ctx.state.org) ? "verified" : "pending",
      verification_token: op.verification_token,
      created_at: ctx.now.toISOString(),
      verified_at: verifiesWithoutDns(ctx.state.org) ? ctx.now.toISOString() : null,
    };
    return ok([putRecord("domains", domain)]);
  },

  verify_domain(ctx, op) {
    const denied = permit(ctx, "manage_domains");
    if (denied) return no(denied);
    const domain = ctx.state.domains.get(op.name);
    if (!domain) return no(refuse("not_found", `domain ${op.name} does not exist`, { domain: op.name }));
    if (domain.status === "verified") return ok();
    const record = verificationRecord(domain.name, domain.verification_token);
    if (!verifiesWithoutDns(ctx.state.org) && !provesOwnership(domain, op.txt_values ?? [])) {
      return no(
        refuse(
          "domain_unverified",
          `no TXT record ${record.value} at ${record.name}; publish it, wait for DNS, then verify again`,
          {
            domain: domain.name,
            txt_record: record,
          },
        ),
      );
    }
    return ok([putRecord("domains", { ...domain, status: "verified", verified_at: ctx.now.toISOString() })]);
  },

  delete_domain(ctx, op) {
    const denied = permit(ctx, "manage_domains");
    if (denied) return no(denied);
    if (!ctx.state.domains.has(op.name))
      return no(refuse("not_found", `domain ${op.name} does not exist`, { domain: op.name }));
    const suffix = `@${op.name}`;
    for (const [address, holder] of ctx.state.addresses) {
      if (holder.kind !== "retired" && address.endsWith(suffix)) {
        return no(
          refuse(
            "domain_in_use",
            `${op.name} is still used by ${address} (${holder.login}); remove that address first`,
            {
              domain: op.name,
              address,
              login: holder.login,
            },
          ),
        );
      }
    }
    return ok([deleteRecord("domains", op.name)]);
  },
};
