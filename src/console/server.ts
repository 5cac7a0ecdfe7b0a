import { resolveTxt as dnsResolveTxt } from "node:dns/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { RequestValidators } from "./api-schema.js";
import { ApiError } from "./errors.js";
import { FaultInjector, type FaultSpec } from "./faults.js";
import {
  bearerOf,
  DEFAULT_BODY_LIMIT,
  idempotencyKeyOf,
  ifMatchOf,
  RateLimiter,
  readJsonBody,
  send,
  sendError,
} from "./http.js";
import { type RequestContext, ROUTES, type Route, requestFingerprint } from "./routes.js";
import { type BootstrapOptions, type Clock, ConsoleService } from "./service.js";
import { hashToken } from "./store.js";

export interface ConsoleServerOptions {
  dbPath: string;
  host: string;
  port: number;
  clock: Clock;
  bootstrap: BootstrapOptions;
  /** Requests per second per client; 0 turns rate limiting off. */
  rateLimit?: number;
  bodyLimit?: number;
  /** One line per request, without bodies, tokens or query strings. */
  accessLog?: (line: string) => void;
  resolveTxt?: (name: string) => Promise<string[]>;
  /** Injected faults (503, 429, resets, latency, commit-then-drop), for resilience tests. */
  faults?: FaultSpec;
}

export interface RunningConsole {
  url: string;
  port: number;
  service: ConsoleService;
  /** The owner's token when this start created the organization, else null. */
  ownerToken: string | null;
  close(): Promise<void>;
}

interface CompiledRoute extends Route {
  pattern: RegExp;
  names: string[];
}

function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  const source = route.template.replace(/\{(\w+)\}/g, (_, name: string) => {
    names.push(name);
    return "([^/]+)";
  });
  return { ...route, pattern: new RegExp(`^${source}$`), names };
}

const MUTATING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

async function defaultResolveTxt(name: string): Promise<string[]> {
  try {
    return (await dnsResolveTxt(name)).map((chunks) => chunks.join(""));
  } catch {
    return [];
  }
}

/** Starts the reference console on `host:port` (port 0 picks a free one). */
export async function startConsole(options: ConsoleServerOptions): Promise<RunningConsole> {
  // The port is bound before the database is opened: a start that fails (port in use) must not bootstrap an
  // organization whose generated owner token nobody ever sees.
  let ready = false;
  const validators = new RequestValidators();
  const routes = ROUTES.map(compile);
  const limiter = new RateLimiter(options.rateLimit ?? 0);
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const resolveTxt = options.resolveTxt ?? defaultResolveTxt;
  const injector = options.faults && options.faults.rate > 0 ? new FaultInjector(options.faults) : null;

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = Date.now();
    const url = new URL(request.url ?? "/", "http://console.invalid");
    const method = request.method ?? "GET";
    let status = 500;
    try {
      if (!ready) throw new ApiError(503, "unavailable", "the console is starting; retry in a moment");
      const candidates = routes.filter((route) => route.pattern.test(url.pathname));
      if (candidates.length === 0) {
        throw new ApiError(
          404,
          "not_found",
          `no route ${url.pathname}; see schemas/console-api.yaml for the API`,
        );
      }
      const route = candidates.find((candidate) => candidate.method === method);
      if (!route) {
        throw new ApiError(405, "method_not_allowed", `${method} is not allowed on ${url.pathname}`, {
          allowed: candidates.map((c) => c.method),
        });
      }
      const fault = injector?.pick(method, url.pathname) ?? null;
      if (fault === "503")
        throw new ApiError(503, "unavailable", "injected fault: the console is unavailable; retry");
      if (fault === "429") {
        throw new ApiError(
          429,
          "rate_limited",
          "injected fault: too many requests; retry after 1 s",
          { retry_after_seconds: 1 },
          {
            "retry-after": "1",
          },
        );
      }
      if (fault === "reset") {
        status = 0;
        request.socket.destroy();
        return;
      }
      if (fault === "latency") await new Promise((resolve) => setTimeout(resolve, options.faults!.latencyMs));
      const bearer = bearerOf(request);
      const waitSeconds = limiter.take(
        bearer ? hashToken(bearer) : (request.socket.remoteAddress ?? "?"),
        Date.now(),
      );
      if (waitSeconds > 0) {
        throw new ApiError(
          429,
          "rate_limited",
          `too many requests; retry after ${waitSeconds} s`,
          { retry_after_seconds: waitSeconds },
          {
            "retry-after": String(waitSeconds),
          },
        );
      }
      const match = route.pattern.exec(url.pathname)!;
      const params: Record<string, string> = {};
      route.names.forEach((name, i) => {
        try {
          params[name] = decodeURIComponent(match[i + 1]!);
        } catch {
          throw new ApiError(
            400,
            "invalid",
            `the path segment ${match[i + 1]} is not valid percent-encoding`,
          );
        }
      });
      service.renew();
      const me = route.public ? null : authenticate(service, bearer);
      // A member has no admin access at all: every route but self-service answers 403, even on their own user.
      if (me?.role === "member" && !route.selfService) {
        throw new ApiError(403, "forbidden", `${me.login} is a member and has no admin access; use /v1/me`, {
          role: me.role,
        });
      }
      const body = MUTATING.has(method) ? await readJsonBody(request, bodyLimit) : undefined;
      const validate = validators.forOperation(method, route.template);
      if (validate) {
        if (body === undefined) throw new ApiError(400, "invalid", "this request needs a JSON body");
        if (!validate(body)) {
          const errors = (validate.errors ?? []).map((e) => ({
            path: e.instancePath || "/",
            message:
              e.keyword === "additionalProperties"
                ? `unknown field ${String(e.params.additionalProperty)}`
                : (e.message ?? "invalid"),
          }));
          const first = errors[0]!;
          throw new ApiError(400, "invalid", `request body ${first.path}: ${first.message}`, { errors });
        }
      } else if (body !== undefined && MUTATING.has(method) && !route.public) {
        // Routes without a body must not silently ignore one.
        if (!(typeof body === "object" && body !== null && Object.keys(body).length === 0)) {
          throw new ApiError(400, "invalid", `${method} ${route.template} takes no request body`);
        }
      }
      const key = MUTATING.has(method) ? idempotencyKeyOf(request) : null;
      const ifMatch = MUTATING.has(method) ? ifMatchOf(request) : null;
      const ctx: RequestContext = {
        service,
        me,
        params,
        query: url.searchParams,
        body,
        request,
        resolveTxt,
        options: {
          ifMatch,
          idempotency:
            key && me
              ? {
                  scope: me.login,
                  key,
                  requestHash: requestFingerprint(method, url.pathname, me.login, body),
                }
              : undefined,
        },
      };
      const result = await route.handler(ctx);
      status = result.status;
      if (fault === "commit-drop") {
        // The mutation is committed; the client never hears of it.
        status = 0;
        request.socket.destroy();
        return;
      }
      send(response, result.status, result.body, result.headers);
    } catch (error) {
      const apiError =
        error instanceof ApiError
          ? error
          : new ApiError(500, "internal", "internal error; nothing was changed by this request");
      if (!(error instanceof ApiError))
        process.stderr.write(`orgctl serve: internal error on ${method} ${url.pathname}: ${String(error)}\n`);
      status = apiError.status;
      sendError(response, apiError);
    } finally {
      options.accessLog?.(`${method} ${url.pathname} ${status} ${Date.now() - started}ms`);
    }
  }

  const server: Server = createServer(
    { requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 5_000 },
    (req, res) => {
      void handle(req, res);
    },
  );
  // Requests Node's HTTP parser refuses (a control character in a header, broken framing, huge headers) never
  // reach `handle`; they still get the API's JSON error body.
  server.on("clientError", (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return;
    const tooLarge = error.code === "HPE_HEADER_OVERFLOW";
    const body = JSON.stringify({
      error: {
        code: "invalid",
        message: tooLarge
          ? "the request headers are too large; send fewer or shorter headers"
          : "the request is not valid HTTP (for example a control character in a header); fix the request",
        details: {},
      },
    });
    socket.end(
      `HTTP/1.1 ${tooLarge ? "431 Request Header Fields Too Large" : "400 Bad Request"}\r\n` +
        `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
        `cache-control: no-store\r\nconnection: close\r\n\r\n${body}`,
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  let opened: Awaited<ReturnType<typeof ConsoleService.open>>;
  try {
    opened = await ConsoleService.open(options.dbPath, options.clock, options.bootstrap);
  } catch (error) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw error;
  }
  const { service, ownerToken } = opened;
  ready = true;
  const port = (server.address() as AddressInfo).port;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    port,
    service,
    ownerToken,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      service.close();
    },
  };
}

function authenticate(service: ConsoleService, bearer: string | null) {
  if (!bearer)
    throw new ApiError(
      401,
      "unauthenticated",
      "send Authorization: Bearer <token>; an org_admin can issue one",
    );
  const token = service.store.findToken(bearer);
  if (!token)
    throw new ApiError(401, "unauthenticated", "this token is not valid; ask an org_admin for a new one");
  if (token.expires_at && Date.parse(token.expires_at) <= service.now().getTime()) {
    throw new ApiError(401, "unauthenticated", "this session has expired; log in again");
  }
  const user = service.state.users.get(token.login);
  if (!user) throw new ApiError(401, "unauthenticated", "this token's user no longer exists");
  if (user.status === "disabled") {
    throw new ApiError(401, "unauthenticated", `${user.login} is disabled, so its tokens no longer work`);
  }
  return user;
}
