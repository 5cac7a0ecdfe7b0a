import { findPlan, orgPlanPrice } from "./catalog.js";
import type { Decision, Effect } from "./engine.js";
import type { BillingStatus, ConsoleState, LedgerDraft, Organization, User } from "./model.js";
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

/**
 * The organization's own place in a watermark's `unpaid` set: its org plan renews like a user's plan [MF]. No
 * login can be this (logins have no `@`).
 */
export const ORG_PAYER = "@org";

/** The watermark of `users` (and of the organization's org plan period, when given), from scratch. */
export function renewalWatermark(users: Iterable<User>, org?: Organization): RenewalWatermark {
  const watermark: RenewalWatermark = { next: Number.POSITIVE_INFINITY, unpaid: new Set() };
  for (const user of users) noteUser(watermark, user);
  if (org) notePayer(watermark, ORG_PAYER, org);
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
    else if (effect.type === "put_org") notePayer(watermark, ORG_PAYER, effect.org);
  }
}

function noteUser(watermark: RenewalWatermark, user: User): void {
  notePayer(watermark, user.login, user);
}

function notePayer(watermark: RenewalWatermark, key: string, payer: Period): void {
  if (payer.billing === "unpaid") {
    watermark.unpaid.add(key);
    return;
  }
  watermark.unpaid.delete(key);
  watermark.next = Math.min(watermark.next, dayNumber(payer.period_end));
}

/** What renews: a user's plan or the organization's org plan, each with its yearly period. */
interface Period {
  period_start: Day;
  period_end: Day;
  billing: BillingStatus;
}

/**
 * One payer's renewals up to `today`, from `balance`: every ended period charged in turn (a payer may have
 * missed several while the console was not running), or `unpaid` at the first the wallet cannot pay; an
 * unpaid payer the wallet can pay again gets a fresh period from today. `charged` lists each period's start.
 */
function renewPeriod<P extends Period>(
  payer: P,
  price: Cents,
  today: Day,
  balance: Cents,
): { next: P; balance: Cents; charged: Day[] } {
  let next: P = payer;
  const charged: Day[] = [];
  while (next.billing === "ok" && dayNumber(next.period_end) <= dayNumber(today)) {
    if (price > balance) {
      next = { ...next, billing: "unpaid" };
      break;
    }
    balance -= price;
    if (price > 0) charged.push(next.period_end);
    next = { ...next, period_start: next.period_end, period_end: addDays(next.period_end, DAYS_PER_PERIOD) };
  }
  if (next.billing === "unpaid" && payer.billing === "unpaid" && price <= balance) {
    balance -= price;
    if (price > 0) charged.push(today);
    next = { ...next, billing: "ok", period_start: today, period_end: addDays(today, DAYS_PER_PERIOD) };
  }
  return { next, balance, charged };
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
  const quiet = watermark !== undefined && !periodsMayEnd(watermark, now);
  const candidates = quiet
    ? [...watermark.unpaid].flatMap((login) => state.users.get(login) ?? [])
    : [...state.users.values()];
  const isDue = (payer: Period) =>
    payer.billing === "unpaid" || dayNumber(payer.period_end) <= dayNumber(today);
  const due = candidates
    .filter(isDue)
    .sort((a, b) => a.period_end.localeCompare(b.period_end) || a.login.localeCompare(b.login));
  const effects: Effect[] = [];
  const ledger: LedgerDraft[] = [];
  let balance = state.balance;
  // The org plan is paid first among periods that ended the same day: every seat depends on it.
  const org = state.org;
  const orgDue = (!quiet || watermark.unpaid.has(ORG_PAYER)) && org.period_end !== undefined && isDue(org);
  let orgDone = !orgDue;
  const renewOrg = () => {
    orgDone = true;
    const price = orgPlanPrice(state.catalog, org.plan);
    const run = renewPeriod(org, price, today, balance);
    balance = run.balance;
    for (const from of run.charged) ledger.push(orgRenewalEntry(org, price, from));
    if (run.next !== org) effects.push({ type: "put_org", org: run.next });
  };
  for (const user of due) {
    if (!orgDone && org.period_end.localeCompare(user.period_end) <= 0) renewOrg();
    const price = findPlan(state.catalog, user.plan)?.price_cents ?? 0;
    const run = renewPeriod(user, price, today, balance);
    balance = run.balance;
    for (const from of run.charged) ledger.push(renewalEntry(user, price, from));
    if (run.next !== user) effects.push({ type: "put_user", user: run.next });
  }
  if (!orgDone) renewOrg();
  return { ok: true, effects, ledger };
}

function orgRenewalEntry(org: Organization, price: Cents, from: Day): LedgerDraft {
  return {
    amount_cents: -price,
    reason: "renewal",
    login: null,
    plan: org.plan,
    memo: `organization on the ${org.plan} org plan from ${from}`,
  };
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
  /** The user whose plan renews; null for the organization's own org plan. */
  login: string | null;
  plan: string;
  due: Day;
  amount_cents: Cents;
  unpaid: boolean;
}

/** Who a forecast renewal is for, as outputs name it: the user's login, or the organization's own org plan. */
export function renewalPayer(renewal: RenewalForecast): string {
  return renewal.login ?? "(organization)";
}

/**
 * Renewals falling due within `days` days of `now`, by date then login (the organization's org plan, when
 * `org` is given, first among its day).
 */
export function forecastRenewals(
  users: Iterable<User>,
  catalog: ConsoleState["catalog"],
  now: Date,
  days: number,
  org?: Organization,
): RenewalForecast[] {
  const horizon = dayNumber(dayOf(now)) + days;
  const out: RenewalForecast[] = [];
  const orgPrice = org ? orgPlanPrice(catalog, org.plan) : 0;
  if (org && orgPrice > 0 && (org.billing === "unpaid" || dayNumber(org.period_end) <= horizon)) {
    out.push({
      login: null,
      plan: org.plan,
      due: org.period_end,
      amount_cents: orgPrice,
      unpaid: org.billing === "unpaid",
    });
  }
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
  return out.sort((a, b) => a.due.localeCompare(b.due) || (a.login ?? "").localeCompare(b.login ?? "") || 0);
}
