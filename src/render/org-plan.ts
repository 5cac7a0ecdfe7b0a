import { formatEuro } from "../domain/money.js";
import type { OrgPlanMoney } from "../plan/model.js";

/**
 * The org plan change of a plan's cost summary, in words every renderer shares:
 * `pro → ultra, charge €295.89 (yearly fee €120.00 → €480.00)`.
 */
export function orgPlanWords(change: OrgPlanMoney): string {
  const amount = change.amount_cents;
  const movement =
    amount < 0 ? `charge ${formatEuro(-amount)}` : amount > 0 ? `refund ${formatEuro(amount)}` : "no charge";
  return `${change.from} → ${change.to}, ${movement} (yearly fee ${formatEuro(change.yearly_fee_before_cents)} → ${formatEuro(change.yearly_fee_after_cents)})`;
}
