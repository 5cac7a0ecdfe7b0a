/**
 * Plan values built by hand for the renderer tests: steps get their run-order index and the wallet balance
 * after them; counts and the money totals follow from the steps unless a test overrides them.
 */
import type {
  BlockedStep,
  MoneySummary,
  Plan,
  PlanIssue,
  PlannedOperation,
  PlanStep,
} from "../../src/plan/model.js";

export type StepSpec = Partial<Omit<PlanStep, "index" | "balance_after_cents">> &
  Pick<PlanStep, "id" | "kind" | "action" | "symbol" | "summary">;

/** A plausible operation for a hand-made step, from its action and key (a test may give its own). */
function operationOf(action: PlanStep["action"], key: string): PlannedOperation {
  const [group = "", login = ""] = key.split("/");
  const byAction: Record<string, PlannedOperation> = {
    update_org: { op: "update_org", name: key },
    create_user: {
      op: "create_user",
      user: {
        login: key,
        email: `${key}@acme.test`,
        first_name: key,
        last_name: key,
        plan: "pro",
        role: "member",
      },
    },
    add_member: { op: "add_member", group, login },
    remove_member: { op: "remove_member", group, login },
    add_alias: { op: "add_alias", login: "bob", address: key },
    remove_alias: { op: "remove_alias", login: "bob", address: key },
    create_group: { op: "create_group", name: key, description: "" },
    update_group: { op: "update_group", name: key, description: "" },
    rename_group: { op: "rename_group", name: `${key}-old`, to: key },
    change_plan: { op: "change_plan", login: key, plan: "pro" },
    change_role: { op: "change_role", login: key, role: "member" },
    update_user: { op: "update_user", login: key },
    set_password: { op: "set_password", login: key, rotation: null },
  };
  const named = action.endsWith("_domain")
    ? { name: key }
    : action.endsWith("_group")
      ? { name: key }
      : { login: key };
  return byAction[action] ?? ({ op: action, ...named } as PlannedOperation);
}

export function step(spec: StepSpec): Omit<PlanStep, "index" | "balance_after_cents"> {
  const key = spec.key ?? spec.id.split("/").slice(1).join("/").split(":")[0] ?? "";
  return {
    key,
    destructive: false,
    operation: operationOf(spec.action, key),
    amount_cents: 0,
    depends_on: [],
    ...spec,
  };
}

export interface PlanSpec {
  balance?: number;
  steps?: Omit<PlanStep, "index" | "balance_after_cents">[];
  blocked?: BlockedStep[];
  errors?: PlanIssue[];
  warnings?: PlanIssue[];
  money?: Partial<MoneySummary>;
}

export function buildPlan(spec: PlanSpec = {}): Plan {
  const before = spec.balance ?? 12_000;
  let balance = before;
  let lowest = before;
  const steps: PlanStep[] = (spec.steps ?? []).map((s, i) => {
    balance += s.amount_cents;
    lowest = Math.min(lowest, balance);
    return { ...s, index: i + 1, balance_after_cents: balance };
  });
  const counts = {
    create: 0,
    update: 0,
    delete: 0,
    replace: 0,
    blocked: spec.blocked?.length ?? 0,
    failed: 0,
    skipped: 0,
  };
  const replaced = new Set<string>();
  for (const s of steps) {
    if (s.replaces) replaced.add(s.replaces);
    else if (s.symbol === "+") counts.create += 1;
    else if (s.symbol === "-") counts.delete += 1;
    else counts.update += 1;
  }
  counts.replace = replaced.size;
  return {
    format_version: 2,
    plan_id: "0123456789abcdef",
    config: { file: "org.yaml", hash: "5f1e2d3c4b5a69788796a5b4c3d2e1f0" },
    console: {
      target: "https://console.acme.example",
      revision: 42,
      org: "Acme",
      org_plan: "pro",
      actor: { login: "alice", role: "org_admin" },
    },
    steps,
    blocked: spec.blocked ?? [],
    errors: spec.errors ?? [],
    warnings: spec.warnings ?? [],
    counts,
    money: {
      currency: "EUR",
      balance_before_cents: before,
      balance_after_cents: balance,
      charges_cents: -steps.reduce((sum, s) => sum + Math.min(0, s.amount_cents), 0),
      refunds_cents: steps.reduce((sum, s) => sum + Math.max(0, s.amount_cents), 0),
      lowest_balance_cents: lowest,
      min_balance_cents: 0,
      yearly_cost_before_cents: 27_000,
      yearly_cost_after_cents: 36_000,
      renewals_due: [],
      renewals_horizon_days: 30,
      shortfall_cents: 0,
      priced_on: "2026-03-01",
      ...spec.money,
    },
  };
}

/**
 * A plan with one step of every sort the renderers treat differently: a rename of the org (run late, shown
 * first), a `-/+` replacement with a password from the environment, a destructive delete with a refund, a
 * plan change with a patch, creations, a blocked verification with its TXT record and one without, an error
 * with fix and source, a warning and a renewal.
 */
export function samplePlan(overrides: Omit<PlanSpec, "steps"> = {}): Plan {
  return buildPlan({
    steps: [
      step({
        id: "domain/example.org:create_domain",
        kind: "domain",
        action: "create_domain",
        symbol: "+",
        summary: "add domain example.org",
      }),
      step({
        id: "group/eng:create_group",
        kind: "group",
        action: "create_group",
        symbol: "+",
        summary: "create group eng",
      }),
      step({
        id: "user/carol:delete_user",
        kind: "user",
        action: "delete_user",
        symbol: "-",
        summary: "delete user carol <carol@acme.test> (pro)",
        destructive: true,
        amount_cents: 1233,
      }),
      step({
        id: "user/dave:delete_user",
        kind: "user",
        action: "delete_user",
        symbol: "-/+",
        summary: "delete user dave <dave@old.test> (pro)",
        destructive: true,
        replaces: "dave",
        amount_cents: 500,
      }),
      step({
        id: "user/dave:create_user",
        kind: "user",
        action: "create_user",
        symbol: "-/+",
        summary: "create user dave <dave@acme.test> on pro as member with password",
        replaces: "dave",
        operation: {
          op: "create_user",
          user: {
            login: "dave",
            email: "dave@acme.test",
            first_name: "Dave",
            last_name: "Doe",
            plan: "pro",
            role: "member",
            password_rotation: "2026-q1",
          },
        },
        secret: { env: "DAVE_PASSWORD", rotation: "2026-q1" },
        amount_cents: -9000,
        depends_on: ["user/dave:delete_user"],
      }),
      step({
        id: "user/bob:change_plan",
        kind: "user",
        action: "change_plan",
        symbol: "~",
        summary: "change plan of bob: entry → pro",
        patch: [{ op: "replace", path: "/plan", value: "pro" }],
        changes: [{ path: "/plan", from: "entry", to: "pro" }],
        amount_cents: -3000,
      }),
      step({
        id: "org/acme:update_org",
        kind: "org",
        action: "update_org",
        symbol: "~",
        summary: 'rename the organization "Acme" → "Acme | Inc"',
        patch: [{ op: "replace", path: "/name", value: "Acme | Inc" }],
        changes: [{ path: "/name", from: "Acme", to: "Acme | Inc" }],
      }),
      step({
        id: "membership/eng/bob:add_member",
        kind: "membership",
        action: "add_member",
        symbol: "+",
        summary: "add bob to group eng",
        depends_on: ["group/eng:create_group"],
      }),
      step({
        id: "alias/b@acme.test:add_alias",
        kind: "alias",
        action: "add_alias",
        symbol: "+",
        summary: "add alias b@acme.test to bob",
      }),
    ],
    blocked: [
      {
        id: "domain/new.example:verify_domain",
        action: "verify_domain",
        kind: "domain",
        key: "new.example",
        summary: "verify domain new.example",
        domain: "new.example",
        txt_record: { name: "_orgctl-verification.new.example", value: "orgctl-verification=tok123" },
        reason: "new.example is pending verification; publish its TXT record, then plan again",
      },
      {
        id: "alias/eve@later.example:add_alias",
        action: "add_alias",
        kind: "alias",
        key: "eve@later.example",
        summary: "add alias eve@later.example to eve",
        domain: "later.example",
        txt_record: null,
        reason:
          "later.example must be created and verified first; apply, publish the TXT record orgctl shows, then plan again",
      },
    ],
    warnings: [
      { code: "unknown_profile_field", message: "profile field nickname is ignored", source: "org.yaml:3:5" },
    ],
    money: {
      renewals_due: [{ login: "bob", plan: "pro", due: "2026-03-10", amount_cents: 9000, unpaid: false }],
    },
    ...overrides,
  });
}

export const SAMPLE_ERROR: PlanIssue = {
  code: "self_action",
  message: "org.yaml changes the role of alice, the acting user (org_admin → member)",
  fix: "keep role org_admin for alice, or run with another org_admin's token",
  source: "org.yaml:12:7",
};
