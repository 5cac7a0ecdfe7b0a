import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { parse } from "yaml";
import { packageRoot } from "../package-root.js";

const DOCUMENT_ID = "console-api";

/** JSON pointer escaping (RFC 6901). */
function escapePointer(token: string): string {
  return token.replace(/~/g, "~0").replace(/\//g, "~1");
}

/**
 * Request-body validators compiled from `schemas/console-api.yaml`, so the API description and the server's
 * validation are one and the same document.
 */
export class RequestValidators {
  private readonly ajv: Ajv2020;
  private readonly cache = new Map<string, ValidateFunction | null>();
  private readonly document: { paths: Record<string, Record<string, unknown>> };

  constructor(path = join(packageRoot(), "schemas", "console-api.yaml")) {
    this.document = parse(readFileSync(path, "utf8")) as { paths: Record<string, Record<string, unknown>> };
    this.ajv = new Ajv2020({ strict: false, allErrors: true });
    (addFormats as unknown as (ajv: Ajv2020) => void)(this.ajv);
    this.ajv.addSchema({ ...this.document, $id: DOCUMENT_ID });
  }

  /** The validator of `method template`'s JSON body, or null when the operation takes no body. */
  forOperation(method: string, template: string): ValidateFunction | null {
    const cacheKey = `${method} ${template}`;
    if (this.cache.has(cacheKey)) return this.cache.get(cacheKey) ?? null;
    const operation = this.document.paths[template]?.[method.toLowerCase()] as
      | { requestBody?: { content?: Record<string, unknown> } }
      | undefined;
    let validate: ValidateFunction | null = null;
    if (operation?.requestBody?.content?.["application/json"]) {
      const pointer = `/paths/${escapePointer(template)}/${method.toLowerCase()}/requestBody/content/${escapePointer("application/json")}/schema`;
      validate = this.ajv.getSchema(`${DOCUMENT_ID}#${pointer}`) ?? null;
    }
    this.cache.set(cacheKey, validate);
    return validate;
  }
}
