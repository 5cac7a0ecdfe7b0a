// Build step: compiles schemas/org.schema.json into standalone validation code, so that `orgctl validate`
// starts without loading or running the ajv compiler. src/config/load.ts falls back to compiling at run time
// when this file is missing (tests run from source).
import { readFileSync, writeFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import standaloneCode from "ajv/dist/standalone/index.js";

const schema = JSON.parse(readFileSync(new URL("../schemas/org.schema.json", import.meta.url), "utf8"));
const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: false, code: { source: true } });
const validate = ajv.compile(schema);
const out = new URL("../dist/src/config/org-schema-validator.cjs", import.meta.url);
writeFileSync(
  out,
  standaloneCode.default ? standaloneCode.default(ajv, validate) : standaloneCode(ajv, validate),
);
