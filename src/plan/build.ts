import type { DesiredOrg } from "../config/model.js";
import { countSteps } from "./build/counts.js";
import { planIdOf } from "./build/plan-id.js";
import { price } from "./build/price.js";
import { simulate } from "./build/simulate.js";
import { removalThreshold } from "./build/thresholds.js";
import { resolveVerification } from "./build/verification.js";
import { diff } from "./diff.js";
import type { LiveView } from "./live.js";
import { PLAN_FORMAT_VERSION, type Plan, type PlanIssue } from "./model.js";
import { compareSteps } from "./schedule.js";

export { RENEWAL_HORIZON_DAYS } from "./build/price.js";

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

/**
 * Desired + live → the ordered, priced, simulated plan. Pure: no I/O, the console's clock comes in `live`.
 * Named stages, each its own module in ./build/: diff → resolve verification → simulate → thresholds →
 * price → id.
 */
export function buildPlan(desired: DesiredOrg, live: LiveView, options: PlanOptions): Plan {
  const { state, actor, now } = live;
  const minBalance = desired.policy.min_balance_cents;

  // 1. diff: the steps that make the console match org.yaml, each with what it needs first.
  const result = diff({
    desired,
    live: state,
    actor: actor.login,
    ...(options.source ? { source: options.source } : {}),
  });
  // 2. resolve verification: the steps on a domain DNS does not prove yet wait.
  const { runnable, blocked } = resolveVerification(result.steps, state, options.verifiedTxt);
  // 3. simulate: the rule engine orders the steps and refuses what cannot be done.
  const acting = {
    kind: "user" as const,
    login: actor.login,
    ...(live.standIn ? { standIn: live.standIn } : {}),
  };
  const simulation = simulate(state, acting, runnable, now, minBalance);
  // 4. thresholds: a plan that removes too many users at once is an error unless forced.
  const tooMany = removalThreshold(
    desired.policy,
    state.users.size,
    result.removedUsers,
    options.force ?? false,
  );
  const errors: PlanIssue[] = [...result.errors, ...simulation.errors, ...(tooMany ? [tooMany] : [])];
  // 5. price: what the plan costs and returns, and the wallet along the way.
  const money = price(
    state,
    simulation.final,
    simulation.steps,
    errors,
    minBalance,
    now,
    simulation.shortfall,
  );

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
    steps: simulation.steps,
    blocked,
    errors,
    warnings: [...result.warnings],
    counts: countSteps(simulation.steps, blocked, simulation.failed, simulation.skipped),
    money,
  };
  // 6. id: the same inputs give the same plan id.
  return { plan_id: planIdOf(body), ...body };
}

export { compareSteps };
