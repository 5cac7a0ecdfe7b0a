import { type Catalog, findOrgPlan, findPlan } from "../catalog.js";
import { type Refusal, refuse } from "../refusal.js";
import { aliasLimitRefusal, seatLimitRefusal } from "../rules.js";
import type { Context } from "./context.js";

export function planPrice(catalog: Catalog, plan: string): number {
  return findPlan(catalog, plan)?.price_cents ?? 0;
}

export function checkPlanExists(catalog: Catalog, plan: string): Refusal | null {
  if (findPlan(catalog, plan)) return null;
  return refuse(
    "invalid",
    `plan ${plan} is not in the catalog; choose one of ${catalog.plans.map((p) => p.name).join(", ")}`,
    {
      plan,
    },
  );
}

export function checkFunds(ctx: Context, charge: number, what: string): Refusal | null {
  if (ctx.state.balance - charge >= 0) return null;
  const short = charge - ctx.state.balance;
  return refuse(
    "insufficient_funds",
    `${what} costs ${charge} cents but the wallet holds ${ctx.state.balance}; top up at least ${short} cents`,
    { charge_cents: charge, balance_cents: ctx.state.balance, short_cents: short },
  );
}

export function checkSeats(ctx: Context, paidDelta: number, freeDelta: number): Refusal | null {
  const orgPlan = findOrgPlan(ctx.state.catalog, ctx.state.org.plan);
  if (!orgPlan) return null;
  const { paid_seats, free_seats } = ctx.state.counters;
  return seatLimitRefusal(
    orgPlan,
    { paid: paid_seats, free: free_seats },
    { paid: paidDelta, free: freeDelta },
  );
}

/** Whether `login` may have `aliases` aliases on `plan` (a plan missing from the catalog allows none). */
export function checkAliasLimit(
  catalog: Catalog,
  plan: string,
  login: string,
  aliases: number,
): Refusal | null {
  const spec = findPlan(catalog, plan) ?? { name: plan, price_cents: 0, aliases: 0, storage_mb: 0 };
  return aliasLimitRefusal(spec, login, aliases);
}
