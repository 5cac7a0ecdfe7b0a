import { createHash } from "node:crypto";
import { ApiError } from "./errors.js";
import { DEFAULT_MAX_CLIENTS, TokenBuckets } from "./rate-limit.js";

const WINDOW_SECONDS = 15 * 60;

/**
 * Password attempts allowed per 15 minutes, on by default and independent of `--rate-limit`. Spent attempts
 * come back steadily (5 per 15 minutes is one every 3 minutes), so no limit ever locks an account for good.
 * - per login and address: a guesser at one address gets 5 tries at a login, and cannot lock out its user
 *   at another address;
 * - per login, from all addresses together: 50, which bounds a guesser spread over many addresses;
 * - per address, over all logins: 20, which bounds trying one password on many logins.
 * A successful login gives its attempt back and clears the failures of its login and address.
 */
export const LOGIN_LIMITS = {
  perLoginAndAddress: 5,
  perLogin: 50,
  perAddress: 20,
  windowSeconds: WINDOW_SECONDS,
} as const;

export class LoginThrottle {
  private readonly pairs: TokenBuckets;
  private readonly logins: TokenBuckets;
  private readonly addresses: TokenBuckets;

  constructor(limits = LOGIN_LIMITS, maxKeys = DEFAULT_MAX_CLIENTS) {
    const spec = (capacity: number) => ({ capacity, refillPerSecond: capacity / limits.windowSeconds });
    this.pairs = new TokenBuckets(spec(limits.perLoginAndAddress), maxKeys);
    this.logins = new TokenBuckets(spec(limits.perLogin), maxKeys);
    this.addresses = new TokenBuckets(spec(limits.perAddress), maxKeys);
  }

  /** How many keys are remembered over all three limits. */
  get size(): number {
    return this.pairs.size + this.logins.size + this.addresses.size;
  }

  /**
   * Counts a password attempt before it is checked (so that concurrent guesses cannot all slip through), or
   * refuses it with 429 when any limit is spent. Unknown logins are counted like known ones.
   */
  begin(login: string, address: string, nowMs: number): void {
    const keys = this.keysOf(login, address);
    const wait = Math.max(
      this.pairs.waitSeconds(keys.pair, nowMs),
      this.logins.waitSeconds(keys.login, nowMs),
      this.addresses.waitSeconds(keys.address, nowMs),
    );
    if (wait > 0) {
      throw new ApiError(
        429,
        "rate_limited",
        `too many failed logins for this login or from this address; retry after ${wait} s`,
        { retry_after_seconds: wait },
        { "retry-after": String(wait) },
      );
    }
    this.pairs.take(keys.pair, nowMs);
    this.logins.take(keys.login, nowMs);
    this.addresses.take(keys.address, nowMs);
  }

  /** The attempt begun for `login` at `address` logged in: it does not count. */
  succeeded(login: string, address: string, nowMs: number): void {
    const keys = this.keysOf(login, address);
    this.pairs.reset(keys.pair);
    this.logins.refund(keys.login, nowMs);
    this.addresses.refund(keys.address, nowMs);
  }

  private keysOf(login: string, address: string): { pair: string; login: string; address: string } {
    // Hashed, so that a megabyte-long login costs the same few bytes of memory as any other.
    const loginKey = createHash("sha256").update(login).digest("base64url");
    return { pair: `${loginKey} ${address}`, login: loginKey, address };
  }
}
