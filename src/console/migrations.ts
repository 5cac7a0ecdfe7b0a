import type Database from "better-sqlite3";
import { slugFromName } from "../domain/tenancy.js";

/**
 * Versioned schema migrations. Append only: a released migration never changes, a new version is added.
 * Each runs in its own transaction and is recorded in `schema_migrations`.
 */
export const MIGRATIONS: {
  version: number;
  sql: string;
  /** Runs after `sql`, in the same transaction, for what SQL alone cannot compute. */
  after?: (db: Database.Database) => void;
}[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE org (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        name TEXT NOT NULL,
        plan TEXT NOT NULL,
        owner TEXT NOT NULL,
        provider_domain TEXT NOT NULL,
        verifier TEXT NOT NULL CHECK (verifier IN ('auto', 'dns')),
        revision INTEGER NOT NULL
      );
      CREATE TABLE catalog (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL);
      CREATE TABLE wallet (id INTEGER PRIMARY KEY CHECK (id = 1), balance_cents INTEGER NOT NULL CHECK (balance_cents >= 0));
      CREATE TABLE ledger (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        amount_cents INTEGER NOT NULL,
        reason TEXT NOT NULL,
        login TEXT,
        plan TEXT,
        memo TEXT NOT NULL,
        idempotency_key TEXT,
        balance_after_cents INTEGER NOT NULL CHECK (balance_after_cents >= 0)
      );
      CREATE INDEX ledger_key ON ledger (idempotency_key);
      CREATE TABLE users (login TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, data TEXT NOT NULL);
      CREATE TABLE addresses (
        address TEXT PRIMARY KEY,
        login TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('email', 'alias', 'retired'))
      );
      CREATE INDEX addresses_login ON addresses (login);
      CREATE TABLE passwords (login TEXT PRIMARY KEY REFERENCES users (login) ON DELETE CASCADE, hash TEXT NOT NULL);
      CREATE TABLE domains (name TEXT PRIMARY KEY, data TEXT NOT NULL);
      CREATE TABLE groups (name TEXT PRIMARY KEY, description TEXT NOT NULL);
      CREATE TABLE group_members (
        group_name TEXT NOT NULL REFERENCES groups (name) ON DELETE CASCADE,
        login TEXT NOT NULL REFERENCES users (login) ON DELETE CASCADE,
        PRIMARY KEY (group_name, login)
      );
      CREATE TABLE tokens (
        id TEXT PRIMARY KEY,
        hash TEXT NOT NULL UNIQUE,
        login TEXT NOT NULL REFERENCES users (login) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('api', 'session')),
        name TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT
      );
      CREATE INDEX tokens_login ON tokens (login);
      CREATE TABLE idempotency (
        scope TEXT NOT NULL,
        key TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        status INTEGER NOT NULL,
        body TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (scope, key)
      );
      CREATE TABLE lock (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        lock_id TEXT NOT NULL,
        holder TEXT NOT NULL,
        since TEXT NOT NULL,
        expires_at TEXT NOT NULL
      );
    `,
  },
  {
    // Credentials that can be listed, expire and are tracked; a lock whose id is a secret (stored hashed) and
    // that remembers which credential took it; the audit log.
    version: 2,
    sql: `
      ALTER TABLE tokens ADD COLUMN issued_by TEXT;
      ALTER TABLE tokens ADD COLUMN last_used_at TEXT;
      UPDATE tokens SET expires_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+90 days')
        WHERE kind = 'api' AND expires_at IS NULL AND name != 'bootstrap';
      DROP TABLE lock;
      CREATE TABLE lock (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        lock_hash TEXT NOT NULL,
        holder TEXT NOT NULL,
        since TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        credential_id TEXT NOT NULL,
        acquire_key_hash TEXT
      );
      CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        actor_kind TEXT NOT NULL CHECK (actor_kind IN ('user', 'system', 'anonymous')),
        actor_login TEXT,
        credential_id TEXT,
        credential_kind TEXT,
        credential_name TEXT,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        fields TEXT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'refused')),
        code TEXT,
        message TEXT,
        idempotency_key TEXT,
        revision INTEGER NOT NULL
      );
      CREATE INDEX audit_actor ON audit (actor_login, id);
      CREATE INDEX audit_target ON audit (target, id);
    `,
  },
  {
    // cursor secret: the key that signs list cursors (see cursors.ts). The secret itself is made with
    // node:crypto when the store opens, not by SQLite's PRNG.
    version: 3,
    sql: `
      CREATE TABLE cursor_secret (id INTEGER PRIMARY KEY CHECK (id = 1), secret BLOB NOT NULL);
    `,
  },
  {
    // Invitations [RI]: a user's record says when their pending invitation was last sent. Users still
    // invited were invited when they were created; every other field of the record is kept as it was.
    version: 4,
    sql: `
      UPDATE users SET data = json_set(data, '$.invited_at', json_extract(data, '$.created_at'))
        WHERE json_extract(data, '$.status') = 'invited' AND json_extract(data, '$.invited_at') IS NULL;
      `,
  },
  {
    // The org plan is managed [MF]: it has a yearly fee (in the catalog) and a period, which starts when the
    // organization was created (its bootstrap audit entry or first ledger entry; else the migration's day).
    // Org plans of a stored catalog that have no fee get the default catalog's: entry 0, pro 12000, ultra 48000.
    version: 5,
    sql: `
      ALTER TABLE org ADD COLUMN period_start TEXT;
      ALTER TABLE org ADD COLUMN period_end TEXT;
      ALTER TABLE org ADD COLUMN billing TEXT NOT NULL DEFAULT 'ok' CHECK (billing IN ('ok', 'unpaid'));
      UPDATE org SET period_start = COALESCE(
        (SELECT substr(MIN(at), 1, 10) FROM audit WHERE action = 'bootstrap'),
        (SELECT substr(MIN(at), 1, 10) FROM ledger),
        date('now')
      );
      UPDATE org SET period_end = date(period_start, '+365 days');
      UPDATE catalog SET json = json_set(json, '$.org_plans', (
        SELECT json_group_array(
          CASE WHEN json_type(value, '$.price_cents') IS NULL
            THEN json_set(value, '$.price_cents',
              CASE json_extract(value, '$.name') WHEN 'pro' THEN 12000 WHEN 'ultra' THEN 48000 ELSE 0 END)
            ELSE json(value) END)
        FROM json_each(catalog.json, '$.org_plans')
      ));
    `,
  },
  {
    // Many organizations per console (issue 12): every org-scoped row names its organization. The one
    // organization of an existing database becomes organization 1, its slug made from its name (see
    // slugFromName); nothing else changes. Tables whose key was the organization's (`id = 1`) or a name unique
    // in it are rebuilt with `org_id` in the key; addresses in use stay unique across the whole console. Runs
    // with foreign keys off (the store checks them afterwards), so dropping an old table cascades nothing.
    version: 6,
    sql: `
      CREATE TABLE org_new (
        id INTEGER PRIMARY KEY,
        slug TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        plan TEXT NOT NULL,
        owner TEXT NOT NULL,
        provider_domain TEXT NOT NULL,
        verifier TEXT NOT NULL CHECK (verifier IN ('auto', 'dns')),
        revision INTEGER NOT NULL,
        period_start TEXT,
        period_end TEXT,
        billing TEXT NOT NULL DEFAULT 'ok' CHECK (billing IN ('ok', 'unpaid')),
        managed_by INTEGER REFERENCES org_new (id),
        partner INTEGER NOT NULL DEFAULT 0 CHECK (partner IN (0, 1))
      );
      INSERT INTO org_new (id, slug, name, plan, owner, provider_domain, verifier, revision, period_start,
          period_end, billing)
        SELECT id, 'org-' || id, name, plan, owner, provider_domain, verifier, revision, period_start, period_end,
          billing FROM org;
      CREATE INDEX org_managed_by ON org_new (managed_by, slug);

      CREATE TABLE wallet_new (
        org_id INTEGER PRIMARY KEY,
        balance_cents INTEGER NOT NULL CHECK (balance_cents >= 0)
      );
      INSERT INTO wallet_new (org_id, balance_cents) SELECT id, balance_cents FROM wallet;

      ALTER TABLE ledger ADD COLUMN org_id INTEGER NOT NULL DEFAULT 1;
      CREATE INDEX ledger_org ON ledger (org_id, id);

      CREATE TABLE users_new (
        org_id INTEGER NOT NULL,
        login TEXT NOT NULL,
        email TEXT NOT NULL UNIQUE,
        data TEXT NOT NULL,
        PRIMARY KEY (org_id, login)
      );
      INSERT INTO users_new (org_id, login, email, data) SELECT 1, login, email, data FROM users;

      CREATE TABLE addresses_new (
        org_id INTEGER NOT NULL,
        address TEXT NOT NULL,
        login TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('email', 'alias', 'retired')),
        PRIMARY KEY (org_id, address)
      );
      INSERT INTO addresses_new (org_id, address, login, kind) SELECT 1, address, login, kind FROM addresses;
      CREATE UNIQUE INDEX addresses_in_use ON addresses_new (address) WHERE kind != 'retired';

      CREATE TABLE passwords_new (
        org_id INTEGER NOT NULL,
        login TEXT NOT NULL,
        hash TEXT NOT NULL,
        PRIMARY KEY (org_id, login),
        FOREIGN KEY (org_id, login) REFERENCES users_new (org_id, login) ON DELETE CASCADE
      );
      INSERT INTO passwords_new (org_id, login, hash) SELECT 1, login, hash FROM passwords;

      CREATE TABLE domains_new (org_id INTEGER NOT NULL, name TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (org_id, name));
      INSERT INTO domains_new (org_id, name, data) SELECT 1, name, data FROM domains;

      CREATE TABLE groups_new (
        org_id INTEGER NOT NULL,
        name TEXT NOT NULL,
        description TEXT NOT NULL,
        PRIMARY KEY (org_id, name)
      );
      INSERT INTO groups_new (org_id, name, description) SELECT 1, name, description FROM groups;

      CREATE TABLE group_members_new (
        org_id INTEGER NOT NULL,
        group_name TEXT NOT NULL,
        login TEXT NOT NULL,
        PRIMARY KEY (org_id, group_name, login),
        FOREIGN KEY (org_id, group_name) REFERENCES groups_new (org_id, name) ON DELETE CASCADE,
        FOREIGN KEY (org_id, login) REFERENCES users_new (org_id, login) ON DELETE CASCADE
      );
      INSERT INTO group_members_new (org_id, group_name, login) SELECT 1, group_name, login FROM group_members;
      CREATE INDEX group_members_login ON group_members_new (org_id, login);

      CREATE TABLE tokens_new (
        id TEXT PRIMARY KEY,
        hash TEXT NOT NULL UNIQUE,
        org_id INTEGER NOT NULL,
        login TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('api', 'session')),
        name TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT,
        issued_by TEXT,
        last_used_at TEXT,
        FOREIGN KEY (org_id, login) REFERENCES users_new (org_id, login) ON DELETE CASCADE
      );
      INSERT INTO tokens_new (id, hash, org_id, login, kind, name, created_at, expires_at, issued_by, last_used_at)
        SELECT id, hash, 1, login, kind, name, created_at, expires_at, issued_by, last_used_at FROM tokens;
      CREATE INDEX tokens_org_login ON tokens_new (org_id, login);

      CREATE TABLE idempotency_new (
        org_id INTEGER NOT NULL,
        scope TEXT NOT NULL,
        key TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        status INTEGER NOT NULL,
        body TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (org_id, scope, key)
      );
      INSERT INTO idempotency_new (org_id, scope, key, request_hash, status, body, created_at)
        SELECT 1, scope, key, request_hash, status, body, created_at FROM idempotency;

      CREATE TABLE lock_new (
        org_id INTEGER PRIMARY KEY,
        lock_hash TEXT NOT NULL,
        holder TEXT NOT NULL,
        since TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        credential_id TEXT NOT NULL,
        acquire_key_hash TEXT
      );
      INSERT INTO lock_new (org_id, lock_hash, holder, since, expires_at, credential_id, acquire_key_hash)
        SELECT id, lock_hash, holder, since, expires_at, credential_id, acquire_key_hash FROM lock;

      ALTER TABLE audit ADD COLUMN org_id INTEGER NOT NULL DEFAULT 1;
      DROP INDEX audit_actor;
      DROP INDEX audit_target;
      CREATE INDEX audit_org ON audit (org_id, id);
      CREATE INDEX audit_actor ON audit (org_id, actor_login, id);
      CREATE INDEX audit_target ON audit (org_id, target, id);

      DROP TABLE tokens;
      DROP TABLE passwords;
      DROP TABLE group_members;
      DROP TABLE groups;
      DROP TABLE addresses;
      DROP TABLE users;
      DROP TABLE domains;
      DROP TABLE idempotency;
      DROP TABLE lock;
      DROP TABLE wallet;
      DROP TABLE org;
      ALTER TABLE org_new RENAME TO org;
      ALTER TABLE wallet_new RENAME TO wallet;
      ALTER TABLE users_new RENAME TO users;
      ALTER TABLE addresses_new RENAME TO addresses;
      ALTER TABLE passwords_new RENAME TO passwords;
      ALTER TABLE domains_new RENAME TO domains;
      ALTER TABLE groups_new RENAME TO groups;
      ALTER TABLE group_members_new RENAME TO group_members;
      ALTER TABLE tokens_new RENAME TO tokens;
      ALTER TABLE idempotency_new RENAME TO idempotency;
      ALTER TABLE lock_new RENAME TO lock;
      CREATE INDEX addresses_login ON addresses (org_id, login);
    `,
    after(db) {
      const rows = db.prepare("SELECT id, name FROM org").all() as { id: number; name: string }[];
      const update = db.prepare("UPDATE org SET slug = ? WHERE id = ?");
      for (const row of rows) update.run(slugFromName(row.name, row.id), row.id);
    },
  },
];
