import { Agent, request as httpRequest, type IncomingMessage } from "node:http";
import { readBodyCapped } from "./read-body.js";
import { type BodyCap, declaredOverCap, type Transport, type TransportOptions } from "./transport.js";

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
    exchange(request, cap: BodyCap) {
      return new Promise((resolve, reject) => {
        const headers: Record<string, string> = {};
        for (let i = 0; i < request.headers.length; i += 2)
          headers[request.headers[i]!] = request.headers[i + 1]!;
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
          const statusCode = response.statusCode ?? 0;
          // Stops reading and closes the connection (a connection with an unread body is not reused).
          const refuse = () => {
            response.destroy();
            outgoing.destroy();
            return cap.tooLarge(statusCode);
          };
          if (declaredOverCap(response.headers["content-length"], cap.maxBytes)) {
            reject(refuse());
            return;
          }
          readBodyCapped(response, cap.maxBytes, refuse).then(
            (text) => resolve({ statusCode, headers: response.headers, text }),
            reject,
          );
        });
        outgoing.end(request.body);
      });
    },
    async close() {
      agent.destroy();
    },
  };
}
