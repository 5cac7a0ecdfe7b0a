import type { Attribution, Plan, PlanStep } from "./model.js";
import { type AuditSubject, RESOURCE_KINDS, revertsOf } from "./step-kinds.js";

/** An audit log entry as the console serves it (`API.audit` in src/api/routes.ts), reduced to what attribution reads. */
export interface AuditRecord {
  at: string;
  actor: {
    kind: "user" | "system" | "anonymous";
    login: string | null;
    credential: { id: string; kind: "api" | "session"; name: string } | null;
  };
  action: string;
  target: string;
  fields: string[];
  outcome: "ok" | "refused";
}

export type { AuditSubject };

/**
 * What in the audit log explains a drifted step: the step undoes a change made in the console, so the
 * explaining entry is the opposite action on the same record (the operation's `reverts` in step-kinds.ts),
 * or a change of the same fields. Where each kind's records live is the kind table's (step-kinds.ts).
 * `ownerOfAddress` finds the user an alias address belongs to (live for removals, org.yaml for additions).
 */
export function auditSubjectOf(
  step: PlanStep,
  ownerOfAddress: (address: string) => string | null,
): AuditSubject | null {
  const fields = (step.changes ?? []).map((c) => c.path);
  return RESOURCE_KINDS[step.kind].audit(step, { fields, reverts: revertsOf(step.action), ownerOfAddress });
}

/** How an entry's actor acted, in words: `session`, `api token "ci"`, or `console`. */
export function viaOf(entry: AuditRecord): string {
  if (entry.actor.kind === "system") return "console";
  const credential = entry.actor.credential;
  if (!credential) return "unknown credential";
  return credential.kind === "session" ? "session" : `api token ${JSON.stringify(credential.name)}`;
}

/**
 * Names, for each drifted step, the newest audit entry that explains it. `entries` run newest first. Steps
 * no entry explains are left as they are. Pure.
 */
export function attribute(
  plan: Plan,
  entries: AuditRecord[],
  ownerOfAddress: (address: string) => string | null,
): number {
  const byTarget = new Map<string, AuditRecord[]>();
  for (const entry of entries) {
    if (entry.outcome !== "ok") continue;
    const list = byTarget.get(entry.target);
    if (list) list.push(entry);
    else byTarget.set(entry.target, [entry]);
  }
  let attributed = 0;
  for (const step of plan.steps) {
    const subject = auditSubjectOf(step, ownerOfAddress);
    if (!subject) continue;
    const entry = (byTarget.get(subject.target) ?? []).find(
      (e) => subject.actions.includes(e.action) || e.fields.some((f) => subject.fields.includes(f)),
    );
    if (!entry) continue;
    const attribution: Attribution = {
      by: entry.actor.login,
      via: viaOf(entry),
      at: entry.at,
      action: entry.action,
    };
    step.attribution = attribution;
    attributed += 1;
  }
  return attributed;
}
