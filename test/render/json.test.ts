import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { type Operation, ROLES } from "../../src/domain/index.js";
import type { Plan } from "../../src/plan/model.js";
import { PLANNED_OPERATIONS } from "../../src/plan/step-kinds.js";
import { renderJson } from "../../src/render/json.js";
import { buildPlan, SAMPLE_ERROR, samplePlan, step } from "./builder.js";

const schema = JSON.parse(readFileSync(new URL("../../schemas/plan.schema.json", import.meta.url), "utf8"));
const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats.default(ajv);
const validate = ajv.compile(schema);

function expectValid(value: unknown) {
  const ok = validate(value);
  expect(validate.errors ?? []).toEqual([]);
  expect(ok).toBe(true);
}

function expectInvalid(value: unknown) {
  expect(validate(value)).toBe(false);
}

/** The same value with the keys of every object in reverse order. */
function reverseKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(reverseKeys) as T;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([k, v]) => [k, reverseKeys(v)]),
    ) as T;
  }
  return value;
}

const withError = () =>
  samplePlan({
    errors: [SAMPLE_ERROR, { code: "skipped", message: "not possible", step_id: "user/x:create_user" }],
  });
const parse = (plan: Plan) => JSON.parse(renderJson(plan));

describe("renderJson", () => {
  it("validates against schemas/plan.schema.json", () => {
    expectValid(parse(samplePlan()));
    expectValid(parse(withError()));
    expectValid(parse(buildPlan()));
  });

  it("is pretty-printed with two spaces and ends with a newline", () => {
    const out = renderJson(samplePlan());
    expect(out.startsWith('{\n  "format_version": 2,\n  "plan_id": "0123456789abcdef",\n')).toBe(true);
    expect(out.endsWith("}\n")).toBe(true);
    expect(out.endsWith("\n\n")).toBe(false);
  });

  it("gives the same bytes for the same plan, whatever order its keys were built in", () => {
    const plan = withError();
    const first = renderJson(plan);
    expect(renderJson(plan)).toBe(first);
    expect(renderJson(reverseKeys(plan))).toBe(first);
    expect(renderJson(structuredClone(plan))).toBe(first);
  });

  it("keeps the key order of the Plan interface", () => {
    const json = parse(withError());
    expect(Object.keys(json)).toEqual([
      "format_version",
      "plan_id",
      "config",
      "console",
      "steps",
      "blocked",
      "errors",
      "warnings",
      "counts",
      "money",
    ]);
    const replacement = json.steps.find((s: { id: string }) => s.id === "user/dave:create_user");
    expect(Object.keys(replacement)).toEqual([
      "id",
      "index",
      "action",
      "kind",
      "key",
      "symbol",
      "summary",
      "destructive",
      "replaces",
      "operation",
      "secret",
      "amount_cents",
      "balance_after_cents",
      "depends_on",
    ]);
    expect(Object.keys(json.console)).toEqual(["target", "revision", "org", "org_plan", "actor"]);
    expect(json.console.target).toBe("https://console.acme.example");
    expect(Object.keys(json.errors[0])).toEqual(["code", "message", "fix", "source"]);
    expect(Object.keys(json.money).at(-1)).toBe("priced_on");
    // Operations are written with their keys sorted.
    expect(Object.keys(replacement.operation)).toEqual(["op", "user"]);
    expect(Object.keys(replacement.operation.user)).toEqual([
      "email",
      "first_name",
      "last_name",
      "login",
      "password_rotation",
      "plan",
      "role",
    ]);
  });

  it("shows a secret only as its reference", () => {
    const json = parse(samplePlan());
    const create = json.steps.find((s: { id: string }) => s.id === "user/dave:create_user");
    expect(create.secret).toEqual({ env: "DAVE_PASSWORD", rotation: "2026-q1" });
    expect(JSON.stringify(create.operation)).not.toMatch(/password"/);
    const fromFile = buildPlan({
      steps: [
        step({
          id: "user/bob:set_password",
          kind: "user",
          action: "set_password",
          symbol: "~",
          summary: "set password of bob",
          secret: { file: "/run/secrets/bob", rotation: null },
        }),
      ],
    });
    const json2 = parse(fromFile);
    expectValid(json2);
    expect(json2.steps[0].secret).toEqual({ file: "/run/secrets/bob", rotation: null });
  });

  it("keeps every step, blocked step, issue and renewal", () => {
    const plan = withError();
    const json = parse(plan);
    expect(json.steps.map((s: { id: string }) => s.id)).toEqual(plan.steps.map((s) => s.id));
    expect(json.blocked[1].txt_record).toBeNull();
    expect(json.blocked[0].txt_record).toEqual(plan.blocked[0]!.txt_record);
    expect(json.errors).toEqual(plan.errors);
    expect(json.money).toEqual(plan.money);
    expect(json.counts).toEqual({
      create: 4,
      update: 2,
      delete: 1,
      replace: 1,
      blocked: 2,
      failed: 0,
      skipped: 0,
    });
  });
});

describe("schemas/plan.schema.json", () => {
  const valid = () => parse(samplePlan());

  it("refuses unknown properties at any depth", () => {
    expectInvalid({ ...valid(), extra: true });
    const a = valid();
    a.steps[0].extra = 1;
    expectInvalid(a);
    const b = valid();
    b.money.renewals_due[0].extra = 1;
    expectInvalid(b);
    const c = valid();
    c.console.actor.token = "t";
    expectInvalid(c);
  });

  it("refuses a secret value in place of a reference, and a password in a body", () => {
    const a = valid();
    const create = a.steps.find((s: { id: string }) => s.id === "user/dave:create_user");
    create.secret = { value: "hunter2", rotation: null };
    expectInvalid(a);
    const b = valid();
    b.steps.find((s: { id: string }) => s.id === "user/dave:create_user").secret = {
      env: "A",
      file: "/b",
      rotation: null,
    };
    expectInvalid(b);
    const c = valid();
    c.steps.find((s: { id: string }) => s.id === "user/dave:create_user").operation.user.password = "hunter2";
    expectInvalid(c);
    const d = valid();
    d.steps.find((s: { id: string }) => s.id === "user/dave:create_user").operation.user.password_hash = "x";
    expectInvalid(d);
  });

  it("refuses another format version, money in floats and an unknown symbol", () => {
    expectInvalid({ ...valid(), format_version: 1 });
    expectInvalid({ ...valid(), format_version: 3 });
    const a = valid();
    a.money.charges_cents = 120.5;
    expectInvalid(a);
    const b = valid();
    b.steps[0].symbol = "+/-";
    expectInvalid(b);
    const c = valid();
    c.money.priced_on = "March 1st";
    expectInvalid(c);
  });

  it("lists every role and every operation a plan can hold", () => {
    expect(schema.$defs.role.enum).toEqual([...ROLES]);
    // A new operation makes this record fail to compile until it is listed here (and, when the planner can
    // request it, in the schema). false: the console's own operations, which a plan file never holds.
    const operations: Record<Operation["op"], boolean> = {
      top_up: false,
      update_org: true,
      change_org_plan: true,
      create_domain: true,
      verify_domain: true,
      delete_domain: true,
      create_user: true,
      update_user: true,
      disable_user: true,
      enable_user: true,
      delete_user: true,
      change_plan: true,
      change_role: true,
      set_password: true,
      logout: false,
      resend_invitation: false,
      add_alias: true,
      remove_alias: true,
      create_group: true,
      update_group: true,
      rename_group: true,
      delete_group: true,
      add_member: true,
      remove_member: true,
      issue_token: false,
      revoke_token: false,
      login: false,
    };
    const planned = Object.entries(operations).filter(([, inPlans]) => inPlans);
    expect([...schema.$defs.step.properties.action.enum].sort()).toEqual(planned.map(([op]) => op).sort());
    // Each planned operation has its argument schema, and the step table knows exactly these.
    expect([...schema.$defs.operation.properties.op.enum].sort()).toEqual(planned.map(([op]) => op).sort());
    for (const [op] of planned) expect(schema.$defs[`op_${op}`], op).toBeDefined();
    expect([...PLANNED_OPERATIONS].sort()).toEqual(planned.map(([op]) => op).sort());
  });
});
