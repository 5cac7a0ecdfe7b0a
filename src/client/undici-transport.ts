import { setFlagsFromString } from "node:v8";
import { Pool } from "undici";
import type { Transport, TransportOptions } from "./transport.js";

/**
 * undici parses HTTP with llhttp compiled to WebAssembly. V8 first compiles it with its baseline compiler
 * (Liftoff), then recompiles the hot functions with TurboFan on background threads, and a process cannot
 * exit before those threads finish: 65–100 ms on an idle 2-core machine, several hundred under load, added
 * to every command. Liftoff's code parses the few MB a plan reads in well under a millisecond more, so
 * orgctl keeps it. Set before undici compiles llhttp (on its first connection), and only on the V8
 * versions known to have the flag (Node 20–24), since V8 prints an error for a flag it does not know.
 */
function keepWasmOnBaselineCompiler(): void {
  const major = Number(process.versions.v8.split(".")[0]);
  if (major >= 11 && major <= 13) setFlagsFromString("--liftoff-only");
}

export function undiciTransport(options: TransportOptions): Transport {
  keepWasmOnBaselineCompiler();
  const pool = new Pool(options.origin, {
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
      const response = await pool.request({
        method: request.method as "GET",
        path: request.path,
        headers: request.headers,
        ...(request.body !== undefined ? { body: request.body } : {}),
        ...(request.signal ? { signal: request.signal } : {}),
      });
      return {
        statusCode: response.statusCode,
        headers: response.headers,
        body: response.body as AsyncIterable<Buffer>,
        discard: () => response.body.destroy(),
      };
    },
    close: () => pool.close(),
  };
}
