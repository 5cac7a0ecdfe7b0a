/**
 * How ConsoleClient sends one HTTP request. Two implementations, each in its own file and loaded only when
 * used: undici for a console over the network, node:http for the sandbox console in this very process
 * (a loopback socket to ourselves needs neither undici's import, about 80 ms, nor its WASM parser).
 */

import type { Readable } from "node:stream";

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
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

export interface TransportResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
  /** Stops reading the body and closes its connection (a connection with an unread body is not reused). */
  discard(): void;
}

export interface Transport {
  request(request: TransportRequest): Promise<TransportResponse>;
  close(): Promise<void>;
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
