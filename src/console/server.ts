import { resolveTxt as dnsResolveTxt } from "node:dns/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { API, ORG_SCOPE, splitOrgScope } from "../api/routes.js";
import { actingRole, partnerActingUser, partnerLogin } from "../domain/index.js";
import { OrgctlError } from "../errors.js";
import { RequestValidators } from "./api-schema.js";
import { CursorCodec } from "./cursors.js";
import { ApiError } from "./errors.js";
import { FaultInjector, type FaultSpec } from "./faults.js";
import {
  bearerOf,
  DEFAULT_BODY_LIMIT,
  idempotencyKeyOf,
  ifMatchOf,
  readJsonBody,
  send,
  sendError,
} from "./http.js";
import { LoginThrottle } from "./login-throttle.js";
import { ConsoleOrgs } from "./orgs.js";
import { clientAddress, RateLimiter } from "./rate-limit.js";
import { type RequestContext, ROUTES, type Route, requestFingerprint } from "./routes.js";
import { type BootstrapOptions, type Clock, ConsoleService } from "./service.js";
import type { AuditActor } from "./store.js";

const ANONYMOUS: AuditActor = { kind: "anonymous", login: null, credential: null };
/** How often a credential's `last_used_at` is written, at most: reads stay reads. */
const TOUCH_INTERVAL_MS = 60_000;

export interface ConsoleServerOptions {
  dbPath: string;
  host: string;
  port: number;
  clock: Clock;
  bootstrap: BootstrapOptions;
  /** Requests per second per token (per address before authentication); 0 turns rate limiting off. */
  rateLimit?: number;
  bodyLimit?: number;
  /** One line per request, without bodies, tokens or query strings. */
  accessLog?: (line: string) => void;
  resolveTxt?: (name: string) => Promise<string[]>;
  /** Injected faults (503, 429, resets, latency, commit-then-drop), for resilience tests. */
  faults?: FaultSpec;
  /**
   * Makes an organization a partner (`orgctl serve --partner-org [SLUG]`): it may create and manage
   * organizations. `true` is the first organization; a string names one by slug.
   */
  partnerOrg?: boolean | string;
}

export interface RunningConsole {
  url: string;
  port: number;
  /** The first organization's service (the one `orgctl serve` bootstraps). */
  service: ConsoleService;
  /** Every organization of the console. */
  orgs: ConsoleOrgs;
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
  const loginThrottle = new LoginThrottle();
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const resolveTxt = options.resolveTxt ?? defaultResolveTxt;
  const injector = options.faults && options.faults.rate > 0 ? new FaultInjector(options.faults) : null;

  /** Spends one request of `client`'s rate limit, or refuses with 429. */
  function throttle(client: string): void {
    const waitSeconds = limiter.take(client, Date.now());
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
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = Date.now();
    const method = request.method ?? "GET";
    // What the access log and error messages name; the target is parsed inside the `try`, so it can fail.
    let path = "-";
    let status = 500;
    // Known once the request is authenticated: a refusal of an authenticated request goes to the audit log.
    let actor: AuditActor | null = null;
    let ctx: RequestContext | null = null;
    // Where a refusal is audited: the organization the request acts in, once known, else the caller's.
    let auditIn: ConsoleService | null = null;
    try {
      if (!ready) throw new ApiError(503, "unavailable", "the console is starting; retry in a moment");
      if (request.httpVersion === "1.1" && request.headers.host === undefined) {
        throw new ApiError(400, "invalid", "an HTTP/1.1 request needs a Host header; add one");
      }
      const url = targetOf(request);
      path = url.pathname;
      // Every org-scoped route is also served under the organization prefix (ORG_SCOPE); console-wide ones
      // only without it.
      const scoped = splitOrgScope(url.pathname);
      const routePath = scoped ? scoped.path : url.pathname;
      const candidates = routes.filter(
        (route) => route.pattern.test(routePath) && !(scoped && route.consoleWide),
      );
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
      const fault = injector?.pick(method, routePath) ?? null;
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
      const address = `address ${clientAddress(request.socket.remoteAddress)}`;
      const match = route.pattern.exec(routePath)!;
      const slug = scoped ? decodeSegment(scoped.slug) : null;
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
      // The limit is per token once the token is known good, else per address: a made-up bearer (a failed
      // authentication) spends the address's requests, so changing it on every request gains nothing.
      let auth: ReturnType<typeof authenticate> | null = null;
      if (!route.public) {
        try {
          auth = authenticate(orgs, bearer);
        } catch (error) {
          throttle(address);
          throw error;
        }
      }
      let me = auth?.user ?? null;
      if (auth) {
        actor = { kind: "user", login: auth.user.login, credential: auth.credential };
        auditIn = auth.service;
      }
      throttle(auth ? `token ${auth.credential.id}` : address);
      // The organization the request acts in: the caller's own, or the one the prefix names if the caller may
      // act there (src/domain/tenancy.ts). One that does not exist and one the caller may not act in get the
      // same 404, so the prefix tells nobody which organizations exist.
      let service = auth?.service ?? orgs.root;
      let standIn = false;
      let unknownOrg: string | null = null;
      if (slug !== null) {
        const target = orgs.bySlug(slug);
        const home = auth ? orgs.tenant(auth.service.orgId) : null;
        const role = target && auth && home ? actingRole(home, auth.user.role, target) : null;
        if (!target && route.public) {
          unknownOrg = slug;
        } else if (!target || (!route.public && role === null)) {
          throw new ApiError(
            404,
            "not_found",
            `there is no organization ${slug} that this token may act in; list them with ${API.orgs.method} ${API.orgs.path}`,
            { slug },
          );
        }
        if (target) service = orgs.service(target.id);
        if (target && auth && home && target.id !== home.id) {
          // A partner's user acts as org_admin in an organization its partner manages, under a login no user
          // of that organization has; the audit log there names the partner and the user.
          standIn = true;
          me = partnerActingUser(home.slug, auth.user);
          actor = {
            kind: "user",
            login: partnerLogin(home.slug, auth.user.login),
            credential: auth.credential,
          };
          auditIn = service;
          if (route.selfService) {
            throw new ApiError(
              403,
              "forbidden",
              `${API.me.path} is your own account in your own organization; call it without the ${ORG_SCOPE} prefix`,
            );
          }
        }
      }
      // Renewals write to the ledger: only an authenticated request may cause writes.
      if (me) service.renew();
      // A member has no admin access at all: every route but self-service answers 403, even on their own user.
      if (me?.role === "member" && !route.selfService) {
        throw new ApiError(
          403,
          "forbidden",
          `${me.login} is a member and has no admin access; use ${API.me.path}`,
          {
            role: me.role,
          },
        );
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
      ctx = {
        service,
        orgs,
        unknownOrg,
        home: auth?.service ?? null,
        standIn,
        me,
        actor: actor ?? ANONYMOUS,
        params,
        query: url.searchParams,
        body,
        request,
        resolveTxt,
        cursors,
        loginThrottle,
        options: {
          ifMatch,
          idempotency:
            key && me
              ? {
                  scope: me.login,
                  key,
                  requestHash: requestFingerprint(method, routePath, me.login, body),
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
        process.stderr.write(`orgctl serve: internal error on ${method} ${path}: ${describeError(error)}\n`);
      status = apiError.status;
      if (actor && auditIn && status < 500 && status !== 429)
        auditRefusal(auditIn, actor, ctx, method, path, apiError);
      sendError(response, apiError);
    } finally {
      try {
        options.accessLog?.(`${method} ${path} ${status} ${Date.now() - started}ms`);
      } catch (error) {
        process.stderr.write(`orgctl serve: the access log failed: ${describeError(error)}\n`);
      }
    }
  }

  const server: Server = createServer(
    // Node's own answer to a missing Host header is a bare 400; `handle` answers it in the API's shape.
    { requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 5_000, requireHostHeader: false },
    (req, res) => {
      // A client that hangs up mid-request makes these streams fail; the handler sees it where it reads or
      // writes, and the event must not become an uncaught exception.
      req.on("error", ignore);
      res.on("error", ignore);
      handle(req, res).catch((error: unknown) => answerUnexpected(res, error));
    },
  );
  // `Expect` other than 100-continue: Node would answer a bare 417; answer it in the API's shape.
  server.on("checkExpectation", (_req: IncomingMessage, res: ServerResponse) => {
    res.on("error", ignore);
    sendError(
      res,
      new ApiError(417, "invalid", "only Expect: 100-continue is supported; send the request without Expect"),
    );
  });
  // CONNECT never reaches the request handler, and without a listener Node drops the connection unanswered.
  server.on("connect", (_req: IncomingMessage, socket: Socket) => {
    socket.on("error", ignore);
    socket.end(
      rawErrorResponse(
        405,
        "Method Not Allowed",
        "method_not_allowed",
        "CONNECT is not allowed: this console is not a proxy; send requests to its /v1 routes",
      ),
    );
  });
  // Requests Node's HTTP parser refuses (a control character in a header, broken framing, huge headers) never
  // reach `handle`; they still get the API's JSON error body.
  server.on("clientError", (error: NodeJS.ErrnoException, socket) => {
    // A reset connection has nobody to answer.
    if (error.code === "ECONNRESET" || !socket.writable) return;
    const tooLarge = error.code === "HPE_HEADER_OVERFLOW";
    const tooSlow = error.code === "ERR_HTTP_REQUEST_TIMEOUT";
    socket.end(
      tooLarge
        ? rawErrorResponse(
            431,
            "Request Header Fields Too Large",
            "invalid",
            "the request headers are too large; send fewer or shorter headers",
          )
        : tooSlow
          ? rawErrorResponse(
              408,
              "Request Timeout",
              "invalid",
              "the request took too long to arrive; send it again",
            )
          : rawErrorResponse(
              400,
              "Bad Request",
              "invalid",
              "the request is not valid HTTP (for example a control character in a header); fix the request",
            ),
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
  const orgs = new ConsoleOrgs(service);
  if (options.partnerOrg) {
    const partner =
      typeof options.partnerOrg === "string" ? orgs.bySlug(options.partnerOrg) : orgs.tenant(service.orgId);
    if (!partner) {
      const slugs = service.store
        .tenants()
        .map((t) => t.slug)
        .sort();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      service.close();
      throw new OrgctlError(
        "unknown_org",
        `--partner-org ${options.partnerOrg}: no organization has that slug in ${options.dbPath} (it has ${slugs.join(", ")}); pass one of these`,
      );
    }
    orgs.setPartner(partner.id, true);
  }
  const cursors = new CursorCodec(service.store.cursorSecret());
  ready = true;
  const port = (server.address() as AddressInfo).port;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    port,
    service,
    orgs,
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

function ignore(): void {}

/** The request target as a URL; a target no URL parser accepts (`//[`, `http://[`, a port of 99999) is a 400. */
function targetOf(request: IncomingMessage): URL {
  try {
    return new URL(request.url ?? "/", "http://console.invalid");
  } catch {
    throw new ApiError(
      400,
      "invalid",
      `the request target is not a valid path; send a path such as ${API.org.path}`,
    );
  }
}

/** What an error log line says about an unexpected error: its kind and first line, never a body or a header. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return typeof error;
  return `${error.name}: ${error.message.split("\n", 1)[0]!.slice(0, 200)}`;
}

/** The last resort for an error that escaped the handler: a JSON 500 if nothing was sent yet, else a hang-up. */
function answerUnexpected(response: ServerResponse, error: unknown): void {
  process.stderr.write(`orgctl serve: unexpected error: ${describeError(error)}\n`);
  try {
    if (response.headersSent) response.destroy();
    else
      sendError(
        response,
        new ApiError(500, "internal", "internal error; retry, and report it if it persists"),
      );
  } catch {
    response.destroy();
  }
}

/** A whole HTTP response in the API's error shape, for the sockets Node hands over without a response object. */
function rawErrorResponse(status: number, reason: string, code: string, message: string): string {
  const body = JSON.stringify({ error: { code, message, details: {} } });
  return (
    `HTTP/1.1 ${status} ${reason}\r\n` +
    `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
    `cache-control: no-store\r\nconnection: close\r\n\r\n${body}`
  );
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ApiError(400, "invalid", `the path segment ${segment} is not valid percent-encoding`);
  }
}

function authenticate(orgs: ConsoleOrgs, bearer: string | null) {
  if (!bearer)
    throw new ApiError(
      401,
      "unauthenticated",
      `send Authorization: Bearer <token>; log in (${API.login.method} ${API.login.path}) or ask an org_admin for an API token`,
    );
  const token = orgs.root.store.findToken(bearer);
  if (!token)
    throw new ApiError(401, "unauthenticated", "this token is not valid; ask an org_admin for a new one");
  // The token's own organization: a user belongs to exactly one.
  const service = orgs.service(token.org_id);
  const now = service.now();
  if (token.expires_at && Date.parse(token.expires_at) <= now.getTime()) {
    throw new ApiError(
      401,
      "unauthenticated",
      token.kind === "session"
        ? "this session has expired; log in again"
        : `this API token has expired; issue a new one (${API.issueToken.method} ${API.issueToken.path})`,
    );
  }
  const user = service.state.users.get(token.login);
  if (!user) throw new ApiError(401, "unauthenticated", "this token's user no longer exists");
  if (user.status === "disabled") {
    throw new ApiError(401, "unauthenticated", `${user.login} is disabled, so its tokens no longer work`);
  }
  const lastUsed = token.last_used_at ? Date.parse(token.last_used_at) : 0;
  if (now.getTime() - lastUsed >= TOUCH_INTERVAL_MS) service.store.touchToken(token.id, now);
  return { service, user, credential: { id: token.id, kind: token.kind, name: token.name } };
}

/** Records a refused authenticated request. Never fails the answer: the refusal is sent either way. */
function auditRefusal(
  service: ConsoleService,
  actor: AuditActor,
  ctx: RequestContext | null,
  method: string,
  path: string,
  error: ApiError,
): void {
  try {
    service.auditRefusal({
      actor,
      action: ctx?.subject?.action ?? `${method.toLowerCase()} ${path}`.slice(0, 200),
      target: ctx?.subject?.target ?? path.slice(0, 200),
      fields: ctx?.subject?.fields ?? [],
      outcome: "refused",
      code: error.code,
      message: error.message,
      idempotency_key: ctx?.options.idempotency?.key ?? null,
    });
  } catch (failure) {
    process.stderr.write(`orgctl serve: could not write the audit entry of a refusal: ${String(failure)}\n`);
  }
}
