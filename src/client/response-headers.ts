/** The response headers the client reads: the revision (`ETag`), `Retry-After`, and one header of many. */

/** `"41"`, `W/"41"` or `41` → 41; anything else → null. */
export function parseEtag(value: string | undefined): number | null {
  if (!value) return null;
  const match = /^(?:W\/)?"?(\d{1,15})"?$/.exec(value.trim());
  return match ? Number(match[1]) : null;
}

/** Retry-After as seconds (delta or HTTP date), or undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, nowMs = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - nowMs) / 1000));
}

export function headerOf(
  headers: Record<string, string | string[] | undefined>,
  name: string,
): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
