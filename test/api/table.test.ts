/**
 * The API table (src/api/) is the one place an operation's route is written, and schemas/console-api.yaml the
 * one description of the wire: every table entry is a documented route with that method, every documented
 * route is in the table, the console declares exactly these routes, and each operation survives the trip
 * client → request → console parser unchanged.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { OPERATION_ROUTES, type RoutedOperationName, requestOf } from "../../src/api/operations.js";
import { API, API_PREFIX } from "../../src/api/routes.js";
import { ROUTES } from "../../src/console/routes.js";
import type { RequestedOperation } from "../../src/domain/index.js";
import { REPO } from "../support/console.js";

const api = parse(readFileSync(join(REPO, "schemas", "console-api.yaml"), "utf8")) as {
  paths: Record<string, Record<string, unknown>>;
};
const METHODS = ["get", "put", "post", "patch", "delete"];
const documented = Object.entries(api.paths)
  .flatMap(([path, item]) => METHODS.filter((m) => item[m]).map((m) => `${m.toUpperCase()} ${path}`))
  .sort();
const operationRoutes = Object.values(OPERATION_ROUTES).map((r) => `${r.method} ${r.path}`);
const otherRoutes = Object.values(API).map((r) => `${r.method} ${r.path}`);

/** One operation of each routed kind, with the characters a path must encode. */
const SAMPLES: { [K in RoutedOperationName]: Extract<RequestedOperation, { op: K }> } = {
  top_up: { op: "top_up", amount_cents: 5000, method: "test" },
  update_org: { op: "update_org", name: "Acme & Co" },
  change_org_plan: { op: "change_org_plan", plan: "ultra" },
  create_domain: { op: "create_domain", name: "example.com" },
  verify_domain: { op: "verify_domain", name: "example.com" },
  delete_domain: { op: "delete_domain", name: "example.com" },
  create_user: {
    op: "create_user",
    user: {
      login: "bob",
      email: "bob@example.com",
      first_name: "Bob",
      last_name: "Lee",
      plan: "pro",
      role: "member",
      password_rotation: "2026-q1",
      profile: { mobile: "+33 6" },
      groups: ["eng"],
      aliases: ["b@example.com"],
    },
  },
  update_user: { op: "update_user", login: "bob", last_name: "Ray", profile: { mobile: null } },
  disable_user: { op: "disable_user", login: "bob" },
  enable_user: { op: "enable_user", login: "bob" },
  delete_user: { op: "delete_user", login: "bob" },
  change_plan: { op: "change_plan", login: "bob", plan: "ultra" },
  change_role: { op: "change_role", login: "bob", role: "user_admin" },
  set_password: { op: "set_password", login: "bob", rotation: "2026-q2" },
  logout: { op: "logout", login: "bob" },
  resend_invitation: { op: "resend_invitation", login: "bob" },
  add_alias: { op: "add_alias", login: "bob", address: "sales+x@example.com" },
  remove_alias: { op: "remove_alias", login: "bob", address: "sales+x/y@example.com" },
  create_group: { op: "create_group", name: "eng", description: "Engineers" },
  update_group: { op: "update_group", name: "eng", description: "" },
  rename_group: { op: "rename_group", name: "eng", to: "engineering" },
  delete_group: { op: "delete_group", name: "eng" },
  add_member: { op: "add_member", group: "eng", login: "bob" },
  remove_member: { op: "remove_member", group: "eng", login: "bob" },
};

/** The path parameters of `path` under `template`, decoded as the console decodes them. */
function paramsOf(template: string, path: string): Record<string, string> {
  const names: string[] = [];
  const pattern = new RegExp(
    `^${template.replace(/\{(\w+)\}/g, (_, name: string) => {
      names.push(name);
      return "([^/]+)";
    })}$`,
  );
  const match = pattern.exec(path);
  expect(match, `${path} matches ${template}`).not.toBeNull();
  return Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(match![i + 1]!)]));
}

describe("the API table and schemas/console-api.yaml", () => {
  it("documents every operation route with its method", () => {
    for (const route of operationRoutes) expect(documented, route).toContain(route);
  });

  it("documents every other route with its method", () => {
    for (const route of otherRoutes) expect(documented, route).toContain(route);
  });

  it("has an entry for every documented route (the mutations among them are operations or named routes)", () => {
    expect([...operationRoutes, ...otherRoutes].sort()).toEqual(documented);
  });

  it("declares the console's routes, and only those", () => {
    expect(ROUTES.map((r) => `${r.method} ${r.template}`).sort()).toEqual(documented);
  });
});

/** Every TypeScript file under `dir`, as paths relative to the repository. */
function sourcesUnder(dir: string): string[] {
  return readdirSync(join(REPO, dir), { recursive: true, encoding: "utf8" })
    .filter((file) => /\.tsx?$/.test(file))
    .map((file) =>
      relative(REPO, join(REPO, dir, file))
        .split("\\")
        .join("/"),
    );
}

describe("where a route's path is written", () => {
  it("every path in the table starts with the API prefix", () => {
    for (const route of [...operationRoutes, ...otherRoutes]) expect(route).toMatch(/^[A-Z]+ \/v1\//);
    expect(API_PREFIX).toBe("/v1");
  });

  it("no source file outside src/api/ writes a /v1/ path, not even in a comment or a message", () => {
    const sources = sourcesUnder("src");
    expect(sources).toContain("src/console/routes.ts");
    const offenders = sources
      .filter((file) => !file.startsWith("src/api/"))
      .flatMap((file) =>
        readFileSync(join(REPO, file), "utf8")
          .split("\n")
          .flatMap((line, i) =>
            line.includes(`${API_PREFIX}/`) ? [`${file}:${i + 1}: ${line.trim()}`] : [],
          ),
      );
    expect(offenders).toEqual([]);
  });

  it("the console declares each named route of the table once, from the table", () => {
    const named = ROUTES.filter((r) =>
      Object.values(API).some((spec) => spec.path === r.template && spec.method === r.method),
    );
    expect(named.map((r) => `${r.method} ${r.template}`).sort()).toEqual([...otherRoutes].sort());
  });
});

describe("an operation's trip over the wire", () => {
  it.each(Object.keys(SAMPLES) as RoutedOperationName[])("%s is read back as the operation sent", (name) => {
    const operation = SAMPLES[name];
    const route = OPERATION_ROUTES[name];
    const request = requestOf(operation);
    expect(request.method).toBe(route.method);
    const back = route.parse(paramsOf(route.path, request.path), request.body ?? {});
    expect(requestOf(back as RequestedOperation)).toEqual(request);
    expect(back).toMatchObject(operation as object);
  });

  it("encodes every path parameter as one segment", () => {
    expect(requestOf(SAMPLES.remove_alias).path).toBe("/v1/users/bob/aliases/sales%2Bx%2Fy%40example.com");
  });

  it("puts a secret only where the route takes one", () => {
    expect(requestOf(SAMPLES.set_password, "pw").body).toEqual({ rotation: "2026-q2", password: "pw" });
    expect(() => requestOf(SAMPLES.add_member, "pw")).toThrow(/never carries a secret/);
  });
});
