import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { ErrorObject, ValidateFunction } from "ajv";
import { packageRoot } from "../../package-root.js";
import type { ConfigIssue } from "../model.js";
import { closest } from "../suggest.js";
import { type PathSegment, pointerToPath } from "./locate.js";

let validator: ValidateFunction | null = null;

function compiledSchema(): ValidateFunction {
  if (validator) return validator;
  // The build compiles the schema ahead of time (scripts/compile-validators.mjs); from source, compile now.
  try {
    validator = createRequire(import.meta.url)("../org-schema-validator.cjs") as ValidateFunction;
    return validator;
  } catch {
    // not built: fall through
  }
  const schema = JSON.parse(
    readFileSync(join(packageRoot(), "schemas", "org.schema.json"), "utf8"),
  ) as Record<string, unknown>;
  const { Ajv2020 } = createRequire(import.meta.url)("ajv/dist/2020.js") as typeof import("ajv/dist/2020.js");
  const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: false });
  validator = ajv.compile(schema);
  return validator;
}

/** The file's value checked against schemas/org.schema.json: one plain, located issue per problem. */
export function validateShape(
  value: unknown,
  file: string,
  locate: (path: PathSegment[]) => { line: number; col: number },
  locateKey: (path: PathSegment[]) => { line: number; col: number },
): ConfigIssue[] {
  const validate = compiledSchema();
  if (validate(value)) return [];
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  for (const error of validate.errors ?? []) {
    const issue = schemaIssue(error, value);
    if (!issue) continue;
    const key = `${issue.path}|${issue.code}`;
    if (seen.has(key)) continue;
    seen.add(key);
    // A password problem is reported once, at the password.
    if (
      issue.path.includes("/password/") &&
      seen.has(`${issue.path.replace(/\/password\/.*$/, "/password")}|password_invalid`)
    )
      continue;
    const { line, col } =
      issue.code === "unknown_field"
        ? locateKey(pointerToPath(issue.path))
        : locate(pointerToPath(issue.path));
    issues.push({ file, line, col, severity: "error", ...issue });
  }
  return issues.sort((a, b) => a.line - b.line || a.col - b.col);
}

function valueAt(root: unknown, pointer: string): unknown {
  let node = root;
  for (const segment of pointerToPath(pointer)) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}

function schemaIssue(
  error: ErrorObject,
  root: unknown,
): { code: string; message: string; path: string } | null {
  const path = error.instancePath;
  const where = path || "the file";
  // Passwords: one clear message instead of the oneOf branches' noise.
  const passwordMatch = /^(\/users\/\d+\/password)(\/.*)?$/.exec(path);
  if (passwordMatch) {
    const base = passwordMatch[1]!;
    const value = valueAt(root, base);
    if (typeof value === "string" || typeof value === "number") {
      return {
        code: "password_literal",
        message:
          "a password is never written in org.yaml; use {env: VARIABLE} or {file: path} (plus an optional rotation label)",
        path: base,
      };
    }
    return {
      code: "password_invalid",
      message:
        "password must be {env: VARIABLE} or {file: path}, with an optional rotation label, and nothing else",
      path: base,
    };
  }
  switch (error.keyword) {
    case "additionalProperties": {
      const field = String(error.params.additionalProperty);
      const allowed = Object.keys(
        (error.parentSchema as { properties?: Record<string, unknown> })?.properties ?? {},
      );
      const suggestion = closest(field, allowed);
      return {
        code: "unknown_field",
        message: `unknown field "${field}"${suggestion ? `; did you mean "${suggestion}"?` : `; allowed here: ${allowed.join(", ")}`}`,
        path: `${path}/${field}`,
      };
    }
    case "required":
      return {
        code: "missing_field",
        message: `${where} needs "${String(error.params.missingProperty)}"`,
        path,
      };
    case "type":
      return { code: "wrong_type", message: `${where} must be ${String(error.params.type)}`, path };
    case "enum":
      return {
        code: "invalid_value",
        message: `${where} must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`,
        path,
      };
    case "const":
      return {
        code: "invalid_value",
        message: `${where} must be ${JSON.stringify(error.params.allowedValue)}`,
        path,
      };
    case "pattern": {
      const value = valueAt(root, path);
      const shown = typeof value === "string" ? `${JSON.stringify(value)} ` : "";
      const form = PATTERN_WORDS[String(error.params.pattern)] ?? "in the expected form";
      const lower =
        typeof value === "string" && value !== value.toLowerCase()
          ? `; use lower case: ${value.toLowerCase()}`
          : "";
      return { code: "invalid_value", message: `${where}: ${shown}is not ${form}${lower}`, path };
    }
    case "oneOf":
    case "anyOf":
    case "if":
      return null;
    default:
      return { code: "invalid_value", message: `${where} ${error.message ?? "is not valid"}`, path };
  }
}

/** The schema's patterns in plain words, so that nobody has to read a regular expression. */
const PATTERN_WORDS: Record<string, string> = {
  "^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$":
    "1 to 64 lower-case letters, digits, '.', '_' or '-', starting and ending with a letter or digit",
  "^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$":
    "a domain name in lower case, such as example.org",
  "^[^@\\s]+@[^@\\s]+$": "an email address such as name@example.org",
  "^[A-Za-z_][A-Za-z0-9_]*$":
    "an environment variable name (letters, digits and _, not starting with a digit)",
  "^\\d{4}-\\d{2}-\\d{2}$": "a date written YYYY-MM-DD",
};
