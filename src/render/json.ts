import type { Operation as PatchOperation } from "fast-json-patch";
import type { SecretRef } from "../config/model.js";
import type { RenewalForecast } from "../domain/renewals.js";
import type { BlockedStep, MoneySummary, Plan, PlanCounts, PlanIssue, PlanStep } from "../plan/model.js";

/**
 * The plan as JSON (schemas/plan.schema.json): two-space indent, a trailing newline, keys in the order of
 * the Plan interface. Free-form objects (operations, patch values) have their keys sorted, so the same
 * plan always gives the same bytes, however its objects were built. Optional fields that are absent are
 * left out; nothing is added or hidden: `orgctl apply PLANFILE` reads this back.
 */
export function renderJson(plan: Plan): string {
  return `${JSON.stringify(planJson(plan), null, 2)}\n`;
}

/** Only the keys given, in the order given; absent (undefined) optional keys are left out. */
function ordered(entries: [string, unknown][]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of entries) if (value !== undefined) out[key] = value;
  return out;
}

/** Any JSON value with object keys sorted, at every depth. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort())
      out[key] = canonical((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

function planJson(plan: Plan): Record<string, unknown> {
  return ordered([
    ["format_version", plan.format_version],
    ["plan_id", plan.plan_id],
    [
      "config",
      ordered([
        ["file", plan.config.file],
        ["hash", plan.config.hash],
      ]),
    ],
    [
      "console",
      ordered([
        ["target", plan.console.target],
        ["revision", plan.console.revision],
        ["org", plan.console.org],
        ["org_plan", plan.console.org_plan],
        [
          "actor",
          ordered([
            ["login", plan.console.actor.login],
            ["role", plan.console.actor.role],
          ]),
        ],
      ]),
    ],
    ["steps", plan.steps.map(stepJson)],
    ["blocked", plan.blocked.map(blockedJson)],
    ["errors", plan.errors.map(issueJson)],
    ["warnings", plan.warnings.map(issueJson)],
    ["counts", countsJson(plan.counts)],
    ["money", moneyJson(plan.money)],
    [
      "facts",
      plan.facts
        ? {
            users: plan.facts.users.map((u) =>
              ordered([
                ["login", u.login],
                ["status", u.status],
                ["last_login_at", u.last_login_at],
                ["invited_at", u.invited_at],
              ]),
            ),
          }
        : undefined,
    ],
  ]);
}

function stepJson(step: PlanStep): Record<string, unknown> {
  return ordered([
    ["id", step.id],
    ["index", step.index],
    ["action", step.action],
    ["kind", step.kind],
    ["key", step.key],
    ["symbol", step.symbol],
    ["summary", step.summary],
    ["destructive", step.destructive],
    ["replaces", step.replaces],
    ["operation", operationJson(step.operation)],
    ["secret", step.secret === undefined ? undefined : secretRefJson(step.secret)],
    ["source", step.source],
    ["patch", step.patch?.map(patchJson)],
    [
      "changes",
      step.changes?.map((c) =>
        ordered([
          ["path", c.path],
          ["from", canonical(c.from)],
          ["to", canonical(c.to)],
        ]),
      ),
    ],
    [
      "attribution",
      step.attribution
        ? ordered([
            ["by", step.attribution.by],
            ["via", step.attribution.via],
            ["at", step.attribution.at],
            ["action", step.attribution.action],
          ])
        : undefined,
    ],
    ["amount_cents", step.amount_cents],
    ["balance_after_cents", step.balance_after_cents],
    ["depends_on", [...step.depends_on]],
  ]);
}

/** An operation: its name first, then its arguments with their keys sorted. */
function operationJson(operation: PlanStep["operation"]): Record<string, unknown> {
  const { op, ...args } = operation;
  return { op, ...(canonical(args) as Record<string, unknown>) };
}

/** Where the secret comes from, and its rotation label: the only keys a reference has. */
function secretRefJson(ref: SecretRef): Record<string, unknown> {
  return ordered([
    ["env", ref.env],
    ["file", ref.file],
    ["rotation", ref.rotation ?? null],
  ]);
}

/** RFC 6902 member order: op, from, path, value. */
function patchJson(op: PatchOperation): Record<string, unknown> {
  const from = "from" in op ? op.from : undefined;
  const value = "value" in op ? canonical(op.value) : undefined;
  return ordered([
    ["op", op.op],
    ["from", from],
    ["path", op.path],
    ["value", value],
  ]);
}

function blockedJson(step: BlockedStep): Record<string, unknown> {
  return ordered([
    ["id", step.id],
    ["action", step.action],
    ["kind", step.kind],
    ["key", step.key],
    ["summary", step.summary],
    ["source", step.source],
    ["domain", step.domain],
    [
      "txt_record",
      step.txt_record === null
        ? null
        : ordered([
            ["name", step.txt_record.name],
            ["value", step.txt_record.value],
          ]),
    ],
    ["reason", step.reason],
  ]);
}

function issueJson(issue: PlanIssue): Record<string, unknown> {
  return ordered([
    ["code", issue.code],
    ["message", issue.message],
    ["drift", issue.drift],
    ["fix", issue.fix],
    ["step_id", issue.step_id],
    ["source", issue.source],
  ]);
}

function countsJson(counts: PlanCounts): Record<string, unknown> {
  return ordered([
    ["create", counts.create],
    ["update", counts.update],
    ["delete", counts.delete],
    ["replace", counts.replace],
    ["blocked", counts.blocked],
    ["failed", counts.failed],
    ["skipped", counts.skipped],
  ]);
}

function renewalJson(renewal: RenewalForecast): Record<string, unknown> {
  return ordered([
    ["login", renewal.login],
    ["plan", renewal.plan],
    ["due", renewal.due],
    ["amount_cents", renewal.amount_cents],
    ["unpaid", renewal.unpaid],
  ]);
}

function moneyJson(money: MoneySummary): Record<string, unknown> {
  return ordered([
    ["currency", money.currency],
    ["balance_before_cents", money.balance_before_cents],
    ["balance_after_cents", money.balance_after_cents],
    ["charges_cents", money.charges_cents],
    ["refunds_cents", money.refunds_cents],
    ["lowest_balance_cents", money.lowest_balance_cents],
    ["min_balance_cents", money.min_balance_cents],
    ["yearly_cost_before_cents", money.yearly_cost_before_cents],
    ["yearly_cost_after_cents", money.yearly_cost_after_cents],
    [
      "org_plan",
      money.org_plan
        ? ordered([
            ["from", money.org_plan.from],
            ["to", money.org_plan.to],
            ["amount_cents", money.org_plan.amount_cents],
            ["yearly_fee_before_cents", money.org_plan.yearly_fee_before_cents],
            ["yearly_fee_after_cents", money.org_plan.yearly_fee_after_cents],
          ])
        : undefined,
    ],
    ["renewals_due", money.renewals_due.map(renewalJson)],
    ["renewals_horizon_days", money.renewals_horizon_days],
    ["shortfall_cents", money.shortfall_cents],
    ["priced_on", money.priced_on],
  ]);
}
