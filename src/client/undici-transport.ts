import { createRequire } from "node:module";
import { setFlagsFromString } from "node:v8";
import type { Dispatcher, Pool } from "undici";
import type { Transport, TransportOptions } from "./transport.js";

type RequestFn = (this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;

/**
 * undici's Pool and its `request`, and nothing else of undici: its index also loads fetch, WebSocket, the
 * cache, mocks and every other dispatcher, which costs about 2.5 times as much as the pool (measured on
 * Node 20, undici 7). undici 7 has no `exports` map, so these files are reachable; should a release move
 * them, orgctl falls back to the whole package.
 */
function loadUndici(): { PoolClass: typeof Pool; request: RequestFn } {
  const require = createRequire(import.meta.url);
  try {
    const PoolClass = require("undici/lib/dispatcher/pool.js") as typeof Pool;
    const { request } = require("undici/lib/api/index.js") as { request: RequestFn };
    if (typeof PoolClass === "function" && typeof request === "function") return { PoolClass, request };
  } catch {
    // A layout this code does not know: the public entry point below.
  }
  const undici = require("undici") as typeof import("undici");
  return { PoolClass: undici.Pool, request: undici.Pool.prototype.request as unknown as RequestFn };
}

/**
 * undici parses HTTP with llhttp compiled to WebAssembly. V8 first compiles it with its baseline compiler
 * (Liftoff), then recompiles the hot functions with TurboFan on background threads, and a process cannot
 * exit before those threads finish: 65–100 ms on an idle 2-core machine, several hundred under load, added
 * to every command. Liftoff's code is fast enough for what orgctl reads: 30 MB of pages through undici
 * (client and server in one process, Node 20) took 255–332 ms of CPU with Liftoff only against 518–597 ms
 * by default, the difference being TurboFan's own work. Set before undici compiles llhttp (on its first
 * connection), and only on the V8 versions known to have the flag (Node 20–24), since V8 prints an error
 * for a flag it does not know.
 */
function keepWasmOnBaselineCompiler(): void {
  const major = Number(process.versions.v8.split(".")[0]);
  if (major >= 11 && major <= 13) setFlagsFromString("--liftoff-only");
}

export function undiciTransport(options: TransportOptions): Transport {
  keepWasmOnBaselineCompiler();
  const { PoolClass, request: send } = loadUndici();
  const pool = new PoolClass(options.origin, {
    connections: options.connections,
    // One request at a time per connection: mutations are not safe to pipeline, and with up to
    // `connections` sockets a plan's concurrent page reads do not queue.
    pipelining: 1,
    keepAliveTimeout: 4_000,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    connect: { timeout: options.timeoutMs },
  });
  return {
    async request(request) {
      const response = await send.call(pool, {
        method: request.method as "GET",
        path: request.path,
        headers: request.headers,
        ...(request.body !== undefined ? { body: request.body } : {}),
        ...(request.signal ? { signal: request.signal } : {}),
      });
      return {
        statusCode: response.statusCode,
        headers: response.headers,
        body: response.body,
        discard: () => response.body.destroy(),
      };
    },
    close: () => pool.close(),
  };
}
