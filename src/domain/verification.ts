import { verificationRecord } from "./addresses.js";
import type { Domain, Organization } from "./model.js";

/**
 * Whether the console verifies custom domains on its own (the auto verifier): then a new domain is verified
 * when it is created and a pending one when asked, with no DNS proof. Otherwise its TXT record proves it.
 */
export function verifiesWithoutDns(org: Pick<Organization, "verifier">): boolean {
  return org.verifier === "auto";
}

/** Whether TXT values found in DNS prove ownership of `domain`: its verification record is among them. */
export function provesOwnership(
  domain: Pick<Domain, "name" | "verification_token">,
  txtValues: readonly string[],
): boolean {
  return txtValues.includes(verificationRecord(domain.name, domain.verification_token).value);
}
