import { hostname, userInfo } from "node:os";
import { dirname, resolve } from "node:path";
import type { ApplyEvent } from "../../apply/events.js";
import { applyPlan } from "../../apply/execute.js";
import { ApplyLock, LockHeldError } from "../../apply/lock.js";
import { resolveSecret } from "../../apply/secrets.js";
import { ConfigInvalidError, formatIssue } from "../../config/model.js";
import { asOrgctlError } from "../../errors.js";
import { countSteps } from "../../plan/build/counts.js";
import { hasChanges, type Plan } from "../../plan/model.js";
import { CliError } from "../errors.js";
import { planAgainst } from "../planning.js";
import type { Target } from "../target.js";
import type { FleetConsole } from "./console.js";
import type { FleetEntry, FleetMember } from "./members.js";
import { entryName } from "./members.js";
import {
  countsOf,
  type FleetCommand,
  type OrgOutcome,
  type OrgProblem,
  walletOf,
  ZERO_COUNTS,
} from "./outcome.js";
import { mapPool } from "./pool.js";

/*
 * Reconciles each organization of a fleet against its own organization (issue 12): up to `parallelism` at
 * once, each with its own target (and, for apply, its own lock). One organization's failure is its outcome,
 * never the others': nothing here throws for one organization.
 */

export interface FleetRunOptions {
  command: FleetCommand;
  console: FleetConsole;
  /** Organizations at the same time. */
  parallelism: number;
  force?: boolean;
  /** apply: steps of one organization at the same time, its bulk size, and how long to wait for its lock. */
  stepParallelism?: number;
  bulkSize?: number;
  lockTimeoutMs?: number;
  /** apply: each organization's progress, as it happens. */
  onEvent?: (org: string, event: ApplyEvent) => void;
  /** apply: aborting stops starting organizations and steps; running steps finish. */
  signal?: AbortSignal;
}

/** An error as the problems shown under an organization's slug: located issues for a bad file, never a stack. */
export function problemsOf(error: unknown): OrgProblem[] {
  const failure = asOrgctlError(error);
  if (failure instanceof ConfigInvalidError) {
    // The same problem repeated is shown once, as for one organization.
    const seen = new Set<string>();
    const problems: OrgProblem[] = [];
    for (const issue of failure.issues) {
      const line = formatIssue(issue);
      if (issue.severity !== "error" || seen.has(line)) continue;
      seen.add(line);
      problems.push({
        code: issue.code,
        message: issue.message,
        source: `${issue.file}:${issue.line}:${issue.col}`,
      });
    }
    return problems;
  }
  if (failure.kind === "bug") {
    return [{ code: failure.code, message: `${failure.message} (this is a bug; please report it)` }];
  }
  return [{ code: failure.code, message: failure.message }];
}

function failed(entry: FleetEntry, error: unknown, target: string | null = null): OrgOutcome {
  return {
    org: entryName(entry),
    file: entry.file,
    status: "error",
    target,
    errors: problemsOf(error),
    counts: { ...ZERO_COUNTS },
    wallet: null,
  };
}

function planIssues(plan: Plan): OrgProblem[] {
  return plan.errors.map((e) => ({
    code: e.code,
    message: e.fix ? `${e.message}; ${e.fix}` : e.message,
    ...(e.source ? { source: e.source } : {}),
  }));
}

function holderName(org: string): string {
  let user = "unknown";
  try {
    user = userInfo().username;
  } catch {
    // No user database entry (some containers).
  }
  return `orgctl apply (fleet, ${org}) by ${user}@${hostname()} (pid ${process.pid})`;
}

export async function runFleet(
  entries: readonly FleetEntry[],
  options: FleetRunOptions,
): Promise<OrgOutcome[]> {
  return mapPool(entries, options.parallelism, async (entry) => {
    if (entry.slug === null) return failed(entry, entry.error);
    if (options.signal?.aborted) {
      return {
        ...failed(entry, new CliError("interrupted", "not started: the fleet was interrupted")),
        status: "interrupted",
      };
    }
    let target: Target | null = null;
    try {
      target = await options.console.open(entry);
      return await (options.command === "apply"
        ? applyOne(entry, target, options)
        : planOne(entry, target, options));
    } catch (error) {
      return failed(entry, error, target?.label ?? null);
    } finally {
      await target?.close().catch(() => {});
    }
  });
}

async function planOne(member: FleetMember, target: Target, options: FleetRunOptions): Promise<OrgOutcome> {
  const { plan, driftSteps } = await planAgainst(target, member.config, member.warnings, {
    file: member.file,
    force: options.command === "drift" ? true : Boolean(options.force),
    attribute: options.command === "drift",
  });
  const status =
    options.command === "drift"
      ? driftSteps > 0 || plan.errors.length > 0
        ? "drift"
        : "in_sync"
      : plan.errors.length > 0
        ? "error"
        : hasChanges(plan)
          ? "changes"
          : "in_sync";
  return {
    org: member.slug,
    file: member.file,
    status,
    target: target.label,
    errors: planIssues(plan),
    counts: countsOf(plan),
    wallet: walletOf(plan),
    plan,
  };
}

async function applyOne(member: FleetMember, target: Target, options: FleetRunOptions): Promise<OrgOutcome> {
  let lock: ApplyLock;
  try {
    lock = await ApplyLock.acquire(target.client, holderName(member.slug), options.lockTimeoutMs ?? 0);
  } catch (error) {
    if (error instanceof LockHeldError) throw new CliError("locked", error.message);
    throw error;
  }
  try {
    const { plan } = await planAgainst(target, member.config, member.warnings, {
      file: member.file,
      force: Boolean(options.force),
    });
    const base = {
      org: member.slug,
      file: member.file,
      target: target.label,
      counts: countsOf(plan),
    };
    if (plan.errors.length > 0) {
      // Refused: nothing is done, and the wallet is as it was.
      return {
        ...base,
        counts: { ...ZERO_COUNTS },
        status: "error",
        errors: planIssues(plan),
        wallet: {
          before_cents: plan.money.balance_before_cents,
          after_cents: plan.money.balance_before_cents,
          charges_cents: 0,
          refunds_cents: 0,
        },
      };
    }
    const untouched = {
      before_cents: plan.money.balance_before_cents,
      after_cents: plan.money.balance_before_cents,
      charges_cents: 0,
      refunds_cents: 0,
    };
    if (plan.steps.length === 0) {
      return {
        ...base,
        counts: { ...ZERO_COUNTS, blocked: plan.blocked.length },
        status: plan.blocked.length > 0 ? "blocked" : "in_sync",
        errors: [],
        wallet: untouched,
      };
    }
    const baseDir = dirname(resolve(member.file));
    const blocked = plan.blocked.map((b) => ({ id: b.id, summary: b.summary, domain: b.domain }));
    // What apply did, counted from the steps it reports done (a failed apply did only some).
    const done = new Set<string>();
    const emit = (event: ApplyEvent) => {
      if (event.type === "step_done") done.add(event.id);
      options.onEvent?.(
        member.slug,
        event.type === "summary"
          ? { ...event, target: target.label, blocked }
          : event.type === "apply_started"
            ? { ...event, target: target.label }
            : event,
      );
    };
    const summary = await applyPlan(plan, {
      client: target.client,
      parallelism: options.stepParallelism ?? 1,
      ...(options.bulkSize !== undefined ? { bulkSize: options.bulkSize } : {}),
      emit,
      resolveSecret: (ref) => resolveSecret(ref, baseDir),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const status =
      summary.status === "interrupted"
        ? "interrupted"
        : summary.status === "failed"
          ? "error"
          : plan.blocked.length > 0
            ? "blocked"
            : "applied";
    const doneSteps = plan.steps.filter((step) => done.has(step.id));
    return {
      ...base,
      counts: countsOf({ ...plan, steps: doneSteps, counts: countSteps(doneSteps, plan.blocked, 0, 0) }),
      status,
      errors: summary.failures.map((f) => ({ code: f.code, message: `${f.summary}: ${f.message}` })),
      wallet: {
        before_cents: summary.balance_before_cents,
        after_cents: summary.balance_after_cents,
        charges_cents: summary.charged_cents,
        refunds_cents: summary.refunded_cents,
      },
      applied: {
        total: summary.total,
        done: summary.done,
        failed: summary.failed,
        skipped: summary.skipped,
        not_started: summary.not_started,
      },
    };
  } finally {
    await lock.release();
  }
}
