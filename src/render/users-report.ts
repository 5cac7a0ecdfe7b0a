import { formatEuro } from "../domain/money.js";
import type { SeatFinding, SeatReview, UserSeat } from "../plan/seat-review.js";
import { escapeMarkdown } from "./markdown.js";
import { textTable } from "./table.js";

/**
 * The users report (`orgctl users`), and the short read-only sections plan and drift add from the same review.
 * Pure: the same review gives the same bytes. Times are the console's, shown to the minute in UTC.
 */

export interface UsersReportHead {
  /** The console read: its endpoint URL or `sandbox FILE`. */
  target: string;
  org: string;
  org_plan: string;
}

/** `2026-03-01 12:00Z`. */
function minute(at: string): string {
  return `${at.slice(0, 16).replace("T", " ")}Z`;
}

function lastLogin(user: UserSeat): string {
  if (user.invited_at !== null) return `pending since ${minute(user.invited_at)}`;
  return user.last_login_at === null ? "never" : minute(user.last_login_at);
}

function findingText(f: SeatFinding): string {
  if (f.kind === "stale_invitation")
    return `invitation pending since ${f.since.slice(0, 10)} (${f.days} days)`;
  const what = f.never_logged_in
    ? `never logged in (account made ${f.since.slice(0, 10)})`
    : `last login ${f.since.slice(0, 10)}`;
  return `${f.status === "disabled" ? "disabled, " : ""}${what}, ${f.days} days ago`;
}

function actionOf(f: SeatFinding): string {
  return f.kind === "stale_invitation" ? "remove" : "downgrade or remove";
}

function headline(review: SeatReview): string {
  return `Seats to review (no login, or an invitation pending, for ${review.inactive_days} days or more):`;
}

function savingsLine(review: SeatReview): string {
  return review.findings.length === 0
    ? `No paid seat without a login for ${review.inactive_days} days, and no invitation pending that long.`
    : `Downgrading or removing them would save ${formatEuro(review.yearly_savings_cents)} a year.`;
}

/** The recommendation as text lines: plan shows these, and `orgctl users` ends with them. */
export function seatReviewLines(review: SeatReview): string[] {
  if (review.findings.length === 0) return [savingsLine(review)];
  return [
    headline(review),
    ...textTable(
      ["LOGIN", "PLAN", "WHY", "ACTION", "SAVES/YEAR"],
      review.findings.map((f) => [
        f.login,
        f.plan,
        findingText(f),
        actionOf(f),
        formatEuro(f.yearly_savings_cents),
      ]),
      new Set([4]),
    ),
    savingsLine(review),
  ];
}

export function renderUsersText(review: SeatReview, head: UsersReportHead): string {
  const out = [
    `Users of ${head.org} (${head.org_plan}) as of ${review.as_of}`,
    `Console: ${head.target}`,
    "",
    ...textTable(
      ["LOGIN", "PLAN", "ROLE", "STATUS", "LAST LOGIN (UTC)", "YEARLY"],
      review.users.map((u) => [
        u.owner ? `${u.login} (owner)` : u.login,
        u.plan,
        u.role,
        u.status,
        lastLogin(u),
        formatEuro(u.yearly_cents),
      ]),
      new Set([5]),
    ),
    `Yearly cost: ${formatEuro(review.yearly_cost_cents)} for ${review.users.length} user(s)`,
    "",
    ...seatReviewLines(review),
  ];
  return `${out.join("\n")}\n`;
}

/** The most rows a Markdown section lists; the rest are counted, so a comment stays within GitHub's limit. */
export const MARKDOWN_MAX_ROWS = 50;

function findingsMarkdown(review: SeatReview, maxRows: number): string[] {
  if (review.findings.length === 0) return [escapeMarkdown(savingsLine(review))];
  const shown = review.findings.slice(0, maxRows);
  return [
    `**${escapeMarkdown(headline(review))}**`,
    "",
    "| Login | Plan | Why | Action | Saves/year |",
    "|:--|:--|:--|:--|--:|",
    ...shown.map(
      (f) =>
        `| ${escapeMarkdown(f.login)} | ${escapeMarkdown(f.plan)} | ${escapeMarkdown(findingText(f))} | ${actionOf(f)} | ${formatEuro(f.yearly_savings_cents)} |`,
    ),
    ...(review.findings.length > shown.length
      ? ["", `… and ${review.findings.length - shown.length} more (see \`orgctl users\`)`]
      : []),
    "",
    escapeMarkdown(savingsLine(review)),
  ];
}

export function renderUsersMarkdown(review: SeatReview, head: UsersReportHead): string {
  const out = [
    `### Users of ${escapeMarkdown(head.org)} (${escapeMarkdown(head.org_plan)}) as of ${review.as_of}`,
    "",
    `Console: ${escapeMarkdown(head.target)}`,
    "",
    "| Login | Plan | Role | Status | Last login (UTC) | Yearly |",
    "|:--|:--|:--|:--|:--|--:|",
    ...review.users.map(
      (u) =>
        `| ${escapeMarkdown(u.login)}${u.owner ? " (owner)" : ""} | ${escapeMarkdown(u.plan)} | ${u.role} | ${u.status} | ${escapeMarkdown(lastLogin(u))} | ${formatEuro(u.yearly_cents)} |`,
    ),
    "",
    `Yearly cost: ${formatEuro(review.yearly_cost_cents)} for ${review.users.length} user(s)`,
    "",
    ...findingsMarkdown(review, Number.POSITIVE_INFINITY),
  ];
  return `${out.join("\n")}\n`;
}

/** A stable JSON document: fixed key order, money in integer cents plus a formatted copy. */
export function renderUsersJson(review: SeatReview, head: UsersReportHead): string {
  const doc = {
    users_format_version: 1,
    target: head.target,
    org: head.org,
    org_plan: head.org_plan,
    as_of: review.as_of,
    inactive_days: review.inactive_days,
    users: review.users.map((u) => ({
      login: u.login,
      plan: u.plan,
      role: u.role,
      status: u.status,
      owner: u.owner,
      paid: u.paid,
      last_login_at: u.last_login_at,
      invited_at: u.invited_at,
      yearly_cost_cents: u.yearly_cents,
      yearly_cost: formatEuro(u.yearly_cents),
    })),
    yearly_cost_cents: review.yearly_cost_cents,
    yearly_cost: formatEuro(review.yearly_cost_cents),
    recommendations: review.findings.map((f) => ({
      kind: f.kind,
      login: f.login,
      plan: f.plan,
      status: f.status,
      since: f.since,
      days: f.days,
      never_logged_in: f.never_logged_in,
      yearly_savings_cents: f.yearly_savings_cents,
      yearly_savings: formatEuro(f.yearly_savings_cents),
    })),
    yearly_savings_cents: review.yearly_savings_cents,
    yearly_savings: formatEuro(review.yearly_savings_cents),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** The plan's Markdown section: the recommendation, at most MARKDOWN_MAX_ROWS rows, folded. */
export function seatReviewMarkdown(review: SeatReview): string {
  if (review.findings.length === 0) return "";
  return [
    `<details><summary>Seats to review: ${escapeMarkdown(formatEuro(review.yearly_savings_cents))} a year (${review.findings.length})</summary>`,
    "",
    ...findingsMarkdown(review, MARKDOWN_MAX_ROWS),
    "",
    "</details>",
  ].join("\n");
}

/** Drift's read-only facts: pending invitations and each user's last login, as text lines. */
export function activityLines(review: SeatReview): string[] {
  return [
    "Logins (read-only facts, not drift):",
    ...textTable(
      ["LOGIN", "STATUS", "LAST LOGIN (UTC)"],
      review.users.map((u) => [u.login, u.status, lastLogin(u)]),
      new Set(),
    ),
  ];
}

/** Drift's read-only facts in Markdown: folded, at most MARKDOWN_MAX_ROWS rows. */
export function activityMarkdown(review: SeatReview): string {
  const pending = review.users.filter((u) => u.invited_at !== null).length;
  const shown = review.users.slice(0, MARKDOWN_MAX_ROWS);
  return [
    `<details><summary>Logins, read-only (${review.users.length} users, ${pending} invitations pending)</summary>`,
    "",
    "| Login | Status | Last login (UTC) |",
    "|:--|:--|:--|",
    ...shown.map((u) => `| ${escapeMarkdown(u.login)} | ${u.status} | ${escapeMarkdown(lastLogin(u))} |`),
    ...(review.users.length > shown.length
      ? ["", `… and ${review.users.length - shown.length} more (see \`orgctl users\`)`]
      : []),
    "",
    "</details>",
  ].join("\n");
}
