import { fixOf, ownerChangeRefusal } from "../../domain/index.js";
import type { DiffContext } from "./context.js";

/** The organization: its name (the one thing orgctl changes), and what org.yaml must agree on. */
export function diffOrg(ctx: DiffContext): void {
  const { desired, live, source, errors, add, at } = ctx;
  if (desired.organization.plan && desired.organization.plan !== live.org.plan) {
    errors.push({
      code: "org_plan_mismatch",
      message: `org.yaml expects the ${desired.organization.plan} org plan but the console has ${live.org.plan}`,
      fix: `orgctl never changes the org plan: change it with the provider, or set organization.plan to ${live.org.plan}`,
      source: source(["organization", "plan"]),
    });
  }
  if (desired.organization.provider_domain !== live.org.provider_domain) {
    errors.push({
      code: "invalid",
      message: `org.yaml says the provider domain is ${desired.organization.provider_domain} but the console's is ${live.org.provider_domain}`,
      fix: `set organization.provider_domain to ${live.org.provider_domain}`,
      source: source(["organization", "provider_domain"]),
    });
  }
  if (desired.organization.name !== live.org.name) {
    add({
      summary: `rename the organization "${live.org.name}" → "${desired.organization.name}"`,
      operation: { op: "update_org", name: desired.organization.name },
      secret: null,
      patch: [{ op: "replace", path: "/name", value: desired.organization.name }],
      was: { name: live.org.name },
    });
  }

  const markedOwner = desired.users.find((u) => u.owner);
  const ownerChange = markedOwner ? ownerChangeRefusal(live.org.owner, markedOwner.login) : null;
  if (markedOwner && ownerChange) {
    errors.push({
      code: ownerChange.code,
      message: ownerChange.message,
      fix: fixOf(ownerChange),
      source: at(markedOwner.login, "owner"),
    });
  }
}
