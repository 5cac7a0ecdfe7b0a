import { type DiffContext, stepId } from "./context.js";

/** Domains: created, verified (by DNS, or at once by an auto verifier), and pruned when unlisted. */
export function diffDomains(ctx: DiffContext): void {
  const { desired, live, add } = ctx;
  const desiredDomains = new Set(desired.domains.map((d) => d.name));
  for (const { name } of desired.domains) {
    const current = live.domains.get(name);
    if (!current) {
      add({
        summary: `add domain ${name}`,
        operation: { op: "create_domain", name, verification_token: "planned" },
        secret: null,
      });
    }
    if (!current || current.status === "pending") {
      add({
        summary: `verify domain ${name}`,
        operation: { op: "verify_domain", name },
        secret: null,
        patch: [{ op: "replace", path: "/status", value: "verified" }],
        was: { status: current?.status ?? null },
        deps: current ? [] : [stepId("domain", name, "create_domain")],
        needsDomain: name,
      });
    }
  }
  if (desired.policy.unlisted.domains === "prune") {
    for (const name of [...live.domains.keys()].sort()) {
      if (desiredDomains.has(name)) continue;
      ctx.domainDeletes.push(
        add({
          summary: `remove domain ${name}`,
          operation: { op: "delete_domain", name },
          secret: null,
        }),
      );
    }
  }
}

/** The verification step an address on a custom domain waits for, if this plan verifies that domain. */
export function domainReady(ctx: DiffContext, address: string): string[] {
  const domain = ctx.customDomainOf(address);
  if (!domain) return [];
  const verify = stepId("domain", domain, "verify_domain");
  return ctx.steps.has(verify) ? [verify] : [];
}

/**
 * A domain is removed after its last address: each removal waits for the steps that delete a user or remove
 * an alias on it. A domain still used by an address that stays is refused by the engine (domain_in_use)
 * when the scheduler simulates its removal: that refusal, with its fix, is the plan's error.
 */
export function orderDomainDeletes(ctx: DiffContext): void {
  const { live, steps, domainDeletes } = ctx;
  for (const step of steps.values()) {
    if (step.action === "delete_user" || step.action === "remove_alias") {
      for (const del of domainDeletes) {
        const addresses =
          step.action === "delete_user"
            ? (() => {
                const user = live.users.get(step.key)!;
                return [user.email, ...user.aliases];
              })()
            : [step.key];
        if (addresses.some((a) => ctx.customDomainOf(a) === del.key)) del.deps.add(step.id);
      }
    }
  }
}
