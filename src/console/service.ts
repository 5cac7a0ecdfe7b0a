import { createHash, randomBytes } from "node:crypto";
import {
  type Actor,
  addDays,
  addressesClaimed,
  addressInOtherOrgRefusal,
  applyDecision,
  type Catalog,
  type ConsoleState,
  cloneState,
  DAYS_PER_PERIOD,
  DEFAULT_CATALOG,
  dayOf,
  decide,
  type Effect,
  fieldsOf,
  type LedgerDraft,
  movesRevision,
  noteRenewalEffects,
  type Operation,
  OWNER_ROLE,
  periodsMayEnd,
  type RenewalWatermark,
  type Role,
  renewalWatermark,
  renewDue,
  targetOf,
  type Verifier,
} from "../domain/index.js";
import { ApiError, fromRefusal } from "./errors.js";
import { hashPassword } from "./passwords.js";
import {
  type AuditActor,
  type AuditDraft,
  ConsoleStore,
  type LedgerEntry,
  type StoredResponse,
} from "./store.js";

export interface BootstrapOptions {
  orgName: string;
  orgPlan: string;
  ownerLogin: string;
  ownerEmail: string;
  ownerFirstName: string;
  ownerLastName: string;
  ownerPlan: string;
  balanceCents: number;
  providerDomain: string;
  verifier: Verifier;
  catalog?: Catalog;
  /** Becomes the owner's API token; generated when absent. */
  token?: string;
}

export { DEFAULT_BOOTSTRAP } from "./bootstrap-defaults.js";

export type Clock = () => Date;

/** A clock pinned by `ORGCTL_NOW` (ISO 8601), else the real one. */
export function clockFromEnv(env: NodeJS.ProcessEnv = process.env): Clock {
  const pinned = env.ORGCTL_NOW;
  if (!pinned) return () => new Date();
  const at = new Date(pinned);
  if (Number.isNaN(at.getTime())) throw new Error(`ORGCTL_NOW=${pinned} is not an ISO 8601 time`);
  return () => new Date(at.getTime());
}

export interface Idempotency {
  scope: string;
  key: string;
  requestHash: string;
}

export interface MutationOptions {
  idempotency?: Idempotency | undefined;
  ifMatch?: number | null | undefined;
  /** A password to hash (at the edge) and store with the mutation. */
  password?: { login: string; plain: string } | undefined;
  /** Who asks, for the audit log (the console itself when absent). */
  actor?: AuditActor | undefined;
  /** The fields the audit log names when the operation's own say too little (`/tokens/<id>`). */
  auditFields?: string[] | undefined;
}

export const SYSTEM_ACTOR: AuditActor = { kind: "system", login: null, credential: null };

export interface MutationResult {
  status: number;
  body: string;
  replayed: boolean;
}

/** Renders the response of a successful mutation from the state after it, inside its transaction. */
export type Render = (state: ConsoleState, entries: LedgerEntry[]) => { status: number; body: unknown };

export function newToken(prefix: "oct" | "ocs"): string {
  return `${prefix}_${randomBytes(24).toString("base64url")}`;
}

export function requestHash(parts: unknown[]): string {
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex");
}

/**
 * The console: the rule engine's state in memory, kept equal to the SQLite store. A mutation is decided by
 * the rule engine, written to the store in one transaction (effects, ledger, revision, idempotent response),
 * and only then becomes the in-memory state.
 */
export class ConsoleService {
  private current!: ConsoleState;
  /** Kept with the state, in the same step that applies a commit: it must describe exactly that state. */
  private watermark!: RenewalWatermark;
  /**
   * The revision and balance at which a pass found no unpaid user the wallet could pay: until either moves,
   * another pass would find the same.
   */
  private unpaidSettled: { revision: number; balance: number } | null = null;

  private constructor(
    readonly store: ConsoleStore,
    readonly clock: Clock,
  ) {
    this.reload();
  }

  /** The service of an organization the database already holds (`store` is scoped to it). */
  static ofOrg(store: ConsoleStore, clock: Clock): ConsoleService {
    return new ConsoleService(store, clock);
  }

  /** The organization this service keeps (its id in the console). */
  get orgId(): number {
    return this.store.orgId;
  }

  get state(): ConsoleState {
    return this.current;
  }

  /** Reads the state from the store, and everything derived from it. */
  private reload(): void {
    this.current = this.store.load();
    this.watermark = renewalWatermark(this.current.users.values(), this.current.org);
    this.unpaidSettled = null;
  }

  /** Opens a database, creating the organization first when it is empty. */
  static async open(
    path: string,
    clock: Clock,
    bootstrap: BootstrapOptions,
  ): Promise<{ service: ConsoleService; ownerToken: string | null }> {
    const store = new ConsoleStore(path);
    let ownerToken: string | null = null;
    if (store.isEmpty()) ownerToken = await ConsoleService.bootstrap(store, clock(), bootstrap);
    return { service: new ConsoleService(store, clock), ownerToken };
  }

  /**
   * Creates an organization with its owner in an empty org scope of the database (`store`). The owner gets an
   * API token unless `created.issueToken` is false (an organization a partner creates: the partner acts in it
   * as org_admin, never with the owner's credential). Returns the token, or null.
   */
  static bootstrap(
    store: ConsoleStore,
    now: Date,
    options: BootstrapOptions,
    created: {
      tenancy?: { slug: string; managed_by: number | null };
      issueToken?: boolean;
      actor?: AuditActor;
      message?: string;
      /** The starting balance as a top-up (method `test`) rather than the bootstrap's starting balance. */
      balanceAsTopUp?: boolean;
    } = {},
  ): string | null {
    const catalog = options.catalog ?? DEFAULT_CATALOG;
    const issueToken = created.issueToken ?? true;
    const token = issueToken ? (options.token ?? newToken("oct")) : null;
    store.transaction(() => {
      store.initialize(
        {
          name: options.orgName,
          plan: options.orgPlan,
          owner: options.ownerLogin,
          provider_domain: options.providerDomain,
          verifier: options.verifier,
          revision: 0,
          // The org plan's first period runs from the organization's creation. It is taken as paid by the
          // starting balance: the wallet is charged from its first renewal on, like every later period.
          period_start: dayOf(now),
          period_end: addDays(dayOf(now), DAYS_PER_PERIOD),
          billing: "ok",
        },
        catalog,
        ...(created.tenancy ? [created.tenancy] : []),
      );
      const state = store.load();
      const system: Actor = { kind: "system" };
      const steps: Array<{ effects: Effect[]; ledger: LedgerDraft[] }> = [];
      if (options.balanceCents > 0) {
        steps.push({
          effects: [],
          ledger: [
            {
              amount_cents: options.balanceCents,
              reason: created.balanceAsTopUp ? "top_up" : "bootstrap",
              login: null,
              plan: null,
              memo: created.balanceAsTopUp ? "top-up (test)" : "starting balance",
            },
          ],
        });
        applyDecision(state, [], steps[0]!.ledger);
      }
      const decision = decide(
        state,
        system,
        {
          op: "create_user",
          user: {
            login: options.ownerLogin,
            email: options.ownerEmail,
            first_name: options.ownerFirstName,
            last_name: options.ownerLastName,
            plan: options.ownerPlan,
            role: OWNER_ROLE,
            password_hash: null,
          },
        },
        now,
      );
      if (!decision.ok) {
        throw new ApiError(
          400,
          decision.refusal.code,
          `cannot create the owner: ${decision.refusal.message}`,
        );
      }
      for (const address of addressesClaimed(state, decision.effects)) {
        if (store.addressHeldElsewhere(address)) {
          const refusal = addressInOtherOrgRefusal(address);
          throw new ApiError(
            409,
            refusal.code,
            `cannot create the owner: ${refusal.message}`,
            refusal.details,
          );
        }
      }
      steps.push({ effects: decision.effects, ledger: decision.ledger });
      for (const step of steps) store.persist(step.effects, step.ledger, { now });
      store.appendAudit(
        {
          actor: created.actor ?? SYSTEM_ACTOR,
          action: "bootstrap",
          target: `user/${options.ownerLogin}`,
          fields: [],
          outcome: "ok",
          code: null,
          message:
            created.message ??
            (token
              ? "organization created with its owner and the owner's bootstrap token"
              : "organization created with its owner"),
          idempotency_key: null,
        },
        now,
      );
      if (token === null) return;
      store.insertToken({
        id: `tok_${randomBytes(6).toString("hex")}`,
        token,
        login: options.ownerLogin,
        kind: "api",
        name: "bootstrap",
        created_at: now.toISOString(),
        expires_at: null,
      });
    });
    return token;
  }

  close(): void {
    this.store.close();
  }

  private loginOrder: { revision: number; logins: string[] } | null = null;

  /** Logins in list order, cached per revision so paging through 10,000 users sorts once. */
  sortedLogins(): string[] {
    const revision = this.state.org.revision;
    if (this.loginOrder?.revision !== revision)
      this.loginOrder = { revision, logins: [...this.state.users.keys()].sort() };
    return this.loginOrder.logins;
  }

  now(): Date {
    return this.clock();
  }

  roleOf(login: string): Role | null {
    return this.state.users.get(login)?.role ?? null;
  }

  /**
   * Charges the periods that have ended. Runs before each request so that reads never show stale periods.
   * The renewal watermark makes most calls O(1): every user is looked at only on a day some period in good
   * standing may end, and the unpaid users only when the wallet or the state moved since they were last tried.
   */
  renew(): void {
    const now = this.now();
    const everyone = periodsMayEnd(this.watermark, now);
    if (!everyone && this.unpaidAreSettled()) return;
    const decision = renewDue(this.state, now, this.watermark);
    if (!decision.ok || (decision.effects.length === 0 && decision.ledger.length === 0)) {
      this.settle(everyone);
      return;
    }
    const renewed = new Set(decision.ledger.map((entry) => entry.login).filter((login) => login !== null));
    this.commit(
      decision.effects,
      decision.ledger,
      {
        now,
        audits: [
          {
            actor: SYSTEM_ACTOR,
            action: "renew",
            target: "wallet",
            fields: [
              ...(decision.effects.some((effect) => effect.type === "put_org") ? ["/renewals/org"] : []),
              ...[...renewed].sort().map((login) => `/renewals/${login}`),
            ],
            outcome: "ok",
            code: null,
            message: null,
            idempotency_key: null,
          },
        ],
      },
      () => ({ status: 204, body: null }),
    );
    this.settle(everyone);
  }

  private unpaidAreSettled(): boolean {
    if (this.watermark.unpaid.size === 0) return true;
    const settled = this.unpaidSettled;
    return settled?.revision === this.state.org.revision && settled.balance === this.state.balance;
  }

  /**
   * After a pass that left nothing due: a pass over every user moved every period in good standing past
   * today, so the watermark is worked out afresh (once a day at most, not once a request).
   */
  private settle(everyone: boolean): void {
    if (everyone) this.watermark = renewalWatermark(this.state.users.values(), this.state.org);
    this.unpaidSettled = { revision: this.state.org.revision, balance: this.state.balance };
  }

  /** The audit entry of an operation, as `outcome` for `actor`. */
  auditOf(
    operation: Operation,
    options: MutationOptions,
    outcome: { code: string; message: string } | null = null,
  ): AuditDraft {
    return {
      actor: options.actor ?? SYSTEM_ACTOR,
      action: operation.op,
      target: targetOf(operation),
      fields: options.auditFields ?? fieldsOf(operation),
      outcome: outcome ? "refused" : "ok",
      code: outcome?.code ?? null,
      message: outcome?.message ?? null,
      idempotency_key: options.idempotency?.key ?? null,
    };
  }

  /** Records a refused request on its own: nothing else is written. */
  auditRefusal(draft: AuditDraft): void {
    this.store.transaction(() => this.store.appendAudit(draft, this.now()));
  }

  /**
   * Decides `operation` for `actor` and commits it. With an idempotency key, a stored response for the same
   * request is replayed instead, and the key is stored with the response in the same transaction.
   */
  async mutate(
    actor: Actor,
    operation: Operation,
    render: Render,
    options: MutationOptions = {},
  ): Promise<MutationResult> {
    const replay = this.replay(options.idempotency);
    if (replay) return replay;
    this.checkRevision(options.ifMatch);
    const passwordHash = options.password
      ? { login: options.password.login, hash: await hashPassword(options.password.plain) }
      : undefined;
    if (passwordHash) {
      // Hashing yielded the event loop: a concurrent request with the same key may have committed meanwhile.
      // Without a password nothing yielded since the look-up above, so it is not repeated.
      const late = this.replay(options.idempotency);
      if (late) return late;
      this.checkRevision(options.ifMatch);
    }
    const now = this.now();
    const decision = decide(this.state, actor, operation, now);
    if (!decision.ok) throw fromRefusal(decision.refusal);
    this.checkAddressesInConsole(this.state, decision.effects);
    // A change that changes nothing (adding a current member, verifying a verified domain) keeps the revision,
    // so it never makes a saved plan stale; the audit log records the request with no fields changed.
    const noop =
      movesRevision(operation) &&
      decision.effects.length === 0 &&
      decision.ledger.length === 0 &&
      passwordHash === undefined;
    const stored = this.commit(
      decision.effects,
      decision.ledger,
      {
        now,
        passwordHash,
        idempotency: options.idempotency,
        moveRevision: movesRevision(operation) && !noop,
        audits: [this.auditOf(operation, noop ? { ...options, auditFields: [] } : options)],
      },
      render,
    );
    return { ...stored, replayed: false };
  }

  /**
   * Addresses are unique across the console: an address another organization's user holds is refused, in
   * the partner portal's words and without naming that organization (src/domain/tenancy.ts).
   */
  private checkAddressesInConsole(state: ConsoleState, effects: Effect[]): void {
    for (const address of addressesClaimed(state, effects)) {
      if (this.store.addressHeldElsewhere(address)) throw fromRefusal(addressInOtherOrgRefusal(address));
    }
  }

  /** A replay wins over `If-Match`: the retry of a committed request must get its answer, not a 412. */
  checkRevision(expected: number | null | undefined): void {
    if (expected === null || expected === undefined || expected === this.state.org.revision) return;
    throw new ApiError(
      412,
      "precondition_failed",
      `the console changed since revision ${expected} (now ${this.state.org.revision}); read it again and retry`,
      { expected, current: this.state.org.revision },
    );
  }

  /** The stored answer of a request already committed under this Idempotency-Key, or null. */
  replay(idempotency: Idempotency | undefined): MutationResult | null {
    if (!idempotency) return null;
    const found = this.store.findIdempotent(idempotency.scope, idempotency.key);
    if (!found) return null;
    if (found.request_hash !== idempotency.requestHash) {
      throw new ApiError(
        422,
        "idempotency_mismatch",
        "this Idempotency-Key was already used for a different request; use a new key for a new request",
        { key: idempotency.key },
      );
    }
    return { status: found.status, body: found.body, replayed: true };
  }

  /**
   * Writes effects and ledger in one transaction with the response. If anything throws, SQLite rolls back and
   * the in-memory state is reloaded from the store, so memory never runs ahead of the database.
   */
  commit(
    effects: Effect[],
    ledger: LedgerDraft[],
    extras: {
      now: Date;
      passwordHash?: { login: string; hash: string } | undefined;
      idempotency?: Idempotency | undefined;
      moveRevision?: boolean;
      /** Written in the same transaction, after the revision moved, so each names the revision it made. */
      audits: AuditDraft[];
    },
    render: Render,
  ): StoredResponse {
    const moveRevision = extras.moveRevision ?? true;
    try {
      return this.store.transaction(() => {
        const entries = this.store.persist(effects, ledger, {
          now: extras.now,
          groupsBefore: this.state.groups,
          moveRevision,
          idempotencyKey: extras.idempotency?.key ?? null,
          ...(extras.passwordHash ? { passwordHash: extras.passwordHash } : {}),
        });
        for (const audit of extras.audits) this.store.appendAudit(audit, extras.now);
        applyDecision(this.state, effects, ledger, moveRevision);
        noteRenewalEffects(this.watermark, effects);
        const rendered = render(this.state, entries);
        const response: StoredResponse = {
          status: rendered.status,
          body: rendered.body === null ? "" : JSON.stringify(rendered.body),
        };
        if (extras.idempotency) {
          this.store.saveIdempotent(
            extras.idempotency.scope,
            extras.idempotency.key,
            extras.idempotency.requestHash,
            response,
            extras.now,
          );
        }
        return response;
      });
    } catch (error) {
      this.reload();
      throw error;
    }
  }

  /**
   * Runs several operations as one all-or-nothing mutation (bulk delete, bulk logout): each is decided against
   * the state the previous ones leave, on a scratch copy, and all are committed together.
   */
  async mutateAll(
    actor: Actor,
    operations: Operation[],
    render: Render,
    options: MutationOptions = {},
  ): Promise<MutationResult> {
    const idempotency = options.idempotency;
    const replay = this.replay(idempotency);
    if (replay) return replay;
    this.checkRevision(options.ifMatch);
    const now = this.now();
    const scratch = cloneState(this.state);
    const effects: Effect[] = [];
    const ledger: LedgerDraft[] = [];
    for (const operation of operations) {
      const decision = decide(scratch, actor, operation, now);
      if (!decision.ok) throw fromRefusal(decision.refusal);
      applyDecision(scratch, decision.effects, decision.ledger);
      effects.push(...decision.effects);
      ledger.push(...decision.ledger);
    }
    this.checkAddressesInConsole(this.state, effects);
    const audits = operations.map((operation) => this.auditOf(operation, options));
    const stored = this.commit(effects, ledger, { now, idempotency, audits }, render);
    return { ...stored, replayed: false };
  }
}
