/** An amount of money in euro cents. Never a float. */
export type Cents = number;

/** A UTC calendar day as `YYYY-MM-DD`. */
export type Day = string;

export const DAYS_PER_PERIOD = 365;
const MS_PER_DAY = 86_400_000;

export function dayOf(now: Date): Day {
  return now.toISOString().slice(0, 10);
}

export function dayNumber(day: Day): number {
  return Math.floor(Date.parse(`${day}T00:00:00Z`) / MS_PER_DAY);
}

export function addDays(day: Day, days: number): Day {
  return new Date((dayNumber(day) + days) * MS_PER_DAY).toISOString().slice(0, 10);
}

/** Whole UTC days from `today` until `periodEnd`; never negative. */
export function daysLeft(periodEnd: Day, today: Day): number {
  return Math.max(0, dayNumber(periodEnd) - dayNumber(today));
}

/**
 * The prorated difference for a plan change: `(new - old) * days_left / 365`.
 * A charge (positive) rounds up to the cent, a refund (negative) rounds down,
 * so the organization never gains a fraction of a cent from rounding.
 * Returns the signed wallet movement: negative is a charge, positive a refund.
 */
export function prorateChange(oldPrice: Cents, newPrice: Cents, left: number): Cents {
  const delta = (newPrice - oldPrice) * left;
  if (delta > 0) return -Math.ceil(delta / DAYS_PER_PERIOD);
  if (delta < 0) return Math.floor(-delta / DAYS_PER_PERIOD);
  return 0;
}

/** The refund for deleting a user: `floor(price * days_left / 365)`. */
export function unusedRefund(price: Cents, left: number): Cents {
  return Math.floor((price * left) / DAYS_PER_PERIOD);
}

/** `€1,234.50`, `-€3.00`: always two decimals, never a float in between. */
export function formatEuro(cents: Cents): string {
  const sign = cents < 0 ? "-" : "";
  const abs = Math.abs(cents);
  const euros = Math.floor(abs / 100)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const rest = (abs % 100).toString().padStart(2, "0");
  return `${sign}€${euros}.${rest}`;
}
