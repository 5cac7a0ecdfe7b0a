import { isDeepStrictEqual } from "node:util";
import type { SecretRef } from "../config/model.js";
import {
  GROUP_NAME,
  isValidDomainName,
  isWellFormedAddress,
  LOGIN,
  type NewUser,
  type Operation,
  type OperationName,
} from "../domain/index.js";
import type { Plan, PlanStep } from "./model.js";
import { requestFor } from "./requests.js";

/** One reason a plan file is refused: where (the step, when it is about one) and what is wrong. */
export interface PlanFileProblem {
  /** 1-based position in the file's `steps`, and the step's id when it has one. */
  step?: { position: number; id?: string };
  /** JSON pointer of the offending value. */
  pointer: string;
  message: string;
}

/** Ajv-style error, as the plan schema validator reports it. */
export interface SchemaError {
  instancePath: string;
  schemaPath?: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/**
 * Checks a plan file's value, which is hostile input: the schema first (shape, types, patterns), then that
 * each step's request is exactly the one the planner makes for that step's action (`requestFor`, the code
 * that builds requests), with well-formed identifiers, and that the steps form a run order. An empty list
 * means the plan may be applied. Pure.
 */
export function checkPlanFile(
  value: unknown,
  validateSchema: (value: unknown) => SchemaError[],
): PlanFileProblem[] {
  const schemaErrors = validateSchema(value);
  if (schemaErrors.length > 0) return schemaProblems(schemaErrors, value);
  const plan = value as Plan;
  const problems: PlanFileProblem[] = [];
  const ids = new Map<string, number>();
  plan.steps.forEach((step, i) => {
    const at = { position: i + 1, id: step.id };
    const pointer = `/steps/${i}`;
    if (step.index !== i + 1) {
      problems.push({
        step: at,
        pointer: `${pointer}/index`,
        message: `index is ${step.index}, not ${i + 1}`,
      });
    }
    if (ids.has(step.id)) {
      problems.push({
        step: at,
        pointer: `${pointer}/id`,
        message: `the id is also step ${ids.get(step.id)}'s`,
      });
    }
    for (const [d, dependency] of step.depends_on.entries()) {
      // A step may only wait for an earlier one: that also rules out a cycle that would never run.
      if (!ids.has(dependency)) {
        problems.push({
          step: at,
          pointer: `${pointer}/depends_on/${d}`,
          message: `depends on ${JSON.stringify(dependency)}, which is not an earlier step`,
        });
      }
    }
    ids.set(step.id, i + 1);
    const wrong = requestProblem(step);
    if (wrong) problems.push({ step: at, pointer: `${pointer}/request`, message: wrong });
  });
  return problems;
}

/**
 * Secret references checked against the org.yaml the plan was made from (when it is at hand and unchanged):
 * a step may only read the password org.yaml names for that user, so that a changed plan cannot send
 * another file or variable to the console as someone's password.
 */
export function checkSecretRefs(
  plan: Plan,
  passwordOf: (login: string) => SecretRef | null,
): PlanFileProblem[] {
  const problems: PlanFileProblem[] = [];
  plan.steps.forEach((step, i) => {
    const ref = step.request.secret?.ref;
    if (!ref) return;
    if (!isDeepStrictEqual(withoutUndefined(ref), withoutUndefined(passwordOf(step.key)))) {
      problems.push({
        step: { position: i + 1, id: step.id },
        pointer: `/steps/${i}/request/secret/ref`,
        message: `is not the password reference org.yaml gives ${step.key}`,
      });
    }
  });
  return problems;
}

/** One line per problem, naming the step: `step 3 (user/bob:create_user): ...`. */
export function formatPlanFileProblem(problem: PlanFileProblem): string {
  const where = problem.step
    ? `step ${problem.step.position}${problem.step.id ? ` (${problem.step.id})` : ""}`
    : problem.pointer || "the plan";
  const field = problem.step ? problem.pointer.replace(/^\/steps\/\d+/, "") : "";
  return `${where}${field ? ` ${field.slice(1)}` : ""}: ${problem.message}`;
}

// --- each step's request, rebuilt ------------------------------------------------------------------------

type Fields = Record<string, unknown>;

/**
 * The operation a step carries out, recovered from its identity (`key`, the path) and its body; `requestFor`
 * then rebuilds the request, which must equal the file's. Only identities are read here: the method, the
 * path's shape and the body's fields all come from `requestFor`. Null for actions a plan never holds.
 */
const OPERATION_OF: { [K in OperationName]?: (step: PlanStep, body: Fields, path: string[]) => Operation } = {
  update_org: (_s, body) => ({ op: "update_org", name: body.name as string }),
  create_domain: (s) => ({ op: "create_domain", name: s.key, verification_token: "" }),
  verify_domain: (s) => ({ op: "verify_domain", name: s.key }),
  delete_domain: (s) => ({ op: "delete_domain", name: s.key }),
  create_group: (s, body) => ({ op: "create_group", name: s.key, description: body.description as string }),
  update_group: (s, body) => ({ op: "update_group", name: s.key, description: body.description as string }),
  delete_group: (s) => ({ op: "delete_group", name: s.key }),
  rename_group: (s, _b, path) => ({ op: "rename_group", name: path[2] ?? "", to: s.key }),
  add_member: (s) => ({ op: "add_member", ...membership(s.key) }),
  remove_member: (s) => ({ op: "remove_member", ...membership(s.key) }),
  create_user: (_s, body) => {
    const { password_rotation: _rotation, ...user } = body;
    return { op: "create_user", user: user as unknown as NewUser };
  },
  update_user: (s, body) => ({ ...body, op: "update_user", login: s.key }),
  disable_user: (s) => ({ op: "disable_user", login: s.key }),
  enable_user: (s) => ({ op: "enable_user", login: s.key }),
  delete_user: (s) => ({ op: "delete_user", login: s.key }),
  change_plan: (s, body) => ({ op: "change_plan", login: s.key, plan: body.plan as string }),
  change_role: (s, body) => ({ op: "change_role", login: s.key, role: body.role as never }),
  set_password: (s) => ({ op: "set_password", login: s.key }),
  add_alias: (s, _b, path) => ({ op: "add_alias", login: path[2] ?? "", address: s.key }),
  remove_alias: (s, _b, path) => ({ op: "remove_alias", login: path[2] ?? "", address: s.key }),
};

function membership(key: string): { group: string; login: string } {
  const slash = key.indexOf("/");
  return slash === -1
    ? { group: key, login: "" }
    : { group: key.slice(0, slash), login: key.slice(slash + 1) };
}

/** What is wrong with a step's request, or null when it is exactly what the planner makes for it. */
function requestProblem(step: PlanStep): string | null {
  const recover = OPERATION_OF[step.action];
  if (!recover) return `orgctl never plans a ${step.action} step`;
  const segments = step.request.path.split("/").slice(1).map(decodeSegment);
  const operation = recover(
    step,
    step.request.body ?? {},
    segments.map((s) => s ?? ""),
  );
  const badName = badIdentifier(operation);
  if (badName) return badName;
  const login = (operation as { user?: { login?: unknown } }).user?.login;
  if (login !== undefined && login !== step.key) {
    return `the step is about ${JSON.stringify(step.key)} but creates ${JSON.stringify(login)}`;
  }
  if (step.request.secret && !["create_user", "set_password"].includes(step.action)) {
    return `a ${step.action} step never carries a secret`;
  }
  if (step.action === "set_password" && !step.request.secret)
    return "a set_password step needs a secret reference";
  const secret: SecretRef | null = step.request.secret?.ref ?? null;
  let expected: ReturnType<typeof requestFor>;
  try {
    expected = requestFor(operation, secret);
  } catch {
    return `orgctl never plans a ${step.action} step`;
  }
  const actual = step.request;
  if (actual.method !== expected.method || actual.path !== expected.path) {
    return `${step.action} is sent as ${expected.method} ${expected.path}, not ${actual.method} ${actual.path}`;
  }
  if (!isDeepStrictEqual(withoutUndefined(actual.body ?? null), withoutUndefined(expected.body ?? null))) {
    const allowed = Object.keys(expected.body ?? {});
    const extra = Object.keys(actual.body ?? {}).filter((k) => !allowed.includes(k));
    return extra.length > 0
      ? `the body has fields a ${step.action} never sends: ${extra.join(", ")}`
      : `the body is not the one a ${step.action} of ${step.key} sends`;
  }
  if (!isDeepStrictEqual(actual.secret ?? null, expected.secret ?? null)) {
    return "the secret is not a reference to the password of this user";
  }
  return null;
}

function decodeSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/** The first identifier of the operation that the console would not accept, as a sentence. */
function badIdentifier(operation: Operation): string | null {
  const fields = operation as unknown as Fields;
  const user = (fields.user ?? {}) as Fields;
  const checks: [unknown, string, (value: string) => boolean][] = [
    [fields.login ?? user.login, "login", (v) => LOGIN.test(v)],
    [
      operation.op.endsWith("_group") || operation.op.endsWith("_member")
        ? (fields.name ?? fields.group)
        : undefined,
      "group name",
      (v) => GROUP_NAME.test(v),
    ],
    [operation.op === "rename_group" ? fields.to : undefined, "group name", (v) => GROUP_NAME.test(v)],
    [operation.op.endsWith("_domain") ? fields.name : undefined, "domain", isValidDomainName],
    [fields.address ?? user.email, "address", isWellFormedAddress],
  ];
  for (const [value, what, valid] of checks) {
    if (value === undefined) continue;
    if (typeof value !== "string" || !valid(value)) return `${JSON.stringify(value)} is not a valid ${what}`;
  }
  for (const address of [...((user.aliases as unknown[]) ?? [])]) {
    if (typeof address !== "string" || !isWellFormedAddress(address))
      return `${JSON.stringify(address)} is not a valid address`;
  }
  for (const group of [...((user.groups as unknown[]) ?? [])]) {
    if (typeof group !== "string" || !GROUP_NAME.test(group))
      return `${JSON.stringify(group)} is not a valid group name`;
  }
  return null;
}

function withoutUndefined(value: unknown): unknown {
  return value === null || typeof value !== "object" ? value : JSON.parse(JSON.stringify(value));
}

// --- schema errors ----------------------------------------------------------------------------------------

/** Plain words for the schema's refusals; the value itself is never repeated (it may be a secret). */
const SCHEMA_MESSAGES: Record<string, (error: SchemaError) => string> = {
  additionalProperties: () => "is not a field of an orgctl plan",
  required: (e) => `needs "${String(e.params.missingProperty)}"`,
  pattern: () =>
    "is not in the form orgctl writes (an API path under /v1 with encoded segments, an id, a hash)",
  propertyNames: (e) =>
    `holds the field "${String(e.params.propertyName)}": a plan never holds a secret, only a reference to it`,
  enum: (e) => `must be one of ${((e.params.allowedValues as unknown[]) ?? []).join(", ")}`,
  const: (e) => `must be ${JSON.stringify(e.params.allowedValue)}`,
};

function schemaProblems(errors: SchemaError[], value: unknown): PlanFileProblem[] {
  const problems: PlanFileProblem[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    // oneOf/anyOf summaries repeat what their branches said.
    if (error.keyword === "oneOf" || error.keyword === "anyOf") continue;
    // The propertyNames error that follows says it better than its inner `not`.
    if (error.schemaPath?.includes("/propertyNames/")) continue;
    const pointer =
      error.keyword === "additionalProperties"
        ? `${error.instancePath}/${String(error.params.additionalProperty)}`
        : error.instancePath;
    const message = SCHEMA_MESSAGES[error.keyword]?.(error) ?? error.message ?? "is not valid";
    const key = `${pointer}|${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const match = /^\/steps\/(\d+)/.exec(pointer);
    if (match) {
      const position = Number(match[1]) + 1;
      const id = (value as { steps: { id?: unknown }[] }).steps[position - 1]?.id;
      problems.push({
        step: { position, ...(typeof id === "string" ? { id: id.slice(0, 200) } : {}) },
        pointer,
        message,
      });
    } else {
      problems.push({ pointer, message });
    }
  }
  return problems;
}
