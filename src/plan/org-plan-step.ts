/**
 * The org plan in a plan: org.yaml's `organization.plan` is managed [MF], so a difference is a step
 * (`change_org_plan`), and the scheduler's simulation places it. Its room in each counted limit (paid seats,
 * free seats, custom domains) is what orders it: an upgrade frees room, so the users and domains that need it
 * come after; a downgrade uses room, so it comes after the removals that make the organization fit, and is
 * refused with the engine's exact overflow when nothing in the plan makes it fit.
 */
import type { DesiredOrg } from "../config/model.js";
import {
  type Cents,
  type ConsoleState,
  type Decision,
  type Organization,
  orgPlanPrice,
  orgPlanRoomDelta,
  type Refusal,
} from "../domain/index.js";
import type { NewStep } from "./diff/context.js";
import type { OrgPlanMoney } from "./model.js";
import type { ResourceUse } from "./resources.js";

/** The step as the diff adds it: its kind, key, symbol and flag come from the step table. */
export type OrgPlanDraft = NewStep;

/** The step that moves the live organization to org.yaml's org plan, or null when they agree (or none is set). */
export function orgPlanDraft(
  desired: DesiredOrg,
  live: ConsoleState,
  source: (path: (string | number)[]) => string,
): OrgPlanDraft | null {
  const wanted = desired.organization.plan;
  if (!wanted || wanted === live.org.plan) return null;
  const at = source(["organization", "plan"]);
  return {
    summary: `change org plan: ${live.org.plan} → ${wanted}`,
    operation: { op: "change_org_plan", plan: wanted },
    secret: null,
    patch: [{ op: "replace", path: "/plan", value: wanted }],
    was: { plan: live.org.plan },
    ...(at ? { source: at } : {}),
  };
}

/**
 * The scheduler's class of an org plan change: 0 when it only frees room (an upgrade: it runs early, before
 * what needs it), 2 when it takes room away (a downgrade: it runs late, after the removals).
 */
export function orgPlanRank(state: ConsoleState, plan: string): number {
  const delta = Object.values(orgPlanRoomDelta(state.catalog, state.org.plan, plan));
  if (delta.some((d) => d < 0)) return 2;
  return delta.some((d) => d > 0) ? 0 : 1;
}

/** How an allowed org plan change moves the room of the counted limits (positive frees room). */
export function orgPlanResourceUse(state: ConsoleState, next: Organization): ResourceUse {
  if (next.plan === state.org.plan) return [];
  const delta = orgPlanRoomDelta(state.catalog, state.org.plan, next.plan);
  const out: ResourceUse = [];
  if (delta.paid_seats !== 0) out.push(["paid_seats", delta.paid_seats]);
  if (delta.free_seats !== 0) out.push(["free_seats", delta.free_seats]);
  if (delta.custom_domains !== 0) out.push(["domains", delta.custom_domains]);
  return out;
}

/** The change a decision makes to the organization record, if any. */
export function orgOf(decision: Extract<Decision, { ok: true }>): Organization | null {
  for (const effect of decision.effects) if (effect.type === "put_org") return effect.org;
  return null;
}

/** The org plan line of a plan's cost summary: from and to, and the prorated charge (negative) or refund. */
export function orgPlanMoney(
  before: ConsoleState,
  after: ConsoleState,
  steps: readonly { action: string; amount_cents: Cents }[],
): OrgPlanMoney | undefined {
  if (before.org.plan === after.org.plan) return undefined;
  const amount = steps
    .filter((s) => s.action === "change_org_plan")
    .reduce((sum, s) => sum + s.amount_cents, 0);
  return {
    from: before.org.plan,
    to: after.org.plan,
    amount_cents: amount,
    yearly_fee_before_cents: orgPlanPrice(before.catalog, before.org.plan),
    yearly_fee_after_cents: orgPlanPrice(after.catalog, after.org.plan),
  };
}

/** The room an `org_plan_limit` refusal waits for: each limit it is over. */
export function orgPlanWakeKeys(refusal: Refusal): string[] {
  const overflows = (refusal.details?.overflows ?? []) as { limit: string }[];
  return overflows.map((o) => (o.limit === "custom_domains" ? "domains" : o.limit));
}
