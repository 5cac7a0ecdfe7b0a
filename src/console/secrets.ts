import { createHash, timingSafeEqual } from "node:crypto";

/**
 * Compares two secrets in time that depends on neither: both are hashed first, so that even their lengths
 * differ only inside the digest.
 */
export function secretsEqual(given: string, expected: string): boolean {
  const digest = (value: string) => createHash("sha256").update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
