/**
 * SIGKILL durability of the built `orgctl serve`: a burst of concurrent mutations, the process killed in the
 * middle, and the SQLite file must still be consistent (balance = ledger sum, no half-created users), serve
 * the same revision after a restart, and replay or redo every interrupted request exactly once.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ConsoleStore } from "../../src/console/store.js";
import { warmUpContract } from "../support/api-contract.js";
import { type ApiResponse, callApi, REPO, type ServeProcess, spawnServe } from "../support/console.js";

const CLI = join(REPO, "dist", "cmd", "orgctl.js");
const PRICES: Record<string, number> = { free: 0, entry: 4200, pro: 9000, ultra: 30000 };

let dir: string;
const children: ServeProcess[] = [];

beforeAll(() => {
  if (!existsSync(CLI)) execFileSync("npm", ["run", "build"], { cwd: REPO, stdio: "inherit" });
  dir = mkdtempSync(join(tmpdir(), "orgctl-durability-"));
  // Checking responses against the API description compiles validators on first use; done mid-burst, that
  // pause would let every request finish before the kill.
  warmUpContract();
}, 300_000);

afterEach(async () => {
  for (const serve of children.splice(0)) {
    if (serve.child.exitCode === null && serve.child.signalCode === null) {
      serve.child.kill("SIGKILL");
      await serve.exited;
    }
  }
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function serve(dbPath: string): Promise<ServeProcess> {
  const child = await spawnServe(dbPath, { ORGCTL_BALANCE_CENTS: "10000000", ORGCTL_ORG_PLAN: "ultra" });
  children.push(child);
  return child;
}

interface Request {
  method: string;
  path: string;
  body: unknown;
  key: string;
}

/** A mixed burst: paid and free creates (some with passwords), top-ups, plan changes of earlier users. */
function burst(iteration: number, earlier: string[]): Request[] {
  const requests: Request[] = [];
  const plans = ["entry", "pro", "ultra"];
  for (let i = 0; i < 20; i++) {
    const paid = `p${iteration}-${i}`;
    requests.push({
      method: "POST",
      path: "/v1/users",
      key: `create-${paid}`,
      body: {
        login: paid,
        email: `${paid}@console.test`,
        first_name: "Paid",
        last_name: `User ${i}`,
        plan: plans[i % 3],
        role: "member",
        ...(i % 4 === 0 ? { password: `password of ${paid}` } : {}),
        aliases: [`${paid}.alias@console.test`],
      },
    });
    if (i % 2 === 0) {
      const free = `f${iteration}-${i}`;
      requests.push({
        method: "POST",
        path: "/v1/users",
        key: `create-${free}`,
        body: {
          login: free,
          email: `${free}@console.test`,
          first_name: "Free",
          last_name: `User ${i}`,
          plan: "free",
          role: "member",
        },
      });
    }
    requests.push({
      method: "POST",
      path: "/v1/wallet/top-ups",
      key: `top-up-${iteration}-${i}`,
      body: { amount_cents: 1000 + i, method: "test" },
    });
    const target = earlier[i % Math.max(1, earlier.length)];
    if (target) {
      requests.push({
        method: "PUT",
        path: `/v1/users/${target}/plan`,
        key: `plan-${iteration}-${i}-${target}`,
        body: { plan: plans[(i + iteration + 1) % 3] },
      });
    }
  }
  return requests;
}

function send(url: string, request: Request): Promise<ApiResponse | Error> {
  return callApi(url, request.method, request.path, request.body, undefined, {
    "idempotency-key": request.key,
  }).catch((error: Error) => error);
}

async function allPages(url: string, path: string): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  let cursor: string | null = null;
  do {
    const res = await callApi(url, "GET", `${path}?limit=1000${cursor ? `&cursor=${cursor}` : ""}`);
    expect(res.status).toBe(200);
    items.push(...res.body.items);
    cursor = res.body.next_cursor;
  } while (cursor);
  return items;
}

describe("SIGKILL durability", () => {
  it("stays consistent when killed at several points of a burst", async () => {
    const dbPath = join(dir, "console.db");
    const killAfter = [1, 7, 25];
    let earlier: string[] = [];
    for (const [iteration, threshold] of killAfter.entries()) {
      const server = await serve(dbPath);
      const requests = burst(iteration, earlier);
      let answered = 0;
      let killed!: () => void;
      const killTime = new Promise<void>((resolve) => {
        killed = resolve;
      });
      // Fire them all at once, without awaiting: the kill lands while some are in flight.
      const inflight = requests.map((request) =>
        send(server.url, request).then((result) => {
          answered += 1;
          if (answered >= threshold) killed();
          return result;
        }),
      );
      await killTime;
      server.child.kill("SIGKILL");
      expect(await server.exited).toBeNull();
      const results = await Promise.all(inflight);
      // The kill landed mid-burst: some requests were answered, others never were.
      expect(results.filter((r) => !(r instanceof Error)).length).toBeGreaterThanOrEqual(threshold);
      expect(results.some((r) => r instanceof Error)).toBe(true);

      // 1. The file on its own is consistent.
      const store = new ConsoleStore(dbPath);
      expect(store.checkConsistency()).toEqual([]);
      const state = store.load();
      const revision = state.org.revision;
      const ledger = store.db.prepare("SELECT * FROM ledger ORDER BY id").all() as Array<{
        amount_cents: number;
        reason: string;
        login: string | null;
        plan: string | null;
        idempotency_key: string | null;
        balance_after_cents: number;
      }>;
      expect(ledger.reduce((sum, e) => sum + e.amount_cents, 0)).toBe(state.balance);
      expect(ledger.at(-1)!.balance_after_cents).toBe(state.balance);
      // No charge without its user, no paid user without its charge.
      for (const entry of ledger.filter((e) => e.reason === "user_created")) {
        expect(state.users.has(entry.login!), `charge for missing ${entry.login}`).toBe(true);
        expect(entry.amount_cents).toBe(-PRICES[entry.plan!]!);
      }
      for (const user of state.users.values()) {
        if (!/^p\d+-\d+$/.test(user.login)) continue;
        expect(ledger.filter((e) => e.reason === "user_created" && e.login === user.login)).toHaveLength(1);
      }
      // Every ledger entry of a keyed request belongs to a stored idempotent response.
      const keys = new Set(
        (store.db.prepare("SELECT key FROM idempotency").all() as Array<{ key: string }>).map((r) => r.key),
      );
      for (const entry of ledger)
        if (entry.idempotency_key) expect(keys.has(entry.idempotency_key)).toBe(true);
      store.close();

      // 2. A restart serves exactly what the file holds.
      const restarted = await serve(dbPath);
      const org = await callApi(restarted.url, "GET", "/v1/org");
      expect(org.status).toBe(200);
      expect(org.body.revision).toBe(revision);
      expect(org.headers.get("etag")).toBe(`"${revision}"`);
      const users = await allPages(restarted.url, "/v1/users");
      expect(users.map((u) => u.login)).toEqual([...state.users.keys()].sort());
      const db = new Database(dbPath, { readonly: true });
      const addresses = new Map(
        (
          db.prepare("SELECT address, login, kind FROM addresses").all() as Array<{
            address: string;
            login: string;
            kind: string;
          }>
        ).map((a) => [a.address, a]),
      );
      db.close();
      for (const user of users) {
        expect(addresses.get(user.email as string)).toEqual({
          address: user.email,
          login: user.login,
          kind: "email",
        });
        for (const alias of user.aliases as string[]) {
          expect(addresses.get(alias)).toEqual({ address: alias, login: user.login, kind: "alias" });
        }
      }
      const owned = [...addresses.values()].filter((a) => a.kind !== "retired");
      expect(owned.length).toBe(users.reduce((n, u) => n + 1 + (u.aliases as string[]).length, 0));
      const wallet = await callApi(restarted.url, "GET", "/v1/wallet");
      expect(wallet.body.balance_cents).toBe(state.balance);

      // 3. Retrying every interrupted request with its key lands each exactly once.
      for (const request of requests) {
        const res = await send(restarted.url, request);
        expect(res).not.toBeInstanceOf(Error);
        const status = (res as ApiResponse).status;
        if (
          request.path === "/v1/wallet/top-ups" ||
          /^p/.test(String((request.body as { login?: string }).login))
        ) {
          expect(
            status,
            `${request.method} ${request.path} ${JSON.stringify((res as ApiResponse).body)}`,
          ).toBe(201);
        }
      }
      const after = await allPages(restarted.url, "/v1/wallet/ledger");
      for (const request of requests.filter((r) => r.path !== "/v1/users" || /^create-p/.test(r.key))) {
        if (request.method === "PUT") continue;
        expect(
          after.filter((e) => e.idempotency_key === request.key),
          request.key,
        ).toHaveLength(1);
      }
      const finalWallet = await callApi(restarted.url, "GET", "/v1/wallet");
      expect(after.reduce((sum, e) => sum + (e.amount_cents as number), 0)).toBe(
        finalWallet.body.balance_cents,
      );
      earlier = (await allPages(restarted.url, "/v1/users"))
        .map((u) => u.login as string)
        .filter((login) => /^p/.test(login));
      restarted.child.kill("SIGTERM");
      await restarted.exited;
    }
    const final = new ConsoleStore(dbPath);
    expect(final.checkConsistency()).toEqual([]);
    expect(final.load().users.size).toBe(1 + 3 * 20 + 10);
    final.close();
  }, 180_000);
});
