/**
 * The published API description holds against the server: what third-party tools (generated clients, Ajv
 * response validation, Spectral) read in schemas/console-api.yaml is what the console does. Every response
 * these tests (and all console and CLI end-to-end tests) see also goes through test/support/api-contract.ts.
 */
import { readFileSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { PROTOCOL_STATUS, REFUSAL_STATUS } from "../../src/console/errors.js";
import { idempotencyKeyOf } from "../../src/console/http.js";
import { ContractViolation, ResponseContract } from "../support/api-contract.js";
import { REPO, startTestConsole, type TestConsole, type TestConsoleOptions } from "../support/console.js";
import { createUser, expectError, expectStatus, PASSWORD, revisionOf } from "./helpers.js";

const SCHEMA_PATH = join(REPO, "schemas", "console-api.yaml");
const api: any = parse(readFileSync(SCHEMA_PATH, "utf8"));
const METHODS = ["get", "put", "post", "patch", "delete"];

function operations(): Array<{ path: string; method: string; op: any }> {
  return Object.entries(api.paths as Record<string, any>).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((method) => ({ path, method, op: item[method] })),
  );
}

function operation(id: string) {
  const found = operations().find((o) => o.op.operationId === id);
  if (!found) throw new Error(`no operation ${id}`);
  return found;
}

/** The names of the header parameters an operation documents, $refs resolved. */
function headerParameters(id: string): string[] {
  const { path, op } = operation(id);
  const params = [...(api.paths[path].parameters ?? []), ...(op.parameters ?? [])].map((p: any) =>
    p.$ref ? api.components.parameters[p.$ref.split("/").pop()] : p,
  );
  return params.filter((p) => p.in === "header").map((p) => p.name);
}

const running: TestConsole[] = [];
async function start(options: TestConsoleOptions = {}): Promise<TestConsole> {
  const ts = await startTestConsole(options);
  running.push(ts);
  return ts;
}
afterEach(async () => {
  while (running.length) await running.pop()!.close();
});

describe("the response contract helper", () => {
  const contract = new ResponseContract();
  const headers = new Headers({ etag: '"1"' });

  it("fails a response whose status the operation does not document", () => {
    expect(() =>
      contract.check("GET", "/v1/org", {
        status: 418,
        headers,
        body: { error: { code: "invalid", message: "x" } },
      }),
    ).toThrow(/getOrg \(GET \/v1\/org\) answered 418, which console-api.yaml does not document/);
  });

  it("fails a body that does not match the documented schema, naming Ajv's errors", () => {
    expect(() =>
      contract.check("GET", "/v1/healthz", { status: 200, headers, body: { status: "fine" } }),
    ).toThrow(ContractViolation);
    expect(() =>
      contract.check("GET", "/v1/org", {
        status: 401,
        headers,
        body: { error: { code: "made_up", message: "x" } },
      }),
    ).toThrow(/\/error\/code must be equal to one of the allowed values/);
    expect(() =>
      contract.check("DELETE", "/v1/groups/eng", { status: 204, headers, body: { done: true } }),
    ).toThrow(/documents none/);
  });

  it("fails a response without a header the description marks required", () => {
    const body = { balance_cents: 0, currency: "EUR", renewals_due: [] };
    expect(() => contract.check("GET", "/v1/wallet", { status: 200, headers: new Headers(), body })).toThrow(
      /without its required ETag header/,
    );
    expect(() => contract.check("GET", "/v1/wallet", { status: 200, headers, body })).not.toThrow();
  });

  it("holds requests that match no documented operation to 404 or 405 with an ErrorBody", () => {
    const error = { error: { code: "not_found", message: "no route", details: {} } };
    expect(() => contract.check("GET", "/v2/nothing", { status: 404, headers, body: error })).not.toThrow();
    expect(() => contract.check("GET", "/v2/nothing", { status: 200, headers, body: {} })).toThrow(
      /matches no documented operation/,
    );
    expect(() => contract.check("PUT", "/v1/org", { status: 405, headers, body: { oops: 1 } })).toThrow(
      /ErrorBody/,
    );
  });

  it("finds literal paths before templated ones, as the server does", () => {
    expect(contract.operationFor("POST", "/v1/users/bulk")).toMatchObject({ template: "/v1/users/bulk" });
    expect(contract.operationFor("GET", "/v1/users/bulk")).toMatchObject({ template: "/v1/users/{login}" });
  });
});

describe("the API description", () => {
  it("lists every error code the server can send in ErrorBody and in the status table", () => {
    const documented: string[] = api.components.schemas.ErrorBody.properties.error.properties.code.enum;
    const table = new Map<number, string>();
    for (const match of (api.info.description as string).matchAll(/^\| (\d{3}) \| (.*) \|$/gm)) {
      table.set(Number(match[1]), match[2]!);
    }
    const statuses: Record<string, number> = { ...REFUSAL_STATUS, ...PROTOCOL_STATUS };
    for (const [code, status] of Object.entries(statuses)) {
      expect(documented, `ErrorBody code enum lacks ${code}`).toContain(code);
      expect(table.get(status) ?? "", `the status table's ${status} row lacks ${code}`).toMatch(
        new RegExp(`\\b${code}\\b`),
      );
    }
    expect([...documented].sort()).toEqual(Object.keys(statuses).sort());
  });

  it("describes every operation, names a contact, and keeps operation ids unique", () => {
    expect(api.info.contact?.name).toBeTruthy();
    expect(api.info.contact?.url).toBeTruthy();
    const ids = operations().map((o) => o.op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    const undescribed = operations()
      .filter((o) => !(typeof o.op.description === "string" && o.op.description.length > 20))
      .map((o) => o.op.operationId);
    expect(undescribed).toEqual([]);
  });

  it("documents the headers the server reads, where it reads them (a typed client can send them)", () => {
    // The lock id is read to renew and to release.
    expect(headerParameters("acquireLock")).toContain("X-Lock-Id");
    expect(headerParameters("releaseLock")).toContain("X-Lock-Id");
    // Both lock answers are documented: 201 taken, 200 renewed (or a retried take).
    expect(Object.keys(operation("acquireLock").op.responses)).toEqual(
      expect.arrayContaining(["200", "201"]),
    );
    // If-Match is documented exactly where the server honours it: not on logins and the lock.
    for (const id of ["acquireLock", "releaseLock", "createSession"]) {
      expect(headerParameters(id), id).not.toContain("If-Match");
    }
    // Idempotency-Key where responses are stored for replay (never for answers that carry a new secret).
    for (const id of ["createToken", "createSession"]) {
      expect(headerParameters(id), id).not.toContain("Idempotency-Key");
    }
    for (const { method, op } of operations()) {
      if (method === "get") continue;
      const headers = headerParameters(op.operationId);
      if (!["acquireLock", "releaseLock", "createSession"].includes(op.operationId)) {
        expect(headers, op.operationId).toContain("If-Match");
      }
      if (!["createToken", "createSession"].includes(op.operationId)) {
        expect(headers, op.operationId).toContain("Idempotency-Key");
      }
    }
  });

  it("allows the same Idempotency-Keys as the server", () => {
    const pattern = new RegExp(api.components.parameters.IdempotencyKey.schema.pattern);
    const serverAccepts = (key: string) => {
      try {
        idempotencyKeyOf({ headers: { "idempotency-key": key } } as unknown as IncomingMessage);
        return true;
      } catch {
        return false;
      }
    };
    const keys = [
      "a",
      "apply 2026-03-01 step 3",
      "k".repeat(200),
      "k".repeat(201),
      " lead",
      "trail ",
      "",
      "tab\tkey",
      "é",
    ];
    for (const key of keys) expect(pattern.test(key), JSON.stringify(key)).toBe(serverAccepts(key));
    expect(serverAccepts("apply 2026-03-01 step 3")).toBe(true);
  });
});

describe("the console keeps the published contract", () => {
  it("answers an Idempotency-Key with a space, and replays it", async () => {
    const ts = await start();
    const headers = { "idempotency-key": "top up 1" };
    const first = await ts.api(
      "POST",
      "/v1/wallet/top-ups",
      { amount_cents: 500, method: "test" },
      { headers },
    );
    expectStatus(first, 201);
    const again = await ts.api(
      "POST",
      "/v1/wallet/top-ups",
      { amount_cents: 500, method: "test" },
      { headers },
    );
    expectStatus(again, 201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
  });

  it("answers 405 method_not_allowed and 503 unavailable with documented codes", async () => {
    const ts = await start();
    expectError(await ts.api("DELETE", "/v1/org"), 405, "method_not_allowed");
    const faulty = await start({ faults: { rate: 1, kinds: ["503"], latencyMs: 0, seed: 1 } });
    expectError(await faulty.api("GET", "/v1/org"), 503, "unavailable");
    expectError(await faulty.api("POST", "/v1/groups", { name: "eng" }), 503, "unavailable");
  });

  it("refuses a plan that is not in the catalog with 400 invalid, as documented", async () => {
    const ts = await start();
    await createUser(ts, "bob");
    expectError(await ts.api("PUT", "/v1/users/bob/plan", { plan: "platinum" }), 400, "invalid");
    expectError(
      await ts.api("POST", "/v1/users", {
        login: "carl",
        email: "carl@console.test",
        first_name: "C",
        last_name: "L",
        plan: "platinum",
        role: "member",
      }),
      400,
      "invalid",
    );
    expect(api.components.responses.NotFound.description).not.toMatch(/\bplan\b(?! that)/);
  });

  it("documents what body-less mutations answer to a body: 400, 413 and 415", async () => {
    const ts = await start({ bodyLimit: 300 });
    await createUser(ts, "bob");
    expectStatus(await ts.api("POST", "/v1/groups", { name: "eng" }), 201);
    const bodyless = operations().filter(
      ({ method, op }) => method !== "get" && !op.requestBody && op.operationId !== "revokeToken",
    );
    expect(bodyless.map((o) => o.op.operationId).sort()).toEqual(
      [
        "addGroupMember",
        "deleteDomain",
        "deleteGroup",
        "deleteUser",
        "disableUser",
        "enableUser",
        "logoutUser",
        "releaseLock",
        "removeGroupMember",
        "removeUserAlias",
        "resendInvitation",
        "verifyDomain",
      ].sort(),
    );
    const concrete = (path: string) =>
      path
        .replace("{login}", "bob")
        .replace("{address}", "bob%40console.test")
        .replace("{name}", path.startsWith("/v1/domains") ? "example.org" : "eng");
    for (const { path, method } of bodyless) {
      const target = concrete(path);
      // Each goes through the contract helper: an undocumented status fails here.
      expectError(await ts.api(method.toUpperCase(), target, { unexpected: true }), 400, "invalid");
      expectError(
        await ts.api(method.toUpperCase(), target, "x", { headers: { "content-type": "text/plain" } }),
        415,
        "unsupported_media_type",
      );
      expectError(
        await ts.api(method.toUpperCase(), target, { pad: "x".repeat(400) }),
        413,
        "payload_too_large",
      );
    }
  });

  it("ignores If-Match nowhere it is documented, and documents it nowhere it is ignored", async () => {
    const ts = await start();
    await createUser(ts, "ada", { role: "org_admin", password: PASSWORD });
    const stale = { "if-match": `"${(await revisionOf(ts)) + 7}"` };
    // Honoured (and documented) on credentials...
    expectError(
      await ts.api("POST", "/v1/tokens", { login: "ada" }, { headers: stale }),
      412,
      "precondition_failed",
    );
    // ...not on logins and the lock, which neither read nor move the revision (and no longer document it).
    expectStatus(
      await ts.api(
        "POST",
        "/v1/sessions",
        { login: "ada", password: PASSWORD },
        { headers: stale, token: null },
      ),
      201,
    );
    const taken = await ts.api("POST", "/v1/lock", { holder: "ci", ttl_seconds: 60 }, { headers: stale });
    expectStatus(taken, 201);
    expectStatus(
      await ts.api("DELETE", "/v1/lock", undefined, {
        headers: { ...stale, "x-lock-id": taken.body.lock_id },
      }),
      204,
    );
  });

  it("renews the lock with 200 and X-Lock-Id, reads it without an ETag", async () => {
    const ts = await start();
    const taken = await ts.api("POST", "/v1/lock", { holder: "ci", ttl_seconds: 60 });
    expectStatus(taken, 201);
    const renewed = await ts.api(
      "POST",
      "/v1/lock",
      { holder: "ci", ttl_seconds: 120 },
      { headers: { "x-lock-id": taken.body.lock_id } },
    );
    expectStatus(renewed, 200);
    expect(renewed.body.lock_id).toBeUndefined();
    const read = await ts.api("GET", "/v1/lock");
    expectStatus(read, 200);
    expect(read.headers.get("etag")).toBeNull();
    expect(operation("getLock").op.responses["200"].headers?.ETag).toBeUndefined();
  });

  it("answers a disabled user's token with 401: disabling ended it", async () => {
    const ts = await start();
    await createUser(ts, "ada", { role: "org_admin", password: PASSWORD });
    const token = (await ts.api("POST", "/v1/tokens", { login: "ada" })).body.token as string;
    expectStatus(await ts.api("POST", "/v1/users/ada/disable"), 200);
    expectError(await ts.api("GET", "/v1/org", undefined, { token }), 401, "unauthenticated");
    expectError(await ts.api("POST", "/v1/tokens", { login: "ada" }), 403, "account_disabled");
    expect(api.components.responses.Unauthenticated.description).toMatch(/disabled/);
  });
});
