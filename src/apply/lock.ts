import { randomUUID } from "node:crypto";
import { API } from "../api/routes.js";
import type { AcquiredLease } from "../api/wire.js";
import type { ConsoleClient } from "../client/console-client.js";
import { ConsoleApiError } from "../client/errors.js";
import { OrgctlError } from "../errors.js";

/** A lease this apply holds. */
export type Lease = AcquiredLease;

export class LockHeldError extends OrgctlError<"locked"> {
  constructor(
    readonly holder: string,
    readonly since: string,
    /** How long this apply already waited (0: it did not). */
    readonly waitedMs = 0,
  ) {
    super(
      "locked",
      `the console's apply lock is held by ${holder} since ${since}; ${
        waitedMs > 0
          ? `waited ${formatWait(waitedMs)} (--lock-timeout) and it is still held; wait for that apply to finish or give a longer --lock-timeout`
          : "wait for that apply to finish, or pass --lock-timeout 5m to wait for it"
      }`,
    );
  }
}

function formatWait(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000}m` : ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

export const LOCK_TTL_SECONDS = 60;

/**
 * The console's apply lock, held for a whole apply: taken (or waited for up to `timeoutMs`), renewed in the
 * background well before its lease runs out, and released on every exit.
 */
export class ApplyLock {
  private timer: NodeJS.Timeout | null = null;

  private constructor(
    private readonly client: ConsoleClient,
    readonly lease: Lease,
  ) {}

  static async acquire(
    client: ConsoleClient,
    holder: string,
    timeoutMs: number,
    sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ): Promise<ApplyLock> {
    // The console takes an acquire under the current holder's name for that holder's own retry, so the name
    // must be this process's alone: user, host and pid can repeat across machines and containers.
    const name = `${holder} #${randomUUID().slice(0, 8)}`;
    const deadline = Date.now() + timeoutMs;
    for (let wait = 500; ; wait = Math.min(wait * 2, 5000)) {
      try {
        const result = await client.request<Lease>(API.takeLock.method, API.takeLock.path, {
          body: { holder: name, ttl_seconds: LOCK_TTL_SECONDS },
          // A key makes the client retry a lost answer; the console then finds this holder's own lease.
          idempotencyKey: `orgctl-lock-${randomUUID()}`,
        });
        const lock = new ApplyLock(client, result.body);
        lock.keepAlive();
        return lock;
      } catch (error) {
        if (!(error instanceof ConsoleApiError) || error.code !== "locked") throw error;
        const heldBy = String(error.details.holder ?? "someone");
        const since = String(error.details.since ?? "an unknown time");
        // Wait the whole timeout: the last attempt is made at the deadline, not one backoff step before it.
        const remaining = deadline - Date.now();
        if (remaining <= 0) throw new LockHeldError(heldBy, since, timeoutMs);
        await sleep(Math.min(wait, remaining));
      }
    }
  }

  private keepAlive(): void {
    this.timer = setInterval(
      () => {
        // An async wrapper, so that even a synchronous throw becomes the rejection caught here.
        void (async () => {
          await this.client.request(API.takeLock.method, API.takeLock.path, {
            body: { holder: this.lease.holder, ttl_seconds: LOCK_TTL_SECONDS },
            headers: { "x-lock-id": this.lease.lock_id },
          });
        })().catch(() => {
          // A missed renewal is retried at the next tick; the lease outlives two of them.
        });
      },
      (LOCK_TTL_SECONDS * 1000) / 3,
    );
    this.timer.unref();
  }

  async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.client
      .request(API.releaseLock.method, API.releaseLock.path, {
        headers: { "x-lock-id": this.lease.lock_id },
        // Releasing is safe to repeat (a repeat finds the lease gone, or someone else's and is refused): the
        // key makes the client retry a lost answer, a 503 or a 429, as for the acquire. Without it one lost
        // answer left the lease held, and a console with a pinned clock never lets it run out.
        idempotencyKey: `orgctl-unlock-${this.lease.lock_id}`,
      })
      .catch(() => {
        // The lease expires by itself; a failed release only delays the next apply by at most its TTL.
      });
  }
}

/** `30s`, `5m`, `1h`, or a number of seconds. */
export function parseDuration(raw: string): number | null {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(raw.trim());
  if (!match) return null;
  const value = Number(match[1]);
  const unit = match[2] ?? "s";
  const factor = unit === "ms" ? 1 : unit === "s" ? 1000 : unit === "m" ? 60_000 : 3_600_000;
  return Math.round(value * factor);
}
