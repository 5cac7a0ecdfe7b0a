import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { parse } from "yaml";

/**
 * Checks HTTP responses against `schemas/console-api.yaml`, the description third-party tools (generated
 * clients, Ajv, Spectral) trust. `test/support/console.ts` runs every response of `api()` and `callApi()`
 * through it, so an end-to-end test that gets an undocumented status, a body that does not match its
 * schema, or a response without a header the description marks `required`, fails with the operation, the
 * status and Ajv's errors.
 *
 * Requests that match no documented operation (an unknown path, or a method the path does not have: what
 * hostile-request tests send on purpose) have no operation to check against. They are checked against the
 * description's general error rules instead: such a request may only answer 404 `not_found` (no route), 405
 * `method_not_allowed` (the path exists, the method does not), 400 `invalid` (a request target or header the
 * server cannot read) or 503 `unavailable` (starting, or an injected fault), always with an `ErrorBody`.
 * Requests that never reach the HTTP layer as requests (raw sockets) are not seen here.
 */

const DOCUMENT_ID = "console-api";
const SCHEMA_PATH = join(import.meta.dirname, "..", "..", "schemas", "console-api.yaml");
const METHODS = ["get", "put", "post", "delete", "patch", "head", "options", "trace"] as const;
/** What a request that matches no documented operation may answer (see above). */
const UNROUTED_STATUSES = new Set([400, 404, 405, 503]);

type Json = Record<string, unknown>;

interface Ref {
  $ref: string;
}

interface ResponseObject {
  description?: string;
  headers?: Record<string, Ref | { required?: boolean }>;
  content?: Record<string, { schema?: unknown }>;
}

interface OperationObject {
  operationId?: string;
  responses?: Record<string, ResponseObject | Ref>;
}

interface PathTemplate {
  template: string;
  pattern: RegExp;
  params: number;
}

export interface CheckedResponse {
  status: number;
  headers: Headers | Record<string, string>;
  /** The parsed JSON body; a string when the body was not JSON; null when there was none. */
  body: unknown;
}

/** Thrown when a response breaks the published contract. */
export class ContractViolation extends Error {
  override name = "ContractViolation";
}

function escapePointer(token: string): string {
  return token.replace(/~/g, "~0").replace(/\//g, "~1");
}

function isRef(value: unknown): value is Ref {
  return typeof value === "object" && value !== null && typeof (value as Ref).$ref === "string";
}

function headerOf(headers: CheckedResponse["headers"], name: string): string | null {
  if (headers instanceof Headers) return headers.get(name);
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? null : (headers[key] ?? null);
}

function describeErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .slice(0, 10)
    .map((e) => `${e.instancePath || "/"} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`)
    .join("; ");
}

export class ResponseContract {
  private readonly document: { paths: Record<string, Record<string, unknown>> } & Json;
  private readonly templates: PathTemplate[];
  private ajvInstance: Ajv2020 | null = null;
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(path = SCHEMA_PATH) {
    this.document = parse(readFileSync(path, "utf8"));
    // Literal segments win over parameters (`/v1/users/bulk` before `/v1/users/{login}`), as in the server.
    this.templates = Object.keys(this.document.paths)
      .map((template) => {
        let params = 0;
        const source = template
          .split(/(\{[^}]+\})/)
          .map((part) => {
            if (/^\{[^}]+\}$/.test(part)) {
              params += 1;
              return "([^/]+)";
            }
            return part.replace(/[.*+?^$()|[\]\\]/g, "\\$&");
          })
          .join("");
        return { template, pattern: new RegExp(`^${source}$`), params };
      })
      .sort((a, b) => a.params - b.params);
  }

  /** Compiled on first use: most test files never need more than a few validators. */
  private get ajv(): Ajv2020 {
    if (!this.ajvInstance) {
      const ajv = new Ajv2020({ strict: false, allErrors: true });
      (addFormats as unknown as (a: Ajv2020) => void)(ajv);
      ajv.addSchema({ ...this.document, $id: DOCUMENT_ID });
      this.ajvInstance = ajv;
    }
    return this.ajvInstance;
  }

  private validatorAt(pointer: string): ValidateFunction {
    let validate = this.validators.get(pointer);
    if (!validate) {
      validate = this.ajv.getSchema(`${DOCUMENT_ID}#${pointer}`);
      if (!validate) throw new Error(`console-api.yaml has no schema at ${pointer}`);
      this.validators.set(pointer, validate);
    }
    return validate;
  }

  private resolve<T>(value: T | Ref): { value: T; pointer: string | null } {
    if (!isRef(value)) return { value, pointer: null };
    const pointer = value.$ref.replace(/^#/, "");
    let node: unknown = this.document;
    for (const token of pointer.split("/").slice(1)) {
      node = (node as Json)[token.replace(/~1/g, "/").replace(/~0/g, "~")];
    }
    if (node === undefined) throw new Error(`console-api.yaml: dangling ${value.$ref}`);
    return { value: node as T, pointer };
  }

  /** The documented operation `method path` reaches, or null (no such path, or no such method on it). */
  operationFor(
    method: string,
    target: string,
  ): { template: string; method: string; operation: OperationObject } | { template: string | null } {
    let pathname: string;
    try {
      pathname = new URL(target, "http://console.invalid").pathname;
    } catch {
      return { template: null };
    }
    const lower = method.toLowerCase();
    const candidates = this.templates.filter((t) => t.pattern.test(pathname));
    for (const candidate of candidates) {
      const operation = this.document.paths[candidate.template]?.[lower];
      if (operation && (METHODS as readonly string[]).includes(lower)) {
        return { template: candidate.template, method: lower, operation: operation as OperationObject };
      }
    }
    return { template: candidates[0]?.template ?? null };
  }

  /** Throws a `ContractViolation` when `response` to `method target` is not what the description says. */
  check(method: string, target: string, response: CheckedResponse): void {
    const found = this.operationFor(method, target);
    if (!("operation" in found)) {
      this.checkUnrouted(method, target, found.template, response);
      return;
    }
    const { template, operation } = found;
    const name = `${operation.operationId ?? "?"} (${method.toUpperCase()} ${template})`;
    const responses = operation.responses ?? {};
    const key = [String(response.status), `${String(response.status)[0]}XX`, "default"].find(
      (k) => responses[k] !== undefined,
    );
    if (key === undefined) {
      throw new ContractViolation(
        `${name} answered ${response.status}, which console-api.yaml does not document (documented: ${Object.keys(responses).join(", ")}); body: ${JSON.stringify(response.body)?.slice(0, 300)}`,
      );
    }
    const raw = responses[key]!;
    const { value: documented, pointer: refPointer } = this.resolve<ResponseObject>(raw);
    const responsePointer =
      refPointer ?? `/paths/${escapePointer(template)}/${found.method}/responses/${escapePointer(key)}`;
    for (const [header, spec] of Object.entries(documented.headers ?? {})) {
      const { value } = this.resolve<{ required?: boolean }>(spec);
      if (value.required && headerOf(response.headers, header) === null) {
        throw new ContractViolation(
          `${name} answered ${response.status} without its required ${header} header`,
        );
      }
    }
    const json = documented.content?.["application/json"];
    if (!json) {
      if (response.body !== null && response.body !== "") {
        throw new ContractViolation(
          `${name} answered ${response.status} with a body, but console-api.yaml documents none: ${JSON.stringify(response.body).slice(0, 300)}`,
        );
      }
      return;
    }
    this.checkBody(name, response, `${responsePointer}/content/${escapePointer("application/json")}/schema`);
  }

  /** Compiles every response validator now, for tests where a first-use pause would change the timing. */
  compileAll(): void {
    this.validatorAt("/components/schemas/ErrorBody");
    for (const [template, item] of Object.entries(this.document.paths)) {
      for (const method of METHODS) {
        const operation = item[method] as OperationObject | undefined;
        for (const [status, raw] of Object.entries(operation?.responses ?? {})) {
          const { value, pointer } = this.resolve<ResponseObject>(raw);
          if (!value.content?.["application/json"]) continue;
          const base =
            pointer ?? `/paths/${escapePointer(template)}/${method}/responses/${escapePointer(status)}`;
          this.validatorAt(`${base}/content/${escapePointer("application/json")}/schema`);
        }
      }
    }
  }

  private checkUnrouted(
    method: string,
    target: string,
    template: string | null,
    response: CheckedResponse,
  ): void {
    const name = `${method.toUpperCase()} ${target} (${template ? `no ${method.toUpperCase()} operation on ${template}` : "no documented path"})`;
    if (!UNROUTED_STATUSES.has(response.status)) {
      throw new ContractViolation(
        `${name} answered ${response.status}; a request that matches no documented operation may only answer ${[...UNROUTED_STATUSES].join(", ")}; body: ${JSON.stringify(response.body)?.slice(0, 300)}`,
      );
    }
    if (method.toUpperCase() === "HEAD") return;
    this.checkBody(name, response, "/components/schemas/ErrorBody");
  }

  private checkBody(name: string, response: CheckedResponse, pointer: string): void {
    const validate = this.validatorAt(pointer);
    if (!validate(response.body)) {
      throw new ContractViolation(
        `${name} answered ${response.status} with a body that does not match console-api.yaml#${pointer}: ${describeErrors(validate.errors)}; body: ${JSON.stringify(response.body)?.slice(0, 300)}`,
      );
    }
  }
}

let shared: ResponseContract | null = null;

function contract(): ResponseContract {
  shared ??= new ResponseContract();
  return shared;
}

/** The one contract of the test process, read on first use. */
export function checkResponse(method: string, target: string, response: CheckedResponse): void {
  // `/v1/orgs/{slug}/X` is route `/v1/X` in organization `slug` (see "Organizations" in console-api.yaml),
  // plus a 404 `not_found` for an organization the caller may not act in.
  const scoped = /^\/v1\/orgs\/[^/?]+(\/[^?]*)(\?.*)?$/.exec(target);
  if (scoped) {
    if (response.status === 404) {
      const code = (response.body as { error?: { code?: string } } | null)?.error?.code;
      if (code !== "not_found")
        throw new ContractViolation(
          `${method} ${target} answered 404 with code ${String(code)}, not not_found`,
        );
      return;
    }
    contract().check(method, `/v1${scoped[1]}${scoped[2] ?? ""}`, response);
    return;
  }
  contract().check(method, target, response);
}

/**
 * Reads the description and compiles every validator now (about half a second), so that checking the first
 * responses does not pause the test process: tests that race a server (kill it mid-burst) call it first.
 */
export function warmUpContract(): void {
  contract().compileAll();
}
