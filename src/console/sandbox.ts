import type { DesiredOrg } from "../config/model.js";
import { isActiveOrgAdmin, splitAddress } from "../domain/index.js";
import { type RunningConsole, startConsole } from "./server.js";
import { type BootstrapOptions, type Clock, DEFAULT_BOOTSTRAP, SYSTEM_ACTOR } from "./service.js";

/** The sandbox's token when ORGCTL_TOKEN is not set. It only ever guards a local file. */
export const SANDBOX_TOKEN = "orgctl-sandbox";
/** €100,000: enough for every example to plan and apply. */
export const SANDBOX_BALANCE_CENTS = 10_000_000;

/**
 * The organization a new sandbox starts with: named and sized like org.yaml says, owned by the user marked
 * `owner: true` (or the first org_admin) when that user's email is on the provider domain, else by `admin`.
 */
export function sandboxBootstrap(
  desired: DesiredOrg | null,
  token: string,
  balanceCents: number,
): BootstrapOptions {
  const provider = desired?.organization.provider_domain ?? DEFAULT_BOOTSTRAP.providerDomain;
  const users = desired?.users ?? [];
  const candidate = users.find((u) => u.owner) ?? users.find(isActiveOrgAdmin);
  const owner = candidate && splitAddress(candidate.email)?.domain === provider ? candidate : null;
  return {
    ...DEFAULT_BOOTSTRAP,
    orgName: desired?.organization.name ?? DEFAULT_BOOTSTRAP.orgName,
    orgPlan: desired?.organization.plan ?? DEFAULT_BOOTSTRAP.orgPlan,
    providerDomain: provider,
    verifier: "auto",
    balanceCents,
    token,
    ...(owner
      ? {
          ownerLogin: owner.login,
          ownerEmail: owner.email,
          ownerFirstName: owner.first_name,
          ownerLastName: owner.last_name,
          ownerPlan: owner.plan,
        }
      : { ownerEmail: `admin@${provider}` }),
  };
}

/** Runs the console engine in this process, on a loopback port, over a local SQLite file. */
export function startSandbox(
  dbPath: string,
  bootstrap: BootstrapOptions,
  clock: Clock,
): Promise<RunningConsole> {
  return startConsole({ dbPath, host: "127.0.0.1", port: 0, clock, bootstrap });
}

/**
 * Creates sandbox organization `slug` unless it exists: named, sized and owned as `sandboxBootstrap` chooses
 * for `desired`, its wallet credited `balanceCents` as a top-up, managed by the sandbox's own organization.
 * An owner address already taken in the console (the default owner's,
 * `admin@<provider>`, is the sandbox's own owner's) becomes `admin-<slug>@<provider>`. The sandbox's own
 * organization becomes a partner, so that its token (SANDBOX_TOKEN) acts as org_admin in
 * every sandbox organization through the organization prefix (`ORG_SCOPE`). Returns whether it created the organization.
 */
export async function ensureSandboxOrg(
  running: RunningConsole,
  input: { slug: string; desired: DesiredOrg | null; balanceCents: number },
): Promise<boolean> {
  const { orgs } = running;
  const root = orgs.root;
  if (!orgs.tenant(root.orgId).partner) orgs.setPartner(root.orgId, true);
  if (orgs.bySlug(input.slug)) return false;
  const chosen = sandboxBootstrap(input.desired, SANDBOX_TOKEN, input.balanceCents);
  // Addresses are unique in the console: the default owner (`admin@<provider>`, the sandbox's own owner's
  // too) gets the organization's slug in its address when the plain one is taken.
  const bootstrap = root.store.addressInUse(chosen.ownerEmail)
    ? { ...chosen, ownerEmail: `admin-${input.slug}@${chosen.providerDomain}` }
    : chosen;
  orgs.create({
    slug: input.slug,
    managedBy: root.orgId,
    actor: SYSTEM_ACTOR,
    balanceAsTopUp: true,
    bootstrap: { ...bootstrap, catalog: root.state.catalog },
  });
  return true;
}
