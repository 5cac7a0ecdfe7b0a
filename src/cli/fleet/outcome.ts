import type { ApplySummary } from "../../apply/events.js";
import type { Plan } from "../../plan/model.js";

/*
 * What happened to each organization of a fleet, and what the whole fleet exits with (issue 12). Pure: the
 * runner (run.ts) fills these in, the renderers (src/render/fleet.ts) show them.
 */

export type FleetCommand = "plan" | "apply" | "drift";

/**
 * error: nothing could be told or done (bad file, unreachable console, lock held, a refused plan, a failed
 * step). changes: plan has steps (or blocked ones). drift: the console differs from the file. applied: apply
 * did every step. blocked: apply did every step it could, steps wait for a domain's verification.
 * interrupted: Ctrl-C. in_sync: nothing to do.
 */
export type OrgStatus = "error" | "interrupted" | "changes" | "drift" | "blocked" | "applied" | "in_sync";

export interface OrgProblem {
  code: string;
  message: string;
  /** `file:line:col` when the cause is in the org file. */
  source?: string;
}

export interface OrgCounts {
  create: number;
  update: number;
  delete: number;
  replace: number;
  blocked: number;
  /** Steps that remove or replace something (a user, a domain, a membership...). */
  destructive: number;
}

export interface OrgWallet {
  before_cents: number;
  after_cents: number;
  charges_cents: number;
  refunds_cents: number;
}

export interface OrgOutcome {
  /** The organization's slug, or its file when the file could not be read. */
  org: string;
  file: string;
  status: OrgStatus;
  /** The console it was reconciled against (never with credentials); null when none was reached. */
  target: string | null;
  errors: OrgProblem[];
  counts: OrgCounts;
  /** plan/drift: the planned wallet; apply: the wallet as apply left it. Null when nothing was read. */
  wallet: OrgWallet | null;
  /** plan and drift: the organization's plan. */
  plan?: Plan;
  /** apply: what apply did. */
  applied?: Pick<ApplySummary, "total" | "done" | "failed" | "skipped" | "not_started">;
}

export const ZERO_COUNTS: OrgCounts = {
  create: 0,
  update: 0,
  delete: 0,
  replace: 0,
  blocked: 0,
  destructive: 0,
};

export function countsOf(plan: Plan): OrgCounts {
  const c = plan.counts;
  return {
    create: c.create,
    update: c.update,
    delete: c.delete,
    replace: c.replace,
    blocked: plan.blocked.length,
    destructive: plan.steps.filter((s) => s.destructive).length,
  };
}

export function walletOf(plan: Plan): OrgWallet {
  const m = plan.money;
  return {
    before_cents: m.balance_before_cents,
    after_cents: m.balance_after_cents,
    charges_cents: m.charges_cents,
    refunds_cents: m.refunds_cents,
  };
}

function changeCount(c: OrgCounts): number {
  return c.create + c.update + c.delete + c.replace + c.blocked;
}

const STATUS_RANK: Record<OrgStatus, number> = {
  error: 0,
  interrupted: 1,
  drift: 2,
  changes: 2,
  blocked: 3,
  applied: 4,
  in_sync: 5,
};

/**
 * Worst first: errors, then the most destructive, then the most changes, then the most money spent; ties by
 * name. The order of every human output, so that a cut-off report shows what needs eyes.
 */
export function worstFirst(a: OrgOutcome, b: OrgOutcome): number {
  return (
    STATUS_RANK[a.status] - STATUS_RANK[b.status] ||
    b.counts.destructive - a.counts.destructive ||
    changeCount(b.counts) - changeCount(a.counts) ||
    (b.wallet?.charges_cents ?? 0) - (a.wallet?.charges_cents ?? 0) ||
    byName(a, b)
  );
}

export function byName(a: OrgOutcome, b: OrgOutcome): number {
  return a.org < b.org ? -1 : a.org > b.org ? 1 : 0;
}

export interface FleetTotals {
  orgs: number;
  by_status: Partial<Record<OrgStatus, number>>;
  counts: OrgCounts;
  /** Sums over the organizations whose wallet was read. */
  wallet: { change_cents: number; charges_cents: number; refunds_cents: number };
}

export function fleetTotals(outcomes: readonly OrgOutcome[]): FleetTotals {
  const counts = { ...ZERO_COUNTS };
  const wallet = { change_cents: 0, charges_cents: 0, refunds_cents: 0 };
  const byStatus: Partial<Record<OrgStatus, number>> = {};
  for (const o of outcomes) {
    byStatus[o.status] = (byStatus[o.status] ?? 0) + 1;
    for (const key of Object.keys(counts) as (keyof OrgCounts)[]) counts[key] += o.counts[key];
    if (o.wallet) {
      wallet.change_cents += o.wallet.after_cents - o.wallet.before_cents;
      wallet.charges_cents += o.wallet.charges_cents;
      wallet.refunds_cents += o.wallet.refunds_cents;
    }
  }
  const by_status = Object.fromEntries(
    Object.entries(byStatus).sort(([a], [b]) => (a < b ? -1 : 1)),
  ) as Partial<Record<OrgStatus, number>>;
  return { orgs: outcomes.length, by_status, counts, wallet };
}

/** Exit code of an interrupted apply (128 + SIGINT). */
const EXIT_INTERRUPTED = 130;

/**
 * The fleet's exit code, each organization's as one: 1 when any organization errored; then (apply) 130 when
 * interrupted; then 2 when any has changes (plan with --detailed-exitcode), drift (drift), or steps blocked on
 * a domain's verification (apply, and plan's blocked steps are changes); else 0.
 */
export function fleetExitCode(
  command: FleetCommand,
  outcomes: readonly OrgOutcome[],
  options: { detailedExitcode?: boolean } = {},
): number {
  const has = (status: OrgStatus) => outcomes.some((o) => o.status === status);
  if (has("error")) return 1;
  if (has("interrupted")) return EXIT_INTERRUPTED;
  if (command === "plan") return options.detailedExitcode && has("changes") ? 2 : 0;
  if (command === "drift") return has("drift") ? 2 : 0;
  return has("blocked") ? 2 : 0;
}
