/**
 * A database made by main before many organizations (schema version 5, see test/fixtures/README.md) moves to
 * the multi-organization schema in place: every row survives in organization 1 and the API answers as before.
 */
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { type RunningConsole, startConsole } from "../../src/console/server.js";
import { DEFAULT_BOOTSTRAP } from "../../src/console/service.js";
import { ConsoleStore } from "../../src/console/store.js";
import { callApi } from "../support/console.js";

const FIXTURE = join(import.meta.dirname, "..", "fixtures", "console-schema-v5.sqlite");
const OWNER = "oct_v5-owner-token-for-migration-test-0005";
const TABLES = [
  "org",
  "wallet",
  "ledger",
  "users",
  "addresses",
  "passwords",
  "domains",
  "groups",
  "group_members",
  "tokens",
  "idempotency",
  "lock",
  "audit",
  "catalog",
  "cursor_secret",
];
/** Columns that name the organization: the old schema's `id = 1` keys, the new `org_id`, the new slug and flags. */
const TENANCY_COLUMNS = new Set(["org_id", "slug", "managed_by", "partner"]);

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** Every row of every table, without the columns that name the organization, in a stable order. */
function rowsOf(path: string): Record<string, unknown[]> {
  const db = new Database(path, { readonly: true });
  try {
    const rows: Record<string, unknown[]> = {};
    for (const table of TABLES) {
      const all = db.prepare(`SELECT * FROM ${table}`).all() as Record<string, unknown>[];
      rows[table] = all
        .map((row) =>
          Object.fromEntries(
            Object.entries(row).filter(
              ([column]) =>
                !TENANCY_COLUMNS.has(column) &&
                !(column === "id" && ["org", "wallet", "lock"].includes(table)),
            ),
          ),
        )
        .map((row) => JSON.stringify(row, Object.keys(row).sort()))
        .sort();
    }
    return rows;
  } finally {
    db.close();
  }
}

async function openCopy(): Promise<{ path: string; running: RunningConsole }> {
  const dir = mkdtempSync(join(tmpdir(), "orgctl-migrate-v5-"));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "console.db");
  copyFileSync(FIXTURE, path);
  const running = await startConsole({
    dbPath: path,
    host: "127.0.0.1",
    port: 0,
    clock: () => new Date("2026-03-01T12:05:00Z"),
    bootstrap: { ...DEFAULT_BOOTSTRAP, verifier: "auto" },
  });
  cleanup.push(() => running.close());
  return { path, running };
}

describe("migrating a database made by main before many organizations (schema 5)", () => {
  it("keeps every row, in organization 1, with a slug made from its name", async () => {
    const before = rowsOf(FIXTURE);
    expect(before.users).toHaveLength(4);
    const { path, running } = await openCopy();
    expect(running.ownerToken).toBeNull();
    await running.close();
    cleanup.pop();
    const after = rowsOf(path);
    // The audit log and the ledger only grew by what the start wrote (nothing, on a pinned day).
    expect(after).toEqual(before);
    const db = new Database(path, { readonly: true });
    cleanup.push(() => {
      db.close();
    });
    expect(db.prepare("SELECT id, slug, managed_by, partner FROM org").all()).toEqual([
      { id: 1, slug: "acme-widgets-inc", managed_by: null, partner: 0 },
    ]);
    for (const table of [
      "ledger",
      "users",
      "addresses",
      "passwords",
      "domains",
      "groups",
      "tokens",
      "audit",
    ]) {
      expect(db.prepare(`SELECT DISTINCT org_id FROM ${table}`).all(), table).toEqual([{ org_id: 1 }]);
    }
    expect(db.prepare("SELECT MAX(version) AS v FROM schema_migrations").get()).toEqual({ v: 6 });
    const store = new ConsoleStore(path);
    cleanup.push(() => store.close());
    expect(store.checkConsistency()).toEqual([]);
  });

  it("answers as before: the org, users, groups, domains, ledger, credentials, lock and replays", async () => {
    const { running } = await openCopy();
    const get = async (path: string) => {
      const res = await callApi(running.url, "GET", path, undefined, OWNER);
      expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(200);
      return res.body;
    };
    expect(await get("/v1/org")).toMatchObject({ name: "Acme Widgets, Inc.", owner: "admin" });
    const users = await get("/v1/users");
    expect(users.items.map((u: { login: string }) => u.login)).toEqual(["admin", "carol", "dave", "ops"]);
    expect(users.items.find((u: { login: string }) => u.login === "carol").aliases).toEqual([
      "carol@acme.example",
    ]);
    expect((await get("/v1/groups/eng")).members).toEqual(["carol", "dave"]);
    expect((await get("/v1/domains")).items).toEqual([
      expect.objectContaining({ name: "acme.example", status: "verified" }),
    ]);
    expect((await get("/v1/addresses/retired")).items).toEqual(["gone@console.test"]);
    expect((await get("/v1/wallet/ledger")).items).toHaveLength(5);
    const tokens = (await get("/v1/tokens")).items.map(
      (t: { login: string; name: string }) => `${t.login}:${t.name}`,
    );
    expect(tokens.sort()).toEqual(["admin:bootstrap", "ops:ci", "ops:login"]);
    expect(await get("/v1/lock")).toMatchObject({ held: true, lock: { holder: "ci-v5" } });
    expect((await get("/v1/orgs")).items).toEqual([
      { slug: "acme-widgets-inc", name: "Acme Widgets, Inc.", plan: "pro", managed_by: null, partner: false },
    ]);
    // The same org answers under its prefix.
    expect((await get("/v1/orgs/acme-widgets-inc/users")).items).toHaveLength(4);
    // A retried top-up with its old key replays the stored answer and charges nothing.
    const replay = await callApi(
      running.url,
      "POST",
      "/v1/wallet/top-ups",
      { amount_cents: 50_000, method: "test" },
      OWNER,
      { "idempotency-key": "v5-topup" },
    );
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    // The ops user still logs in with the password main stored.
    const login = await callApi(
      running.url,
      "POST",
      "/v1/sessions",
      { login: "ops", password: "ops password 5" },
      null,
    );
    expect(login.status).toBe(201);
    // The address uniqueness still holds after the move.
    const taken = await callApi(
      running.url,
      "POST",
      "/v1/users",
      {
        login: "carol2",
        email: "carol@acme.example",
        first_name: "C",
        last_name: "D",
        plan: "free",
        role: "member",
      },
      OWNER,
    );
    expect(taken.body.error?.code).toBe("address_taken");
  });
});
