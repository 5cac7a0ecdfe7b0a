// Build step: compiles schemas/org.schema.json and schemas/plan.schema.json into standalone validation code,
// so that `orgctl validate` and `orgctl apply PLANFILE` start without loading or running the ajv compiler.
// src/config/load/schema-issues.ts and src/plan/plan-schema.ts fall back to compiling at run time when these files are
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

// The console's request-body validators: one export per operation that takes a JSON body, named
// "METHOD /template", compiled from schemas/console-api.yaml. src/console/api-schema.ts loads this file on
// the first request with a body, so a console that only answers reads (a sandbox behind `orgctl plan`) never
// parses the description or loads ajv; from source it compiles the operation it needs at that moment.
{
  const { parse } = await import("yaml");
  const api = parse(readFileSync(new URL("../schemas/console-api.yaml", import.meta.url), "utf8"));
  const ajv = new Ajv2020({
    strict: false,
    allErrors: true,
    code: { source: true, formats: _`require("ajv-formats/dist/formats").fullFormats` },
  });
  (addFormats.default ?? addFormats)(ajv);
  ajv.addSchema({ ...api, $id: "console-api" });
  const pointer = (token) => token.replace(/~/g, "~0").replace(/\//g, "~1");
  const refs = {};
  for (const [template, operations] of Object.entries(api.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      if (!operation?.requestBody?.content?.["application/json"]) continue;
      refs[`${method.toUpperCase()} ${template}`] =
        `console-api#/paths/${pointer(template)}/${method}/requestBody/content/${pointer("application/json")}/schema`;
    }
  }
  writeFileSync(new URL("../dist/src/console/api-validators.cjs", import.meta.url), standalone(ajv, refs));
}
