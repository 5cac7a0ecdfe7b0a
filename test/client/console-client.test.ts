import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { inspect } from "node:util";
import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import {
  type ClientOptions,
  ConsoleApiError,
  ConsoleClient,
  ConsoleUnreachableError,
  DEFAULT_MAX_RESPONSE_BYTES,
  type DomainInfo,
  type GroupInfo,
  type OrgInfo,
  PartialReadError,
  type UserInfo,
} from "../../src/client/console-client.js";
import type { TransportKind } from "../../src/client/transport.js";
import type { domainJson, groupJson, orgJson, userJson } from "../../src/console/representation.js";
import { OWNER_TOKEN, startTestConsole, type TestConsole } from "../support/console.js";

// --- a minimal fault injector: forwards to the real console unless a test's handler answers itself -----------

interface Upstream {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  /** 1-based number of this request at the injector. */
  n: number;
  forward: () => Promise<Upstream>;
}

interface Injector {
  url: string;
  /** `METHOD path?query` of every request received, in arrival order. */
  seen: string[];
  /** Authorization headers received. */
  auth: (string | undefined)[];
  maxInFlight: number;
  close(): Promise<void>;
}

function reply(res: ServerResponse, upstream: Upstream, body = upstream.body): void {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(upstream.headers)) {
    if (
      value === undefined ||
      ["content-length", "transfer-encoding", "connection", "keep-alive"].includes(name)
    )
      continue;
    headers[name] = value;
  }
  res.writeHead(upstream.status, headers);
  res.end(body);
}

function answer(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function startInjector(
  target: string | null,
  handler: (exchange: Exchange) => Promise<void> | void = async ({ res, forward }) =>
    reply(res, await forward()),
): Promise<Injector> {
  let n = 0;
  let inFlight = 0;
  const injector: Omit<Injector, "url" | "close"> = { seen: [], auth: [], maxInFlight: 0 };
  const server: Server = createServer((req, res) => {
    n++;
    inFlight++;
    injector.maxInFlight = Math.max(injector.maxInFlight, inFlight);
    injector.seen.push(`${req.method} ${req.url}`);
    injector.auth.push(req.headers.authorization);
    res.on("close", () => inFlight--);
    const body = readBody(req);
    const forward = async (): Promise<Upstream> => {
      if (!target) throw new Error("this injector has no upstream");
      const payload = await body;
      const headers = { ...req.headers };
      delete headers.host;
      delete headers.connection;
      return new Promise<Upstream>((resolve, reject) => {
        const out = httpRequest(`${target}${req.url}`, { method: req.method, headers }, (response) => {
          void readBody(response).then(
            (buffer) =>
              resolve({ status: response.statusCode!, headers: response.headers, body: buffer.toString() }),
            reject,
          );
        });
        out.on("error", reject);
        out.end(payload);
      });
    };
    Promise.resolve(handler({ req, res, n, forward })).catch((error: unknown) => {
      res.destroy(error as Error);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(injector, {
    url: `http://127.0.0.1:${port}`,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  });
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function expectNoToken(value: unknown, token: string): void {
  expect(String(value)).not.toContain(token);
  expect((value as Error).message).not.toContain(token);
  expect(JSON.stringify(value)).not.toContain(token);
  expect(inspect(value, { depth: 10, showHidden: false })).not.toContain(token);
  for (const field of Object.values(value as object))
    expect(JSON.stringify(field) ?? "").not.toContain(token);
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the promise to reject");
}

// --- fixtures -----------------------------------------------------------------------------------------------

let tc: TestConsole;
const clients: ConsoleClient[] = [];
const injectors: Injector[] = [];
let sleeps: number[];
let transport: TransportKind = "undici";

function client(overrides: Partial<ClientOptions> = {}): ConsoleClient {
  const c = new ConsoleClient({
    endpoint: tc.url,
    token: OWNER_TOKEN,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    transport,
    ...overrides,
  });
  clients.push(c);
  return c;
}

async function inject(handler?: Parameters<typeof startInjector>[1]): Promise<Injector> {
  const injector = await startInjector(tc.url, handler);
  injectors.push(injector);
  return injector;
}

async function createFreeUser(login: string): Promise<void> {
  const response = await tc.api("POST", "/v1/users", {
    login,
    email: `${login}@console.test`,
    first_name: "Free",
    last_name: "User",
    plan: "free",
    role: "member",
  });
  expect(response.status).toBe(201);
}

describe("representation types", () => {
  it("match exactly the JSON the console renders", () => {
    expectTypeOf<UserInfo>().toEqualTypeOf<ReturnType<typeof userJson>>();
    expectTypeOf<OrgInfo>().toEqualTypeOf<ReturnType<typeof orgJson>>();
    expectTypeOf<DomainInfo>().toEqualTypeOf<ReturnType<typeof domainJson>>();
    expectTypeOf<GroupInfo>().toEqualTypeOf<ReturnType<typeof groupJson>>();
  });
});

// Every behaviour holds over both transports: undici (a console over the network) and node:http (the sandbox).
describe.each<TransportKind>(["undici", "node-http"])("over %s", (kind) => {
  beforeEach(async () => {
    transport = kind;
    sleeps = [];
    tc = await startTestConsole();
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(injectors.splice(0).map((i) => i.close()));
    await tc.close();
  });

  // --- tests --------------------------------------------------------------------------------------------------

  describe("readLive", () => {
    it("returns the bootstrap organization in 8 requests", async () => {
      const c = client();
      const live = await c.readLive();
      expect(live.org).toMatchObject({
        name: "Example Org",
        plan: "pro",
        owner: "admin",
        now: "2026-03-01T12:00:00.000Z",
        counts: { users: 1, groups: 0, domains: 0 },
        me: { login: "admin", role: "org_admin", owner: true },
      });
      expect(live.users.map((u) => u.login)).toEqual(["admin"]);
      expect(live.users[0]).toMatchObject({ plan: "pro", owner: true, password_rotation: null });
      expect(live.wallet.balance_cents).toBe(91_000);
      expect(live.wallet.currency).toBe("EUR");
      expect(live.catalog.plans.map((p) => p.name)).toEqual(["free", "entry", "pro", "ultra"]);
      expect(live.groups).toEqual([]);
      expect(live.domains).toEqual([]);
      expect(live.retired).toEqual([]);
      expect(c.requestCount).toBe(8);
    });

    it("reads groups, domains, users with memberships and retired addresses", async () => {
      await tc.api("POST", "/v1/groups", { name: "eng", description: "Engineering" });
      await tc.api("POST", "/v1/domains", { name: "example.org" });
      await createFreeUser("bob");
      await tc.api("PUT", "/v1/groups/eng/members/bob");
      await createFreeUser("carol");
      expect((await tc.api("POST", "/v1/users/carol/disable")).status).toBe(200);
      expect((await tc.api("DELETE", "/v1/users/carol")).status).toBe(204);
      const live = await client().readLive();
      expect(live.users.map((u) => u.login)).toEqual(["admin", "bob"]);
      expect(live.users.find((u) => u.login === "bob")!.groups).toEqual(["eng"]);
      expect(live.groups).toEqual([{ name: "eng", description: "Engineering", members: ["bob"] }]);
      expect(live.domains.map((d) => [d.name, d.status])).toEqual([["example.org", "verified"]]);
      expect(live.retired).toEqual(["carol@console.test"]);
      expect(live.org.counts).toEqual({ users: 2, groups: 1, domains: 1 });
    });

    it("reads the org first, the rest concurrently, then the org again", async () => {
      // Hold every list until six are waiting together (or 2 s pass): a client that sent them one at a time
      // would leave maxInFlight at 1, however slow the machine.
      let waiting = 0;
      const released: Array<() => void> = [];
      const injector = await inject(async ({ req, res, forward }) => {
        const upstream = await forward();
        if (!req.url!.startsWith("/v1/org")) {
          waiting++;
          await new Promise<void>((resolve) => {
            released.push(resolve);
            if (waiting >= 6) for (const release of released.splice(0)) release();
            else setTimeout(resolve, 2000);
          });
        }
        reply(res, upstream);
      });
      await client({ endpoint: injector.url }).readLive();
      expect(injector.seen[0]).toBe("GET /v1/org");
      expect(injector.seen.at(-1)).toBe("GET /v1/org");
      expect(injector.seen).toHaveLength(8);
      expect(injector.maxInFlight).toBeGreaterThanOrEqual(6);
      expect(injector.seen).toContain("GET /v1/wallet?days=30");
      expect(injector.seen).toContain("GET /v1/users?limit=1000");
      expect(injector.seen).toContain("GET /v1/addresses/retired?limit=1000");
    });

    it("calls whileConsoleWorks once, when the first list is answered and the others are still being built", async () => {
      let listsAnswered = 0;
      const injector = await inject(async ({ req, res, forward }) => {
        const upstream = await forward();
        // The catalog answers at once; every other list takes its time, as pages of a large org do.
        if (!req.url!.startsWith("/v1/org") && !req.url!.startsWith("/v1/catalog"))
          await new Promise((r) => setTimeout(r, 200));
        if (!req.url!.startsWith("/v1/org")) listsAnswered++;
        reply(res, upstream);
      });
      const calls: Array<{ seen: string[]; listsAnswered: number }> = [];
      const c = client({ endpoint: injector.url });
      const live = await c.readLive(() => calls.push({ seen: [...injector.seen], listsAnswered }));
      expect(calls).toHaveLength(1);
      // By then the org was read and one list answered (the catalog); the five others were still held.
      expect(calls[0]!.seen[0]).toBe("GET /v1/org");
      expect(calls[0]!.seen).toContain("GET /v1/catalog");
      expect(calls[0]!.listsAnswered).toBe(1);
      expect(live.users.map((u) => u.login)).toEqual(["admin"]);
      expect(c.requestCount).toBe(8);
    });

    it("calls whileConsoleWorks only once when the organization changes and it reads again", async () => {
      let orgReads = 0;
      const injector = await inject(async ({ req, res, forward }) => {
        if (req.url === "/v1/org" && ++orgReads === 2) {
          expect((await tc.api("POST", "/v1/groups", { name: "late" })).status).toBe(201);
        }
        reply(res, await forward());
      });
      let calls = 0;
      const live = await client({ endpoint: injector.url }).readLive(() => calls++);
      expect(orgReads).toBe(4);
      expect(live.groups.map((g) => g.name)).toEqual(["late"]);
      expect(calls).toBe(1);
    });

    it("reads again when the organization changes during the read", async () => {
      let orgReads = 0;
      const injector = await inject(async ({ req, res, forward }) => {
        if (req.url === "/v1/org" && ++orgReads === 2) {
          // Someone else changes the console between our two org reads.
          expect((await tc.api("POST", "/v1/groups", { name: "late" })).status).toBe(201);
        }
        reply(res, await forward());
      });
      const c = client({ endpoint: injector.url });
      const live = await c.readLive();
      expect(live.groups.map((g) => g.name)).toEqual(["late"]);
      expect(orgReads).toBe(4);
      expect(c.requestCount).toBe(16);
    });

    it("gives up with unstable_read when the organization keeps changing", async () => {
      let changes = 0;
      const injector = await inject(async ({ req, res, forward }) => {
        if (req.url === "/v1/org") await tc.api("POST", "/v1/groups", { name: `g${++changes}` });
        reply(res, await forward());
      });
      const error = await caught(client({ endpoint: injector.url }).readLive());
      expect(error).toBeInstanceOf(ConsoleApiError);
      expect((error as ConsoleApiError).code).toBe("unstable_read");
      expect(changes).toBe(8);
    });

    it("refuses a partial read: the console counts 5 users but the list comes back empty", async () => {
      for (const login of ["u1", "u2", "u3", "u4"]) await createFreeUser(login);
      const injector = await inject(async ({ req, res, forward }) => {
        const upstream = await forward();
        if (req.url!.startsWith("/v1/users"))
          reply(res, upstream, JSON.stringify({ items: [], next_cursor: null }));
        else reply(res, upstream);
      });
      const error = await caught(client({ endpoint: injector.url }).readLive());
      expect(error).toBeInstanceOf(PartialReadError);
      expect((error as PartialReadError).code).toBe("partial_read");
      expect((error as Error).message).toBe(
        "the console says it has 5 users but the read returned 0; refusing to plan from a partial read " +
          "(a sync tool once deleted every user after an API returned an empty list)",
      );
    });
  });

  describe("listAll", () => {
    it("follows next_cursor across pages", async () => {
      const names = ["a", "b", "c", "d", "e", "f", "g"];
      for (const name of names) expect((await tc.api("POST", "/v1/groups", { name })).status).toBe(201);
      const c = client();
      const groups = await c.listAll<GroupInfo>("/v1/groups", { pageSize: 3 });
      expect(groups.map((g) => g.name)).toEqual(names);
      expect(c.requestCount).toBe(3);
      expect(await c.listAll<GroupInfo>("/v1/groups")).toHaveLength(7);
      expect(c.requestCount).toBe(4);
    });
  });

  describe("request", () => {
    it("maps a 4xx to ConsoleApiError with the console's code, message and details, without retrying", async () => {
      const c = client();
      const error = await caught(c.request("GET", "/v1/users/nobody"));
      expect(error).toBeInstanceOf(ConsoleApiError);
      expect(error).toMatchObject({
        status: 404,
        code: "not_found",
        message: "user nobody does not exist",
        details: { login: "nobody" },
      });
      expect(c.requestCount).toBe(1);
      expect(sleeps).toEqual([]);
    });

    it("sends If-Match and reads the ETag", async () => {
      const c = client();
      const org = await c.request<OrgInfo>("GET", "/v1/org");
      expect(org.etag).toBe(org.body.revision);
      const stale = await caught(
        c.request("PATCH", "/v1/org", { body: { name: "Renamed" }, ifMatch: org.body.revision - 1 }),
      );
      expect(stale).toMatchObject({ status: 412, code: "precondition_failed" });
      const renamed = await c.request<OrgInfo>("PATCH", "/v1/org", {
        body: { name: "Renamed" },
        ifMatch: org.body.revision,
      });
      expect(renamed.body.name).toBe("Renamed");
      expect(renamed.etag).toBe(org.body.revision + 1);
    });

    it("sends each header once, the caller's replacing the client's of the same name", async () => {
      const received: IncomingMessage["rawHeaders"][] = [];
      const injector = await inject(async ({ req, res, forward }) => {
        received.push(req.rawHeaders);
        reply(res, await forward());
      });
      await client({ endpoint: injector.url }).request("POST", "/v1/groups", {
        body: { name: "ops" },
        idempotencyKey: "create-ops-1",
        headers: { "User-Agent": "orgctl-test/1", "X-Lock-Id": "lock-1" },
      });
      const names = received[0]!.filter((_, i) => i % 2 === 0).map((name) => name.toLowerCase());
      expect(names.filter((name) => name === "user-agent")).toHaveLength(1);
      const value = (name: string) =>
        received[0]![received[0]!.findIndex((n) => n.toLowerCase() === name) + 1];
      expect(value("user-agent")).toBe("orgctl-test/1");
      expect(value("x-lock-id")).toBe("lock-1");
      expect(value("idempotency-key")).toBe("create-ops-1");
      expect(value("content-type")).toBe("application/json");
      expect(value("authorization")).toBe(`Bearer ${OWNER_TOKEN}`);
    });

    it("stops a request when its signal aborts while the answer is awaited: not retried, its connection closed", async () => {
      let arrived: () => void = () => {};
      const waiting = new Promise<void>((resolve) => {
        arrived = resolve;
      });
      let closed: Promise<void> = Promise.resolve();
      const injector = await inject(({ res }) => {
        closed = new Promise((resolve) => res.socket!.once("close", () => resolve()));
        arrived();
        // ...and never an answer.
      });
      const c = client({ endpoint: injector.url, timeoutMs: 60_000 });
      const controller = new AbortController();
      const pending = caught(
        c.request("POST", "/v1/groups", {
          body: { name: "ops" },
          idempotencyKey: "k-1",
          signal: controller.signal,
        }),
      );
      await waiting;
      const reason = new Error("interrupted");
      controller.abort(reason);
      // undici rejects with the reason itself, node:http with its AbortError caused by it.
      const error = await pending;
      expect(error === reason || (error as Error).cause === reason).toBe(true);
      await closed;
      expect(c.requestCount).toBe(1);
      expect(sleeps).toEqual([]);
    });

    it("sets replayed when the console replays an idempotent request", async () => {
      const c = client();
      const first = await c.request<GroupInfo>("POST", "/v1/groups", {
        body: { name: "ops" },
        idempotencyKey: "create-ops-1",
      });
      const second = await c.request<GroupInfo>("POST", "/v1/groups", {
        body: { name: "ops" },
        idempotencyKey: "create-ops-1",
      });
      expect(first).toMatchObject({ status: 201, replayed: false, body: { name: "ops" } });
      expect(second).toMatchObject({ status: 201, replayed: true, body: { name: "ops" } });
      expect(await c.listAll("/v1/groups")).toHaveLength(1);
    });

    it("retries a GET after 5xx answers, with full-jitter backoff", async () => {
      const injector = await inject(async ({ res, n, forward }) => {
        if (n <= 2) answer(res, 503, { error: { code: "internal", message: "try later", details: {} } });
        else reply(res, await forward());
      });
      const c = client({ endpoint: injector.url });
      const org = await c.request<OrgInfo>("GET", "/v1/org");
      expect(org.body.name).toBe("Example Org");
      expect(c.requestCount).toBe(3);
      expect(sleeps).toEqual([50, 100]); // random 0.5 × 100 ms, × 200 ms
    });

    it("retries a GET after the connection is dropped", async () => {
      const injector = await inject(async ({ req, res, n, forward }) => {
        if (n === 1) req.socket.destroy();
        else reply(res, await forward());
      });
      const c = client({ endpoint: injector.url });
      expect((await c.request<OrgInfo>("GET", "/v1/org")).status).toBe(200);
      expect(c.requestCount).toBe(2);
    });

    it("retries a GET that times out", async () => {
      const injector = await inject(async ({ res, n, forward }) => {
        if (n === 1) return; // never answers
        reply(res, await forward());
      });
      const c = client({ endpoint: injector.url, timeoutMs: 300 });
      expect((await c.request<OrgInfo>("GET", "/v1/org")).status).toBe(200);
      expect(c.requestCount).toBe(2);
    });

    it("waits exactly Retry-After on 429, and gives up when the wait would pass the request's 60 s budget", async () => {
      const injector = await inject(async ({ res, n, forward }) => {
        const rateLimited = { error: { code: "rate_limited", message: "slow down", details: {} } };
        if (n === 1) answer(res, 429, rateLimited, { "retry-after": "2" });
        else if (n === 2) answer(res, 429, rateLimited, { "retry-after": "600" });
        else reply(res, await forward());
      });
      const c = client({ endpoint: injector.url });
      const error = await caught(c.request("GET", "/v1/org"));
      expect(error).toMatchObject({ status: 429, code: "rate_limited", retryAfterSeconds: 600 });
      expect((error as Error).message).toMatch(
        /^slow down \(orgctl waited 2 s over 2 attempts .* try again later\)$/,
      );
      expect(sleeps).toEqual([2000]);
      expect(c.requestCount).toBe(2);
    });

    it("waits at most 60 s in total per request, however often Retry-After says 60 (not 4 × 60 s)", async () => {
      const injector = await inject(({ res }) =>
        answer(
          res,
          429,
          { error: { code: "rate_limited", message: "slow down", details: {} } },
          {
            "retry-after": "60",
          },
        ),
      );
      const c = client({ endpoint: injector.url });
      expect(await caught(c.request("GET", "/v1/org"))).toMatchObject({ code: "rate_limited" });
      expect(sleeps).toEqual([60_000]);
      const shorter = client({ endpoint: injector.url, retryBudgetMs: 45_000 });
      sleeps.length = 0;
      await caught(shorter.request("GET", "/v1/org"));
      expect(sleeps).toEqual([]);
    });

    it("spends the budget across retries: Retry-After 25 is waited twice, not four times", async () => {
      const injector = await inject(({ res }) =>
        answer(
          res,
          429,
          { error: { code: "rate_limited", message: "slow down", details: {} } },
          {
            "retry-after": "25",
          },
        ),
      );
      const c = client({ endpoint: injector.url });
      await caught(c.request("PUT", "/v1/groups/x/members/y", { idempotencyKey: "k" }));
      expect(sleeps).toEqual([25_000, 25_000]);
      expect(c.requestCount).toBe(3);
    });

    it("throws the last ConsoleApiError when the retries run out; backoff doubles up to 5 s", async () => {
      const injector = await inject(({ res }) =>
        answer(res, 500, { error: { code: "internal", message: "internal error", details: {} } }),
      );
      const c = client({ endpoint: injector.url, retries: 8, random: () => 1 });
      const error = await caught(c.request("GET", "/v1/org"));
      expect(error).toMatchObject({ status: 500, code: "internal", message: "internal error" });
      expect(c.requestCount).toBe(9);
      expect(sleeps).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000]);
    });

    it("never retries a mutation without an idempotency key", async () => {
      const injector = await inject(async ({ req, res, n, forward }) => {
        if (n === 1) answer(res, 503, { error: { code: "internal", message: "busy", details: {} } });
        else if (n === 2) req.socket.destroy();
        else reply(res, await forward());
      });
      const c = client({ endpoint: injector.url });
      expect(await caught(c.request("POST", "/v1/groups", { body: { name: "x" } }))).toMatchObject({
        status: 503,
      });
      const dropped = await caught(c.request("POST", "/v1/groups", { body: { name: "x" } }));
      expect(dropped).toBeInstanceOf(ConsoleUnreachableError);
      expect((dropped as Error).message).toMatch(/may or may not have been applied/);
      expect(c.requestCount).toBe(2);
      expect(sleeps).toEqual([]);
    });

    it("retries a mutation that carries an idempotency key", async () => {
      const injector = await inject(async ({ req, res, n, forward }) => {
        if (n === 1) answer(res, 502, { error: { code: "internal", message: "bad gateway", details: {} } });
        else if (n === 2) req.socket.destroy();
        else reply(res, await forward());
      });
      const c = client({ endpoint: injector.url });
      const created = await c.request<GroupInfo>("POST", "/v1/groups", {
        body: { name: "x" },
        idempotencyKey: "k-1",
      });
      expect(created).toMatchObject({ status: 201, body: { name: "x" } });
      expect(c.requestCount).toBe(3);
      expect(injector.seen).toEqual(["POST /v1/groups", "POST /v1/groups", "POST /v1/groups"]);
    });

    it("throws ConsoleUnreachableError for a closed port after all retries", async () => {
      const port = await closedPort();
      const c = client({ endpoint: `http://127.0.0.1:${port}/` });
      const error = await caught(c.request("GET", "/v1/org"));
      expect(error).toBeInstanceOf(ConsoleUnreachableError);
      expect((error as ConsoleUnreachableError).code).toBe("console_unreachable");
      expect((error as Error).message).toContain(`http://127.0.0.1:${port}`);
      expect((error as Error).message).toMatch(/ECONNREFUSED/);
      expect((error as Error).message).toMatch(/check that the endpoint is right/i);
      expect(c.requestCount).toBe(5);
      expect(sleeps).toHaveLength(4);
      expectNoToken(error, OWNER_TOKEN);
    });
  });

  describe("response size", () => {
    it("is capped at 32 MiB by default", () => {
      expect(DEFAULT_MAX_RESPONSE_BYTES).toBe(32 * 1024 * 1024);
    });

    it("refuses a body whose Content-Length is over the cap without reading it, and closes the connection", async () => {
      let closed: Promise<void> = Promise.resolve();
      const injector = await inject(({ res }) => {
        closed = new Promise((resolve) => res.socket!.once("close", () => resolve()));
        res.writeHead(200, {
          "content-type": "application/json",
          "content-length": String(100 * 1024 * 1024),
        });
        res.write("{");
        // ...and never more: a client that waited for the body would hang for its whole 60 s timeout.
      });
      const c = client({ endpoint: injector.url, timeoutMs: 60_000 });
      const error = await caught(c.request("GET", "/v1/org"));
      expect(error).toBeInstanceOf(ConsoleApiError);
      expect(error).toMatchObject({ code: "response_too_large", details: { limit_bytes: 32 * 1024 * 1024 } });
      expect((error as Error).message).toMatch(
        /larger than 33554432 bytes.*check that http:\/\/127\.0\.0\.1/,
      );
      await closed;
      expect(c.requestCount).toBe(1);
    });

    it("stops reading a streamed body as soon as it passes the cap, and closes the connection", async () => {
      let written = 0;
      let closed: Promise<void> = Promise.resolve();
      const injector = await inject(({ res }) => {
        closed = new Promise((resolve) => res.socket!.once("close", () => resolve()));
        res.writeHead(200, { "content-type": "application/json" });
        const chunk = Buffer.alloc(16 * 1024, 0x20);
        const pump = () => {
          // 256 KiB at most, so that a client without a cap ends with a body that is merely not JSON.
          while (written < 256 * 1024 && !res.destroyed) {
            written += chunk.length;
            if (!res.write(chunk)) return void res.once("drain", pump);
          }
          if (!res.destroyed) res.end();
        };
        pump();
      });
      const c = client({ endpoint: injector.url, maxResponseBytes: 20_000, timeoutMs: 60_000 });
      const error = await caught(c.request("GET", "/v1/org"));
      expect(error).toMatchObject({ code: "response_too_large", details: { limit_bytes: 20_000 } });
      await closed;
      expect(c.requestCount).toBe(1);
    });

    it("reads a body right at the cap", async () => {
      const body = JSON.stringify({ pad: "x".repeat(5000) });
      const injector = await inject(({ res }) => answer(res, 200, JSON.parse(body)));
      const c = client({ endpoint: injector.url, maxResponseBytes: body.length });
      expect((await c.request<{ pad: string }>("GET", "/v1/org")).body.pad).toHaveLength(5000);
    });
  });

  describe("the token", () => {
    it("is sent as a bearer token", async () => {
      const injector = await inject();
      await client({ endpoint: injector.url }).request("GET", "/v1/org");
      expect(injector.auth).toEqual([`Bearer ${OWNER_TOKEN}`]);
    });

    it("never appears in errors, even when a server echoes it", async () => {
      const secret = "oct_do-not-print-me-0123456789";
      const wrong = await caught(client({ token: secret }).request("GET", "/v1/org"));
      expect(wrong).toMatchObject({ status: 401, code: "unauthenticated" });
      expectNoToken(wrong, secret);

      const echo = await startInjector(null, ({ req, res }) =>
        answer(res, 400, {
          error: {
            code: "invalid",
            message: `bad header ${req.headers.authorization}`,
            details: { authorization: req.headers.authorization },
          },
        }),
      );
      injectors.push(echo);
      const echoed = await caught(client({ endpoint: echo.url, token: secret }).request("GET", "/v1/org"));
      expect(echoed).toBeInstanceOf(ConsoleApiError);
      expect((echoed as Error).message).toBe("bad header Bearer <redacted>");
      expectNoToken(echoed, secret);

      const port = await closedPort();
      const unreachable = await caught(
        client({ endpoint: `http://127.0.0.1:${port}`, token: secret }).request("POST", "/v1/groups", {
          body: { name: "x" },
        }),
      );
      expect(unreachable).toBeInstanceOf(ConsoleUnreachableError);
      expectNoToken(unreachable, secret);

      expect(inspect(client({ token: secret }), { depth: 10 })).not.toContain(secret);
    });
  });
});
