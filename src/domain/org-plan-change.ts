import { type Catalog, findOrgPlan, type OrgPlanSpec, orgPlanPrice } from "./catalog.js";
import type { Decision, Effect } from "./engine.js";
import type { ConsoleState, LedgerDraft, User } from "./model.js";
import { type Cents, type Day, daysLeft, prorateChange } from "./money.js";
import type { OperationOf } from "./operations.js";
import { isAllowed } from "./permissions.js";
import { type Refusal, refuse } from "./refusal.js";

/** What the organization uses of the limits an org plan sets. */
export interface OrgPlanUse {
  paid_seats: number;
  free_seats: number;
  custom_domains: number;
}

/** One limit the organization is over on an org plan: what it uses and what the plan allows. */
export interface OrgPlanOverflow {
  limit: keyof OrgPlanUse;
  used: number;
  allowed: number;
}

const LIMIT_WORDS: Record<keyof OrgPlanUse, string> = {
  paid_seats: "paid seats",
  free_seats: "free seats",
  custom_domains: "custom domains",
};

/** Each limit of `orgPlan` that `use` is over, in the rule book's order: paid seats, free seats, domains. */
export function orgPlanOverflows(orgPlan: OrgPlanSpec, use: OrgPlanUse): OrgPlanOverflow[] {
  return (Object.keys(LIMIT_WORDS) as (keyof OrgPlanUse)[])
    .filter((limit) => use[limit] > orgPlan[limit])
    .map((limit) => ({ limit, used: use[limit], allowed: orgPlan[limit] }));
}

/**
 * org_plan_limit [MF]: a downgrade is refused while the organization uses more paid seats, free seats or
 * custom domains than the new plan allows, naming each overflow exactly ("193 paid seats used, entry allows 2").
 */
export function orgPlanLimitRefusal(orgPlan: OrgPlanSpec, use: OrgPlanUse): Refusal | null {
  const overflows = orgPlanOverflows(orgPlan, use);
  if (overflows.length === 0) return null;
  const said = overflows.map(
    (o) => `${o.used} ${LIMIT_WORDS[o.limit]} used, ${orgPlan.name} allows ${o.allowed}`,
  );
  return refuse(
    "org_plan_limit",
    `the organization does not fit the ${orgPlan.name} org plan: ${said.join("; ")}; remove users or domains first, or keep a larger org plan`,
    { plan: orgPlan.name, overflows },
  );
}

/** What the organization uses now, from the state's counters. */
export function orgPlanUseOf(state: ConsoleState): OrgPlanUse {
  return {
    paid_seats: state.counters.paid_seats,
    free_seats: state.counters.free_seats,
    custom_domains: state.domains.size,
  };
}

/**
 * The signed wallet movement of moving the organization from `from` to `to` with `left` days in its period:
 * an upgrade charges `ceil((new - old) * days_left / 365)`, a downgrade refunds `floor((old - new) * days_left
 * / 365)` [MF]. Negative is a charge.
 */
export function orgPlanMovement(catalog: Catalog, from: string, to: string, left: number): Cents {
  return prorateChange(orgPlanPrice(catalog, from), orgPlanPrice(catalog, to), left);
}

/** How much room each counted limit gains (positive) or loses (negative) when the org plan changes. */
export function orgPlanRoomDelta(catalog: Catalog, from: string, to: string): OrgPlanUse {
  const before = findOrgPlan(catalog, from);
  const after = findOrgPlan(catalog, to);
  const of = (spec: OrgPlanSpec | undefined, limit: keyof OrgPlanUse) => spec?.[limit] ?? 0;
  return {
    paid_seats: of(after, "paid_seats") - of(before, "paid_seats"),
    free_seats: of(after, "free_seats") - of(before, "free_seats"),
    custom_domains: of(after, "custom_domains") - of(before, "custom_domains"),
  };
}

/**
 * change_org_plan [MF]: an org_admin moves the organization to another org plan. The new limits apply at once,
 * the period dates stay, the fee difference is prorated over the days left. Pure, like every handler.
 */
export function decideOrgPlanChange(
  state: ConsoleState,
  actor: User | null,
  op: OperationOf<"change_org_plan">,
  today: Day,
): Decision {
  const no = (refusal: Refusal): Decision => ({ ok: false, refusal });
  if (actor && !isAllowed(actor.role, "change_org_plan")) {
    return no(
      refuse(
        "forbidden",
        actor.role === "member"
          ? `${actor.login} is a member and has no admin access`
          : `a ${actor.role} may not change the org plan; only an org_admin may`,
        { action: "change_org_plan", role: actor.role },
      ),
    );
  }
  const org = state.org;
  const target = findOrgPlan(state.catalog, op.plan);
  if (!target) {
    return no(
      refuse(
        "invalid",
        `org plan ${op.plan} is not in the catalog; choose one of ${state.catalog.org_plans.map((p) => p.name).join(", ")}`,
        { plan: op.plan },
      ),
    );
  }
  if (org.plan === op.plan) {
    return no(
      refuse("conflict", `the organization is already on the ${op.plan} org plan`, { plan: op.plan }),
    );
  }
  const overflow = orgPlanLimitRefusal(target, orgPlanUseOf(state));
  if (overflow) return no(overflow);
  const movement =
    org.billing === "ok"
      ? orgPlanMovement(state.catalog, org.plan, op.plan, daysLeft(org.period_end, today))
      : 0;
  if (movement < 0 && state.balance + movement < 0) {
    const charge = -movement;
    const short = charge - state.balance;
    return no(
      refuse(
        "insufficient_funds",
        `moving the organization from ${org.plan} to ${op.plan} costs ${charge} cents but the wallet holds ${state.balance}; top up at least ${short} cents`,
        { charge_cents: charge, balance_cents: state.balance, short_cents: short },
      ),
    );
  }
  const effects: Effect[] = [{ type: "put_org", org: { ...org, plan: op.plan } }];
  const ledger: LedgerDraft[] =
    movement !== 0
      ? [
          {
            amount_cents: movement,
            reason: "org_plan_change",
            login: null,
            plan: op.plan,
            memo: `organization: ${org.plan} → ${op.plan}`,
          },
        ]
      : [];
  return { ok: true, effects, ledger };
}
