import { findPlan } from "./catalog.js";
import type { Decision, Effect } from "./engine.js";
import type { ConsoleState, LedgerDraft, User } from "./model.js";
import { addDays, type Cents, DAYS_PER_PERIOD, type Day, dayNumber, dayOf } from "./money.js";

/**
 * Renews every period that has ended by `now`, oldest first. A user whose renewal the wallet cannot pay is
 * marked `unpaid`; once the wallet can pay again the next pass charges a fresh period starting that day.
 * Returns an empty decision when nothing is due.
 */
export function renewDue(state: ConsoleState, now: Date): Decision {
  const today = dayOf(now);
  const due = [...state.users.values()]
    .filter((user) => user.billing === "unpaid" || dayNumber(user.period_end) <= dayNumber(today))
    .sort((a, b) => a.period_end.localeCompare(b.period_end) || a.login.localeCompare(b.login));
  const effects: Effect[] = [];
  const ledger: LedgerDraft[] = [];
  let balance = state.balance;
  for (const user of due) {
    const price = findPlan(state.catalog, user.plan)?.price_cents ?? 0;
    let next: User = user;
    // A user may have missed several periods while the console was not running.
    while (next.billing === "ok" && dayNumber(next.period_end) <= dayNumber(today)) {
      if (price > balance) {
        next = { ...next, billing: "unpaid" };
        break;
      }
      balance -= price;
      if (price > 0) ledger.push(renewalEntry(next, price, next.period_end));
      next = {
        ...next,
        period_start: next.period_end,
        period_end: addDays(next.period_end, DAYS_PER_PERIOD),
      };
    }
    if (next.billing === "unpaid" && user.billing === "unpaid" && price <= balance) {
      balance -= price;
      if (price > 0) ledger.push(renewalEntry(next, price, today));
      next = { ...next, billing: "ok", period_start: today, period_end: addDays(today, DAYS_PER_PERIOD) };
    }
    if (next !== user) effects.push({ type: "put_user", user: next });
  }
  return { ok: true, effects, ledger };
}

function renewalEntry(user: User, price: Cents, from: Day): LedgerDraft {
  return {
    amount_cents: -price,
    reason: "renewal",
    login: user.login,
    plan: user.plan,
    memo: `${user.login} on ${user.plan} from ${from}`,
  };
}

export interface RenewalForecast {
  login: string;
  plan: string;
  due: Day;
  amount_cents: Cents;
  unpaid: boolean;
}

/** Renewals falling due within `days` days of `now`, by date then login. */
export function forecastRenewals(
  users: Iterable<User>,
  catalog: ConsoleState["catalog"],
  now: Date,
  days: number,
): RenewalForecast[] {
  const horizon = dayNumber(dayOf(now)) + days;
  const out: RenewalForecast[] = [];
  for (const user of users) {
    const price = findPlan(catalog, user.plan)?.price_cents ?? 0;
    if (price === 0) continue;
    if (user.billing === "unpaid" || dayNumber(user.period_end) <= horizon) {
      out.push({
        login: user.login,
        plan: user.plan,
        due: user.period_end,
        amount_cents: price,
        unpaid: user.billing === "unpaid",
      });
    }
  }
  return out.sort((a, b) => a.due.localeCompare(b.due) || a.login.localeCompare(b.login));
}
