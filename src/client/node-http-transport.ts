import { Agent, request as httpRequest, type IncomingMessage } from "node:http";
import type { Transport, TransportOptions } from "./transport.js";

/**
 * node:http with one keep-alive Agent: for the sandbox console that runs in this process, where loading
 * undici would cost more than every request of a plan. Plain http only (the sandbox listens on loopback).
 */
export function nodeHttpTransport(options: TransportOptions): Transport {
  const url = new URL(options.origin);
  if (url.protocol !== "http:")
    throw new Error(`the node:http transport speaks http only, not ${url.protocol}`);
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  return {
    request(request) {
      return new Promise((resolve, reject) => {
        const headers: Record<string, string> = { ...request.headers };
        if (request.body !== undefined) headers["content-length"] = String(Buffer.byteLength(request.body));
        const outgoing = httpRequest({
          host: url.hostname,
          port: url.port,
          method: request.method,
          path: request.path,
          headers,
          agent,
          // An idle socket for this long (connecting, waiting for headers, or between body chunks) fails.
          timeout: options.timeoutMs,
          ...(request.signal ? { signal: request.signal } : {}),
        });
        outgoing.once("timeout", () => {
          outgoing.destroy(
            Object.assign(new Error(`no answer within ${options.timeoutMs} ms`), { code: "ETIMEDOUT" }),
          );
        });
        // After the answer came, an error (a stalled body, say) reaches the body's reader instead.
        outgoing.on("error", reject);
        outgoing.once("response", (response: IncomingMessage) => {
          resolve({
            statusCode: response.statusCode ?? 0,
            headers: response.headers,
            body: response,
            discard: () => {
              response.destroy();
              outgoing.destroy();
            },
          });
        });
        outgoing.end(request.body);
      });
    },
    async close() {
      agent.destroy();
    },
  };
}
