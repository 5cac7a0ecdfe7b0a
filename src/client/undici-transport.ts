import { createRequire } from "node:module";
import { setFlagsFromString } from "node:v8";
import type { Dispatcher, Pool } from "undici";
import type { BodyCap, Transport, TransportAnswer, TransportOptions, TransportRequest } from "./transport.js";
import { declaredOverCap } from "./transport.js";

/**
 * undici's Pool, and nothing else of undici: its index also loads fetch, WebSocket, the cache, mocks and every
 * other dispatcher, which costs about 2.5 times as much as the pool (measured on Node 20, undici 7). undici 7
 * has no `exports` map, so this file is reachable; should a release move it, orgctl falls back to the whole
 * package.
 */
function loadPool(): typeof Pool {
  const require = createRequire(import.meta.url);
  try {
    const PoolClass = require("undici/lib/dispatcher/pool.js") as typeof Pool;
    if (typeof PoolClass === "function" && typeof PoolClass.prototype.dispatch === "function")
      return PoolClass;
  } catch {
    // A layout this code does not know: the public entry point below.
  }
  return (require("undici") as typeof import("undici")).Pool;
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

/**
 * One request and its answer, read whole: undici's `dispatch` with this handler instead of its `request`,
 * which wraps every answer in a Readable stream (with its own async resource, header object and end-of-stream
 * bookkeeping) that the client then read back into one string. An answer is a few hundred bytes for most
 * requests (every step of apply): the chunks are kept as they come and joined once.
 */
class Exchange implements Dispatcher.DispatchHandler {
  readonly #cap: BodyCap;
  readonly #signal: AbortSignal | undefined;
  readonly #resolve: (answer: TransportAnswer) => void;
  readonly #reject: (error: unknown) => void;
  #controller: Dispatcher.DispatchController | null = null;
  #statusCode = 0;
  #headers: Record<string, string | string[] | undefined> = {};
  #chunks: Buffer[] = [];
  #size = 0;
  #settled = false;

  constructor(
    cap: BodyCap,
    signal: AbortSignal | undefined,
    resolve: (answer: TransportAnswer) => void,
    reject: (error: unknown) => void,
  ) {
    this.#cap = cap;
    this.#signal = signal;
    this.#resolve = resolve;
    this.#reject = reject;
    signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  /** The request is queued until a connection takes it: an abort before then is applied here. */
  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#signal?.aborted) controller.abort(this.#signal.reason as Error);
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    // 1xx informational answers come before the answer.
    if (statusCode < 200) return;
    this.#statusCode = statusCode;
    this.#headers = headers;
    if (declaredOverCap(headers["content-length"], this.#cap.maxBytes)) {
      controller.abort(this.#cap.tooLarge(statusCode));
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#size += chunk.length;
    if (this.#size > this.#cap.maxBytes) {
      controller.abort(this.#cap.tooLarge(this.#statusCode));
      return;
    }
    this.#chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (this.#settle()) return;
    const chunks = this.#chunks;
    const whole = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.#size);
    this.#resolve({ statusCode: this.#statusCode, headers: this.#headers, text: whole.toString("utf8") });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.#settle()) return;
    this.#reject(error);
  }

  /** Marks the exchange settled; true when it already was. */
  #settle(): boolean {
    if (this.#settled) return true;
    this.#settled = true;
    this.#signal?.removeEventListener("abort", this.#onAbort);
    return false;
  }

  #onAbort = (): void => {
    const reason = this.#signal!.reason as Error;
    // Not started yet: onRequestStart aborts it; started: closes its connection, and undici reports the reason.
    this.#controller?.abort(reason);
  };
}

export function undiciTransport(options: TransportOptions): Transport {
  keepWasmOnBaselineCompiler();
  const PoolClass = loadPool();
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
    exchange(request: TransportRequest, cap: BodyCap) {
      return new Promise<TransportAnswer>((resolve, reject) => {
        pool.dispatch(
          {
            method: request.method as Dispatcher.HttpMethod,
            path: request.path,
            headers: request.headers,
            body: request.body ?? null,
          },
          new Exchange(cap, request.signal, resolve, reject),
        );
      });
    },
    close: () => pool.close(),
  };
}
