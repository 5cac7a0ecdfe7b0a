import { isIPv4, isIPv6 } from "node:net";

/** How many clients' buckets are kept at most; past it, the least recently seen client is forgotten. */
export const DEFAULT_MAX_CLIENTS = 10_000;

export interface BucketSpec {
  /** The burst: how many requests a fresh client may make at once. */
  capacity: number;
  /** How fast spent requests come back. */
  refillPerSecond: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Token buckets per key, in a map of bounded size. A key whose bucket is full needs no entry, so forgetting the
 * least recently seen key (the most idle one: its bucket has refilled the most) costs the least precision. An
 * attacker who floods keys can only evict idle ones: a key they keep hitting stays the most recent.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly spec: BucketSpec,
    private readonly maxKeys = DEFAULT_MAX_CLIENTS,
  ) {}

  /** How many keys are remembered; never more than `maxKeys`. */
  get size(): number {
    return this.buckets.size;
  }

  /** Seconds until `key` has a request to spend; 0 when it has one now. */
  waitSeconds(key: string, nowMs: number): number {
    const tokens = this.level(key, nowMs).tokens;
    if (tokens >= 1) return 0;
    return Math.max(1, Math.ceil((1 - tokens) / this.spec.refillPerSecond));
  }

  /** Spends one request of `key`'s bucket, or returns the seconds to wait (and spends nothing). */
  take(key: string, nowMs: number): number {
    const bucket = this.level(key, nowMs);
    if (bucket.tokens < 1) {
      this.remember(key, bucket);
      return Math.max(1, Math.ceil((1 - bucket.tokens) / this.spec.refillPerSecond));
    }
    bucket.tokens -= 1;
    this.remember(key, bucket);
    return 0;
  }

  /** Gives one request back (an attempt that turned out not to count). */
  refund(key: string, nowMs: number): void {
    const bucket = this.level(key, nowMs);
    bucket.tokens = Math.min(this.spec.capacity, bucket.tokens + 1);
    this.remember(key, bucket);
  }

  /** Forgets `key`: its bucket is full again. */
  reset(key: string): void {
    this.buckets.delete(key);
  }

  private level(key: string, nowMs: number): Bucket {
    const bucket = this.buckets.get(key);
    if (!bucket) return { tokens: this.spec.capacity, at: nowMs };
    const elapsed = Math.max(0, nowMs - bucket.at) / 1000;
    return {
      tokens: Math.min(this.spec.capacity, bucket.tokens + elapsed * this.spec.refillPerSecond),
      at: nowMs,
    };
  }

  private remember(key: string, bucket: Bucket): void {
    // Re-inserting moves the key to the end: the map's order is least recently seen first.
    this.buckets.delete(key);
    if (bucket.tokens >= this.spec.capacity) return;
    while (this.buckets.size >= this.maxKeys) {
      const oldest = this.buckets.keys().next().value as string;
      this.buckets.delete(oldest);
    }
    this.buckets.set(key, bucket);
  }
}

/** `--rate-limit`: `rate` requests a second per client, bursts up to twice that; 0 turns it off. */
export class RateLimiter {
  private readonly buckets: TokenBuckets | null;

  constructor(rate: number, maxClients = DEFAULT_MAX_CLIENTS) {
    this.buckets =
      rate > 0 ? new TokenBuckets({ capacity: rate * 2, refillPerSecond: rate }, maxClients) : null;
  }

  get size(): number {
    return this.buckets?.size ?? 0;
  }

  /** Returns 0 when allowed, else the seconds to wait. */
  take(client: string, nowMs: number): number {
    return this.buckets?.take(client, nowMs) ?? 0;
  }
}

/**
 * The key of a client address for limits. IPv4-mapped IPv6 is its IPv4 address; other IPv6 addresses count by
 * their /64 prefix, which one host can fill with as many addresses as it likes.
 */
export function clientAddress(remote: string | undefined): string {
  if (!remote) return "unknown";
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remote);
  if (mapped) return mapped[1]!;
  if (isIPv4(remote) || !isIPv6(remote)) return remote;
  const [head = "", tail = ""] = remote.split("::", 2) as [string, string?];
  const headParts = head ? head.split(":") : [];
  const tailParts = remote.includes("::") && tail ? tail.split(":") : [];
  const missing = 8 - headParts.length - tailParts.length;
  const groups = remote.includes("::")
    ? [...headParts, ...Array.from({ length: missing }, () => "0"), ...tailParts]
    : headParts;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, "").toLowerCase())
    .join(":")}::/64`;
}
