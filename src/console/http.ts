import type { IncomingMessage, ServerResponse } from "node:http";
import type { CursorCodec, ListName } from "./cursors.js";
import { ApiError } from "./errors.js";

export const DEFAULT_BODY_LIMIT = 1024 * 1024;
/**
 * 1 to 200 printable ASCII characters, as `IdempotencyKey` in console-api.yaml says; spaces inside only: HTTP
 * strips them at either end, so a key that began or ended with one could never come back the same.
 */
const IDEMPOTENCY_KEY = /^[\x21-\x7e](?:[\x20-\x7e]{0,198}[\x21-\x7e])?$/;

/** Reads a JSON body up to `limit` bytes. An empty body reads as `undefined`. */
export async function readJsonBody(request: IncomingMessage, limit: number): Promise<unknown> {
  // The rest of an oversized body is never read, so the connection cannot carry another request: close it.
  const tooLarge = () =>
    new ApiError(
      413,
      "payload_too_large",
      `the request body is larger than ${limit} bytes; send less`,
      { limit },
      { connection: "close" },
    );
  const declared = Number(request.headers["content-length"] ?? "0");
  if (declared > limit) {
    request.resume();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge();
    chunks.push(chunk);
  }
  if (size === 0) return undefined;
  const type = String(request.headers["content-type"] ?? "");
  if (!/^application\/json\b/i.test(type)) {
    throw new ApiError(415, "unsupported_media_type", "send the request body as application/json", {
      content_type: type,
    });
  }
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    return JSON.parse(text);
  } catch (error) {
    // Not the parser's message: it quotes the body around the error, which may be a password.
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    throw new ApiError(
      400,
      "invalid",
      `the request body is not valid JSON${position ? ` (at character ${position})` : ""}; send a JSON object`,
      position ? { position: Number(position) } : {},
    );
  }
}

export function idempotencyKeyOf(request: IncomingMessage): string | null {
  const raw = request.headers["idempotency-key"];
  if (raw === undefined) return null;
  const key = Array.isArray(raw) ? raw[0] : raw;
  if (key === undefined || !IDEMPOTENCY_KEY.test(key)) {
    throw new ApiError(
      400,
      "invalid",
      "Idempotency-Key must be 1 to 200 printable ASCII characters (spaces only inside)",
    );
  }
  return key;
}

/** `If-Match: "41"` (or `41`, or `*`). Returns the expected revision, or null when absent or `*`. */
export function ifMatchOf(request: IncomingMessage): number | null {
  const raw = request.headers["if-match"];
  if (raw === undefined) return null;
  const value = (Array.isArray(raw) ? raw[0] : raw)?.trim() ?? "";
  if (value === "*") return null;
  // Quoted or bare, but not half-quoted (`"41`).
  const match = /^(?:W\/)?(?:"(\d{1,15})"|(\d{1,15}))$/.exec(value);
  if (!match) {
    throw new ApiError(400, "invalid", 'If-Match must be an ETag this API returned, such as "41"', {
      if_match: value,
    });
  }
  return Number(match[1] ?? match[2]);
}

export function bearerOf(request: IncomingMessage): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1] ?? null;
}

export function send(
  response: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  if (response.headersSent) return;
  // The body goes out as bytes: Node writes a string answer of known length by joining it to the head and
  // encoding the whole again (a 400 KB page cost three times the CPU that way).
  const bytes = status === 204 || status === 304 ? null : Buffer.from(body);
  response.writeHead(status, {
    ...(body ? { "content-type": "application/json; charset=utf-8" } : {}),
    // With its length, an answer goes out whole instead of in chunked encoding: fewer bytes and writes for
    // the console, and no chunk framing to parse for the client, which can also refuse an oversized answer
    // before reading it. 204 and 304 carry no body and no length.
    ...(bytes ? { "content-length": String(bytes.length) } : {}),
    "cache-control": "no-store",
    ...headers,
  });
  response.end(bytes ?? undefined);
}

export function sendError(response: ServerResponse, error: ApiError): void {
  send(
    response,
    error.status,
    JSON.stringify({ error: { code: error.code, message: error.message, details: error.details } }),
    error.headers,
  );
}

export function limitOf(query: URLSearchParams, fallback = 100): number {
  const raw = query.get("limit");
  if (raw === null) return fallback;
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new ApiError(400, "invalid", "limit must be a whole number from 1 to 1000", { limit: raw });
  }
  return limit;
}

/** A page of sorted keys after `cursor`, which must be one that `cursors` issued for `list`. */
export function pageOf(
  sortedKeys: string[],
  query: URLSearchParams,
  cursors: CursorCodec,
  list: ListName,
): { keys: string[]; next: string | null } {
  const limit = limitOf(query);
  const cursor = query.get("cursor");
  const offset = query.get("offset");
  let start = 0;
  if (cursor && offset !== null) throw new ApiError(400, "invalid", "send either cursor or offset, not both");
  if (cursor) {
    const after = String(cursors.decode(list, cursor));
    start = upperBound(sortedKeys, after);
  } else if (offset !== null) {
    // Offsets let a client fetch the pages of one revision concurrently (it checks the ETags match).
    start = Number(offset);
    if (!/^\d{1,9}$/.test(offset))
      throw new ApiError(400, "invalid", "offset must be a whole number from 0", { offset });
  }
  const keys = sortedKeys.slice(start, start + limit);
  const next =
    start + limit < sortedKeys.length && keys.length > 0
      ? cursors.encode(list, keys[keys.length - 1]!)
      : null;
  return { keys, next };
}

function upperBound(sorted: string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
