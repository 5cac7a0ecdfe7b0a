import { type ConsoleState, dayOf, findPlan, forecastRenewals, orgPlanPrice } from "../../domain/index.js";
import type { MoneySummary, PlanIssue, PlanStep } from "../model.js";
import { orgPlanMoney } from "../org-plan-step.js";

export const RENEWAL_HORIZON_DAYS = 30;

/**
 * Stage 5, price: the wallet before and after, the charges and refunds, the lowest point, the yearly cost
 * before and after, the renewals due soon after the plan, and what the plan lacks when it is short.
 */
export function price(
  state: ConsoleState,
  final: ConsoleState,
  steps: PlanStep[],
  errors: PlanIssue[],
  minBalance: number,
  now: Date,
  shortfall: () => number,
): MoneySummary {
  const charges = steps.reduce((sum, s) => sum + Math.min(0, s.amount_cents), 0);
  const refunds = steps.reduce((sum, s) => sum + Math.max(0, s.amount_cents), 0);
  const lowest = steps.reduce((low, s) => Math.min(low, s.balance_after_cents), state.balance);
  const orgPlanChange = orgPlanMoney(state, final, steps);
  return {
    currency: "EUR",
    balance_before_cents: state.balance,
    balance_after_cents: final.balance + minBalance,
    charges_cents: -charges,
    refunds_cents: refunds,
    lowest_balance_cents: lowest,
    min_balance_cents: minBalance,
    yearly_cost_before_cents: yearlyCost(state),
    yearly_cost_after_cents: yearlyCost(final),
    ...(orgPlanChange ? { org_plan: orgPlanChange } : {}),
    renewals_due: forecastRenewals(final.users.values(), final.catalog, now, RENEWAL_HORIZON_DAYS, final.org),
    renewals_horizon_days: RENEWAL_HORIZON_DAYS,
    shortfall_cents: errors.some((e) => e.code === "insufficient_funds") ? shortfall() : 0,
    priced_on: dayOf(now),
  };
}

/** What the organization's plans cost per year: every user's plan and the org plan's own fee. */
function yearlyCost(state: ConsoleState): number {
  let total = orgPlanPrice(state.catalog, state.org.plan);
  for (const user of state.users.values()) total += findPlan(state.catalog, user.plan)?.price_cents ?? 0;
  return total;
}
