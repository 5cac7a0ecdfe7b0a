/**
 * The console stays up and answers in its own shape whatever arrives on the socket: malformed targets, random
 * request lines, headers and bodies, forged cursors, made-up bearers and password guessing.
 */
import { request } from "node:http";
import { connect } from "node:net";
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { LOGIN_LIMITS, LoginThrottle } from "../../src/console/login-throttle.js";
import { clientAddress, DEFAULT_MAX_CLIENTS, RateLimiter } from "../../src/console/rate-limit.js";
import {
  OWNER_TOKEN,
  startTestConsole,
  type TestConsole,
  type TestConsoleOptions,
} from "../support/console.js";
import { createUser, expectError, expectStatus, movableClock, PASSWORD, sessionFor } from "./helpers.js";

const consoles: TestConsole[] = [];
async function start(options: TestConsoleOptions = {}): Promise<TestConsole> {
  const ts = await startTestConsole(options);
  consoles.push(ts);
  return ts;
}
afterEach(async () => {
  await Promise.all(consoles.splice(0).map((ts) => ts.close()));
});

// A rejection nobody handles would end a real `orgctl serve`; here it must not happen at all.
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeAll(() => {
  process.on("unhandledRejection", onUnhandled);
});
afterAll(() => {
  process.off("unhandledRejection", onUnhandled);
});
afterEach(() => {
  expect(unhandled.splice(0).map(String)).toEqual([]);
});

interface RawAnswer {
  /** null when the server closed or reset the connection without a complete response. */
  status: number | null;
  body: string;
  timedOut: boolean;
}

/**
 * Sends `bytes` as they are over a fresh connection and reads one final response (1xx ones skipped). A HEAD
 * answer has no body whatever its Content-Length says.
 */
function rawExchange(port: number, bytes: Buffer, head = false, timeoutMs = 5000): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1" });
    let received = Buffer.alloc(0);
    let settled = false;
    const finish = (answer: RawAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => finish({ status: null, body: "", timedOut: true }), timeoutMs);
    const parse = (closed: boolean): RawAnswer | null => {
      for (;;) {
        const end = received.indexOf("\r\n\r\n");
        if (end < 0) return null;
        const headText = received.subarray(0, end).toString("latin1");
        const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(headText)?.[1] ?? Number.NaN);
        if (status >= 100 && status < 200) {
          received = received.subarray(end + 4);
          continue;
        }
        if (head) return { status, body: "", timedOut: false };
        const rest = received.subarray(end + 4);
        if (/\r\ntransfer-encoding: *chunked/i.test(headText)) {
          const body = dechunk(rest);
          return body === null ? null : { status, body, timedOut: false };
        }
        const declared = /\r\ncontent-length: *(\d+)/i.exec(headText)?.[1];
        // Neither length nor chunks: the body ends when the connection does.
        if (declared === undefined)
          return closed ? { status, body: rest.toString("utf8"), timedOut: false } : null;
        const length = Number(declared);
        if (rest.length < length) return null;
        return { status, body: rest.subarray(0, length).toString("utf8"), timedOut: false };
      }
    };
    socket.on("connect", () => socket.write(bytes));
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const answer = parse(false);
      if (answer) finish(answer);
    });
    const closed = () =>
      finish(parse(true) ?? { status: null, body: received.toString("latin1"), timedOut: false });
    socket.on("error", closed);
    socket.on("close", closed);
  });
}

/** A chunked body, or null while its last chunk has not arrived. */
function dechunk(bytes: Buffer): string | null {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = bytes.indexOf("\r\n", at);
    if (lineEnd < 0) return null;
    const size = Number.parseInt(bytes.subarray(at, lineEnd).toString("latin1"), 16);
    if (size === 0) return Buffer.concat(parts).toString("utf8");
    if (bytes.length < lineEnd + 2 + size + 2) return null;
    parts.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}

function expectJsonError(answer: RawAnswer, status: number, code: string): void {
  expect(answer.status, answer.body).toBe(status);
  const body = JSON.parse(answer.body) as { error: { code: string; message: string } };
  expect(body.error.code).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(10);
}

describe("malformed requests", () => {
  it("answers 400 invalid to targets no URL parser accepts, and keeps serving", async () => {
    const ts = await start();
    for (const target of ["//[", "http://[", "//x:99999/v1/org"]) {
      const answer = await rawExchange(
        ts.running.port,
        Buffer.from(`GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`),
      );
      expectJsonError(answer, 400, "invalid");
      expectStatus(await ts.api("GET", "/v1/org"), 200);
    }
  });

  it("answers CONNECT and unknown Expect values in JSON instead of hanging up or a bare status", async () => {
    const ts = await start();
    const port = ts.running.port;
    expectJsonError(
      await rawExchange(
        port,
        Buffer.from("CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n"),
      ),
      405,
      "method_not_allowed",
    );
    expectJsonError(
      await rawExchange(port, Buffer.from("GET /v1/org HTTP/1.1\r\nHost: x\r\nExpect: tea\r\n\r\n")),
      417,
      "invalid",
    );
    expectStatus(await ts.api("GET", "/v1/org"), 200);
  });

  it("keeps serving after clients hang up mid-body and mid-answer", async () => {
    const ts = await start();
    const hangUp = (bytes: string, afterMs: number) =>
      new Promise<void>((resolve) => {
        const socket = connect({ port: ts.running.port, host: "127.0.0.1" });
        socket.on("error", () => resolve());
        socket.on("close", () => resolve());
        socket.on("connect", () => {
          socket.write(bytes);
          setTimeout(() => socket.destroy(), afterMs);
        });
      });
    const login = JSON.stringify({ login: "admin", password: "a guess at it" });
    await Promise.all([
      // Declares 1000 bytes, sends 10: readJsonBody is waiting when the connection goes.
      hangUp(
        `POST /v1/groups HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${OWNER_TOKEN}\r\n` +
          'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"name": ',
        20,
      ),
      // Gone while the password is being checked, before the answer is written.
      hangUp(
        `POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${login.length}\r\n\r\n${login}`,
        1,
      ),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expectStatus(await ts.api("GET", "/v1/org"), 200);
    expectError(await ts.api("GET", "/v1/groups/x"), 404, "not_found");
  });

  it("keeps answering when the access log throws", async () => {
    const ts = await start({
      accessLog: () => {
        throw new Error("disk full");
      },
    });
    expectStatus(await ts.api("GET", "/v1/org"), 200);
    expectError(await ts.api("GET", "/v1/nope"), 404, "not_found");
    expectJsonError(
      await rawExchange(ts.running.port, Buffer.from("GET //[ HTTP/1.1\r\nHost: x\r\n\r\n")),
      400,
      "invalid",
    );
    expectStatus(await ts.api("GET", "/v1/org"), 200);
  });

  it("answers every random request line, header set and body with a 4xx in JSON, and keeps serving", async () => {
    const ts = await start();
    const port = ts.running.port;
    // No piece can spell /v1/healthz, and no request carries a valid token: every answer is a refusal.
    const targetPiece = fc.constantFrom(
      "/",
      "//",
      "[",
      "]",
      ":",
      "99999",
      "%",
      "%zz",
      "%2F",
      "?",
      "#",
      "@",
      "\\",
      "..",
      "v1",
      "org",
      "users",
      "wallet/ledger",
      "sessions",
      "lock",
      "x",
      "é",
      "\u0000",
      "\u0007",
      " ",
      "*",
      "http:",
      "https://",
      "cursor=ImFiYyI",
      "&",
      "=",
    );
    const target = fc.oneof(
      fc.string({ unit: targetPiece, maxLength: 12 }),
      fc.constantFrom(
        "/v1/org",
        "/v1/sessions",
        "/v1/users?cursor=ImFiYyI",
        "/v1/lock",
        "http://[",
        "//[",
        "*",
      ),
    );
    const method = fc.constantFrom(
      "GET",
      "POST",
      "PUT",
      "PATCH",
      "DELETE",
      "HEAD",
      "OPTIONS",
      "CONNECT",
      "TRACE",
      "BREW",
      "get",
      "",
      "G\u0000T",
    );
    const version = fc.constantFrom(
      "HTTP/1.1",
      "HTTP/1.0",
      "HTTP/2.0",
      "HTTP/1.1 x",
      "",
      "HTTP/1.12",
      "http/1.1",
    );
    // CR and LF are the framing: the test owns it (Content-Length and Connection are always its own).
    const noFraming = (text: string) => text.replace(/[\r\n]/g, "");
    const headerName = fc
      .oneof(
        fc.constantFrom(
          "Host",
          "Accept",
          "Authorization",
          "Content-Type",
          "X-Lock-Id",
          "Idempotency-Key",
          "If-Match",
          "Expect",
          "Upgrade",
          "Cookie",
          "X-Forwarded-For",
        ),
        fc.string({ unit: "binary-ascii", maxLength: 12 }).map(noFraming),
      )
      .filter(
        (name) => !["content-length", "transfer-encoding", "connection"].includes(name.trim().toLowerCase()),
      );
    const headerValue = fc.oneof(
      fc.string({ unit: "binary-ascii", maxLength: 40 }).map(noFraming),
      fc.string({ unit: "grapheme", maxLength: 10 }).map(noFraming),
      fc.string({ maxLength: 30 }).map((s) => `Bearer ${noFraming(s)}`),
      fc.constantFrom("application/json", "100-continue", "websocket", "*", '"1"', "x".repeat(20_000)),
    );
    const body = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
      fc.json({ maxDepth: 3 }).map((text) => Buffer.from(text)),
      fc
        .record({ login: fc.constantFrom("admin", "ghost", ""), password: fc.string({ maxLength: 20 }) })
        .map((value) => Buffer.from(JSON.stringify(value))),
    );
    await fc.assert(
      fc.asyncProperty(
        method,
        target,
        version,
        fc.array(fc.tuple(headerName, headerValue), { maxLength: 6 }),
        body,
        async (m, t, v, headers, payload) => {
          const head = Buffer.from(
            `${m} ${t} ${v}\r\n${headers.map(([name, value]) => `${name}: ${value}\r\n`).join("")}` +
              `Content-Length: ${payload.length}\r\nConnection: close\r\n\r\n`,
          );
          const answer = await rawExchange(port, Buffer.concat([head, payload]), m === "HEAD", 3000);
          expect(answer.timedOut).toBe(false);
          expect(answer.status, answer.body).toBeGreaterThanOrEqual(400);
          expect(answer.status, answer.body).toBeLessThan(500);
          if (m !== "HEAD") {
            const parsed = JSON.parse(answer.body) as { error: { code: unknown; message: unknown } };
            expect(typeof parsed.error.code).toBe("string");
            expect(typeof parsed.error.message).toBe("string");
          }
          expectStatus(await ts.api("GET", "/v1/org"), 200);
        },
      ),
      { numRuns: 200, interruptAfterTimeLimit: 20_000 },
    );
  });
});

describe("list cursors", () => {
  const LISTS = ["/v1/users", "/v1/groups", "/v1/domains", "/v1/wallet/ledger", "/v1/addresses/retired"];

  it("refuse a well-formed cursor the console did not issue, on every list", async () => {
    const ts = await start();
    // `ImFiYyI` is base64url of the JSON string "abc": it decodes, but no list ever issued it.
    for (const path of LISTS) {
      expectError(await ts.api("GET", `${path}?cursor=ImFiYyI`), 400, "invalid");
      expectError(await ts.api("GET", `${path}?cursor=MQ`), 400, "invalid");
    }
  });

  it("refuse a cursor carried to another list, edited, or issued by another console", async () => {
    const ts = await start({ balanceCents: 1_000_000 });
    for (const login of ["u1", "u2", "u3"]) await createUser(ts, login, { plan: "entry" });
    for (const name of ["g1", "g2", "g3"]) expectStatus(await ts.api("POST", "/v1/groups", { name }), 201);
    const users = await ts.api("GET", "/v1/users?limit=1");
    const cursor = users.body.next_cursor as string;
    expectStatus(await ts.api("GET", `/v1/users?limit=1&cursor=${cursor}`), 200);
    expectError(await ts.api("GET", `/v1/groups?limit=1&cursor=${cursor}`), 400, "invalid");
    expectError(await ts.api("GET", `/v1/wallet/ledger?limit=1&cursor=${cursor}`), 400, "invalid");
    const ledger = await ts.api("GET", "/v1/wallet/ledger?limit=1");
    expectError(await ts.api("GET", `/v1/users?limit=1&cursor=${ledger.body.next_cursor}`), 400, "invalid");
    const edited = cursor.replace(
      /^(.*\.)(.)/,
      (_, before: string, c: string) => before + (c === "A" ? "B" : "A"),
    );
    expect(edited).not.toBe(cursor);
    expectError(await ts.api("GET", `/v1/users?limit=1&cursor=${edited}`), 400, "invalid");
    // Another console, same list, same keys: its cursor is not this console's.
    const other = await start({ balanceCents: 1_000_000 });
    for (const login of ["u1", "u2", "u3"]) await createUser(other, login, { plan: "entry" });
    const foreign = (await other.api("GET", "/v1/users?limit=1")).body.next_cursor as string;
    expectStatus(await other.api("GET", `/v1/users?limit=1&cursor=${foreign}`), 200);
    expectError(await ts.api("GET", `/v1/users?limit=1&cursor=${foreign}`), 400, "invalid");
  });
});

describe("rate limits", () => {
  it("counts requests with made-up bearers against the address, not against each bearer", async () => {
    const ts = await start({ rateLimit: 2 });
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await ts.api("GET", "/v1/org", undefined, { token: `oct_guess-${i}-${Math.random()}` });
      statuses.push(res.status);
      if (res.status === 429) expectError(res, 429, "rate_limited");
    }
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(7);
    // Anonymous requests from that address share its bucket; the owner's token has its own.
    expectError(await ts.api("GET", "/v1/healthz", undefined, { token: null }), 429, "rate_limited");
    expectStatus(await ts.api("GET", "/v1/org"), 200);
  });

  it("remembers at most a bounded number of clients", () => {
    const limiter = new RateLimiter(1, 1000);
    expect(limiter.take("hot", 0)).toBe(0);
    expect(limiter.take("hot", 0)).toBe(0);
    expect(limiter.take("hot", 0)).toBeGreaterThan(0);
    for (let i = 0; i < 998; i++) limiter.take(`client-${i}`, 0);
    // A client that keeps spending stays the most recent one, so a flood evicts idle clients first.
    expect(limiter.take("hot", 0)).toBeGreaterThan(0);
    for (let i = 0; i < 100_000; i++) limiter.take(`client-${i}`, i);
    expect(limiter.size).toBeLessThanOrEqual(1000);
    const byDefault = new RateLimiter(5);
    for (let i = 0; i < 100_000; i++) byDefault.take(`client-${i}`, 0);
    expect(byDefault.size).toBeLessThanOrEqual(DEFAULT_MAX_CLIENTS);
  });

  it("keys IPv6 clients by their /64 and IPv4-mapped ones by their IPv4 address", () => {
    expect(clientAddress("::ffff:10.1.2.3")).toBe("10.1.2.3");
    expect(clientAddress("127.0.0.1")).toBe("127.0.0.1");
    expect(clientAddress("2001:db8:0:1:aaaa::1")).toBe(clientAddress("2001:0db8::1:bbbb:2:3:4"));
    expect(clientAddress("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(clientAddress("::1")).toBe("0:0:0:0::/64");
    expect(clientAddress(undefined)).toBe("unknown");
  });
});

describe("password guessing", () => {
  /** Logs in from `localAddress` (any 127/8 address is this host). */
  function loginFrom(
    ts: TestConsole,
    localAddress: string,
    login: string,
    password: string,
  ): Promise<{ status: number; headers: Headers; body: any }> {
    return new Promise((resolve, reject) => {
      const outgoing = request(
        `${ts.url}/v1/sessions`,
        {
          method: "POST",
          localAddress,
          headers: { "content-type": "application/json", connection: "close" },
        },
        (response) => {
          let text = "";
          response.setEncoding("utf8");
          response.on("data", (chunk: string) => {
            text += chunk;
          });
          response.on("end", () => {
            const headers = new Headers();
            for (const [name, value] of Object.entries(response.headers)) headers.set(name, String(value));
            resolve({ status: response.statusCode ?? 0, headers, body: JSON.parse(text) });
          });
        },
      );
      outgoing.on("error", reject);
      outgoing.end(JSON.stringify({ login, password }));
    });
  }

  it("refuses further guesses at a login with 429 and Retry-After, without locking its user out elsewhere", async () => {
    const ts = await start();
    await createUser(ts, "bob", { password: PASSWORD });
    const guesses = [];
    for (let i = 0; i < 8; i++) guesses.push(await loginFrom(ts, "127.0.0.1", "bob", `guess number ${i}`));
    expect(guesses.map((g) => g.status)).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    const refused = guesses[5]!;
    expectError(refused, 429, "rate_limited");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    // The right password does not get through from the guessing address either: that would confirm it.
    expectError(await loginFrom(ts, "127.0.0.1", "bob", PASSWORD), 429, "rate_limited");
    // bob, at his own address, still logs in.
    expectStatus(await loginFrom(ts, "127.0.0.2", "bob", PASSWORD), 201);
    // Unknown logins are throttled the same way, so the 429 does not tell which logins exist.
    const ghost = [];
    for (let i = 0; i < 6; i++) ghost.push((await loginFrom(ts, "127.0.0.3", "ghost", `guess ${i}`)).status);
    expect(ghost).toEqual([401, 401, 401, 401, 401, 429]);
  });

  it("lets attempts come back with time, caps one address over all logins, and stays bounded", () => {
    const throttle = new LoginThrottle(LOGIN_LIMITS, 1000);
    const minute = 60_000;
    for (let i = 0; i < LOGIN_LIMITS.perLoginAndAddress; i++) throttle.begin("bob", "a", 0);
    expect(() => throttle.begin("bob", "a", 0)).toThrow(/retry after 180 s/);
    expect(() => throttle.begin("bob", "a", 3 * minute)).not.toThrow();
    expect(() => throttle.begin("bob", "a", 3 * minute)).toThrow();
    // Fifteen quiet minutes and every attempt is back; a success clears the failures.
    for (let i = 0; i < LOGIN_LIMITS.perLoginAndAddress; i++) throttle.begin("bob", "a", 18 * minute);
    throttle.succeeded("bob", "a", 18 * minute);
    expect(() => throttle.begin("bob", "a", 18 * minute)).not.toThrow();
    // One address trying many logins.
    for (let i = 0; i < LOGIN_LIMITS.perAddress; i++) throttle.begin(`user-${i}`, "b", 0);
    expect(() => throttle.begin("someone-else", "b", 0)).toThrow(/rate|retry/);
    for (let i = 0; i < 100_000; i++) throttle.begin(`login-${i}`, `address-${i}`, 0);
    expect(throttle.size).toBeLessThanOrEqual(3 * 1000);
  });
});

describe("renewals", () => {
  it("are charged by authenticated requests only", async () => {
    const clock = movableClock("2026-03-01T12:00:00Z");
    const ts = await start({ now: clock.now });
    await createUser(ts, "bob", { password: PASSWORD });
    await sessionFor(ts, "bob");
    const service = ts.running.service;
    const snapshot = () => ({
      revision: service.store.load().org.revision,
      ledger: service.store.ledgerPage(0, 1_000_000).length,
    });
    clock.set("2027-03-01T00:00:05Z");
    const before = snapshot();
    expectStatus(await ts.api("GET", "/v1/healthz", undefined, { token: null }), 200);
    expectError(await ts.api("GET", "/v1/org", undefined, { token: null }), 401, "unauthenticated");
    expectError(await ts.api("GET", "/v1/org", undefined, { token: "oct_made-up" }), 401, "unauthenticated");
    expectError(
      await ts.api("POST", "/v1/sessions", { login: "bob", password: "not the password" }, { token: null }),
      401,
      "unauthenticated",
    );
    expect(snapshot()).toEqual(before);
    // The clock is past the renewal: the first authenticated request charges it.
    expectStatus(await ts.api("GET", "/v1/org"), 200);
    expect(snapshot().ledger).toBeGreaterThan(before.ledger);
  });
});
