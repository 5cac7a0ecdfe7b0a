/**
 * Versioned schema migrations. Append only: a released migration never changes, a new version is added.
 * Each runs in its own transaction and is recorded in `schema_migrations`.
 */
export const MIGRATIONS: { version: number; sql: string }[] = [
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
];
