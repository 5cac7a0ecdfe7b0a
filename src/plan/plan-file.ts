import { isDeepStrictEqual } from "node:util";
import { routeOf } from "../api/operations.js";
import type { SecretRef } from "../config/model.js";
import { GROUP_NAME, isValidDomainName, isWellFormedAddress, LOGIN } from "../domain/index.js";
import type { Plan, PlanStep } from "./model.js";
import { isPlannedOperation, shapeOf } from "./step-kinds.js";
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
 * Checks a plan file's value, which is hostile input: the schema first (shape, types, each operation's
 * arguments), then that each step is what the planner makes of its operation: the action, kind and key the
 * step table gives it, well-formed identifiers, a secret only where the operation takes one, and steps that
 * form a run order. Apply sends only the operations, through the API table; an empty list means the plan may
 * be applied. Pure.
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
    const wrong = stepProblem(step);
    if (wrong) problems.push({ step: at, pointer: `${pointer}/${wrong.field}`, message: wrong.message });
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
    const ref = step.secret;
    if (!ref) return;
    if (!isDeepStrictEqual(withoutUndefined(ref), withoutUndefined(passwordOf(step.key)))) {
      problems.push({
        step: { position: i + 1, id: step.id },
        pointer: `/steps/${i}/secret`,
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

// --- each step, held to the step table ---------------------------------------------------------------------

/** What is wrong with a step (the field, and why), or null when it is what the planner makes of its operation. */
function stepProblem(step: PlanStep): { field: string; message: string } | null {
  const operation = step.operation;
  if (!isPlannedOperation(operation.op)) {
    return { field: "operation/op", message: `orgctl never plans a ${operation.op} operation` };
  }
  if (step.action !== operation.op) {
    return { field: "action", message: `is ${step.action}, but the operation is ${operation.op}` };
  }
  const badName = badIdentifier(operation as unknown as Fields);
  if (badName) return { field: "operation", message: badName };
  const shape = shapeOf(operation, step.replaces !== undefined ? { replaces: step.replaces } : {});
  if (step.kind !== shape.kind)
    return { field: "kind", message: `a ${step.action} step is about a ${shape.kind}` };
  if (step.key !== shape.key) {
    return {
      field: "key",
      message: `the step is about ${JSON.stringify(step.key)} but its operation is about ${JSON.stringify(shape.key)}`,
    };
  }
  const id = `${shape.kind}/${shape.key}:${shape.action}`;
  if (step.id !== id && step.id !== `${id}:new`) {
    return {
      field: "id",
      message: `a ${step.action} of ${JSON.stringify(shape.key)} has the id ${JSON.stringify(id)}`,
    };
  }
  // Only a disable can show as part of a removal, and only disabling a new account loses nothing.
  const symbols = new Set([shape.symbol, ...(step.action === "disable_user" ? ["-"] : [])]);
  if (!symbols.has(step.symbol))
    return { field: "symbol", message: `a ${step.action} step shows as ${shape.symbol}` };
  if (shape.destructive && !step.destructive && step.action !== "disable_user") {
    return { field: "destructive", message: `a ${step.action} step is destructive` };
  }
  const takesSecret = routeOf(operation.op)?.secretField !== undefined;
  if (step.secret && !takesSecret)
    return { field: "secret", message: `a ${step.action} step never carries a secret` };
  if (step.action === "set_password" && !step.secret) {
    return { field: "secret", message: "a set_password step needs a secret reference" };
  }
  return null;
}

type Fields = Record<string, unknown>;

/** The first identifier of the operation that the console would not accept, as a sentence. */
function badIdentifier(fields: Fields): string | null {
  const op = String(fields.op);
  const user = (fields.user ?? {}) as Fields;
  const checks: [unknown, string, (value: string) => boolean][] = [
    [fields.login ?? user.login, "login", (v) => LOGIN.test(v)],
    [
      op.endsWith("_group") || op.endsWith("_member") ? (fields.group ?? fields.name) : undefined,
      "group name",
      (v) => GROUP_NAME.test(v),
    ],
    [op === "rename_group" ? fields.to : undefined, "group name", (v) => GROUP_NAME.test(v)],
    [op.endsWith("_domain") ? fields.name : undefined, "domain", isValidDomainName],
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
  pattern: () => "is not in the form orgctl writes (a login, a name, an id, a hash)",
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
    if (error.keyword === "oneOf" || error.keyword === "anyOf" || error.keyword === "if") continue;
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
