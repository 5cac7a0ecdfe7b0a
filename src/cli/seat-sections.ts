import type { ReadOnlyFacts } from "../plan/model.js";
import { reviewSeats, withoutFindingsFor } from "../plan/seat-review.js";
import {
  activityLines,
  activityMarkdown,
  seatReviewLines,
  seatReviewMarkdown,
} from "../render/users-report.js";
import type { Planned, ReadOnlySection } from "./planning.js";

/**
 * plan's seat review: paid seats unused for `inactiveDays` and invitations pending that long, except the users
 * the plan already deletes or moves to another plan. Null when there is nothing to say, so that a plan with
 * nothing to review reads as before.
 */
export function seatReviewSection({ plan, live }: Planned, inactiveDays: number): ReadOnlySection | null {
  const handled = new Set(
    plan.steps.filter((s) => s.action === "delete_user" || s.action === "change_plan").map((s) => s.key),
  );
  const review = withoutFindingsFor(
    reviewSeats(live.state.users.values(), live.state.catalog, live.state.org.owner, live.now, inactiveDays),
    handled,
  );
  if (review.findings.length === 0) return null;
  return { text: seatReviewLines(review), markdown: seatReviewMarkdown(review) };
}

/** drift's read-only facts as data, for its JSON report: every user by login. */
export function activityFacts({ live }: Planned): ReadOnlyFacts {
  const review = reviewSeats(
    live.state.users.values(),
    live.state.catalog,
    live.state.org.owner,
    live.now,
    1,
  );
  return {
    users: review.users.map((u) => ({
      login: u.login,
      status: u.status,
      last_login_at: u.last_login_at,
      invited_at: u.invited_at,
    })),
  };
}

/** drift's read-only facts: each user's last login, and pending invitations with when they were sent. */
export function activitySection({ live }: Planned): ReadOnlySection | null {
  if (live.state.users.size === 0) return null;
  const review = reviewSeats(
    live.state.users.values(),
    live.state.catalog,
    live.state.org.owner,
    live.now,
    1,
  );
  return { text: activityLines(review), markdown: activityMarkdown(review) };
}
