// Build step: compiles schemas/org.schema.json and schemas/plan.schema.json into standalone validation code,
// so that `orgctl validate` and `orgctl apply PLANFILE` start without loading or running the ajv compiler.
// src/config/load.ts and src/plan/plan-schema.ts fall back to compiling at run time when these files are
// missing (tests run from source).
import { readFileSync, writeFileSync } from "node:fs";
import { _, Ajv2020 } from "ajv/dist/2020.js";
import standaloneCode from "ajv/dist/standalone/index.js";
import addFormats from "ajv-formats";

const standalone = standaloneCode.default ?? standaloneCode;

function compile(schemaFile, outFile, options = {}, setup = () => {}) {
  const schema = JSON.parse(readFileSync(new URL(`../schemas/${schemaFile}`, import.meta.url), "utf8"));
  const ajv = new Ajv2020({ strict: false, ...options, code: { source: true, ...options.code } });
  setup(ajv);
  const validate = ajv.compile(schema);
  writeFileSync(new URL(`../dist/src/${outFile}`, import.meta.url), standalone(ajv, validate));
}

compile("org.schema.json", "config/org-schema-validator.cjs", { allErrors: true, verbose: true });
// The plan schema checks `date` and `json-pointer` formats: the generated code requires ajv-formats' checks.
compile(
  "plan.schema.json",
  "plan/plan-schema-validator.cjs",
  { allErrors: true, code: { formats: _`require("ajv-formats/dist/formats").fullFormats` } },
  (ajv) => (addFormats.default ?? addFormats)(ajv),
);
