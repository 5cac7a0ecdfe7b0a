import { createHash } from "node:crypto";
import type { DesiredOrg } from "../config/model.js";
import {
  type ConsoleState,
  dayOf,
  findPlan,
  fixOf,
  forecastRenewals,
  formatEuro,
  type Operation,
  orgPlanPrice,
  type Refusal,
  verificationRecord,
} from "../domain/index.js";
import { type DraftStep, diff } from "./diff.js";
import type { LiveView } from "./live.js";
import {
  type BlockedStep,
  type MoneySummary,
  PLAN_FORMAT_VERSION,
  type Plan,
  type PlanCounts,
  type PlanIssue,
  type PlannedOperation,
  type PlanStep,
} from "./model.js";
import { orgPlanMoney } from "./org-plan-step.js";
import { compareSteps, schedule } from "./schedule.js";
import { type StepShape, shapeOf } from "./step-kinds.js";

export const RENEWAL_HORIZON_DAYS = 30;

export interface PlanOptions {
  configFile: string;
  configHash: string;
  /** The console the live state came from, as every output names it: its endpoint URL or `sandbox FILE`. */
  target: string;
  /** Pending domains whose TXT record was found in DNS by the caller (I/O stays outside). */
  verifiedTxt?: Map<string, string[]>;
  /** Override the removal threshold. */
  force?: boolean;
  /** `file:line:col` of a place in org.yaml. */
  source?: (path: (string | number)[]) => string;
}

/** Desired + live → the ordered, priced, simulated plan. Pure: no I/O, the console's clock comes in `live`. */
export function buildPlan(desired: DesiredOrg, live: LiveView, options: PlanOptions): Plan {
  const { state, actor, now } = live;
  const result = diff({
    desired,
    live: state,
    actor: actor.login,
    ...(options.source ? { source: options.source } : {}),
  });
  const errors: PlanIssue[] = [...result.errors];
  const deletedLogins = deletedLoginsOf(result.steps);
  const warnings: PlanIssue[] = [...result.warnings];

  // Verification is proved by DNS, which the caller looked up; steps on a domain not yet provable wait.
  const blocked: BlockedStep[] = [];
  const blockedIds = new Set<string>();
  const pendingDomains = new Set<string>();
  for (const step of result.steps) {
    if (step.action !== "verify_domain") continue;
    const txt = options.verifiedTxt?.get(step.key);
    const existing = state.domains.get(step.key);
    // The auto verifier needs no DNS proof, for a new domain (verified when created) or a pending one.
    const willAutoVerify = state.org.verifier === "auto";
    if (willAutoVerify) continue;
    if (existing && txt?.includes(verificationRecord(existing.name, existing.verification_token).value)) {
      (step.operation as { txt_values?: string[] }).txt_values = txt;
      continue;
    }
    pendingDomains.add(step.key);
  }
  // With the auto verifier a new domain is verified when created: its verify step is not needed.
  const steps = result.steps.filter((s) => {
    if (s.action !== "verify_domain") return true;
    return state.domains.has(s.key) || state.org.verifier !== "auto";
  });
  const byId = new Map(steps.map((s) => [s.id, s]));
  const dropped = new Map(result.steps.filter((s) => !byId.has(s.id)).map((s) => [s.id, s]));
  for (const s of steps) {
    for (const dep of [...s.deps]) {
      if (byId.has(dep)) continue;
      s.deps.delete(dep);
      // What waited for a dropped verification waits for what it waited for: the domain's creation.
      for (const inherited of dropped.get(dep)?.deps ?? []) if (byId.has(inherited)) s.deps.add(inherited);
    }
  }
  const blockedMemo = new Map<string, string | null>();
  const blockedBy = (step: DraftStep): string | null => {
    const known = blockedMemo.get(step.id);
    if (known !== undefined) return known;
    blockedMemo.set(step.id, null);
    let domain: string | null =
      step.action === "verify_domain" && pendingDomains.has(step.key) ? step.key : null;
    for (const dep of step.deps) {
      if (domain) break;
      const parent = byId.get(dep);
      if (parent) domain = blockedBy(parent);
    }
    blockedMemo.set(step.id, domain);
    return domain;
  };
  for (const step of steps) {
    const domain = blockedBy(step);
    if (!domain) continue;
    const existing = state.domains.get(domain);
    blockedIds.add(step.id);
    const shape = shapeFor(step);
    blocked.push({
      id: step.id,
      action: shape.action,
      kind: shape.kind,
      key: shape.key,
      summary: step.summary,
      ...(step.source ? { source: step.source } : {}),
      domain,
      txt_record: existing ? verificationRecord(existing.name, existing.verification_token) : null,
      reason: existing
        ? `${domain} is pending verification; publish its TXT record, then plan again`
        : `${domain} must be created and verified first; apply, publish the TXT record orgctl shows, then plan again`,
    });
  }
  const runnable = steps.filter((s) => !blockedIds.has(s.id));

  // The policy's minimum balance is enforced by shifting the simulated wallet: the engine's "never below
  // zero" then means "never below the minimum".
  const minBalance = desired.policy.min_balance_cents;
  const simulated: ConsoleState = { ...state, balance: state.balance - minBalance };
  const scheduled = schedule(simulated, { kind: "user", login: actor.login }, runnable, now);

  // The refused steps would come next, in this order: number them from where the plan stops.
  let shortfallCents: number | null = null;
  const computeShortfall = () => {
    shortfallCents ??= shortfall(state, actor.login, runnable, now, minBalance);
    return shortfallCents;
  };
  scheduled.failed.forEach(({ draft, refusal }, i) => {
    errors.push(failureIssue(draft, refusal, scheduled.order.length + 1 + i, minBalance, computeShortfall));
  });
  for (const draft of scheduled.skipped) {
    errors.push({
      code: "skipped",
      message: `${draft.summary}: not possible because a step it needs fails`,
      step_id: draft.id,
    });
  }

  // Removal threshold: many users removed at once is more often a mistake (an empty read, a bad merge).
  const threshold = desired.policy.removal_threshold;
  const existing = state.users.size;
  const removing = new Set(result.removedUsers).size;
  if (!options.force && existing >= threshold.min_users && removing * 100 > existing * threshold.percent) {
    errors.push({
      code: "removal_threshold",
      message: `this plan would delete, disable or replace ${removing} of ${existing} users (more than ${threshold.percent}%)`,
      fix: "check org.yaml; if this is really meant, run again with --force",
    });
  }

  const planSteps: PlanStep[] = scheduled.order.map((s, i) => ({
    id: s.draft.id,
    index: i + 1,
    ...shapeFor(s.draft),
    summary: s.draft.summary,
    ...(s.draft.replaces ? { replaces: s.draft.replaces } : {}),
    operation: requestedOf(s.draft.operation),
    ...(s.draft.secret ? { secret: s.draft.secret } : {}),
    ...(s.draft.source ? { source: s.draft.source } : {}),
    ...(s.draft.patch ? { patch: s.draft.patch } : {}),
    ...(s.draft.changes ? { changes: s.draft.changes } : {}),
    amount_cents: s.amount_cents,
    balance_after_cents: s.balance_after + minBalance,
    depends_on: [...s.after].sort(),
  }));

  const final = scheduled.final;
  const charges = planSteps.reduce((sum, s) => sum + Math.min(0, s.amount_cents), 0);
  const refunds = planSteps.reduce((sum, s) => sum + Math.max(0, s.amount_cents), 0);
  const lowest = planSteps.reduce((low, s) => Math.min(low, s.balance_after_cents), state.balance);
  const orgPlanChange = orgPlanMoney(state, final, planSteps);
  const money: MoneySummary = {
    currency: "EUR",
    balance_before_cents: state.balance,
    balance_after_cents: final.balance + minBalance,
    charges_cents: -charges,
    refunds_cents: refunds,
    lowest_balance_cents: lowest,
    min_balance_cents: minBalance,
    yearly_cost_before_cents: yearlyCost(state),
    yearly_cost_after_cents: yearlyCost(final),
    ...(orgPlanChange ? { org_plan: orgPlanChange } : {}),
    renewals_due: forecastRenewals(final.users.values(), final.catalog, now, RENEWAL_HORIZON_DAYS, final.org),
    renewals_horizon_days: RENEWAL_HORIZON_DAYS,
    shortfall_cents: errors.some((e) => e.code === "insufficient_funds") ? computeShortfall() : 0,
    priced_on: dayOf(now),
  };
  const counts = countSteps(planSteps, blocked, scheduled.failed.length, scheduled.skipped.length);
  const body = {
    format_version: PLAN_FORMAT_VERSION as typeof PLAN_FORMAT_VERSION,
    config: { file: options.configFile, hash: options.configHash },
    console: {
      target: options.target,
      revision: state.org.revision,
      org: state.org.name,
      org_plan: state.org.plan,
      actor,
    },
    steps: planSteps,
    blocked: blocked.sort((a, b) => a.id.localeCompare(b.id)),
    errors,
    warnings,
    counts,
    money,
  };
  const planId = createHash("sha256")
    .update(
      JSON.stringify([
        body.config.hash,
        body.console.revision,
        body.steps.map((s) => [s.id, s.operation, s.secret ?? null]),
      ]),
    )
    .digest("hex")
    .slice(0, 16);
  return { plan_id: planId, ...body };

  /** A step's action, kind, key, symbol and destructive flag: the step table's, in the step's place in the plan. */
  function shapeFor(draft: DraftStep): StepShape {
    const operation = draft.operation as PlannedOperation;
    const login = draft.key;
    return shapeOf(operation, {
      ...(draft.replaces !== undefined ? { replaces: draft.replaces } : {}),
      // A disable on the way to a deletion is part of the removal; disabling an account this plan creates loses nothing.
      removal: operation.op === "disable_user" && deletedLogins.has(login),
      createdByPlan: operation.op === "disable_user" && draft.deps.has(`user/${login}:create_user`),
    });
  }
}

/** The logins a diff deletes. */
function deletedLoginsOf(steps: DraftStep[]): Set<string> {
  return new Set(steps.filter((s) => s.operation.op === "delete_user").map((s) => s.key));
}

/**
 * The operation as a plan holds it: what only the console makes (a domain's verification token, a password's
 * hash, the TXT values it looks up itself) is left out. The engine simulated the whole operation.
 */
function requestedOf(operation: Operation): PlannedOperation {
  switch (operation.op) {
    case "create_domain":
      return { op: "create_domain", name: operation.name };
    case "create_user": {
      const { password_hash: _hash, ...user } = operation.user;
      return { op: "create_user", user };
    }
    case "verify_domain":
      return { op: "verify_domain", name: operation.name };
    default:
      return operation as PlannedOperation;
  }
}

/** What the organization's plans cost per year: every user's plan and the org plan's own fee. */
function yearlyCost(state: ConsoleState): number {
  let total = orgPlanPrice(state.catalog, state.org.plan);
  for (const user of state.users.values()) total += findPlan(state.catalog, user.plan)?.price_cents ?? 0;
  return total;
}

function countSteps(steps: PlanStep[], blocked: BlockedStep[], failed: number, skipped: number): PlanCounts {
  const counts: PlanCounts = {
    create: 0,
    update: 0,
    delete: 0,
    replace: 0,
    blocked: blocked.length,
    failed,
    skipped,
  };
  const replaced = new Set<string>();
  const deleted = new Set(steps.filter((s) => s.action === "delete_user").map((s) => s.key));
  for (const step of steps) {
    if (step.replaces) {
      replaced.add(step.replaces);
      continue;
    }
    // A user disabled on the way to deletion is one deletion, not two changes.
    if (step.action === "disable_user" && deleted.has(step.key)) continue;
    if (step.symbol === "+") counts.create += 1;
    else if (step.symbol === "-") counts.delete += 1;
    else counts.update += 1;
  }
  counts.replace = replaced.size;
  return counts;
}

/**
 * How much money the plan lacks: the same schedule with a wallet that cannot run out, and the lowest point
 * it reaches below the policy minimum.
 */
function shortfall(
  state: ConsoleState,
  actor: string,
  steps: DraftStep[],
  now: Date,
  minBalance: number,
): number {
  const boost = 1_000_000_000_000;
  const rich: ConsoleState = { ...state, balance: state.balance - minBalance + boost };
  const run = schedule(rich, { kind: "user", login: actor }, steps, now);
  let lowest = rich.balance;
  for (const step of run.order) lowest = Math.min(lowest, step.balance_after);
  return Math.max(0, boost - lowest);
}

function failureIssue(
  draft: DraftStep,
  refusal: Refusal,
  position: number,
  minBalance: number,
  computeShortfall: () => number,
): PlanIssue {
  if (refusal.code === "insufficient_funds") {
    // This step's own gap (the simulation's zero is the policy minimum), and what the whole plan lacks.
    const total = computeShortfall();
    const own = typeof refusal.details?.short_cents === "number" ? refusal.details.short_cents : total;
    const policy = minBalance > 0 ? ` (keeping the policy minimum of ${formatEuro(minBalance)})` : "";
    return {
      code: "insufficient_funds",
      message: `wallet short by ${formatEuro(own)} at step ${position} (${draft.summary})${policy}`,
      fix:
        own === total
          ? `top up at least ${formatEuro(total)}`
          : `top up at least ${formatEuro(total)}: what the whole plan lacks, not only this step`,
      step_id: draft.id,
    };
  }
  return {
    code: refusal.code,
    message: `step ${position} (${draft.summary}) would be refused: ${refusal.message}`,
    fix: fixOf(refusal),
    step_id: draft.id,
  };
}

export { compareSteps };
