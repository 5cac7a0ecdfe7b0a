import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { ValidateFunction } from "ajv";
import { packageRoot } from "../package-root.js";
import type { SchemaError } from "./plan-file.js";

let validator: ValidateFunction | null = null;

function compiled(): ValidateFunction {
  if (validator) return validator;
  const require = createRequire(import.meta.url);
  // The build compiles the schema ahead of time (scripts/compile-validators.mjs); from source, compile now.
  try {
    validator = require("./plan-schema-validator.cjs") as ValidateFunction;
    return validator;
  } catch {
    // not built: fall through
  }
  const schema = JSON.parse(
    readFileSync(join(packageRoot(), "schemas", "plan.schema.json"), "utf8"),
  ) as Record<string, unknown>;
  const { Ajv2020 } = require("ajv/dist/2020.js") as typeof import("ajv/dist/2020.js");
  const addFormats = require("ajv-formats") as typeof import("ajv-formats").default;
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  validator = ajv.compile(schema);
  return validator;
}

/** Errors of `value` against schemas/plan.schema.json; empty when it conforms. */
export function planSchemaErrors(value: unknown): SchemaError[] {
  const validate = compiled();
  if (validate(value)) return [];
  return (validate.errors ?? []) as SchemaError[];
}
