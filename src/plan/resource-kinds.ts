import type { OperationName } from "../domain/index.js";
import type { PlanStep } from "./model.js";

/** The kinds of record a plan changes; each has one entry in `RESOURCE_KINDS` (the compiler asks for it). */
export type ResourceKind = "org" | "domain" | "group" | "user" | "alias" | "membership";

/** Where a drifted step's record lives in the audit log, and which entries changed what it differs in. */
export interface AuditSubject {
  target: string;
  /** Fields that, changed in the console, explain the drift (any of them). */
  fields: string[];
  /** Actions that explain the drift whatever fields they name (a record made or removed in the console). */
  actions: string[];
}

/** What `audit` gets besides the step: its changed fields, the actions it reverts, and the alias lookup. */
export interface AuditInputs {
  /** The JSON pointers of the fields the step changes. */
  fields: string[];
  /** The console actions the step reverts (`reverts` of its operation in step-kinds.ts). */
  reverts: readonly OperationName[];
  /** The user an alias address belongs to (live for removals, org.yaml for additions). */
  ownerOfAddress: (address: string) => string | null;
}

export interface ResourceKindSpec {
  /** The plan's section title for steps of this kind (text renderer). */
  title: string;
  /** The audit log's record behind a drifted step of this kind, or null when it cannot tell. */
  audit: (step: PlanStep, inputs: AuditInputs) => AuditSubject | null;
}

/** The usual audit subject: the record `<noun>/<key>`, its changed fields, the actions its step reverts. */
export const recordSubject =
  (noun: string, withFields = true) =>
  (step: PlanStep, { fields, reverts }: AuditInputs): AuditSubject => ({
    target: `${noun}/${step.key}`,
    fields: withFields ? fields : [],
    actions: [...reverts],
  });

/**
 * THE table of resource kinds, in the order plans list them: steps sort by it (schedule.ts `compareSteps`),
 * the text renderer shows one section per entry with its title, and drift's attribution asks each entry
 * where its records live in the audit log. What each operation is (its kind, key, symbol, the actions it
 * reverts, the records it reads) is the per-operation table in step-kinds.ts.
 */
export const RESOURCE_KINDS: { readonly [K in ResourceKind]: ResourceKindSpec } = {
  org: { title: "Organization", audit: (_step, { fields }) => ({ target: "org", fields, actions: [] }) },
  domain: { title: "Domains", audit: recordSubject("domain", false) },
  group: { title: "Groups", audit: recordSubject("group") },
  user: {
    title: "Users",
    audit: (step, inputs) =>
      recordSubject("user")(
        step,
        step.action === "set_password" ? { ...inputs, fields: ["/password"] } : inputs,
      ),
  },
  alias: {
    title: "Aliases",
    audit: (step, { ownerOfAddress }) => {
      const login = ownerOfAddress(step.key);
      return login ? { target: `user/${login}`, fields: ["/aliases"], actions: [] } : null;
    },
  },
  membership: {
    title: "Memberships",
    audit: (step) => {
      const [group, login] = step.key.split("/");
      return { target: `group/${group}`, fields: [`/members/${login}`], actions: [] };
    },
  },
};

/** Every kind, in plan order. */
export const RESOURCE_KIND_LIST = Object.keys(RESOURCE_KINDS) as ResourceKind[];

/** Each kind's position in plan order, for sorting steps. */
export const KIND_ORDER = Object.fromEntries(RESOURCE_KIND_LIST.map((kind, i) => [kind, i])) as {
  readonly [K in ResourceKind]: number;
};
