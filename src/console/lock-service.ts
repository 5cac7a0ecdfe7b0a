import { createHmac, randomBytes } from "node:crypto";
import type { AcquiredLease, LeaseInfo } from "../api/wire.js";
import { ApiError } from "./errors.js";
import { secretsEqual } from "./secrets.js";
import type { ConsoleService } from "./service.js";
import { type AuditActor, hashToken } from "./store.js";

/**
 * The apply lock's rules: one holder at a time, named by a secret lock id that only the holder knows (the
 * console keeps its hash), renewed by presenting it, released by it, or broken by force.
 */

/** The longest lease the apply lock grants; a holder renews it while it works. */
export const LOCK_TTL_MAX_SECONDS = 600;

function leaseJson(lock: LeaseInfo): LeaseInfo {
  return { holder: lock.holder, since: lock.since, expires_at: lock.expires_at };
}

/** The lock held now, if any. */
export function currentLease(service: ConsoleService): LeaseInfo | null {
  const lock = service.store.currentLock(service.now());
  return lock ? leaseJson(lock) : null;
}

/** The lock id a credential gets for an acquire key: keyed by the credential's secret hash, never stored. */
function lockIdFor(credentialHash: string, key: string): string {
  return `lck_${createHmac("sha256", credentialHash).update(`apply-lock\0${key}`).digest("base64url")}`;
}

function lockAudit(
  actor: AuditActor,
  action: "lock_acquire" | "lock_release" | "lock_break",
  key: string | null,
) {
  return {
    actor,
    action,
    target: "lock",
    fields: [],
    outcome: "ok" as const,
    code: null,
    message: null,
    idempotency_key: key,
  };
}

export interface LockRequest {
  /** Who asks, as the audit log records it; the lock is tied to their credential. */
  actor: AuditActor & { credential: NonNullable<AuditActor["credential"]> };
  /** The lock id presented (`X-Lock-Id`), to renew a held lock. */
  presented: string | null;
  /** The request's Idempotency-Key. */
  key: string | null;
}

/**
 * Takes the lock for `holder`, or renews it for the holder who presents its id. Status 201 with the new lock
 * id when taken, 200 when renewed or when a retried acquire gets its own lock back; 423 while someone else
 * holds it.
 */
export function acquireLock(
  service: ConsoleService,
  request: LockRequest & { holder: string; ttlSeconds: number },
): { status: 200 | 201; body: LeaseInfo | AcquiredLease } {
  const now = service.now();
  const { credential } = request.actor;
  const { presented, key } = request;
  // A retried acquire whose answer was lost presents the same credential and Idempotency-Key: it gets the
  // same secret lock id back, derived from both, so the console never stores the id itself.
  const secret = service.store.tokenHash(credential.id);
  const keyed = key && secret ? lockIdFor(secret, key) : null;
  return service.store.transaction(() => {
    const current = service.store.currentLock(now);
    const renewing =
      current !== null && presented !== null && secretsEqual(hashToken(presented), current.lock_hash);
    const retried =
      current !== null &&
      keyed !== null &&
      current.credential_id === credential.id &&
      secretsEqual(hashToken(keyed), current.lock_hash);
    if (current && !renewing && !retried) {
      throw new ApiError(
        423,
        "locked",
        `the apply lock is held by ${current.holder} since ${current.since}; wait for it or retry later`,
        { holder: current.holder, since: current.since, expires_at: current.expires_at },
      );
    }
    const expiresAt = new Date(now.getTime() + request.ttlSeconds * 1000).toISOString();
    if (current && renewing) {
      service.store.putLock({ ...current, expires_at: expiresAt });
      return { status: 200, body: leaseJson({ ...current, expires_at: expiresAt }) };
    }
    const lockId = current ? keyed! : (keyed ?? `lck_${randomBytes(18).toString("base64url")}`);
    const lease = {
      lock_hash: hashToken(lockId),
      holder: current?.holder ?? request.holder,
      since: current?.since ?? now.toISOString(),
      expires_at: expiresAt,
      credential_id: credential.id,
      acquire_key_hash: key ? hashToken(key) : null,
    };
    service.store.putLock(lease);
    if (!current) service.store.appendAudit(lockAudit(request.actor, "lock_acquire", key), now);
    return { status: current ? 200 : 201, body: { lock_id: lockId, ...leaseJson(lease) } };
  });
}

/**
 * Releases the lock: its holder presents its id; `force` (an org_admin's, checked by the caller) breaks it
 * without. Releasing a lock nobody holds does nothing.
 */
export function releaseLock(
  service: ConsoleService,
  request: { actor: AuditActor; presented: string | null; key: string | null; force: boolean },
): void {
  const now = service.now();
  const { presented, force } = request;
  service.store.transaction(() => {
    const current = service.store.currentLock(now);
    if (!current) return;
    if (!force && (presented === null || !secretsEqual(hashToken(presented), current.lock_hash))) {
      throw new ApiError(
        423,
        "locked",
        `the apply lock is held by ${current.holder} since ${current.since}; only its holder may release it (with its lock id), or an org_admin with ?force=true once the holder is surely gone`,
        { holder: current.holder, since: current.since, expires_at: current.expires_at },
      );
    }
    service.store.releaseLock();
    service.store.appendAudit(
      lockAudit(request.actor, force ? "lock_break" : "lock_release", request.key),
      now,
    );
  });
}
