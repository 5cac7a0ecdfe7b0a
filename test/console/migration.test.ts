/** A database made by orgctl 0.1.0 (schema version 1) moves to the current schema in place, losing nothing. */
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { type RunningConsole, startConsole } from "../../src/console/server.js";
import { DEFAULT_BOOTSTRAP } from "../../src/console/service.js";
import { ConsoleStore } from "../../src/console/store.js";
import { callApi } from "../support/console.js";

const FIXTURE = join(import.meta.dirname, "..", "fixtures", "console-schema-v1.sqlite");
const OWNER = "oct_v1-owner-token-for-migration-test-0001";

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

function copyOfFixture(): string {
  const dir = mkdtempSync(join(tmpdir(), "orgctl-migrate-"));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "console.db");
  copyFileSync(FIXTURE, path);
  return path;
}

describe("migrating a schema-version-1 database", () => {
  it("keeps the organization, users, ledger and the owner's token, and starts the audit log", async () => {
    const path = copyOfFixture();
    const before = new ConsoleStore(path);
    expect(before.schemaVersion()).toBeGreaterThanOrEqual(2);
    expect(before.checkConsistency()).toEqual([]);
    before.close();
    const running: RunningConsole = await startConsole({
      dbPath: path,
      host: "127.0.0.1",
      port: 0,
      clock: () => new Date("2026-03-02T12:00:00Z"),
      bootstrap: { ...DEFAULT_BOOTSTRAP, verifier: "auto" },
    });
    cleanup.push(() => running.close());
    expect(running.ownerToken).toBeNull();
    const org = await callApi(running.url, "GET", "/v1/org", undefined, OWNER);
    expect(org.status).toBe(200);
    const users = await callApi(running.url, "GET", "/v1/users", undefined, OWNER);
    expect(users.body.items.map((u: { login: string }) => u.login)).toEqual(["admin", "ops"]);
    const ledger = await callApi(running.url, "GET", "/v1/wallet/ledger", undefined, OWNER);
    expect(ledger.body.items.length).toBeGreaterThanOrEqual(2);
    // Old API tokens got an expiry; the bootstrap token keeps none; nothing names an issuer it did not record.
    const tokens = await callApi(running.url, "GET", "/v1/tokens", undefined, OWNER);
    const byName = Object.fromEntries(
      tokens.body.items.map((t: { name: string; expires_at: string | null }) => [t.name, t]),
    );
    expect(byName.bootstrap).toMatchObject({ login: "admin", expires_at: null, issued_by: null });
    expect(byName.ci).toMatchObject({ login: "ops", kind: "api", issued_by: null });
    expect(byName.ci.expires_at).toEqual(expect.any(String));
    // The lease of 0.1.0 kept its id in clear text: it is dropped rather than trusted.
    const lock = await callApi(running.url, "GET", "/v1/lock", undefined, OWNER);
    expect(lock.body).toEqual({ held: false });
    const audit = await callApi(running.url, "GET", "/v1/audit", undefined, OWNER);
    expect(audit.status).toBe(200);
  });

  it("gives pending invitations their invited_at (from created_at), changing nothing else", async () => {
    const path = copyOfFixture();
    // Users as orgctl 0.1.0 stored them: a pending invitation and a user who has logged in, no invited_at.
    const raw = new Database(path);
    const invited = {
      login: "newbie",
      email: "newbie@console.test",
      first_name: "New",
      last_name: "Bie",
      plan: "entry",
      role: "member",
      status: "invited",
      billing: "ok",
      period_start: "2026-02-01",
      period_end: "2027-02-01",
      aliases: [],
      profile: { external_email: "newbie@example.net" },
      password_set: false,
      password_rotation: null,
      last_login_at: null,
      created_at: "2026-02-01T09:30:00.000Z",
    };
    raw
      .prepare("INSERT INTO users (login, email, data) VALUES (?, ?, ?)")
      .run(invited.login, invited.email, JSON.stringify(invited));
    raw
      .prepare("INSERT INTO addresses (address, login, kind) VALUES (?, ?, 'email')")
      .run(invited.email, invited.login);
    const opsBefore = (raw.prepare("SELECT data FROM users WHERE login = 'ops'").get() as { data: string })
      .data;
    raw.close();

    const store = new ConsoleStore(path);
    expect(store.checkConsistency()).toEqual([]);
    store.close();
    const after = new Database(path, { readonly: true });
    const data = (login: string) =>
      JSON.parse(
        (after.prepare("SELECT data FROM users WHERE login = ?").get(login) as { data: string }).data,
      );
    expect(data("newbie")).toEqual({ ...invited, invited_at: "2026-02-01T09:30:00.000Z" });
    expect(data("ops")).toEqual(JSON.parse(opsBefore));
    after.close();

    const running = await startConsole({
      dbPath: path,
      host: "127.0.0.1",
      port: 0,
      clock: () => new Date("2026-03-02T12:00:00Z"),
      bootstrap: { ...DEFAULT_BOOTSTRAP, verifier: "auto" },
    });
    cleanup.push(() => running.close());
    const users = await callApi(running.url, "GET", "/v1/users", undefined, OWNER);
    expect(
      users.body.items.map((u: { login: string; status: string; invited_at: string | null }) => [
        u.login,
        u.status,
        u.invited_at,
      ]),
    ).toEqual([
      ["admin", "active", null],
      ["newbie", "invited", "2026-02-01T09:30:00.000Z"],
      ["ops", "active", null],
    ]);
  });
});
