import type { Attribution, Plan, PlanStep } from "./model.js";

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

/** Where a drifted step's record lives in the audit log, and which entries changed what it differs in. */
export interface AuditSubject {
  target: string;
  /** Fields that, changed in the console, explain the drift (any of them). */
  fields: string[];
  /** Actions that explain the drift whatever fields they name (a record made or removed in the console). */
  actions: string[];
}

/**
 * What in the audit log explains a drifted step: the step undoes a change made in the console, so the
 * explaining entry is the opposite action on the same record, or a change of the same fields.
 * `ownerOfAddress` finds the user an alias address belongs to (live for removals, org.yaml for additions).
 */
export function auditSubjectOf(
  step: PlanStep,
  ownerOfAddress: (address: string) => string | null,
): AuditSubject | null {
  const fields = (step.changes ?? []).map((c) => c.path);
  switch (step.kind) {
    case "org":
      return { target: "org", fields, actions: [] };
    case "domain":
      return { target: `domain/${step.key}`, fields: [], actions: opposite(step.action) };
    case "group":
      return { target: `group/${step.key}`, fields, actions: opposite(step.action) };
    case "membership": {
      const [group, login] = step.key.split("/");
      return { target: `group/${group}`, fields: [`/members/${login}`], actions: [] };
    }
    case "alias": {
      const login = ownerOfAddress(step.key);
      return login ? { target: `user/${login}`, fields: ["/aliases"], actions: [] } : null;
    }
    case "user": {
      const userFields = step.action === "set_password" ? ["/password"] : fields;
      return { target: `user/${step.key}`, fields: userFields, actions: opposite(step.action) };
    }
  }
}

/** The console actions that a step reverts. */
function opposite(action: string): string[] {
  switch (action) {
    case "create_user":
      return ["delete_user"];
    case "delete_user":
    case "disable_user":
      return ["create_user", "enable_user"];
    case "enable_user":
      return ["disable_user"];
    case "create_group":
      return ["delete_group"];
    case "delete_group":
      return ["create_group"];
    case "create_domain":
      return ["delete_domain"];
    case "delete_domain":
      return ["create_domain"];
    default:
      return [];
  }
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
