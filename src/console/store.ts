import { createHash, randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import type { LedgerEntryInfo } from "../api/wire.js";
import {
  type Catalog,
  type ConsoleState,
  countersOf,
  type Domain,
  type Effect,
  type Group,
  indexAddresses,
  type LedgerDraft,
  membershipChangeOf,
  type Organization,
  slugFromName,
  type Tenant,
  type User,
} from "../domain/index.js";
import { MIGRATIONS } from "./migrations.js";

/** One organization as the organizations list (`API.orgs`) shows it. */
export interface OrgListing {
  slug: string;
  name: string;
  plan: string;
  managed_by: string | null;
  partner: boolean;
}

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
  /** The organization this store reads and writes (every org-scoped row names it); 1 is the first one. */
  readonly orgId: number;

  constructor(
    readonly path: string,
    shared?: { db: Database.Database; statements: Map<string, Database.Statement>; orgId: number },
  ) {
    if (shared) {
      this.db = shared.db;
      this.statements = shared.statements;
      this.orgId = shared.orgId;
      return;
    }
    this.orgId = 1;
    this.statements = new Map();
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

  /** The same database, scoped to organization `orgId` (the connection and prepared statements are shared). */
  forOrg(orgId: number): ConsoleStore {
    return new ConsoleStore(this.path, { db: this.db, statements: this.statements, orgId });
  }

  /**
   * Prepared statements by SQL text: preparing costs more than running most of them. The SQL strings are
   * literals (or a bounded set of filter combinations), so the cache stays small.
   */
  private readonly statements: Map<string, Database.Statement>;

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
    // Tables are rebuilt with foreign keys off (dropping an old table must cascade nothing); they are
    // checked once every migration ran.
    this.db.pragma("foreign_keys = OFF");
    try {
      for (const migration of MIGRATIONS) {
        if (applied.has(migration.version)) continue;
        this.db.transaction(() => {
          this.db.exec(migration.sql);
          migration.after?.(this.db);
          const broken = this.db.pragma("foreign_key_check") as unknown[];
          if (broken.length > 0)
            throw new Error(`migration ${migration.version} left ${broken.length} broken references`);
          this.db
            .prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)")
            .run(migration.version, new Date().toISOString());
        })();
      }
    } finally {
      this.db.pragma("foreign_keys = ON");
    }
  }

  schemaVersion(): number {
    const row = this.statement("SELECT MAX(version) AS v FROM schema_migrations").get() as {
      v: number | null;
    };
    return row.v ?? 0;
  }

  isEmpty(): boolean {
    return !this.statement("SELECT 1 FROM org WHERE id = ?").get(this.orgId);
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /** Reads the whole console into the rule engine's state. */
  load(): ConsoleState {
    const org = this.statement(
      "SELECT name, plan, owner, provider_domain, verifier, revision, period_start, period_end, billing FROM org WHERE id = ?",
    ).get(this.orgId) as Organization | undefined;
    if (!org) throw new Error("the console database has no organization yet");
    const catalog = JSON.parse(
      (this.statement("SELECT json FROM catalog WHERE id = 1").get() as { json: string }).json,
    ) as Catalog;
    const users = new Map<string, User>();
    for (const row of this.statement("SELECT data FROM users WHERE org_id = ? ORDER BY login").all(
      this.orgId,
    ) as { data: string }[]) {
      const user = JSON.parse(row.data) as User;
      users.set(user.login, user);
    }
    const domains = new Map<string, Domain>();
    for (const row of this.statement("SELECT data FROM domains WHERE org_id = ? ORDER BY name").all(
      this.orgId,
    ) as { data: string }[]) {
      const domain = JSON.parse(row.data) as Domain;
      domains.set(domain.name, domain);
    }
    const groups = new Map<string, Group>();
    for (const row of this.statement(
      "SELECT name, description FROM groups WHERE org_id = ? ORDER BY name",
    ).all(this.orgId) as {
      name: string;
      description: string;
    }[]) {
      groups.set(row.name, { name: row.name, description: row.description, members: [] });
    }
    for (const row of this.statement(
      "SELECT group_name, login FROM group_members WHERE org_id = ? ORDER BY group_name, login",
    ).all(this.orgId) as { group_name: string; login: string }[]) {
      groups.get(row.group_name)?.members.push(row.login);
    }
    const retired = (
      this.statement("SELECT address FROM addresses WHERE org_id = ? AND kind = 'retired'").all(
        this.orgId,
      ) as { address: string }[]
    ).map((r) => r.address);
    const balance = (
      this.statement("SELECT balance_cents FROM wallet WHERE org_id = ?").get(this.orgId) as {
        balance_cents: number;
      }
    ).balance_cents;
    return {
      org,
      catalog,
      balance,
      domains,
      users,
      groups,
      addresses: indexAddresses(users.values(), retired),
      counters: countersOf(catalog, users.values()),
    };
  }

  /** Creates the organization row and catalog of an empty database. */
  initialize(
    org: Organization,
    catalog: Catalog,
    tenancy: { slug: string; managed_by: number | null } = {
      slug: slugFromName(org.name, this.orgId),
      managed_by: null,
    },
  ): void {
    this.statement(
      "INSERT INTO org (id, slug, name, plan, owner, provider_domain, verifier, revision, period_start, period_end, billing, managed_by) VALUES (@id, @slug, @name, @plan, @owner, @provider_domain, @verifier, @revision, @period_start, @period_end, @billing, @managed_by)",
    ).run({ ...org, id: this.orgId, slug: tenancy.slug, managed_by: tenancy.managed_by });
    // The catalog is the console's: every organization shares it.
    this.statement("INSERT OR IGNORE INTO catalog (id, json) VALUES (1, ?)").run(JSON.stringify(catalog));
    this.statement("INSERT INTO wallet (org_id, balance_cents) VALUES (?, 0)").run(this.orgId);
  }

  // --- organizations of the console -------------------------------------------------------------------

  /** Every organization's identity, by id. */
  tenants(): Tenant[] {
    return (
      this.statement("SELECT id, slug, managed_by, partner FROM org ORDER BY id").all() as {
        id: number;
        slug: string;
        managed_by: number | null;
        partner: number;
      }[]
    ).map((row) => ({ ...row, partner: row.partner === 1 }));
  }

  /** The next free organization id. */
  nextOrgId(): number {
    return (this.statement("SELECT COALESCE(MAX(id), 0) + 1 AS id FROM org").get() as { id: number }).id;
  }

  setPartner(partner: boolean): void {
    this.statement("UPDATE org SET partner = ? WHERE id = ?").run(partner ? 1 : 0, this.orgId);
  }

  /**
   * Organizations listed by slug after `afterSlug`: this one and those it manages. Both are indexed (the
   * primary key and `org_managed_by`), so a page costs the same however many organizations the console holds.
   */
  orgsPage(afterSlug: string, limit: number, managed: boolean): OrgListing[] {
    const rows = this.statement(
      `SELECT o.slug, o.name, o.plan, m.slug AS managed_by, o.partner FROM org o LEFT JOIN org m ON m.id = o.managed_by
         WHERE (o.id = @id ${managed ? "OR o.managed_by = @id" : ""}) AND o.slug > @after ORDER BY o.slug LIMIT @limit`,
    ).all({ id: this.orgId, after: afterSlug, limit }) as (Omit<OrgListing, "partner"> & {
      partner: number;
    })[];
    return rows.map((row) => ({ ...row, partner: row.partner === 1 }));
  }

  /** Whether any organization's user holds `address` as email or alias. */
  addressInUse(address: string): boolean {
    return (
      this.statement("SELECT 1 FROM addresses WHERE address = ? AND kind != 'retired'").get(address) !==
      undefined
    );
  }

  /** Whether a user of another organization than this one holds `address` as email or alias. */
  addressHeldElsewhere(address: string): boolean {
    return (
      this.statement("SELECT 1 FROM addresses WHERE address = ? AND kind != 'retired' AND org_id != ?").get(
        address,
        this.orgId,
      ) !== undefined
    );
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
        "INSERT INTO passwords (org_id, login, hash) VALUES (?, ?, ?) ON CONFLICT(org_id, login) DO UPDATE SET hash = excluded.hash",
      ).run(this.orgId, extras.passwordHash.login, extras.passwordHash.hash);
    }
    const entries: LedgerEntry[] = [];
    const at = extras.now.toISOString();
    for (const draft of ledger) {
      const { balance_cents } = this.statement(
        "UPDATE wallet SET balance_cents = balance_cents + ? WHERE org_id = ? RETURNING balance_cents",
      ).get(draft.amount_cents, this.orgId) as { balance_cents: number };
      const info = this.statement(
        "INSERT INTO ledger (org_id, at, amount_cents, reason, login, plan, memo, idempotency_key, balance_after_cents) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      ).run(
        this.orgId,
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
      this.statement("UPDATE org SET revision = revision + 1 WHERE id = ?").run(this.orgId);
    return entries;
  }

  private writeEffect(effect: Effect, rows: MembershipRows): void {
    switch (effect.type) {
      case "put_org": {
        const { org } = effect;
        this.statement(
          "UPDATE org SET name = ?, plan = ?, owner = ?, verifier = ?, period_start = ?, period_end = ?, billing = ? WHERE id = ?",
        ).run(
          org.name,
          org.plan,
          org.owner,
          org.verifier,
          org.period_start,
          org.period_end,
          org.billing,
          this.orgId,
        );
        return;
      }
      case "put_user": {
        const { user } = effect;
        this.statement(
          "DELETE FROM addresses WHERE org_id = ? AND login = ? AND kind IN ('email', 'alias')",
        ).run(this.orgId, user.login);
        this.statement(
          "INSERT INTO users (org_id, login, email, data) VALUES (?, ?, ?, ?) ON CONFLICT(org_id, login) DO UPDATE SET data = excluded.data",
        ).run(this.orgId, user.login, user.email, JSON.stringify(user));
        const insert = this.statement(
          "INSERT INTO addresses (org_id, address, login, kind) VALUES (?, ?, ?, ?)",
        );
        insert.run(this.orgId, user.email, user.login, "email");
        for (const alias of user.aliases) insert.run(this.orgId, alias, user.login, "alias");
        return;
      }
      case "delete_user": {
        const id = this.orgId;
        this.statement(
          "DELETE FROM addresses WHERE org_id = ? AND login = ? AND kind IN ('email', 'alias')",
        ).run(id, effect.login);
        this.statement("DELETE FROM group_members WHERE org_id = ? AND login = ?").run(id, effect.login);
        rows.removed.add(effect.login);
        this.statement("DELETE FROM tokens WHERE org_id = ? AND login = ?").run(id, effect.login);
        this.statement("DELETE FROM passwords WHERE org_id = ? AND login = ?").run(id, effect.login);
        this.statement("DELETE FROM users WHERE org_id = ? AND login = ?").run(id, effect.login);
        const retire = this.statement(
          "INSERT INTO addresses (org_id, address, login, kind) VALUES (?, ?, '', 'retired')",
        );
        for (const address of effect.retire) retire.run(id, address);
        return;
      }
      case "put_domain":
        this.statement(
          "INSERT INTO domains (org_id, name, data) VALUES (?, ?, ?) ON CONFLICT(org_id, name) DO UPDATE SET data = excluded.data",
        ).run(this.orgId, effect.domain.name, JSON.stringify(effect.domain));
        return;
      case "delete_domain":
        this.statement("DELETE FROM domains WHERE org_id = ? AND name = ?").run(this.orgId, effect.name);
        return;
      case "put_group": {
        const { group } = effect;
        this.statement(
          "INSERT INTO groups (org_id, name, description) VALUES (?, ?, ?) ON CONFLICT(org_id, name) DO UPDATE SET description = excluded.description",
        ).run(this.orgId, group.name, group.description);
        this.writeMembers(group, rows);
        return;
      }
      case "delete_group":
        this.statement("DELETE FROM group_members WHERE org_id = ? AND group_name = ?").run(
          this.orgId,
          effect.name,
        );
        this.statement("DELETE FROM groups WHERE org_id = ? AND name = ?").run(this.orgId, effect.name);
        rows.written.set(effect.name, []);
        return;
      case "revoke_sessions":
        this.statement("DELETE FROM tokens WHERE org_id = ? AND login = ? AND kind = 'session'").run(
          this.orgId,
          effect.login,
        );
        return;
      case "revoke_tokens":
        this.statement("DELETE FROM tokens WHERE org_id = ? AND login = ?").run(this.orgId, effect.login);
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
    const id = this.orgId;
    const add = this.statement("INSERT INTO group_members (org_id, group_name, login) VALUES (?, ?, ?)");
    if (known === null) {
      this.statement("DELETE FROM group_members WHERE org_id = ? AND group_name = ?").run(id, name);
      for (const login of group.members) add.run(id, name, login);
      return;
    }
    const before = rows.removed.size ? known.filter((login) => !rows.removed.has(login)) : known;
    const { added, dropped } =
      membershipChangeOf(before, group.members) ?? membershipDelta(before, group.members);
    const remove = this.statement(
      "DELETE FROM group_members WHERE org_id = ? AND group_name = ? AND login = ?",
    );
    for (const login of dropped) remove.run(id, name, login);
    for (const login of added) add.run(id, name, login);
  }

  ledgerPage(afterId: number, limit: number): LedgerEntry[] {
    return this.statement(
      "SELECT id, at, amount_cents, reason, login, plan, memo, idempotency_key, balance_after_cents FROM ledger WHERE org_id = ? AND id > ? ORDER BY id LIMIT ?",
    ).all(this.orgId, afterId, limit) as LedgerEntry[];
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
    const row = this.statement("SELECT hash FROM passwords WHERE org_id = ? AND login = ?").get(
      this.orgId,
      login,
    ) as { hash: string } | undefined;
    return row?.hash ?? null;
  }

  insertToken(record: TokenRecord & { token: string; created_at: string; issued_by?: string | null }): void {
    this.statement(
      "INSERT INTO tokens (id, hash, org_id, login, kind, name, created_at, expires_at, issued_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    ).run(
      record.id,
      hashToken(record.token),
      this.orgId,
      record.login,
      record.kind,
      record.name,
      record.created_at,
      record.expires_at,
      record.issued_by ?? null,
    );
  }

  /**
   * Looks a bearer secret up by its hash, in whichever organization it belongs to (the hash is unique in the
   * console): the secret itself is never stored or compared.
   */
  findToken(token: string): (FoundToken & { org_id: number }) | null {
    const row = this.statement(
      "SELECT id, org_id, login, kind, name, expires_at, last_used_at FROM tokens WHERE hash = ?",
    ).get(hashToken(token)) as (FoundToken & { org_id: number }) | undefined;
    return row ?? null;
  }

  /** The stored hash of a credential's secret: a key only that credential's holder could reproduce. */
  tokenHash(id: string): string | null {
    const row = this.statement("SELECT hash FROM tokens WHERE org_id = ? AND id = ?").get(this.orgId, id) as
      | { hash: string }
      | undefined;
    return row?.hash ?? null;
  }

  tokenById(id: string): TokenInfo | null {
    const row = this.statement(
      "SELECT id, login, kind, name, created_at, expires_at, last_used_at, issued_by FROM tokens WHERE org_id = ? AND id = ?",
    ).get(this.orgId, id) as TokenInfo | undefined;
    return row ?? null;
  }

  /** A page of live credentials (expired ones are left out) with ids after `afterId`, by id. */
  tokensPage(now: Date, afterId: string, limit: number, login?: string): TokenInfo[] {
    return this.statement(
      `SELECT id, login, kind, name, created_at, expires_at, last_used_at, issued_by FROM tokens
         WHERE org_id = ? AND id > ? AND (expires_at IS NULL OR expires_at > ?) ${login === undefined ? "" : "AND login = ?"}
         ORDER BY id LIMIT ?`,
    ).all(
      ...(login === undefined
        ? [this.orgId, afterId, now.toISOString(), limit]
        : [this.orgId, afterId, now.toISOString(), login, limit]),
    ) as TokenInfo[];
  }

  /** How many live credentials of `kind` a user holds, after dropping their expired ones. */
  liveTokenCount(login: string, kind: TokenKind, now: Date): number {
    this.statement(
      "DELETE FROM tokens WHERE org_id = ? AND login = ? AND expires_at IS NOT NULL AND expires_at <= ?",
    ).run(this.orgId, login, now.toISOString());
    return (
      this.statement("SELECT COUNT(*) AS n FROM tokens WHERE org_id = ? AND login = ? AND kind = ?").get(
        this.orgId,
        login,
        kind,
      ) as {
        n: number;
      }
    ).n;
  }

  /** Drops a user's oldest sessions beyond `keep`. */
  trimSessions(login: string, keep: number): void {
    this.statement(
      "DELETE FROM tokens WHERE id IN (SELECT id FROM tokens WHERE org_id = ? AND login = ? AND kind = 'session' ORDER BY created_at DESC, id DESC LIMIT -1 OFFSET ?)",
    ).run(this.orgId, login, keep);
  }

  deleteToken(id: string): void {
    this.statement("DELETE FROM tokens WHERE org_id = ? AND id = ?").run(this.orgId, id);
  }

  touchToken(id: string, at: Date): void {
    this.statement("UPDATE tokens SET last_used_at = ? WHERE id = ?").run(at.toISOString(), id);
  }

  // --- audit log ---------------------------------------------------------------------------------------

  /** Appends an audit entry; callers run it in the transaction of the change it records. */
  appendAudit(draft: AuditDraft, at: Date): AuditEntry {
    const { revision } = this.statement("SELECT revision FROM org WHERE id = ?").get(this.orgId) as {
      revision: number;
    };
    const row = {
      org_id: this.orgId,
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
      `INSERT INTO audit (org_id, at, actor_kind, actor_login, credential_id, credential_kind, credential_name, action,
           target, fields, outcome, code, message, idempotency_key, revision)
         VALUES (@org_id, @at, @actor_kind, @actor_login, @credential_id, @credential_kind, @credential_name, @action,
           @target, @fields, @outcome, @code, @message, @idempotency_key, @revision)`,
    ).run(row);
    return auditEntryOf({ ...row, id: Number(info.lastInsertRowid) });
  }

  /** A page of the audit log, newest first. */
  auditPage(query: AuditQuery): AuditEntry[] {
    const where: string[] = ["org_id = @org"];
    const args: Record<string, string | number> = { limit: query.limit, org: this.orgId };
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
      `SELECT * FROM audit WHERE ${where.join(" AND ")} ORDER BY id DESC LIMIT @limit`,
    ).all(args) as AuditRow[];
    return rows.map(auditEntryOf);
  }

  // --- idempotency -------------------------------------------------------------------------------------

  findIdempotent(scope: string, key: string): { request_hash: string; status: number; body: string } | null {
    const row = this.statement(
      "SELECT request_hash, status, body FROM idempotency WHERE org_id = ? AND scope = ? AND key = ?",
    ).get(this.orgId, scope, key) as { request_hash: string; status: number; body: string } | undefined;
    return row ?? null;
  }

  saveIdempotent(scope: string, key: string, requestHash: string, response: StoredResponse, now: Date): void {
    this.statement(
      "INSERT INTO idempotency (org_id, scope, key, request_hash, status, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    ).run(this.orgId, scope, key, requestHash, response.status, response.body, now.toISOString());
  }

  // --- apply lock --------------------------------------------------------------------------------------

  currentLock(now: Date): StoredLock | null {
    const row = this.statement(
      "SELECT lock_hash, holder, since, expires_at, credential_id, acquire_key_hash FROM lock WHERE org_id = ?",
    ).get(this.orgId) as StoredLock | undefined;
    if (!row || Date.parse(row.expires_at) <= now.getTime()) return null;
    return row;
  }

  putLock(lock: StoredLock): void {
    this.statement(
      `INSERT INTO lock (org_id, lock_hash, holder, since, expires_at, credential_id, acquire_key_hash)
         VALUES (@org_id, @lock_hash, @holder, @since, @expires_at, @credential_id, @acquire_key_hash)
         ON CONFLICT(org_id) DO UPDATE SET lock_hash = excluded.lock_hash, holder = excluded.holder,
           since = excluded.since, expires_at = excluded.expires_at, credential_id = excluded.credential_id,
           acquire_key_hash = excluded.acquire_key_hash`,
    ).run({ ...lock, org_id: this.orgId });
  }

  releaseLock(): void {
    this.statement("DELETE FROM lock WHERE org_id = ?").run(this.orgId);
  }

  // --- consistency -------------------------------------------------------------------------------------

  /** Checks the invariants a crash must never break. Returns the problems found (none when healthy). */
  checkConsistency(): string[] {
    const problems: string[] = [];
    const integrity = this.db.pragma("integrity_check", { simple: true });
    if (integrity !== "ok") problems.push(`sqlite integrity_check: ${String(integrity)}`);
    const wallet = this.statement("SELECT balance_cents FROM wallet WHERE org_id = ?").get(this.orgId) as
      | { balance_cents: number }
      | undefined;
    const sum = (
      this.statement("SELECT COALESCE(SUM(amount_cents), 0) AS s FROM ledger WHERE org_id = ?").get(
        this.orgId,
      ) as { s: number }
    ).s;
    if (wallet && wallet.balance_cents !== sum)
      problems.push(`wallet balance ${wallet.balance_cents} != ledger sum ${sum}`);
    if (wallet && wallet.balance_cents < 0)
      problems.push(`wallet balance ${wallet.balance_cents} is negative`);
    const halfUsers = this.statement(
      "SELECT u.login FROM users u LEFT JOIN addresses a ON a.org_id = u.org_id AND a.address = u.email AND a.login = u.login AND a.kind = 'email' WHERE a.address IS NULL",
    ).all() as { login: string }[];
    for (const row of halfUsers) problems.push(`user ${row.login} has no address row for its email`);
    const orphans = this.statement(
      "SELECT a.address FROM addresses a LEFT JOIN users u ON u.org_id = a.org_id AND u.login = a.login WHERE a.kind != 'retired' AND u.login IS NULL",
    ).all() as { address: string }[];
    for (const row of orphans) problems.push(`address ${row.address} belongs to no user`);
    const strayMembers = this.statement(
      "SELECT m.login FROM group_members m LEFT JOIN users u ON u.org_id = m.org_id AND u.login = m.login WHERE u.login IS NULL",
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
