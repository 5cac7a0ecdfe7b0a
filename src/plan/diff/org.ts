import { fixOf, ownerChangeRefusal } from "../../domain/index.js";
import { orgPlanDraft } from "../org-plan-step.js";
import type { DiffContext } from "./context.js";

/** The organization: its name (the one thing orgctl changes), and what org.yaml must agree on. */
export function diffOrg(ctx: DiffContext): void {
  const { desired, live, source, errors, add, at } = ctx;
  const orgPlan = orgPlanDraft(desired, live, source);
  if (orgPlan) add(orgPlan);
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
