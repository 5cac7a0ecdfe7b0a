import type { BootstrapOptions } from "./service.js";

/** The organization `orgctl serve` creates in an empty database unless flags say otherwise. */
export const DEFAULT_BOOTSTRAP: Omit<BootstrapOptions, "token"> = {
  orgName: "Example Org",
  orgPlan: "pro",
  ownerLogin: "admin",
  ownerEmail: "admin@console.test",
  ownerFirstName: "Org",
  ownerLastName: "Owner",
  ownerPlan: "pro",
  balanceCents: 100_000,
  providerDomain: "console.test",
  verifier: "dns",
};
