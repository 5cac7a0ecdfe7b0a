import { createHash, randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import type { LedgerEntryInfo } from "../api/wire.js";
import {
  type Catalog,
  type ConsoleState,
  countersOf,
  type Effect,
  type Group,
  indexAddresses,
  type LedgerDraft,
  membershipChangeOf,
  type Organization,
  type User,
} from "../domain/index.js";
import { MIGRATIONS } from "./migrations.js";
import { deleteRowRecord, isRowKind, loadRowRecords, putRowRecord } from "./record-rows.js";

/** A ledger entry as stored, and as the console answers with it. */
export type LedgerEntry = LedgerEntryInfo;

export interface StoredResponse {
  status: number;
  body: string;
}

/** The apply lock as anyone with read access sees it: never its id, which is the holder's secret. */
export interface LockLease {
  holder: string;
  since: string;
  expires_at: string;
}

export interface StoredLock extends LockLease {
  lock_hash: string;
  /** The credential that took the lock: only it may take the same lease again by its acquire key. */
  credential_id: string;
  acquire_key_hash: string | null;
}

export type TokenKind = "api" | "session";

export interface TokenRecord {
  id: string;
  login: string;
  kind: TokenKind;
  name: string;
  expires_at: string | null;
}

export interface FoundToken extends TokenRecord {
  last_used_at: string | null;
}

/** A credential as the tokens route (`API.tokens`) shows it: never the secret, which only its hash stands for. */
export interface TokenInfo extends TokenRecord {
  created_at: string;
  last_used_at: string | null;
  issued_by: string | null;
}

export type AuditOutcome = "ok" | "refused";

/** Who made a request: a user through one of their credentials, the console itself, or nobody yet. */
export interface AuditActor {
  kind: "user" | "system" | "anonymous";
  login: string | null;
  credential: { id: string; kind: TokenKind; name: string } | null;
}

export interface AuditDraft {
  actor: AuditActor;
  action: string;
  target: string;
  fields: string[];
  outcome: AuditOutcome;
  code: string | null;
  message: string | null;
  idempotency_key: string | null;
}

export interface AuditEntry extends AuditDraft {
  id: number;
  at: string;
  revision: number;
}

export interface AuditQuery {
  /** Entries older than this id (pages run newest first). */
  beforeId: number | null;
  limit: number;
  actor?: string | undefined;
  target?: string | undefined;
  action?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
}

interface AuditRow {
  id: number;
  at: string;
  actor_kind: AuditActor["kind"];
  actor_login: string | null;
  credential_id: string | null;
  credential_kind: TokenKind | null;
  credential_name: string | null;
  action: string;
  target: string;
  fields: string;
  outcome: AuditOutcome;
  code: string | null;
  message: string | null;
  idempotency_key: string | null;
  revision: number;
}

/** What a commit writes besides the rule engine's effects: secrets made at the edge, and the request key. */
export interface CommitExtras {
  now: Date;
  /** False for operations that change nothing org.yaml manages (a login): the revision stays. */
  moveRevision?: boolean;
  idempotencyKey?: string | null;
  passwordHash?: { login: string; hash: string };
  /**
   * The groups as the store holds them before these effects (the service's in-memory state). With it, a
   * group's change writes only the memberships that changed; without it, the group's rows are rewritten.
   */
  groupsBefore?: ReadonlyMap<string, Group>;
}

/** Each group's members as the rows stand while `persist` works through a decision's effects. */
interface MembershipRows {
  before: ReadonlyMap<string, Group> | null;
  /** Groups whose rows an earlier effect of the same decision wrote. */
  written: Map<string, readonly string[]>;
  /** Users whose rows an earlier effect removed from every group. */
  removed: Set<string>;
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/**
 * The console's SQLite storage. Every method that writes runs in one transaction with the ledger entries and
 * the revision bump it belongs to, so a crash leaves either all of a mutation or none of it.
 */
export class ConsoleStore {
  readonly db: Database.Database;

  constructor(readonly path: string) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    // WAL + NORMAL: a committed transaction survives a process crash (SIGKILL); only power loss can drop the
    // last commits, and never half of one.
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("foreign_keys = ON");
    this.db.pragma("busy_timeout = 5000");
    this.migrate();
  }

  close(): void {
    this.db.close();
  }

  /**
   * Prepared statements by SQL text: preparing costs more than running most of them. The SQL strings are
   * literals (or a bounded set of filter combinations), so the cache stays small.
   */
  private readonly statements = new Map<string, Database.Statement>();

  /** `statement`, bound: for the row-kept records (record-rows.ts). */
  private readonly prepare = (sql: string): Database.Statement => this.statement(sql);

  private statement(sql: string): Database.Statement {
    let prepared = this.statements.get(sql);
    if (!prepared) {
      prepared = this.db.prepare(sql);
      this.statements.set(sql, prepared);
    }
    return prepared;
  }

  /** Applies the versioned migrations that this database has not seen yet, each in its own transaction. */
  private migrate(): void {
    this.db.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
    );
    const applied = new Set(
      (this.statement("SELECT version FROM schema_migrations").all() as { version: number }[]).map(
        (r) => r.version,
      ),
    );
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      this.db.transaction(() => {
        this.db.exec(migration.sql);
        this.statement("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)").run(
          migration.version,
          new Date().toISOString(),
        );
      })();
    }
  }

  schemaVersion(): number {
    const row = this.statement("SELECT MAX(version) AS v FROM schema_migrations").get() as {
      v: number | null;
    };
    return row.v ?? 0;
  }

  isEmpty(): boolean {
    return !this.statement("SELECT 1 FROM org WHERE id = 1").get();
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /** Reads the whole console into the rule engine's state. */
  load(): ConsoleState {
    const orgRow = this.statement("SELECT * FROM org WHERE id = 1").get() as
      | (Organization & { id: number })
      | undefined;
    if (!orgRow) throw new Error("the console database has no organization yet");
    const { id: _id, ...org } = orgRow;
    const catalog = JSON.parse(
      (this.statement("SELECT json FROM catalog WHERE id = 1").get() as { json: string }).json,
    ) as Catalog;
    const users = new Map<string, User>();
    for (const row of this.statement("SELECT data FROM users ORDER BY login").all() as { data: string }[]) {
      const user = JSON.parse(row.data) as User;
      users.set(user.login, user);
    }
    const groups = new Map<string, Group>();
    for (const row of this.statement("SELECT name, description FROM groups ORDER BY name").all() as {
      name: string;
      description: string;
    }[]) {
      groups.set(row.name, { name: row.name, description: row.description, members: [] });
    }
    for (const row of this.statement(
      "SELECT group_name, login FROM group_members ORDER BY group_name, login",
    ).all() as { group_name: string; login: string }[]) {
      groups.get(row.group_name)?.members.push(row.login);
    }
    const retired = (
      this.statement("SELECT address FROM addresses WHERE kind = 'retired'").all() as { address: string }[]
    ).map((r) => r.address);
    const balance = (
      this.statement("SELECT balance_cents FROM wallet WHERE id = 1").get() as { balance_cents: number }
    ).balance_cents;
    return {
      org,
      catalog,
      balance,
      ...loadRowRecords(this.prepare),
      users,
      groups,
      addresses: indexAddresses(users.values(), retired),
      counters: countersOf(catalog, users.values()),
    };
  }

  /** Creates the organization row and catalog of an empty database. */
  initialize(org: Organization, catalog: Catalog): void {
    this.statement(
      "INSERT INTO org (id, name, plan, owner, provider_domain, verifier, revision, period_start, period_end, billing) VALUES (1, @name, @plan, @owner, @provider_domain, @verifier, @revision, @period_start, @period_end, @billing)",
    ).run(org);
    this.statement("INSERT INTO catalog (id, json) VALUES (1, ?)").run(JSON.stringify(catalog));
    this.statement("INSERT INTO wallet (id, balance_cents) VALUES (1, 0)").run();
  }

  /**
   * Writes a decision: its effects, its ledger entries (with running balance), the new revision. Must run
   * inside `transaction()` together with whatever else belongs to the same request.
   */
  persist(effects: Effect[], ledger: LedgerDraft[], extras: CommitExtras): LedgerEntry[] {
    const rows: MembershipRows = {
      before: extras.groupsBefore ?? null,
      written: new Map(),
      removed: new Set(),
    };
    for (const effect of effects) this.writeEffect(effect, rows);
    if (extras.passwordHash) {
      this.statement(
        "INSERT INTO passwords (login, hash) VALUES (?, ?) ON CONFLICT(login) DO UPDATE SET hash = excluded.hash",
      ).run(extras.passwordHash.login, extras.passwordHash.hash);
    }
    const entries: LedgerEntry[] = [];
    const at = extras.now.toISOString();
    for (const draft of ledger) {
      const { balance_cents } = this.statement(
        "UPDATE wallet SET balance_cents = balance_cents + ? WHERE id = 1 RETURNING balance_cents",
      ).get(draft.amount_cents) as { balance_cents: number };
      const info = this.statement(
        "INSERT INTO ledger (at, amount_cents, reason, login, plan, memo, idempotency_key, balance_after_cents) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      ).run(
        at,
        draft.amount_cents,
        draft.reason,
        draft.login,
        draft.plan,
        draft.memo,
        extras.idempotencyKey ?? null,
        balance_cents,
      );
      entries.push({
        id: Number(info.lastInsertRowid),
        at,
        ...draft,
        idempotency_key: extras.idempotencyKey ?? null,
        balance_after_cents: balance_cents,
      });
    }
    if (extras.moveRevision !== false)
      this.statement("UPDATE org SET revision = revision + 1 WHERE id = 1").run();
    return entries;
  }

  private writeEffect(effect: Effect, rows: MembershipRows): void {
    switch (effect.type) {
      case "put_org": {
        const { org } = effect;
        this.statement(
          "UPDATE org SET name = ?, plan = ?, owner = ?, verifier = ?, period_start = ?, period_end = ?, billing = ? WHERE id = 1",
        ).run(org.name, org.plan, org.owner, org.verifier, org.period_start, org.period_end, org.billing);
        return;
      }
      case "put_user": {
        const { user } = effect;
        this.statement("DELETE FROM addresses WHERE login = ? AND kind IN ('email', 'alias')").run(
          user.login,
        );
        this.statement(
          "INSERT INTO users (login, email, data) VALUES (?, ?, ?) ON CONFLICT(login) DO UPDATE SET data = excluded.data",
        ).run(user.login, user.email, JSON.stringify(user));
        const insert = this.statement("INSERT INTO addresses (address, login, kind) VALUES (?, ?, ?)");
        insert.run(user.email, user.login, "email");
        for (const alias of user.aliases) insert.run(alias, user.login, "alias");
        return;
      }
      case "delete_user": {
        this.statement("DELETE FROM addresses WHERE login = ? AND kind IN ('email', 'alias')").run(
          effect.login,
        );
        this.statement("DELETE FROM group_members WHERE login = ?").run(effect.login);
        rows.removed.add(effect.login);
        this.statement("DELETE FROM tokens WHERE login = ?").run(effect.login);
        this.statement("DELETE FROM passwords WHERE login = ?").run(effect.login);
        this.statement("DELETE FROM users WHERE login = ?").run(effect.login);
        const retire = this.statement(
          "INSERT INTO addresses (address, login, kind) VALUES (?, '', 'retired')",
        );
        for (const address of effect.retire) retire.run(address);
        return;
      }
      case "put_record": {
        if (effect.kind !== "groups") {
          putRowRecord(this.prepare, effect.kind, effect.record);
          return;
        }
        const group = effect.record;
        this.statement(
          "INSERT INTO groups (name, description) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET description = excluded.description",
        ).run(group.name, group.description);
        this.writeMembers(group, rows);
        return;
      }
      case "delete_record":
        if (isRowKind(effect.kind)) {
          deleteRowRecord(this.prepare, effect.kind, effect.name);
          return;
        }
        this.statement("DELETE FROM group_members WHERE group_name = ?").run(effect.name);
        this.statement("DELETE FROM groups WHERE name = ?").run(effect.name);
        rows.written.set(effect.name, []);
        return;
      case "revoke_sessions":
        this.statement("DELETE FROM tokens WHERE login = ? AND kind = 'session'").run(effect.login);
        return;
      case "revoke_tokens":
        this.statement("DELETE FROM tokens WHERE login = ?").run(effect.login);
        return;
    }
  }

  /**
   * Writes a group's members as the difference from the rows it had: a user joining a group of 10,000 writes
   * one row, not 10,000. Falls back to rewriting the group when its rows are not known.
   */
  private writeMembers(group: Group, rows: MembershipRows): void {
    const name = group.name;
    const known = rows.written.get(name) ?? rows.before?.get(name)?.members ?? (rows.before ? [] : null);
    rows.written.set(name, group.members);
    const add = this.statement("INSERT INTO group_members (group_name, login) VALUES (?, ?)");
    if (known === null) {
      this.statement("DELETE FROM group_members WHERE group_name = ?").run(name);
      for (const login of group.members) add.run(name, login);
      return;
    }
    const before = rows.removed.size ? known.filter((login) => !rows.removed.has(login)) : known;
    const { added, dropped } =
      membershipChangeOf(before, group.members) ?? membershipDelta(before, group.members);
    const remove = this.statement("DELETE FROM group_members WHERE group_name = ? AND login = ?");
    for (const login of dropped) remove.run(name, login);
    for (const login of added) add.run(name, login);
  }

  ledgerPage(afterId: number, limit: number): LedgerEntry[] {
    return this.statement("SELECT * FROM ledger WHERE id > ? ORDER BY id LIMIT ?").all(
      afterId,
      limit,
    ) as LedgerEntry[];
  }

  // --- list cursors ----------------------------------------------------------------------------------

  /** The secret that signs this database's list cursors, made on first use. */
  cursorSecret(): Buffer {
    this.statement("INSERT OR IGNORE INTO cursor_secret (id, secret) VALUES (1, ?)").run(randomBytes(32));
    return (this.statement("SELECT secret FROM cursor_secret WHERE id = 1").get() as { secret: Buffer })
      .secret;
  }

  // --- credentials -------------------------------------------------------------------------------------

  passwordHash(login: string): string | null {
    const row = this.statement("SELECT hash FROM passwords WHERE login = ?").get(login) as
      | { hash: string }
      | undefined;
    return row?.hash ?? null;
  }

  insertToken(record: TokenRecord & { token: string; created_at: string; issued_by?: string | null }): void {
    this.statement(
      "INSERT INTO tokens (id, hash, login, kind, name, created_at, expires_at, issued_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    ).run(
      record.id,
      hashToken(record.token),
      record.login,
      record.kind,
      record.name,
      record.created_at,
      record.expires_at,
      record.issued_by ?? null,
    );
  }

  /** Looks a bearer secret up by its hash: the secret itself is never stored or compared. */
  findToken(token: string): FoundToken | null {
    const row = this.statement(
      "SELECT id, login, kind, name, expires_at, last_used_at FROM tokens WHERE hash = ?",
    ).get(hashToken(token)) as FoundToken | undefined;
    return row ?? null;
  }

  /** The stored hash of a credential's secret: a key only that credential's holder could reproduce. */
  tokenHash(id: string): string | null {
    const row = this.statement("SELECT hash FROM tokens WHERE id = ?").get(id) as
      | { hash: string }
      | undefined;
    return row?.hash ?? null;
  }

  tokenById(id: string): TokenInfo | null {
    const row = this.statement(
      "SELECT id, login, kind, name, created_at, expires_at, last_used_at, issued_by FROM tokens WHERE id = ?",
    ).get(id) as TokenInfo | undefined;
    return row ?? null;
  }

  /** A page of live credentials (expired ones are left out) with ids after `afterId`, by id. */
  tokensPage(now: Date, afterId: string, limit: number, login?: string): TokenInfo[] {
    return this.statement(
      `SELECT id, login, kind, name, created_at, expires_at, last_used_at, issued_by FROM tokens
         WHERE id > ? AND (expires_at IS NULL OR expires_at > ?) ${login === undefined ? "" : "AND login = ?"}
         ORDER BY id LIMIT ?`,
    ).all(
      ...(login === undefined
        ? [afterId, now.toISOString(), limit]
        : [afterId, now.toISOString(), login, limit]),
    ) as TokenInfo[];
  }

  /** How many live credentials of `kind` a user holds, after dropping their expired ones. */
  liveTokenCount(login: string, kind: TokenKind, now: Date): number {
    this.statement("DELETE FROM tokens WHERE login = ? AND expires_at IS NOT NULL AND expires_at <= ?").run(
      login,
      now.toISOString(),
    );
    return (
      this.statement("SELECT COUNT(*) AS n FROM tokens WHERE login = ? AND kind = ?").get(login, kind) as {
        n: number;
      }
    ).n;
  }

  /** Drops a user's oldest sessions beyond `keep`. */
  trimSessions(login: string, keep: number): void {
    this.statement(
      "DELETE FROM tokens WHERE id IN (SELECT id FROM tokens WHERE login = ? AND kind = 'session' ORDER BY created_at DESC, id DESC LIMIT -1 OFFSET ?)",
    ).run(login, keep);
  }

  deleteToken(id: string): void {
    this.statement("DELETE FROM tokens WHERE id = ?").run(id);
  }

  touchToken(id: string, at: Date): void {
    this.statement("UPDATE tokens SET last_used_at = ? WHERE id = ?").run(at.toISOString(), id);
  }

  // --- audit log ---------------------------------------------------------------------------------------

  /** Appends an audit entry; callers run it in the transaction of the change it records. */
  appendAudit(draft: AuditDraft, at: Date): AuditEntry {
    const { revision } = this.statement("SELECT revision FROM org WHERE id = 1").get() as {
      revision: number;
    };
    const row = {
      at: at.toISOString(),
      actor_kind: draft.actor.kind,
      actor_login: draft.actor.login,
      credential_id: draft.actor.credential?.id ?? null,
      credential_kind: draft.actor.credential?.kind ?? null,
      credential_name: draft.actor.credential?.name ?? null,
      action: draft.action,
      target: draft.target,
      fields: JSON.stringify(draft.fields),
      outcome: draft.outcome,
      code: draft.code,
      message: draft.message,
      idempotency_key: draft.idempotency_key,
      revision,
    };
    const info = this.statement(
      `INSERT INTO audit (at, actor_kind, actor_login, credential_id, credential_kind, credential_name, action,
           target, fields, outcome, code, message, idempotency_key, revision)
         VALUES (@at, @actor_kind, @actor_login, @credential_id, @credential_kind, @credential_name, @action,
           @target, @fields, @outcome, @code, @message, @idempotency_key, @revision)`,
    ).run(row);
    return auditEntryOf({ ...row, id: Number(info.lastInsertRowid) });
  }

  /** A page of the audit log, newest first. */
  auditPage(query: AuditQuery): AuditEntry[] {
    const where: string[] = [];
    const args: Record<string, string | number> = { limit: query.limit };
    if (query.beforeId !== null) {
      where.push("id < @before");
      args.before = query.beforeId;
    }
    if (query.actor !== undefined) {
      where.push("actor_login = @actor");
      args.actor = query.actor;
    }
    if (query.target !== undefined) {
      where.push("target = @target");
      args.target = query.target;
    }
    if (query.action !== undefined) {
      where.push("action = @action");
      args.action = query.action;
    }
    if (query.since !== undefined) {
      where.push("at >= @since");
      args.since = query.since;
    }
    if (query.until !== undefined) {
      where.push("at < @until");
      args.until = query.until;
    }
    const rows = this.statement(
      `SELECT * FROM audit ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT @limit`,
    ).all(args) as AuditRow[];
    return rows.map(auditEntryOf);
  }

  // --- idempotency -------------------------------------------------------------------------------------

  findIdempotent(scope: string, key: string): { request_hash: string; status: number; body: string } | null {
    const row = this.statement(
      "SELECT request_hash, status, body FROM idempotency WHERE scope = ? AND key = ?",
    ).get(scope, key) as { request_hash: string; status: number; body: string } | undefined;
    return row ?? null;
  }

  saveIdempotent(scope: string, key: string, requestHash: string, response: StoredResponse, now: Date): void {
    this.statement(
      "INSERT INTO idempotency (scope, key, request_hash, status, body, created_at) VALUES (?, ?, ?, ?, ?, ?)",
    ).run(scope, key, requestHash, response.status, response.body, now.toISOString());
  }

  // --- apply lock --------------------------------------------------------------------------------------

  currentLock(now: Date): StoredLock | null {
    const row = this.statement(
      "SELECT lock_hash, holder, since, expires_at, credential_id, acquire_key_hash FROM lock WHERE id = 1",
    ).get() as StoredLock | undefined;
    if (!row || Date.parse(row.expires_at) <= now.getTime()) return null;
    return row;
  }

  putLock(lock: StoredLock): void {
    this.statement(
      `INSERT INTO lock (id, lock_hash, holder, since, expires_at, credential_id, acquire_key_hash)
         VALUES (1, @lock_hash, @holder, @since, @expires_at, @credential_id, @acquire_key_hash)
         ON CONFLICT(id) DO UPDATE SET lock_hash = excluded.lock_hash, holder = excluded.holder,
           since = excluded.since, expires_at = excluded.expires_at, credential_id = excluded.credential_id,
           acquire_key_hash = excluded.acquire_key_hash`,
    ).run(lock);
  }

  releaseLock(): void {
    this.statement("DELETE FROM lock WHERE id = 1").run();
  }

  // --- consistency -------------------------------------------------------------------------------------

  /** Checks the invariants a crash must never break. Returns the problems found (none when healthy). */
  checkConsistency(): string[] {
    const problems: string[] = [];
    const integrity = this.db.pragma("integrity_check", { simple: true });
    if (integrity !== "ok") problems.push(`sqlite integrity_check: ${String(integrity)}`);
    const wallet = this.statement("SELECT balance_cents FROM wallet WHERE id = 1").get() as
      | { balance_cents: number }
      | undefined;
    const sum = (
      this.statement("SELECT COALESCE(SUM(amount_cents), 0) AS s FROM ledger").get() as { s: number }
    ).s;
    if (wallet && wallet.balance_cents !== sum)
      problems.push(`wallet balance ${wallet.balance_cents} != ledger sum ${sum}`);
    if (wallet && wallet.balance_cents < 0)
      problems.push(`wallet balance ${wallet.balance_cents} is negative`);
    const halfUsers = this.statement(
      "SELECT u.login FROM users u LEFT JOIN addresses a ON a.address = u.email AND a.login = u.login AND a.kind = 'email' WHERE a.address IS NULL",
    ).all() as { login: string }[];
    for (const row of halfUsers) problems.push(`user ${row.login} has no address row for its email`);
    const orphans = this.statement(
      "SELECT a.address FROM addresses a LEFT JOIN users u ON u.login = a.login WHERE a.kind != 'retired' AND u.login IS NULL",
    ).all() as { address: string }[];
    for (const row of orphans) problems.push(`address ${row.address} belongs to no user`);
    const strayMembers = this.statement(
      "SELECT m.login FROM group_members m LEFT JOIN users u ON u.login = m.login WHERE u.login IS NULL",
    ).all() as { login: string }[];
    for (const row of strayMembers) problems.push(`group member ${row.login} is not a user`);
    return problems;
  }
}

/**
 * The logins `after` adds to `before` and the ones it drops. Both are sets of logins (no repeats). A join or a
 * leave changes one place in the list, so the lists are matched from both ends by identity (the rule engine
 * copies the same strings), and only what lies between is compared as sets.
 */
export function membershipDelta(
  before: readonly string[],
  after: readonly string[],
): { added: string[]; dropped: string[] } {
  const shorter = Math.min(before.length, after.length);
  let head = 0;
  while (head < shorter && before[head] === after[head]) head++;
  let tail = 0;
  while (tail < shorter - head && before[before.length - 1 - tail] === after[after.length - 1 - tail]) tail++;
  const was = before.slice(head, before.length - tail);
  const is = after.slice(head, after.length - tail);
  const had = new Set(was);
  const has = new Set(is);
  return { added: is.filter((login) => !had.has(login)), dropped: was.filter((login) => !has.has(login)) };
}

function auditEntryOf(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    at: row.at,
    actor: {
      kind: row.actor_kind,
      login: row.actor_login,
      credential:
        row.credential_id && row.credential_kind
          ? { id: row.credential_id, kind: row.credential_kind, name: row.credential_name ?? "" }
          : null,
    },
    action: row.action,
    target: row.target,
    fields: JSON.parse(row.fields) as string[],
    outcome: row.outcome,
    code: row.code,
    message: row.message,
    idempotency_key: row.idempotency_key,
    revision: row.revision,
  };
}
