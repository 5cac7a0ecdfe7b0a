import { expect } from "vitest";
import { type ApiResponse, OWNER_TOKEN, type TestConsole } from "../support/console.js";

export type Role = "org_admin" | "billing_admin" | "user_admin" | "member";
export const ROLES: Role[] = ["org_admin", "billing_admin", "user_admin", "member"];

export const PASSWORD = "correct horse battery";

export interface UserBody {
  login: string;
  email: string;
  first_name: string;
  last_name: string;
  plan: string;
  role: Role;
  status: "active" | "disabled" | "invited";
  billing: "ok" | "unpaid";
  owner: boolean;
  period_start: string;
  period_end: string;
  aliases: string[];
  groups: string[];
  profile: Record<string, string>;
  password_set: boolean;
  last_login_at: string | null;
  created_at: string;
}

export interface LedgerEntry {
  id: number;
  at: string;
  amount_cents: number;
  reason: string;
  login: string | null;
  plan: string | null;
  memo: string;
  idempotency_key: string | null;
  balance_after_cents: number;
}

/** A valid `POST /v1/users` body on the provider domain; free member unless overridden. */
export function newUser(login: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    login,
    email: `${login}@console.test`,
    first_name: "First",
    last_name: "Last",
    plan: "free",
    role: "member",
    ...overrides,
  };
}

/** Creates a user as `token` (the owner by default) and insists on 201. */
export async function createUser(
  ts: TestConsole,
  login: string,
  overrides: Record<string, unknown> = {},
  token: string = OWNER_TOKEN,
): Promise<UserBody> {
  const res = await ts.api<UserBody>("POST", "/v1/users", newUser(login, overrides), { token });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

/** Asserts an error response: exact status and stable code, and a human sentence. */
export function expectError(res: ApiResponse, status: number, code: string): void {
  expect({ status: res.status, code: res.body?.error?.code }, JSON.stringify(res.body)).toEqual({
    status,
    code,
  });
  expect(typeof res.body.error.message).toBe("string");
  expect(res.body.error.message.length).toBeGreaterThan(10);
}

export function expectStatus(res: ApiResponse, status: number): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
}

export async function balanceOf(ts: TestConsole): Promise<number> {
  const res = await ts.api("GET", "/v1/wallet");
  expectStatus(res, 200);
  return res.body.balance_cents as number;
}

export async function revisionOf(ts: TestConsole): Promise<number> {
  const res = await ts.api("GET", "/v1/org");
  expectStatus(res, 200);
  return res.body.revision as number;
}

/** The whole ledger, following cursors. */
export async function ledgerOf(ts: TestConsole): Promise<LedgerEntry[]> {
  const entries: LedgerEntry[] = [];
  let cursor: string | null = null;
  do {
    const res = await ts.api("GET", `/v1/wallet/ledger?limit=1000${cursor ? `&cursor=${cursor}` : ""}`);
    expectStatus(res, 200);
    entries.push(...(res.body.items as LedgerEntry[]));
    cursor = res.body.next_cursor as string | null;
  } while (cursor);
  return entries;
}

export async function userOf(ts: TestConsole, login: string): Promise<UserBody> {
  const res = await ts.api<UserBody>("GET", `/v1/users/${login}`);
  expectStatus(res, 200);
  return res.body;
}

/** An API token for an admin, issued by the owner. */
export async function tokenFor(ts: TestConsole, login: string): Promise<string> {
  const res = await ts.api("POST", "/v1/tokens", { login, name: `${login}-token` });
  expectStatus(res, 201);
  return res.body.token as string;
}

/** A session token from a password login. */
export async function sessionFor(ts: TestConsole, login: string, password = PASSWORD): Promise<string> {
  const res = await ts.api("POST", "/v1/sessions", { login, password }, { token: null });
  expectStatus(res, 201);
  return res.body.token as string;
}

/** Creates a user with a password and returns a bearer for it: an API token for admins, a session for members. */
export async function actor(
  ts: TestConsole,
  login: string,
  role: Role,
  overrides: Record<string, unknown> = {},
): Promise<string> {
  await createUser(ts, login, { role, password: PASSWORD, ...overrides });
  return role === "member" ? sessionFor(ts, login) : tokenFor(ts, login);
}

/** A clock the test can move. */
export function movableClock(start: string): { now: () => Date; set(at: string): void } {
  let current = new Date(start);
  return {
    now: () => new Date(current.getTime()),
    set(at: string) {
      current = new Date(at);
    },
  };
}
