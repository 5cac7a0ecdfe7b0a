import {
  type Catalog,
  type Cents,
  dayNumber,
  dayOf,
  findPlan,
  invitedSince,
  isPaidPlan,
  type Role,
  type User,
  type UserStatus,
} from "../domain/index.js";

/**
 * Who uses the organization's seats and what each costs a year, and the seats worth a second look [RI]: paid
 * seats nobody has logged in to for `inactive_days`, and invitations pending that long. A cost recommendation
 * in Infracost's spirit: read-only facts, never steps. Pure: the console's clock (`now`) is an input.
 */

/** What the review needs of a user: a console record or its API representation both fit. */
export type SeatUser = Pick<
  User,
  "login" | "plan" | "role" | "status" | "last_login_at" | "created_at" | "invited_at"
>;

export interface UserSeat {
  login: string;
  plan: string;
  role: Role;
  status: UserStatus;
  owner: boolean;
  paid: boolean;
  last_login_at: string | null;
  /** When the pending invitation was last sent; null unless `status` is invited. */
  invited_at: string | null;
  /** The plan's price per yearly period, from the console's catalog. */
  yearly_cents: Cents;
}

export type FindingKind = "inactive_paid_seat" | "stale_invitation";

export interface SeatFinding {
  kind: FindingKind;
  login: string;
  plan: string;
  status: UserStatus;
  /** The last login, else (never logged in) when the account was made; for an invitation, when it was sent. */
  since: string;
  /** Whole UTC days from `since` to the console's day. */
  days: number;
  never_logged_in: boolean;
  /** What removing the user (or moving them to a free plan) saves a year. */
  yearly_savings_cents: Cents;
}

export interface SeatReview {
  /** The console's day the review was made on. */
  as_of: string;
  inactive_days: number;
  users: UserSeat[];
  yearly_cost_cents: Cents;
  findings: SeatFinding[];
  yearly_savings_cents: Cents;
}

const byLogin = (a: { login: string }, b: { login: string }) =>
  a.login < b.login ? -1 : a.login > b.login ? 1 : 0;

/**
 * Reviews every user. A paid seat counts as inactive when its user (active or disabled: both hold the seat and
 * renew) has not logged in for `inactiveDays` whole days, counting from the account's creation for a user who
 * never did. The owner is left out: nobody else may remove the owner, who often acts only through API tokens.
 */
export function reviewSeats(
  users: Iterable<SeatUser>,
  catalog: Catalog,
  owner: string,
  now: Date,
  inactiveDays: number,
): SeatReview {
  const today = dayNumber(dayOf(now));
  const daysSince = (at: string) => today - dayNumber(at.slice(0, 10));
  const seats: UserSeat[] = [];
  const findings: SeatFinding[] = [];
  for (const user of [...users].sort(byLogin)) {
    const yearly = findPlan(catalog, user.plan)?.price_cents ?? 0;
    const paid = isPaidPlan(catalog, user.plan);
    const pending = invitedSince(user);
    seats.push({
      login: user.login,
      plan: user.plan,
      role: user.role,
      status: user.status,
      owner: user.login === owner,
      paid,
      last_login_at: user.last_login_at,
      invited_at: pending,
      yearly_cents: yearly,
    });
    if (user.login === owner) continue;
    const finding = (kind: FindingKind, since: string): SeatFinding => ({
      kind,
      login: user.login,
      plan: user.plan,
      status: user.status,
      since,
      days: daysSince(since),
      never_logged_in: user.last_login_at === null,
      yearly_savings_cents: yearly,
    });
    if (pending !== null) {
      if (daysSince(pending) >= inactiveDays) findings.push(finding("stale_invitation", pending));
    } else if (paid) {
      const since = user.last_login_at ?? user.created_at;
      if (daysSince(since) >= inactiveDays) findings.push(finding("inactive_paid_seat", since));
    }
  }
  return {
    as_of: dayOf(now),
    inactive_days: inactiveDays,
    users: seats,
    yearly_cost_cents: seats.reduce((sum, s) => sum + s.yearly_cents, 0),
    findings,
    yearly_savings_cents: findings.reduce((sum, f) => sum + f.yearly_savings_cents, 0),
  };
}

/** The review without the findings of `logins` (users a plan already deletes or moves to another plan). */
export function withoutFindingsFor(review: SeatReview, logins: ReadonlySet<string>): SeatReview {
  const findings = review.findings.filter((f) => !logins.has(f.login));
  return {
    ...review,
    findings,
    yearly_savings_cents: findings.reduce((sum, f) => sum + f.yearly_savings_cents, 0),
  };
}
