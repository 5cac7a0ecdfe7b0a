import { findPlan } from "./catalog.js";
import type { Decision, Effect } from "./engine.js";
import type { ConsoleState, LedgerDraft, User } from "./model.js";
import { addDays, type Cents, DAYS_PER_PERIOD, type Day, dayNumber, dayOf } from "./money.js";

/**
 * What lets a console skip the renewal pass on most requests: no user in good standing is due before `next`
 * (a day number; it may be earlier than the true first due day, never later), and only the `unpaid` users
 * can be renewed before it.
 */
export interface RenewalWatermark {
  next: number;
  unpaid: Set<string>;
}

/** The watermark of `users`, from scratch. */
export function renewalWatermark(users: Iterable<User>): RenewalWatermark {
  const watermark: RenewalWatermark = { next: Number.POSITIVE_INFINITY, unpaid: new Set() };
  for (const user of users) noteUser(watermark, user);
  return watermark;
}

/**
 * Keeps a watermark a lower bound after `effects` are applied. A user who leaves only makes it lower than it
 * needs to be, which costs one extra pass, never a missed renewal.
 */
export function noteRenewalEffects(watermark: RenewalWatermark, effects: readonly Effect[]): void {
  for (const effect of effects) {
    if (effect.type === "put_user") noteUser(watermark, effect.user);
    else if (effect.type === "delete_user") watermark.unpaid.delete(effect.login);
  }
}

function noteUser(watermark: RenewalWatermark, user: User): void {
  if (user.billing === "unpaid") {
    watermark.unpaid.add(user.login);
    return;
  }
  watermark.unpaid.delete(user.login);
  watermark.next = Math.min(watermark.next, dayNumber(user.period_end));
}

/** Whether a user in good standing may be due on `now`'s day: only then must every user be looked at. */
export function periodsMayEnd(watermark: RenewalWatermark, now: Date): boolean {
  return dayNumber(dayOf(now)) >= watermark.next;
}

/**
 * Renews every period that has ended by `now`, oldest first. A user whose renewal the wallet cannot pay is
 * marked `unpaid`; once the wallet can pay again the next pass charges a fresh period starting that day.
 * Returns an empty decision when nothing is due. With a `watermark` of `state` that says no period in good
 * standing has ended, only the unpaid users are looked at: the decision is the same, at a cost that does not
 * grow with the organization.
 */
export function renewDue(state: ConsoleState, now: Date, watermark?: RenewalWatermark): Decision {
  const today = dayOf(now);
  const candidates =
    watermark && !periodsMayEnd(watermark, now)
      ? [...watermark.unpaid].flatMap((login) => state.users.get(login) ?? [])
      : [...state.users.values()];
  const due = candidates
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
