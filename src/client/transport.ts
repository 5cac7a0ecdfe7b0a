/**
 * How ConsoleClient sends one HTTP request and reads its answer. Two implementations, each in its own file and
 * loaded only when used: undici for a console over the network, node:http for the sandbox console in this very
 * process (a loopback socket to ourselves needs neither undici's import, about 80 ms, nor its WASM parser).
 */

export type TransportKind = "undici" | "node-http";

export interface TransportOptions {
  /** `http://host:port` (no path). */
  origin: string;
  /** Keep-alive connections to the console. */
  connections: number;
  /** Connect, headers and body (between chunks) timeouts, in ms. */
  timeoutMs: number;
}

export interface TransportRequest {
  method: string;
  /** Path and query, e.g. the users route with `?limit=1000`. */
  path: string;
  /** Lower-case names and their values, in turn: `[name, value, name, value, …]`, each name once. */
  headers: string[];
  body?: string;
  signal?: AbortSignal;
}

/** The answer, read whole. */
export interface TransportAnswer {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/**
 * The most of an answer's body that is read, and the error that refuses a larger one: by its Content-Length
 * before reading, or as soon as the bytes read pass `maxBytes`. The connection is closed then (one with an
 * unread body is not reused), so nothing is left hanging.
 */
export interface BodyCap {
  maxBytes: number;
  tooLarge: (statusCode: number) => Error;
}

export interface Transport {
  /** Sends the request and reads the answer whole, its body as UTF-8 text within `cap`. */
  exchange(request: TransportRequest, cap: BodyCap): Promise<TransportAnswer>;
  close(): Promise<void>;
}

/** A declared Content-Length over the cap: refused before a byte of the body is read. */
export function declaredOverCap(contentLength: string | string[] | undefined, maxBytes: number): boolean {
  const declared = Number(Array.isArray(contentLength) ? contentLength[0] : contentLength);
  return Number.isFinite(declared) && declared > maxBytes;
}

/** Loads the transport's module (only now) and opens it. */
export async function openTransport(kind: TransportKind, options: TransportOptions): Promise<Transport> {
  if (kind === "node-http") {
    const { nodeHttpTransport } = await import("./node-http-transport.js");
    return nodeHttpTransport(options);
  }
  const { undiciTransport } = await import("./undici-transport.js");
  return undiciTransport(options);
}
