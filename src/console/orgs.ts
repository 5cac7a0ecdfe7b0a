import { orgSlugRefusal, type Tenant, unknownOrgPlanRefusal, unknownPlanRefusal } from "../domain/index.js";
import { fromRefusal } from "./errors.js";
import { type BootstrapOptions, ConsoleService } from "./service.js";
import type { AuditActor } from "./store.js";

/**
 * The organizations one console hosts (issue 12): one `ConsoleService` each, over the same database, each
 * store scoped to its organization. Who may act where is decided in src/domain/tenancy.ts.
 */
export class ConsoleOrgs {
  private readonly services = new Map<number, ConsoleService>();
  private tenantsById = new Map<number, Tenant>();
  private idsBySlug = new Map<string, number>();

  constructor(readonly root: ConsoleService) {
    this.services.set(root.orgId, root);
    this.refresh();
  }

  /** Re-reads the organizations' identities (after one is created or made a partner). */
  private refresh(): void {
    const tenants = this.root.store.tenants();
    this.tenantsById = new Map(tenants.map((tenant) => [tenant.id, tenant]));
    this.idsBySlug = new Map(tenants.map((tenant) => [tenant.slug, tenant.id]));
  }

  tenant(id: number): Tenant {
    const tenant = this.tenantsById.get(id);
    if (!tenant) throw new Error(`organization ${id} is not in this console`);
    return tenant;
  }

  /** The organization with `slug`, or null. */
  bySlug(slug: string): Tenant | null {
    const id = this.idsBySlug.get(slug);
    return id === undefined ? null : this.tenant(id);
  }

  /** The service of organization `id`, opened (its state read) on first use. */
  service(id: number): ConsoleService {
    let service = this.services.get(id);
    if (!service) {
      this.tenant(id);
      service = ConsoleService.ofOrg(this.root.store.forOrg(id), this.root.clock);
      this.services.set(id, service);
    }
    return service;
  }

  setPartner(id: number, partner: boolean): void {
    this.root.store.forOrg(id).setPartner(partner);
    this.refresh();
  }

  /**
   * Creates organization `slug` with its owner, managed by `managedBy`, its wallet credited `balanceCents` as
   * a top-up in its ledger. The owner gets no credential: the partner acts in it as org_admin. Audited in the
   * new organization (bootstrap) and, by the caller, in the partner's.
   */
  create(
    input: {
      slug: string;
      bootstrap: BootstrapOptions;
      managedBy: number;
      actor: AuditActor;
      balanceAsTopUp?: boolean;
    },
    /** Written in the same transaction once the organization exists (the partner's audit entry, a replay). */
    alsoWrite?: (service: ConsoleService) => void,
  ): ConsoleService {
    const refusal =
      orgSlugRefusal(input.slug, this.idsBySlug.has(input.slug)) ??
      unknownOrgPlanRefusal(this.root.state.catalog, input.bootstrap.orgPlan) ??
      unknownPlanRefusal(this.root.state.catalog, input.bootstrap.ownerPlan);
    if (refusal) throw fromRefusal(refusal);
    const id = this.root.store.nextOrgId();
    const store = this.root.store.forOrg(id);
    const partner = this.tenant(input.managedBy);
    const now = this.root.now();
    try {
      this.root.store.transaction(() => {
        ConsoleService.bootstrap(store, now, input.bootstrap, {
          tenancy: { slug: input.slug, managed_by: input.managedBy },
          issueToken: false,
          actor: input.actor,
          message: `organization created by partner ${partner.slug}`,
          balanceAsTopUp: input.balanceAsTopUp ?? false,
        });
        this.refresh();
        alsoWrite?.(this.service(id));
      });
    } catch (error) {
      // Nothing of the organization was written: forget whatever was read of it inside the transaction.
      this.services.delete(id);
      this.refresh();
      throw error;
    }
    this.refresh();
    return this.service(id);
  }
}
