/**
 * The HTTP protocol of the console: idempotency, revisions/ETag/If-Match, pagination, the apply lock, rate and
 * size limits, request validation, and what must never leak (stack traces, passwords, tokens).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  OWNER_TOKEN,
  startTestConsole,
  type TestConsole,
  type TestConsoleOptions,
} from "../support/console.js";
import {
  actor,
  balanceOf,
  createUser,
  expectError,
  expectStatus,
  ledgerOf,
  movableClock,
  newUser,
  PASSWORD,
  revisionOf,
  sessionFor,
  tokenFor,
} from "./helpers.js";

/** Every response any test in this file saw, to check what must never leak. */
const responses: Array<{ status: number; text: string }> = [];

const consoles: TestConsole[] = [];
async function start(options: TestConsoleOptions = {}): Promise<TestConsole> {
  const ts = await startTestConsole(options);
  consoles.push(ts);
  const api = ts.api;
  ts.api = (async (method, path, body, opts) => {
    const res = await api(method, path, body, opts);
    responses.push({
      status: res.status,
      text: `${JSON.stringify([...res.headers])}\n${typeof res.body === "string" ? res.body : JSON.stringify(res.body)}`,
    });
    return res;
  }) as TestConsole["api"];
  return ts;
}
afterEach(async () => {
  await Promise.all(consoles.splice(0).map((c) => c.close()));
});

const key = (k: string) => ({ headers: { "idempotency-key": k } });

describe("idempotency", () => {
  it("replays the same request with the same key, charging once", async () => {
    const ts = await start();
    const body = newUser("bob", { plan: "entry" });
    const first = await ts.api("POST", "/v1/users", body, key("create-bob-1"));
    expectStatus(first, 201);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    const revision = await revisionOf(ts);
    const again = await ts.api("POST", "/v1/users", body, key("create-bob-1"));
    expectStatus(again, 201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
    expect(await revisionOf(ts)).toBe(revision);
    const charges = (await ledgerOf(ts)).filter((e) => e.login === "bob");
    expect(charges).toEqual([
      expect.objectContaining({
        reason: "user_created",
        amount_cents: -4200,
        idempotency_key: "create-bob-1",
      }),
    ]);
    expect(await balanceOf(ts)).toBe(91_000 - 4200);
  });

  it("replays top-ups once and records the key in the ledger", async () => {
    const ts = await start();
    const body = { amount_cents: 777, method: "test" };
    const first = await ts.api("POST", "/v1/wallet/top-ups", body, key("topup-2026-03"));
    const second = await ts.api("POST", "/v1/wallet/top-ups", body, key("topup-2026-03"));
    expectStatus(first, 201);
    expectStatus(second, 201);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(second.body).toEqual(first.body);
    expect(await balanceOf(ts)).toBe(91_777);
    const topUps = (await ledgerOf(ts)).filter((e) => e.reason === "top_up");
    expect(topUps.map((e) => e.idempotency_key)).toEqual(["topup-2026-03"]);
  });

  it("refuses the same key with a different request (idempotency_mismatch)", async () => {
    const ts = await start();
    expectStatus(await ts.api("POST", "/v1/users", newUser("bob"), key("k-1")), 201);
    const res = await ts.api("POST", "/v1/users", newUser("carl"), key("k-1"));
    expectError(res, 422, "idempotency_mismatch");
    expectError(await ts.api("GET", "/v1/users/carl"), 404, "not_found");
    // Same body on another route is another request too.
    expectError(await ts.api("POST", "/v1/groups", { name: "g" }, key("k-1")), 422, "idempotency_mismatch");
  });

  it("stores only successes: a refused request can be retried with the same key", async () => {
    const ts = await start({ balanceCents: 9000 });
    const body = newUser("bob", { plan: "entry" });
    expectError(await ts.api("POST", "/v1/users", body, key("retry-me")), 402, "insufficient_funds");
    expectStatus(await ts.api("POST", "/v1/wallet/top-ups", { amount_cents: 4200, method: "test" }), 201);
    const retried = await ts.api("POST", "/v1/users", body, key("retry-me"));
    expectStatus(retried, 201);
    expect(retried.headers.get("idempotent-replayed")).toBeNull();
  });

  it("scopes keys to the caller", async () => {
    const ts = await start();
    const ops = await actor(ts, "ops", "org_admin");
    expectStatus(await ts.api("POST", "/v1/groups", { name: "a" }, key("shared")), 201);
    const other = await ts.api("POST", "/v1/groups", { name: "b" }, { token: ops, ...key("shared") });
    expectStatus(other, 201);
    expect(other.headers.get("idempotent-replayed")).toBeNull();
  });

  it("refuses malformed keys (invalid) and changes nothing", async () => {
    const ts = await start();
    const revision = await revisionOf(ts);
    expectError(await ts.api("POST", "/v1/groups", { name: "g" }, key("x".repeat(201))), 400, "invalid");
    expectError(await ts.api("POST", "/v1/groups", { name: "g" }, key("k".repeat(300))), 400, "invalid");
    // Spaces inside a key are printable ASCII (see contract.test.ts); a key that is not ASCII is not.
    expectError(await ts.api("POST", "/v1/groups", { name: "g" }, key("clé")), 400, "invalid");
    expectError(await ts.api("POST", "/v1/groups", { name: "g" }, key("tab\there")), 400, "invalid");
    expect(await revisionOf(ts)).toBe(revision);
    expectStatus(await ts.api("POST", "/v1/groups", { name: "g" }, key("x".repeat(200))), 201);
  });
});

describe("revisions, ETag and If-Match", () => {
  it('answers reads with ETag "<revision>"', async () => {
    const ts = await start();
    await createUser(ts, "bob");
    expectStatus(await ts.api("POST", "/v1/groups", { name: "g" }), 201);
    const org = await ts.api("GET", "/v1/org");
    const revision = org.body.revision as number;
    expect(revision).toBeGreaterThan(0);
    expect(org.headers.get("etag")).toBe(`"${revision}"`);
    for (const path of [
      "/v1/me",
      "/v1/catalog",
      "/v1/wallet",
      "/v1/wallet/ledger",
      "/v1/domains",
      "/v1/users",
      "/v1/users/bob",
      "/v1/groups",
      "/v1/groups/g",
    ]) {
      const res = await ts.api("GET", path);
      expectStatus(res, 200);
      expect(res.headers.get("etag"), path).toBe(`"${revision}"`);
    }
  });

  it("increments the revision by one with every mutation", async () => {
    const ts = await start();
    const steps: Array<[string, string, unknown?]> = [
      ["POST", "/v1/wallet/top-ups", { amount_cents: 100, method: "test" }],
      ["PATCH", "/v1/org", { name: "Renamed Org" }],
      ["POST", "/v1/domains", { name: "example.org" }],
      ["POST", "/v1/users", newUser("bob", { plan: "entry", password: PASSWORD })],
      ["PATCH", "/v1/users/bob", { last_name: "Martin" }],
      ["POST", "/v1/users/bob/aliases", { address: "bob@example.org" }],
      ["DELETE", "/v1/users/bob/aliases/bob@example.org"],
      ["PUT", "/v1/users/bob/plan", { plan: "pro" }],
      ["PUT", "/v1/users/bob/role", { role: "user_admin" }],
      ["PUT", "/v1/users/bob/password", { password: "another one!" }],
      ["DELETE", "/v1/users/bob/sessions"],
      ["POST", "/v1/groups", { name: "g", description: "G" }],
      ["PATCH", "/v1/groups/g", { description: "GG" }],
      ["PUT", "/v1/groups/g/members/bob"],
      ["DELETE", "/v1/groups/g/members/bob"],
      ["DELETE", "/v1/groups/g"],
      ["PATCH", "/v1/me", { profile: { mobile: "0600" } }],
      ["PUT", "/v1/me/password", { password: "owner password" }],
      ["POST", "/v1/users/bob/disable"],
      ["POST", "/v1/users/bob/enable"],
      ["POST", "/v1/users/bob/disable"],
      ["POST", "/v1/users/bulk", { action: "delete", logins: ["bob"] }],
      ["DELETE", "/v1/domains/example.org"],
    ];
    let revision = await revisionOf(ts);
    for (const [method, path, body] of steps) {
      const res = await ts.api(method, path, body);
      expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
      expect(res.headers.get("etag"), `${method} ${path}`).toBe(`"${revision + 1}"`);
      const now = await revisionOf(ts);
      expect(now, `${method} ${path}`).toBe(revision + 1);
      revision = now;
    }
    // Refusals do not move it.
    expectError(await ts.api("POST", "/v1/users/admin/disable"), 403, "self_action");
    expect(await revisionOf(ts)).toBe(revision);
  });

  it("refuses a stale If-Match (412), accepts a matching one, refuses a garbage one (400)", async () => {
    const ts = await start();
    const etag = (await ts.api("GET", "/v1/org")).headers.get("etag")!;
    expect(etag).toMatch(/^"\d+"$/);
    const ok = await ts.api("POST", "/v1/groups", { name: "a" }, { headers: { "if-match": etag } });
    expectStatus(ok, 201);
    const fresh = ok.headers.get("etag")!;
    expect(fresh).toBe(`"${Number(etag.slice(1, -1)) + 1}"`);
    const stale = await ts.api("POST", "/v1/groups", { name: "b" }, { headers: { "if-match": etag } });
    expectError(stale, 412, "precondition_failed");
    expect(stale.body.error.details).toEqual({
      expected: Number(etag.slice(1, -1)),
      current: Number(fresh.slice(1, -1)),
    });
    expectError(await ts.api("GET", "/v1/groups/b"), 404, "not_found");
    expectError(
      await ts.api("POST", "/v1/groups", { name: "b" }, { headers: { "if-match": "yesterday" } }),
      400,
      "invalid",
    );
    expectError(
      await ts.api("POST", "/v1/groups", { name: "b" }, { headers: { "if-match": '"12abc"' } }),
      400,
      "invalid",
    );
    expectStatus(await ts.api("POST", "/v1/groups", { name: "b" }, { headers: { "if-match": fresh } }), 201);
    expectStatus(await ts.api("POST", "/v1/groups", { name: "c" }, { headers: { "if-match": "*" } }), 201);
    // A stale If-Match on a money movement changes no money.
    const balance = await balanceOf(ts);
    expectError(
      await ts.api(
        "POST",
        "/v1/wallet/top-ups",
        { amount_cents: 5, method: "test" },
        { headers: { "if-match": etag } },
      ),
      412,
      "precondition_failed",
    );
    expect(await balanceOf(ts)).toBe(balance);
  });

  it("replays a committed request even when its If-Match is stale by now", async () => {
    const ts = await start();
    const etag = (await ts.api("GET", "/v1/org")).headers.get("etag")!;
    const headers = { "if-match": etag, "idempotency-key": "once" };
    expectStatus(await ts.api("POST", "/v1/groups", { name: "a" }, { headers }), 201);
    const replay = await ts.api("POST", "/v1/groups", { name: "a" }, { headers });
    expectStatus(replay, 201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
  });
});

describe("pagination", () => {
  it("pages 25 users in stable login order, next_cursor null at the end", async () => {
    const ts = await start({ balanceCents: 1_000_000 });
    const logins = Array.from({ length: 25 }, (_, i) => `u${String(i).padStart(2, "0")}`);
    // Created out of order: the list is by login, not by creation.
    const shuffled = [...logins].sort((a, b) => ((a.charCodeAt(2) * 7) % 10) - ((b.charCodeAt(2) * 7) % 10));
    for (const login of shuffled) await createUser(ts, login, { plan: "entry" });
    const all = ["admin", ...logins];
    const page1 = await ts.api("GET", "/v1/users?limit=10");
    expectStatus(page1, 200);
    expect(page1.body.items.map((u: { login: string }) => u.login)).toEqual(all.slice(0, 10));
    expect(typeof page1.body.next_cursor).toBe("string");
    // A user created meanwhile before the cursor does not shift the next pages.
    await createUser(ts, "aaron");
    const page2 = await ts.api("GET", `/v1/users?limit=10&cursor=${page1.body.next_cursor}`);
    expect(page2.body.items.map((u: { login: string }) => u.login)).toEqual(all.slice(10, 20));
    const page3 = await ts.api("GET", `/v1/users?limit=10&cursor=${page2.body.next_cursor}`);
    expect(page3.body.items.map((u: { login: string }) => u.login)).toEqual(all.slice(20));
    expect(page3.body.next_cursor).toBeNull();
    const everything = await ts.api("GET", "/v1/users");
    expect(everything.body.items).toHaveLength(27);
    expect(everything.body.next_cursor).toBeNull();
    // An exact fit ends with null, not with a cursor to an empty page.
    const exact = await ts.api("GET", "/v1/users?limit=27");
    expect(exact.body.items).toHaveLength(27);
    expect(exact.body.next_cursor).toBeNull();
  });

  it("pages by offset too, so that a client can fetch pages of one revision concurrently", async () => {
    const ts = await start({ balanceCents: 1_000_000 });
    for (const login of ["u1", "u2", "u3", "u4"]) await createUser(ts, login, { plan: "entry" });
    const logins = (page: { body: { items: { login: string }[] } }) => page.body.items.map((u) => u.login);
    const [a, b, c] = await Promise.all([
      ts.api("GET", "/v1/users?limit=2&offset=0"),
      ts.api("GET", "/v1/users?limit=2&offset=2"),
      ts.api("GET", "/v1/users?limit=2&offset=4"),
    ]);
    expect([logins(a), logins(b), logins(c)]).toEqual([["admin", "u1"], ["u2", "u3"], ["u4"]]);
    expect(new Set([a, b, c].map((p) => p.headers.get("etag")))).toEqual(new Set([a.headers.get("etag")]));
    expect(c.body.next_cursor).toBeNull();
    expectError(await ts.api("GET", "/v1/users?offset=-1"), 400, "invalid");
    expectError(await ts.api("GET", `/v1/users?offset=1&cursor=${a.body.next_cursor}`), 400, "invalid");
  });

  it("refuses limits outside 1..1000 and cursors it did not issue (invalid)", async () => {
    const ts = await start();
    for (const limit of ["0", "1001", "-1", "2.5", "ten"]) {
      expectError(await ts.api("GET", `/v1/users?limit=${limit}`), 400, "invalid");
    }
    expectError(await ts.api("GET", "/v1/wallet/ledger?limit=0"), 400, "invalid");
    expectError(await ts.api("GET", "/v1/groups?limit=1001"), 400, "invalid");
    expectError(await ts.api("GET", "/v1/users?cursor=%%%"), 400, "invalid");
    expectStatus(await ts.api("GET", "/v1/users?limit=1000"), 200);
    expectStatus(await ts.api("GET", "/v1/users?limit=1"), 200);
  });

  it("pages the ledger by entry", async () => {
    const ts = await start();
    for (const amount of [1, 2, 3]) {
      expectStatus(await ts.api("POST", "/v1/wallet/top-ups", { amount_cents: amount, method: "test" }), 201);
    }
    const p1 = await ts.api("GET", "/v1/wallet/ledger?limit=2");
    expect(p1.body.items.map((e: { amount_cents: number }) => e.amount_cents)).toEqual([100_000, -9000]);
    const p2 = await ts.api("GET", `/v1/wallet/ledger?limit=2&cursor=${p1.body.next_cursor}`);
    expect(p2.body.items.map((e: { amount_cents: number }) => e.amount_cents)).toEqual([1, 2]);
    const p3 = await ts.api("GET", `/v1/wallet/ledger?limit=2&cursor=${p2.body.next_cursor}`);
    expect(p3.body.items.map((e: { amount_cents: number }) => e.amount_cents)).toEqual([3]);
    expect(p3.body.next_cursor).toBeNull();
  });
});

describe("sessions", () => {
  it("expire after 12 hours", async () => {
    const clock = movableClock("2026-03-01T12:00:00Z");
    const ts = await start({ now: clock.now });
    await createUser(ts, "bob", { password: PASSWORD });
    const session = await sessionFor(ts, "bob");
    clock.set("2026-03-01T23:59:59Z");
    expectStatus(await ts.api("GET", "/v1/me", undefined, { token: session }), 200);
    clock.set("2026-03-02T00:00:00Z");
    expectError(await ts.api("GET", "/v1/me", undefined, { token: session }), 401, "unauthenticated");
    // API tokens do not expire.
    expectStatus(await ts.api("GET", "/v1/me"), 200);
  });
});

describe("apply lock", () => {
  it("is held by one holder at a time and released by its id, without touching the revision", async () => {
    const clock = movableClock("2026-03-01T12:00:00Z");
    const ts = await start({ now: clock.now });
    const revision = await revisionOf(ts);
    expect((await ts.api("GET", "/v1/lock")).body).toEqual({ held: false });
    const taken = await ts.api("POST", "/v1/lock", { holder: "ci-1", ttl_seconds: 60 });
    expectStatus(taken, 201);
    expect(taken.body).toMatchObject({
      holder: "ci-1",
      since: "2026-03-01T12:00:00.000Z",
      expires_at: "2026-03-01T12:01:00.000Z",
    });
    const lockId = taken.body.lock_id as string;
    // Anyone who may read sees who holds it, never its id: the id is the holder's secret.
    const { lock_id: _secret, ...lease } = taken.body;
    expect((await ts.api("GET", "/v1/lock")).body).toEqual({ held: true, lock: lease });
    const busy = await ts.api("POST", "/v1/lock", { holder: "ci-2", ttl_seconds: 60 });
    expectError(busy, 423, "locked");
    expect(busy.body.error.details).toMatchObject({ holder: "ci-1", since: "2026-03-01T12:00:00.000Z" });
    // Only its holder may release it.
    expectError(await ts.api("DELETE", "/v1/lock"), 423, "locked");
    expectError(
      await ts.api("DELETE", "/v1/lock", undefined, { headers: { "x-lock-id": "lck_wrong" } }),
      423,
      "locked",
    );
    // The holder renews it with its id.
    clock.set("2026-03-01T12:00:30Z");
    const renewed = await ts.api(
      "POST",
      "/v1/lock",
      { holder: "ci-1", ttl_seconds: 60 },
      { headers: { "x-lock-id": lockId } },
    );
    expectStatus(renewed, 200);
    expect(renewed.body).toMatchObject({
      since: "2026-03-01T12:00:00.000Z",
      expires_at: "2026-03-01T12:01:30.000Z",
    });
    expectStatus(await ts.api("DELETE", "/v1/lock", undefined, { headers: { "x-lock-id": lockId } }), 204);
    expect((await ts.api("GET", "/v1/lock")).body).toEqual({ held: false });
    const again = await ts.api("POST", "/v1/lock", { holder: "ci-2", ttl_seconds: 10 });
    expectStatus(again, 201);
    expect(again.body.lock_id).not.toBe(lockId);
    // An expired lease is free for the next holder.
    clock.set("2026-03-01T12:00:41Z");
    expectStatus(await ts.api("POST", "/v1/lock", { holder: "ci-3", ttl_seconds: 10 }), 201);
    expect(await revisionOf(ts)).toBe(revision);
    expectError(await ts.api("POST", "/v1/lock", { holder: "ci-4", ttl_seconds: 0 }), 400, "invalid");
  });
});

describe("limits and validation", () => {
  it("rate-limits each client with 429 and Retry-After", async () => {
    const ts = await start({ rateLimit: 2 });
    const results = await Promise.all(Array.from({ length: 10 }, () => ts.api("GET", "/v1/org")));
    const ok = results.filter((r) => r.status === 200);
    const limited = results.filter((r) => r.status === 429);
    // A burst of twice the rate, then refusals.
    expect(ok.length).toBeGreaterThanOrEqual(4);
    expect(ok.length).toBeLessThanOrEqual(5);
    expect(ok.length + limited.length).toBe(10);
    for (const res of limited) {
      expectError(res, 429, "rate_limited");
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    }
    // Another client (here: no token, so by address) has its own bucket.
    expectStatus(await ts.api("GET", "/v1/healthz", undefined, { token: null }), 200);
  });

  it("refuses a body over the limit (413)", async () => {
    const ts = await start({ bodyLimit: 1024 });
    const res = await ts.api("POST", "/v1/groups", { name: "g", description: "x".repeat(2000) });
    expectError(res, 413, "payload_too_large");
    expectError(await ts.api("GET", "/v1/groups/g"), 404, "not_found");
    // Without a declared length (chunked), the limit still holds.
    const chunked = await fetch(`${ts.url}/v1/groups`, {
      method: "POST",
      headers: { authorization: `Bearer ${OWNER_TOKEN}`, "content-type": "application/json" },
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(`{"name":"g","description":"${"y".repeat(3000)}"}`));
          controller.close();
        },
      }),
      duplex: "half",
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(((await chunked.json()) as { error: { code: string } }).error.code).toBe("payload_too_large");
    expectStatus(await ts.api("POST", "/v1/groups", { name: "g", description: "x".repeat(500) }), 201);
  });

  it("refuses malformed JSON (400), a wrong content type (415), unknown routes (404) and fields (400)", async () => {
    const ts = await start();
    expectError(await ts.api("POST", "/v1/groups", '{"name": "g",'), 400, "invalid");
    expectError(
      await ts.api("POST", "/v1/groups", '{"name":"g"}', { headers: { "content-type": "text/plain" } }),
      415,
      "unsupported_media_type",
    );
    expectError(
      await ts.api("POST", "/v1/groups", "name=g", {
        headers: { "content-type": "application/x-www-form-urlencoded" },
      }),
      415,
      "unsupported_media_type",
    );
    expectError(await ts.api("GET", "/v1/nope"), 404, "not_found");
    // A path that is not valid percent-encoding is the client's mistake, not an internal error.
    expectError(await ts.api("GET", "/v1/users/%zz"), 400, "invalid");
    expectError(await ts.api("DELETE", "/v1/users/admin/aliases/%E0%A4%A"), 400, "invalid");
    expectError(await ts.api("GET", "/v2/users"), 404, "not_found");
    expectError(await ts.api("PUT", "/v1/org", { name: "x" }), 405, "method_not_allowed");
    const unknown = await ts.api("POST", "/v1/groups", { name: "g", colour: "red" });
    expectError(unknown, 400, "invalid");
    expect(unknown.body.error.message).toContain("colour");
    const nested = await ts.api("PATCH", "/v1/me", { profile: { shoe_size: "44" } });
    expectError(nested, 400, "invalid");
    expect(nested.body.error.message).toContain("shoe_size");
    expectError(await ts.api("POST", "/v1/groups"), 400, "invalid");
    expectError(await ts.api("POST", "/v1/groups", []), 400, "invalid");
    expectError(await ts.api("POST", "/v1/users/admin/disable", { force: true }), 400, "invalid");
    expect((await ts.api("GET", "/v1/groups")).body.items).toEqual([]);
  });

  it("answers 500 without a stack or the cause when something breaks", async () => {
    const ts = await start({
      verifier: "dns",
      resolveTxt: async () => {
        throw new Error("resolver exploded at /srv/secret/resolver.ts:12:3");
      },
    });
    expectStatus(await ts.api("POST", "/v1/domains", { name: "example.org" }), 201);
    const res = await ts.api("POST", "/v1/domains/example.org/verify");
    expectError(res, 500, "internal");
    expect(JSON.stringify(res.body)).not.toContain("exploded");
    expect((await ts.api("GET", "/v1/domains")).body.items[0].status).toBe("pending");
  });
});

describe("secrets", () => {
  it("never returns a password, and stores neither passwords nor tokens in plain", async (context) => {
    // Our own directory, so the files can still be read after the console is closed.
    const dir = mkdtempSync(join(tmpdir(), "orgctl-secrets-"));
    context.onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const ts = await start({ dir });
    const secrets = ["first-Secret-0001", "second-Secret-0002", "third-Secret-0003", "fourth-Secret-0004"];
    const before = responses.length;
    const created = await ts.api(
      "POST",
      "/v1/users",
      newUser("bob", { role: "user_admin", password: secrets[0] }),
      key("create-bob"),
    );
    expectStatus(created, 201);
    expect(created.body.password_set).toBe(true);
    const replay = await ts.api(
      "POST",
      "/v1/users",
      newUser("bob", { role: "user_admin", password: secrets[0] }),
      key("create-bob"),
    );
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expectStatus(await ts.api("PUT", "/v1/users/bob/password", { password: secrets[1] }, key("pw-bob")), 204);
    const session = await sessionFor(ts, "bob", secrets[1]);
    expectStatus(await ts.api("PUT", "/v1/me/password", { password: secrets[2] }, { token: session }), 204);
    const apiToken = await tokenFor(ts, "bob");
    expectStatus(await ts.api("GET", "/v1/me", undefined, { token: apiToken }), 200);
    await createUser(ts, "carl", { password: secrets[3], groups: [] });
    const carlSession = await sessionFor(ts, "carl", secrets[3]);
    expectError(
      await ts.api("POST", "/v1/sessions", { login: "bob", password: secrets[0] }, { token: null }),
      401,
      "unauthenticated",
    );
    for (const path of ["/v1/users", "/v1/users/bob", "/v1/me", "/v1/wallet/ledger"]) {
      expectStatus(await ts.api("GET", path), 200);
    }
    const seen = responses.slice(before);
    for (const secret of secrets) {
      for (const r of seen) expect(r.text).not.toContain(secret);
    }
    for (const r of seen) expect(r.text).not.toMatch(/"password"\s*:/);

    // Not even in the error about a malformed body that carries one.
    const malformed = await ts.api("POST", "/v1/users", `{"login":"dan","password": ${secrets[0]}}`);
    expectError(malformed, 400, "invalid");
    expect(JSON.stringify(malformed.body)).not.toContain(secrets[0]!.slice(0, 6));
    const garbage = await ts.api("PUT", "/v1/me/password", secrets[1]);
    expectError(garbage, 400, "invalid");
    expect(JSON.stringify(garbage.body)).not.toContain(secrets[1]!.slice(0, 6));

    const plain = [...secrets, session, apiToken, carlSession, OWNER_TOKEN];
    const files = () =>
      [ts.dbPath, `${ts.dbPath}-wal`].flatMap((path) => {
        try {
          return [{ path, bytes: readFileSync(path) }];
        } catch {
          return [];
        }
      });
    const check = () => {
      const found = files();
      expect(found.length).toBeGreaterThan(0);
      // The search works: what is meant to be stored is found.
      expect(found.some(({ bytes }) => bytes.includes(Buffer.from("carl@console.test")))).toBe(true);
      for (const { path, bytes } of found) {
        expect(bytes.length).toBeGreaterThan(0);
        for (const secret of plain)
          expect(bytes.includes(Buffer.from(secret)), `${secret} in ${path}`).toBe(false);
      }
    };
    check();
    // Hashed with scrypt.
    const hash = ts.running.service.store.passwordHash("bob");
    expect(hash).toMatch(/^scrypt\$/);
    await ts.close();
    consoles.splice(consoles.indexOf(ts), 1);
    check();
  });
});

describe("error bodies", () => {
  it("never carry a stack trace (checked over every response of this file)", () => {
    const errors = responses.filter((r) => r.status >= 400);
    expect(errors.length).toBeGreaterThan(40);
    for (const r of errors) {
      expect(r.text).toMatch(/"error":\{"code":"[a-z_]+","message":"[^"]+"/);
      expect(r.text).not.toMatch(/\bat .*\.(ts|js|mjs|cjs):\d+/);
      expect(r.text).not.toMatch(/\\n\s+at /);
      expect(r.text).not.toContain("node_modules");
      expect(r.text).not.toContain("/work/");
    }
  });
});

describe("framing", () => {
  it("sends each answer whole with its Content-Length, never in chunked encoding", async () => {
    const ts = await start();
    const created = await fetch(`${ts.url}/v1/groups`, {
      method: "POST",
      headers: { authorization: `Bearer ${OWNER_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "ops", description: "Zoë Ünal's team" }),
    });
    const refused = await fetch(`${ts.url}/v1/users/nobody`, {
      headers: { authorization: `Bearer ${OWNER_TOKEN}` },
    });
    for (const [response, status] of [
      [created, 201],
      [refused, 404],
    ] as const) {
      expect(response.status).toBe(status);
      const bytes = Buffer.from(await response.arrayBuffer());
      expect(bytes.length).toBeGreaterThan(0);
      expect(response.headers.get("content-length")).toBe(String(bytes.length));
      expect(response.headers.get("transfer-encoding")).toBeNull();
    }
    // And every other answer this file saw (a 204 carries neither a body nor a length).
    const framed = responses
      .filter((r) => r.status !== 204)
      .map((r) => ({
        status: r.status,
        headers: new Map(JSON.parse(r.text.split("\n", 1)[0]!) as [string, string][]),
      }));
    expect(framed.length).toBeGreaterThan(40);
    for (const { status, headers } of framed) {
      expect({ status, framing: headers.get("transfer-encoding") ?? headers.has("content-length") }).toEqual({
        status,
        framing: true,
      });
    }
  });
});
