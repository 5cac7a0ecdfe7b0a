import { setTimeout as delay } from "node:timers/promises";
import { requestOf } from "../api/operations.js";
import { orgPath } from "../api/org-prefix.js";
import type { HttpMethod } from "../api/routes.js";
import type { RequestedOperation } from "../domain/index.js";
import { packageVersion } from "../package-root.js";
import { ConsoleApiError, ConsoleUnreachableError } from "./errors.js";
import { type LiveSnapshot, readLive } from "./live-read.js";
import { errorCode, isAbort, isNetworkError, NetworkFailure, REASONS } from "./network-failure.js";
import { collect, type ListAllOptions } from "./paging.js";
import { headerOf, parseEtag, parseRetryAfter } from "./response-headers.js";
import {
  type BodyCap,
  openTransport,
  type Transport,
  type TransportAnswer,
  type TransportKind,
  type TransportRequest,
} from "./transport.js";

/*
 * The console's client, by idea: this file sends one request (retries, errors, the response cap) over a
 * transport (transport.ts); paging.ts follows a list's pages; live-read.ts reads the organization as one
 * snapshot; the JSON it reads is typed once, in src/api/wire.ts, shared with the console.
 */

export type {
  DomainInfo,
  GroupInfo,
  OrgInfo,
  UserInfo,
  WalletInfo,
} from "../api/wire.js";
export type { HttpMethod, ListAllOptions, LiveSnapshot };
export { parseEtag, parseRetryAfter };

// --- options and results ------------------------------------------------------------------------------------

export interface ClientOptions {
  /** The console's base URL, e.g. `http://127.0.0.1:8080` (a path prefix is kept). */
  endpoint: string;
  token: string;
  /** Headers and body timeouts of one HTTP request, in ms. Default 10 000. */
  timeoutMs?: number;
  /** How many times a retryable request is retried. Default 4 (so at most 5 attempts). */
  retries?: number;
  /** Keep-alive connections to the console. Default 8. */
  connections?: number;
  /**
   * How requests are sent: undici (the default, for a console over the network) or node:http (for the
   * sandbox console in this process). Either is loaded at the first request, not before.
   */
  transport?: TransportKind;
  /** The largest response body read, in bytes; a larger one is refused (`response_too_large`). Default 32 MiB. */
  maxResponseBytes?: number;
  /** The most one request waits in total between its retries (Retry-After and backoff), in ms. Default 60 000. */
  retryBudgetMs?: number;
  userAgent?: string;
  /**
   * The organization to act in, on a console that hosts many: every org-scoped route is sent under
   * the organization's prefix (src/api/org-prefix.ts). Absent: the token's own organization, unprefixed.
   */
  org?: string;
  /** Waits between retries; injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1); injectable for tests. */
  random?: () => number;
}

export interface RequestOptions {
  body?: unknown;
  /** Makes a mutation safe to retry: the console replays the first answer for the same key. */
  idempotencyKey?: string;
  /** The revision the change is based on; sent as `If-Match: "<n>"`. */
  ifMatch?: number;
  query?: Record<string, string | number | undefined>;
  /** Extra request headers, such as `X-Lock-Id`. */
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface ApiResult<T> {
  status: number;
  body: T;
  /** The organization's revision from `ETag: "41"`, or null when absent. */
  etag: number | null;
  /** True when the console answered from its idempotency store (`Idempotent-Replayed: true`). */
  replayed: boolean;
}

export { ConsoleApiError, ConsoleUnreachableError, PartialReadError } from "./errors.js";

// --- the client ---------------------------------------------------------------------------------------------

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_RETRIES = 4;
const DEFAULT_CONNECTIONS = 8;
const BACKOFF_BASE_MS = 100;
const BACKOFF_CAP_MS = 5_000;
const RETRY_AFTER_CAP_SECONDS = 60;
/**
 * One request waits at most this long in total between its retries: a console that keeps answering
 * `Retry-After: 60` cannot hold a command for minutes (4 retries × 60 s).
 */
export const DEFAULT_RETRY_BUDGET_MS = 60_000;
/**
 * The largest answer read. A page of 1,000 users is about 1 MiB; a larger body is not the console's, and
 * reading it whole could exhaust memory.
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;
/** Sets a header of a `[name, value, …]` list: replaces the value of one already there, else adds it. */
function setHeader(headers: string[], name: string, value: string): void {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i] === name) {
      headers[i + 1] = value;
      return;
    }
  }
  headers.push(name, value);
}

function defaultUserAgent(): string {
  try {
    return `orgctl/${packageVersion()}`;
  } catch {
    return "orgctl";
  }
}

export class ConsoleClient {
  /** The endpoint without credentials or trailing slash; safe to print. */
  readonly endpoint: string;
  /** Every HTTP request sent, retries included. */
  requestCount = 0;

  readonly #token: string;
  readonly #transportKind: TransportKind;
  readonly #connections: number;
  readonly #timeoutMs: number;
  readonly #origin: string;
  #transport: Promise<Transport> | null = null;
  readonly #basePath: string;
  #org: string | null;
  readonly #retries: number;
  readonly #retryBudgetMs: number;
  readonly #maxResponseBytes: number;
  readonly #userAgent: string;
  /** What every request sends: the token, what it accepts, who asks. */
  readonly #baseHeaders: string[];
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;

  constructor(options: ClientOptions) {
    let url: URL;
    try {
      url = new URL(options.endpoint);
    } catch {
      throw new Error(
        `the console endpoint ${JSON.stringify(options.endpoint)} is not a URL; use e.g. http://127.0.0.1:8080`,
      );
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new Error(`the console endpoint must be an http:// or https:// URL, not ${url.protocol}//`);
    }
    if (!options.token) throw new Error("a console token is required; an org_admin can issue one");
    url.username = "";
    url.password = "";
    this.#basePath = url.pathname.replace(/\/+$/, "");
    this.#org = options.org ?? null;
    this.endpoint = `${url.origin}${this.#basePath}`;
    this.#token = options.token;
    this.#retries = Math.max(0, Math.floor(options.retries ?? DEFAULT_RETRIES));
    this.#retryBudgetMs = Math.max(0, options.retryBudgetMs ?? DEFAULT_RETRY_BUDGET_MS);
    this.#maxResponseBytes = Math.max(1, options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES);
    this.#userAgent = options.userAgent ?? defaultUserAgent();
    this.#baseHeaders = [
      "authorization",
      `Bearer ${this.#token}`,
      "accept",
      "application/json",
      "user-agent",
      this.#userAgent,
    ];
    this.#sleep = options.sleep ?? ((ms) => delay(ms));
    this.#random = options.random ?? Math.random;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#connections = options.connections ?? DEFAULT_CONNECTIONS;
    this.#transportKind = options.transport ?? "undici";
    this.#origin = url.origin;
  }

  /** The organization this client acts in (under its prefix, src/api/org-prefix.ts), or null for the token's own. */
  get org(): string | null {
    return this.#org;
  }

  /** From now on, act in organization `org` (see `ClientOptions.org`). */
  actIn(org: string): void {
    this.#org = org;
  }

  /**
   * Sends one API request, retrying when it is safe: a GET, or a mutation with an idempotency key, is retried
   * on 5xx, 429 and network failures. A 4xx throws `ConsoleApiError` at once.
   */
  async request<T>(method: HttpMethod, path: string, options: RequestOptions = {}): Promise<ApiResult<T>> {
    const target = this.#target(path, options.query);
    // Names in lower case, each once: the caller's extra headers replace ours of the same name.
    const headers = this.#baseHeaders.slice();
    let body: string | undefined;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers.push("content-type", "application/json");
    }
    if (options.idempotencyKey !== undefined) headers.push("idempotency-key", options.idempotencyKey);
    if (options.ifMatch !== undefined) headers.push("if-match", `"${options.ifMatch}"`);
    if (options.headers !== undefined) {
      for (const [name, value] of Object.entries(options.headers))
        setHeader(headers, name.toLowerCase(), value);
    }
    const retryable = method === "GET" || options.idempotencyKey !== undefined;
    const maxAttempts = retryable ? this.#retries + 1 : 1;

    let waited = 0;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.#attempt(method, target, headers, body, options.signal, path);
      if (outcome instanceof NetworkFailure) {
        const waitMs = this.#backoff(attempt);
        if (attempt < maxAttempts && waited + waitMs <= this.#retryBudgetMs) {
          waited += waitMs;
          await this.#wait(waitMs, options.signal);
          continue;
        }
        throw this.#unreachable(method, path, outcome, attempt, retryable);
      }
      const { statusCode: status, text, headers: responseHeaders } = outcome;
      if (status >= 200 && status < 300) {
        return {
          status,
          body: this.#parseSuccess<T>(status, text, method, path),
          etag: parseEtag(headerOf(responseHeaders, "etag")),
          replayed: headerOf(responseHeaders, "idempotent-replayed")?.trim().toLowerCase() === "true",
        };
      }
      const retryAfter = parseRetryAfter(headerOf(responseHeaders, "retry-after"));
      const transient = status === 429 || status >= 500;
      if (transient && attempt < maxAttempts) {
        const waitMs =
          status === 429 && retryAfter !== undefined
            ? Math.min(retryAfter, RETRY_AFTER_CAP_SECONDS) * 1000
            : this.#backoff(attempt);
        // Past the budget, waiting is not worth it: the error says how long the console asked for.
        if (waited + waitMs <= this.#retryBudgetMs) {
          waited += waitMs;
          await this.#wait(waitMs, options.signal);
          continue;
        }
        const error = this.#apiError(status, text, retryAfter, method, path);
        throw new ConsoleApiError(
          error.status,
          error.code,
          `${error.message} (orgctl waited ${Math.round(waited / 1000)} s over ${attempt} attempts and ` +
            `waits at most ${Math.round(this.#retryBudgetMs / 1000)} s per request; try again later)`,
          error.details,
          error.retryAfterSeconds,
        );
      }
      throw this.#apiError(status, text, retryAfter, method, path);
    }
  }

  /**
   * Carries out one domain operation: its route comes from the API table (src/api/operations.ts). The key makes
   * it safe to retry. `secret` is the resolved password for operations that send one.
   */
  async perform<T = unknown>(
    operation: RequestedOperation,
    idempotencyKey: string,
    secret?: string,
  ): Promise<ApiResult<T>> {
    const { method, path, body } = requestOf(operation, secret);
    return this.request<T>(method, path, { ...(body !== undefined ? { body } : {}), idempotencyKey });
  }

  /** Every item of a paged list (`{items, next_cursor}`), following cursors until `next_cursor` is null. */
  async listAll<T>(path: string, options: ListAllOptions = {}): Promise<T[]> {
    return (await collect<T>(this, path, options)).items;
  }

  /**
   * The organization as one consistent snapshot (live-read.ts): read again while it changes, refused when a
   * list is shorter or longer than the console's counts. `whileConsoleWorks`: see live-read.ts.
   */
  async readLive(whileConsoleWorks?: () => void): Promise<LiveSnapshot> {
    return readLive(this, whileConsoleWorks);
  }

  async close(): Promise<void> {
    const transport = this.#transport;
    this.#transport = null;
    if (transport) await (await transport).close();
  }

  // --- internals ----------------------------------------------------------------------------------------

  #target(path: string, query: RequestOptions["query"]): string {
    if (!path.startsWith("/")) throw new Error(`API paths start with /, not ${JSON.stringify(path)}`);
    const at = path.indexOf("?");
    // Most requests (every step of apply) have no query: no URLSearchParams to build.
    if (at === -1 && query === undefined) return `${this.#basePath}${orgPath(path, this.#org)}`;
    const pathname = at === -1 ? path : path.slice(0, at);
    const params = new URLSearchParams(at === -1 ? "" : path.slice(at + 1));
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value !== undefined) params.set(name, String(value));
    }
    const search = params.toString();
    return `${this.#basePath}${orgPath(pathname, this.#org)}${search ? `?${search}` : ""}`;
  }

  async #attempt(
    method: HttpMethod,
    target: string,
    headers: string[],
    body: string | undefined,
    signal: AbortSignal | undefined,
    path: string,
  ): Promise<NetworkFailure | TransportAnswer> {
    signal?.throwIfAborted();
    this.requestCount++;
    this.#transport ??= openTransport(this.#transportKind, {
      origin: this.#origin,
      connections: this.#connections,
      timeoutMs: this.#timeoutMs,
    });
    const transport = await this.#transport;
    try {
      const request: TransportRequest = { method, path: target, headers };
      if (body !== undefined) request.body = body;
      if (signal) request.signal = signal;
      return await transport.exchange(request, this.#bodyCap(method, path));
    } catch (error) {
      if (signal?.aborted || isAbort(error)) throw error;
      if (isNetworkError(error)) return new NetworkFailure(error, errorCode(error) ?? "network");
      throw error;
    }
  }

  /**
   * The answer's body as text, refusing one larger than the cap: by its Content-Length before reading, or as
   * soon as the bytes read pass the cap. The transport closes the connection then (a connection with an
   * unread body is not reused), so nothing is left hanging.
   */
  #bodyCap(method: string, path: string): BodyCap {
    const maxBytes = this.#maxResponseBytes;
    return {
      maxBytes,
      tooLarge: (status) =>
        new ConsoleApiError(
          status,
          "response_too_large",
          `the console's answer to ${method} ${path} is larger than ${maxBytes} bytes, the most orgctl reads; ` +
            `check that ${this.endpoint} is the console and not a proxy or another service`,
          { limit_bytes: maxBytes },
        ),
    };
  }

  /** Full jitter: a random wait from 0 to min(cap, base · 2^(attempt-1)). */
  #backoff(attempt: number): number {
    const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1));
    return Math.floor(this.#random() * ceiling);
  }

  async #wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
    signal?.throwIfAborted();
    await this.#sleep(ms);
    signal?.throwIfAborted();
  }

  #parseSuccess<T>(status: number, text: string, method: string, path: string): T {
    if (text === "") return null as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ConsoleApiError(
        status,
        "invalid_response",
        `the console answered ${method} ${path} with ${status} but a body that is not JSON; ` +
          `check that ${this.endpoint} is the console and not a proxy or another service`,
      );
    }
  }

  #apiError(
    status: number,
    text: string,
    retryAfter: number | undefined,
    method: string,
    path: string,
  ): ConsoleApiError {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const error = (parsed as { error?: unknown } | undefined)?.error;
    if (error && typeof error === "object" && typeof (error as { code?: unknown }).code === "string") {
      const { code, message, details } = error as { code: string; message?: unknown; details?: unknown };
      return new ConsoleApiError(
        status,
        code,
        this.#redact(typeof message === "string" ? message : `${method} ${path} failed with ${status}`),
        details && typeof details === "object" && !Array.isArray(details)
          ? (this.#redactDeep(details) as Record<string, unknown>)
          : {},
        retryAfter,
      );
    }
    return new ConsoleApiError(
      status,
      status >= 500 ? "internal" : "unexpected_response",
      `the console answered ${method} ${path} with ${status} and no API error; ` +
        `check that ${this.endpoint} is the console and not a proxy or another service`,
      {},
      retryAfter,
    );
  }

  #unreachable(
    method: string,
    path: string,
    failure: NetworkFailure,
    attempts: number,
    retried: boolean,
  ): ConsoleUnreachableError {
    const reason = REASONS[failure.code] ?? this.#redact((failure.error as Error)?.message ?? failure.code);
    const tries = attempts === 1 ? "1 attempt" : `${attempts} attempts`;
    const unsure =
      !retried && method !== "GET" && failure.code !== "ECONNREFUSED"
        ? ` The ${method} ${path} may or may not have been applied; read the console before trying again.`
        : "";
    return new ConsoleUnreachableError(
      `cannot reach the console at ${this.endpoint}: ${reason} (${failure.code}, ${tries}). ` +
        `Check that the endpoint is right, that the console is running and listening there, ` +
        `and that no firewall or proxy is in the way.${unsure}`,
      this.endpoint,
      attempts,
      failure.error,
    );
  }

  #redact(text: string): string {
    return text.split(this.#token).join("<redacted>");
  }

  #redactDeep(value: unknown): unknown {
    if (typeof value === "string") return this.#redact(value);
    if (Array.isArray(value)) return value.map((item) => this.#redactDeep(item));
    if (value && typeof value === "object") {
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [this.#redact(k), this.#redactDeep(v)]),
      );
    }
    return value;
  }
}
