import type { PlanStep } from "../plan/model.js";

/**
 * What each step must wait for when steps run in parallel. The plan's order is one order in which every
 * rule holds; a step may run before an earlier step only when the two commute. They do not commute when:
 * - they touch the same user, group, domain or address (their explicit dependencies and shared keys);
 * - a charge follows a refund (the charge may need the money); charges among themselves commute, since the
 *   plan showed all of them affordable together;
 * - a seat is taken after one is freed, an org_admin is removed after one is added, or a domain is added
 *   after one is removed (the limits may need the earlier step).
 * Returns, for each step id, the ids it waits for. Pure.
 */
export function executionGraph(steps: PlanStep[]): Map<string, Set<string>> {
  const waits = new Map<string, Set<string>>();
  const lastOnKey = new Map<string, string>();
  const refunds: string[] = [];
  const seatFrees: string[] = [];
  const adminAdds: string[] = [];
  const domainRemovals: string[] = [];
  const sorted = [...steps].sort((a, b) => a.index - b.index);
  const ids = new Set(sorted.map((s) => s.id));
  for (const step of sorted) {
    const wait = new Set(step.depends_on.filter((id) => ids.has(id)));
    for (const key of entityKeys(step)) {
      const previous = lastOnKey.get(key);
      if (previous) wait.add(previous);
      lastOnKey.set(key, step.id);
    }
    if (step.amount_cents < 0) for (const id of refunds) wait.add(id);
    if (takesSeat(step)) for (const id of seatFrees) wait.add(id);
    if (removesAdmin(step)) for (const id of adminAdds) wait.add(id);
    if (step.action === "create_domain") for (const id of domainRemovals) wait.add(id);

    if (step.amount_cents > 0) refunds.push(step.id);
    if (freesSeat(step)) seatFrees.push(step.id);
    if (addsAdmin(step)) adminAdds.push(step.id);
    if (step.action === "delete_domain") domainRemovals.push(step.id);
    wait.delete(step.id);
    waits.set(step.id, wait);
  }
  return waits;
}

function entityKeys(step: PlanStep): string[] {
  switch (step.kind) {
    case "user":
      return [`user:${step.key}`];
    case "alias": {
      const login = (step.operation as { login?: string }).login;
      return [`address:${step.key}`, ...(login ? [`user:${login}`] : [])];
    }
    case "membership": {
      const [group, login] = step.key.split("/");
      return [`membership:${group}/${login}`, `user:${login}`];
    }
    case "group":
      return [`group:${step.key}`];
    case "domain":
      return [`domain:${step.key}`];
    case "org":
      return ["org"];
  }
}

function takesSeat(step: PlanStep): boolean {
  return step.action === "create_user" || step.action === "change_plan";
}

function freesSeat(step: PlanStep): boolean {
  return step.action === "delete_user" || step.action === "change_plan";
}

function addsAdmin(step: PlanStep): boolean {
  const op = step.operation;
  const role = op.op === "change_role" ? op.role : op.op === "create_user" ? op.user.role : undefined;
  return (
    step.action === "enable_user" ||
    (step.action === "change_role" && role === "org_admin") ||
    (step.action === "create_user" && role === "org_admin")
  );
}

function removesAdmin(step: PlanStep): boolean {
  return step.action === "change_role" || step.action === "disable_user" || step.action === "delete_user";
}
