import { createHash } from "node:crypto";
import { CliError } from "../errors.js";

/*
 * `--shard i/n`: which of a fleet's organizations this run takes, so that a CI matrix of n jobs reconciles
 * each organization exactly once. An organization goes to shard (sha256(slug) mod n) + 1: deterministic on
 * every machine, and stable as the fleet changes: adding or removing an organization never moves another
 * one to a different shard (n staying the same).
 */

export interface Shard {
  index: number;
  count: number;
}

export const MAX_SHARDS = 1000;

/** Parses `i/n` with 1 ≤ i ≤ n ≤ 1000. */
export function parseShard(raw: string): Shard {
  const match = /^(\d{1,4})\/(\d{1,4})$/.exec(raw.trim());
  const index = match ? Number(match[1]) : Number.NaN;
  const count = match ? Number(match[2]) : Number.NaN;
  if (!match || count < 1 || count > MAX_SHARDS || index < 1 || index > count) {
    throw new CliError(
      "invalid_flag",
      `--shard must be i/n with 1 ≤ i ≤ n ≤ ${MAX_SHARDS}, e.g. 2/4 for the second of four jobs (got ${raw})`,
    );
  }
  return { index, count };
}

/** The shard (1-based) that the organization with this key belongs to, of `count`. */
export function shardOf(key: string, count: number): number {
  const digest = createHash("sha256").update(key, "utf8").digest();
  // The first 6 bytes: a whole number well within 2^53, uniform enough for any count up to MAX_SHARDS.
  return (digest.readUIntBE(0, 6) % count) + 1;
}

/** The items of `shard`, in their order; `keyOf` is the organization's slug. */
export function inShard<T>(items: readonly T[], shard: Shard | null, keyOf: (item: T) => string): T[] {
  if (shard === null) return [...items];
  return items.filter((item) => shardOf(keyOf(item), shard.count) === shard.index);
}
