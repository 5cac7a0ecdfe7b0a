import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { Ajv2020, ValidateFunction } from "ajv/dist/2020.js";
import { parse } from "yaml";
import { packageRoot } from "../package-root.js";

const DOCUMENT_ID = "console-api";
/** Only these methods carry a request body in the API description (`GET`, `HEAD` never do). */
const BODY_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** JSON pointer escaping (RFC 6901). */
function escapePointer(token: string): string {
  return token.replace(/~/g, "~0").replace(/\//g, "~1");
}

interface ApiDocument {
  paths: Record<string, Record<string, unknown>>;
}

const DEFAULT_PATH = () => join(packageRoot(), "schemas", "console-api.yaml");

/** The build's validators (scripts/compile-validators.mjs), by "METHOD /template"; null when running from source. */
function prebuilt(): Record<string, ValidateFunction> | null {
  try {
    return createRequire(import.meta.url)("./api-validators.cjs") as Record<string, ValidateFunction>;
  } catch {
    return null;
  }
}

/**
 * Request-body validators compiled from `schemas/console-api.yaml`, so the API description and the server's
 * validation are one and the same document. Nothing is read or compiled at start-up: a console that only
 * answers reads (a sandbox behind `orgctl plan`) never loads them. The first request with a body loads the
 * build's compiled validators; from source (or with another description) it parses the description and
 * compiles each operation's validator on that operation's first request.
 */
export class RequestValidators {
  private compiled: Record<string, ValidateFunction> | null | undefined;
  private compiler: { ajv: Ajv2020; document: ApiDocument } | null = null;
  private readonly cache = new Map<string, ValidateFunction | null>();
  private readonly path: string;

  constructor(path?: string) {
    this.path = path ?? DEFAULT_PATH();
    // Another description than the bundled one is never answered by the build's validators.
    if (path !== undefined) this.compiled = null;
  }

  /** The validator of `method template`'s JSON body, or null when the operation takes no body. */
  forOperation(method: string, template: string): ValidateFunction | null {
    if (!BODY_METHODS.has(method)) return null;
    const cacheKey = `${method} ${template}`;
    const cached = this.cache.get(cacheKey);
    if (cached !== undefined) return cached;
    if (this.compiled === undefined) this.compiled = prebuilt();
    if (this.compiled) {
      const validate = this.compiled[cacheKey] ?? null;
      this.cache.set(cacheKey, validate);
      return validate;
    }
    const { ajv, document } = this.load();
    const operation = document.paths[template]?.[method.toLowerCase()] as
      | { requestBody?: { content?: Record<string, unknown> } }
      | undefined;
    let validate: ValidateFunction | null = null;
    if (operation?.requestBody?.content?.["application/json"]) {
      const pointer = `/paths/${escapePointer(template)}/${method.toLowerCase()}/requestBody/content/${escapePointer("application/json")}/schema`;
      validate = ajv.getSchema(`${DOCUMENT_ID}#${pointer}`) ?? null;
    }
    this.cache.set(cacheKey, validate);
    return validate;
  }

  private load(): { ajv: Ajv2020; document: ApiDocument } {
    if (this.compiler) return this.compiler;
    // ajv is CommonJS: required on first use, so the modules are not even read until a body arrives.
    const require = createRequire(import.meta.url);
    const { Ajv2020: Compiler } = require("ajv/dist/2020.js") as typeof import("ajv/dist/2020.js");
    const addFormats = require("ajv-formats") as { default: (ajv: Ajv2020) => void };
    const document = parse(readFileSync(this.path, "utf8")) as ApiDocument;
    const ajv = new Compiler({ strict: false, allErrors: true });
    addFormats.default(ajv);
    ajv.addSchema({ ...document, $id: DOCUMENT_ID });
    this.compiler = { ajv, document };
    return this.compiler;
  }
}
