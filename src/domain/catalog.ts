import type { Cents } from "./money.js";
import { type Refusal, refuse } from "./refusal.js";

export interface PlanSpec {
  name: string;
  price_cents: Cents;
  aliases: number;
  storage_mb: number;
}

export interface OrgPlanSpec {
  name: string;
  /** The org plan's own yearly fee [MF], charged to the wallet like a user plan; absent in old catalogs: 0. */
  price_cents?: Cents;
  paid_seats: number;
  free_seats: number;
  custom_domains: number;
}

/** What the console sells. Served by the console; the planner reads it, never hard-codes it. */
export interface Catalog {
  currency: "EUR";
  period_days: number;
  plans: PlanSpec[];
  org_plans: OrgPlanSpec[];
}

export const DEFAULT_CATALOG: Catalog = {
  currency: "EUR",
  period_days: 365,
  plans: [
    { name: "free", price_cents: 0, aliases: 0, storage_mb: 500 },
    { name: "entry", price_cents: 4200, aliases: 10, storage_mb: 5_000 },
    { name: "pro", price_cents: 9000, aliases: 50, storage_mb: 20_000 },
    { name: "ultra", price_cents: 30000, aliases: 100, storage_mb: 50_000 },
  ],
  org_plans: [
    { name: "entry", price_cents: 0, paid_seats: 2, free_seats: 2, custom_domains: 1 },
    { name: "pro", price_cents: 12000, paid_seats: 190, free_seats: 10, custom_domains: 3 },
    { name: "ultra", price_cents: 48000, paid_seats: 990, free_seats: 10, custom_domains: 10 },
  ],
};

export function findPlan(catalog: Catalog, name: string): PlanSpec | undefined {
  return catalog.plans.find((p) => p.name === name);
}

export function findOrgPlan(catalog: Catalog, name: string): OrgPlanSpec | undefined {
  return catalog.org_plans.find((p) => p.name === name);
}

/** The yearly fee of an org plan (0 when the catalog names none, or does not have the plan). */
export function orgPlanPrice(catalog: Catalog, name: string): Cents {
  return findOrgPlan(catalog, name)?.price_cents ?? 0;
}

/** A seat is paid when the user's plan costs money. */
export function isPaidPlan(catalog: Catalog, name: string): boolean {
  return (findPlan(catalog, name)?.price_cents ?? 0) > 0;
}

/** A user's plan is one the catalog sells; any other is refused as invalid, by the console and by `validate`. */
export function unknownPlanRefusal(catalog: Catalog, plan: string): Refusal | null {
  if (findPlan(catalog, plan)) return null;
  return refuse(
    "invalid",
    `plan ${plan} is not in the catalog; choose one of ${catalog.plans.map((p) => p.name).join(", ")}`,
    {
      plan,
    },
  );
}

/** The organization's plan is one the catalog sells; any other is refused as invalid. */
export function unknownOrgPlanRefusal(catalog: Catalog, orgPlan: string): Refusal | null {
  if (findOrgPlan(catalog, orgPlan)) return null;
  return refuse(
    "invalid",
    `org plan ${orgPlan} is not in the catalog; choose one of ${catalog.org_plans.map((p) => p.name).join(", ")}`,
    { org_plan: orgPlan },
  );
}
