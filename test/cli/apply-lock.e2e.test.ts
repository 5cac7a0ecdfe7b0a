import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request as httpRequest, type Server } from "node:http";
import { hostname, tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type RunningConsole, startConsole } from "../../src/console/server.js";
import { DEFAULT_BOOTSTRAP } from "../../src/console/service.js";
import { CLI, type CliResult, ensureBuilt, hasStackTrace, runCli } from "../support/cli.js";
import { type ApiResponse, callApi, OWNER_TOKEN, OWNER_USER_YAML } from "../support/console.js";

/**
 * Two applies at once: the console's apply lock lets one through and makes the other fail or wait. The
 * console runs in-process like startTestConsole's, with an access log, so that the test sees each attempt the
 * waiting apply makes to take the lock (POST /v1/lock answered 423) and acts on it, not on guessed timings.
 */

const ORG_YAML = `version: 1
organization:
  name: Example Org
  plan: pro
groups:
  - name: staff
users:
${OWNER_USER_YAML}    groups: [staff]
  - login: dana
    first_name: Dana
    last_name: Lee
    email: dana@console.test
    plan: free
    groups: [staff]
`;

/** The console's clock is pinned, so a lease taken now says it is held since then. */
const SINCE = "2026-03-01T12:00:00.000Z";

/**
 * A pass-through proxy to `target` that, for the requests `drop` picks, lets the console answer (and commit)
 * and then cuts the connection instead of passing the answer on: a lost answer, as on a real network.
 */
async function startLossyProxy(
  target: string,
  drop: (method: string, path: string) => boolean,
): Promise<{ url: string; dropped: string[]; close(): Promise<void> }> {
  const dropped: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", target);
      const upstream = httpRequest(
        url,
        { method: req.method, headers: { ...req.headers, host: url.host } },
        (answer) => {
          const body: Buffer[] = [];
          answer.on("data", (chunk: Buffer) => body.push(chunk));
          answer.on("end", () => {
            if (drop(req.method ?? "", url.pathname)) {
              dropped.push(`${req.method} ${url.pathname} ${answer.statusCode}`);
              req.socket.destroy();
              return;
            }
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            res.end(Buffer.concat(body));
          });
        },
      );
      upstream.on("error", () => req.socket.destroy());
      upstream.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("no port");
  return {
    url: `http://127.0.0.1:${address.port}`,
    dropped,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe("orgctl apply and the console's apply lock", () => {
  let server: RunningConsole;
  let dir: string;
  /** Times (ms since epoch) of refused attempts to take the lock, as the console saw them. */
  let refusals: number[] = [];
  let onRefusal: (count: number) => void = () => {};
  let run = 0;

  const api = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    callApi(server.url, method, path, body, OWNER_TOKEN, headers);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "orgctl-apply-lock-"));
    server = await startConsole({
      dbPath: join(dir, "console.db"),
      host: "127.0.0.1",
      port: 0,
      clock: () => new Date("2026-03-01T12:00:00Z"),
      bootstrap: { ...DEFAULT_BOOTSTRAP, verifier: "auto", balanceCents: 91_000, token: OWNER_TOKEN },
      accessLog: (line) => {
        if (line.startsWith("POST /v1/lock 423 ")) {
          refusals.push(Date.now());
          onRefusal(refusals.length);
        }
      },
    });
  });
  afterAll(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    // A test that failed half-way may have left its lease behind; its id was that test's secret.
    server.service.store.releaseLock();
    // Each test applies a file with one more group, so that every apply has something to do.
    run += 1;
    writeFileSync(
      join(dir, "org.yaml"),
      `${ORG_YAML.replace("groups:\n", `groups:\n  - name: run-${run}\n`)}`,
    );
    refusals = [];
    onRefusal = () => {};
  });

  const apply = async (args: string[] = []): Promise<CliResult> => {
    const result = await runCli(
      ["apply", "-f", "org.yaml", "--auto-approve", "--endpoint", server.url, ...args],
      {
        cwd: dir,
        env: { ORGCTL_TOKEN: OWNER_TOKEN },
      },
    );
    expect(hasStackTrace(result.stderr), result.stderr).toBe(false);
    return result;
  };

  async function takeLock(): Promise<string> {
    const res = await api("POST", "/v1/lock", { holder: "other apply", ttl_seconds: 60 });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.lock_id as string;
  }

  function release(lockId: string): Promise<ApiResponse> {
    return api("DELETE", "/v1/lock", undefined, { "x-lock-id": lockId });
  }

  const revision = async () => (await api("GET", "/v1/org")).body.revision as number;
  const groupExists = async () => (await api("GET", `/v1/groups/run-${run}`)).status === 200;

  it("fails at once with `locked`, naming the holder and since when, and changes nothing", async () => {
    const lockId = await takeLock();
    const before = await revision();
    const result = await apply();
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(result.stderr).toContain("locked");
    expect(result.stderr).toContain(`held by other apply since ${SINCE}`);
    expect(result.stderr).toContain("--lock-timeout");
    expect(refusals).toHaveLength(1);
    expect(await revision()).toBe(before);
    expect(await groupExists()).toBe(false);
    // The other holder's lease is untouched.
    const held = await api("GET", "/v1/lock");
    expect(held.body).toMatchObject({ held: true, lock: { holder: "other apply", since: SINCE } });
    expect((await release(lockId)).status).toBe(204);
  });

  it("with --lock-timeout 2s and the lock held throughout: retries for the whole 2 s, then fails", async () => {
    const lockId = await takeLock();
    const result = await apply(["--lock-timeout", "2s"]);
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(result.stderr).toContain(`held by other apply since ${SINCE}`);
    expect(result.stderr).toContain("waited 2s (--lock-timeout) and it is still held");
    expect(result.stderr).not.toContain("pass --lock-timeout");
    // Attempts at 0, 0.5 s, 1.5 s and, the next backoff step being past the deadline, at the deadline itself.
    expect(refusals.length).toBeGreaterThanOrEqual(4);
    expect(refusals[refusals.length - 1]! - refusals[0]!).toBeGreaterThanOrEqual(1700);
    expect(refusals[refusals.length - 1]! - refusals[0]!).toBeLessThan(4000);
    expect(await groupExists()).toBe(false);
    expect((await release(lockId)).status).toBe(204);
  });

  it("with --lock-timeout 3s, waits for a lock released after 1 s, then applies and releases it", async () => {
    const lockId = await takeLock();
    const before = await revision();
    const running = apply(["--lock-timeout", "3s"]);
    // Wait until the apply has been refused once, then 1 s more.
    await new Promise<void>((resolve) => {
      onRefusal = () => resolve();
    });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    // Still waiting: nothing changed while the other holder had the lock.
    expect(await revision()).toBe(before);
    expect(refusals.length).toBeGreaterThanOrEqual(2);
    expect((await release(lockId)).status).toBe(204);
    const result = await running;
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain("Apply done:");
    expect(await groupExists()).toBe(true);
    expect((await api("GET", "/v1/lock")).body).toEqual({ held: false });
    const plan = await runCli(["plan", "-f", "org.yaml", "--detailed-exitcode", "--endpoint", server.url], {
      cwd: dir,
      env: { ORGCTL_TOKEN: OWNER_TOKEN },
    });
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
  });

  it("never takes over a lease held under the same name by someone else (e.g. same user, host and pid elsewhere)", async () => {
    // The console treats an acquire with the holder of the current lease as that holder's own retry. Here a
    // lease is taken under exactly the name this apply would give, just after it starts, before it asks.
    ensureBuilt();
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env)) {
      if (value !== undefined && !key.toUpperCase().startsWith("ORGCTL_")) env[key] = value;
    }
    const child = spawn(
      process.execPath,
      [CLI, "apply", "-f", "org.yaml", "--auto-approve", "--endpoint", server.url],
      {
        cwd: dir,
        env: { ...env, NO_COLOR: "1", ORGCTL_TOKEN: OWNER_TOKEN },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout.resume();
    const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
    let user = "unknown";
    try {
      user = userInfo().username;
    } catch {
      // No user database entry: orgctl says "unknown" too.
    }
    const twin = `orgctl apply by ${user}@${hostname()} (pid ${child.pid})`;
    const taken = await api("POST", "/v1/lock", { holder: twin, ttl_seconds: 60 });
    expect(taken.status, JSON.stringify(taken.body)).toBe(201);
    const code = await exited;
    expect(code, stderr).toBe(1);
    expect(stderr).toContain("locked");
    expect(await groupExists()).toBe(false);
    const held = await api("GET", "/v1/lock");
    expect(held.body).toMatchObject({ held: true, lock: { holder: twin, since: taken.body.since } });
    expect((await api("DELETE", "/v1/lock", undefined, { "x-lock-id": taken.body.lock_id })).status).toBe(
      204,
    );
  });

  it("survives a lost answer to its lock request: retries, finds its own lease, applies and releases it", async () => {
    let first = true;
    const proxy = await startLossyProxy(server.url, (method, path) => {
      if (method !== "POST" || path !== "/v1/lock" || !first) return false;
      first = false;
      return true;
    });
    try {
      const result = await runCli(["apply", "-f", "org.yaml", "--auto-approve", "--endpoint", proxy.url], {
        cwd: dir,
        env: { ORGCTL_TOKEN: OWNER_TOKEN },
      });
      // The console did grant the lease whose answer was lost.
      expect(proxy.dropped).toEqual(["POST /v1/lock 201"]);
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toContain("Apply done:");
      expect(await groupExists()).toBe(true);
      // And it was given back: the next apply is not locked out by a lease nobody knows of.
      expect((await api("GET", "/v1/lock")).body).toEqual({ held: false });
    } finally {
      await proxy.close();
    }
  });

  it("survives a lost answer to a step: the retry is replayed by the console, charged once", async () => {
    writeFileSync(
      join(dir, "org.yaml"),
      `${ORG_YAML}  - login: lou\n    first_name: Lou\n    last_name: Lost\n    email: lou@console.test\n    plan: entry\n`,
    );
    let first = true;
    const proxy = await startLossyProxy(server.url, (method, path) => {
      if (method !== "POST" || path !== "/v1/users" || !first) return false;
      first = false;
      return true;
    });
    try {
      const result = await runCli(
        ["apply", "-f", "org.yaml", "--auto-approve", "--format", "json", "--endpoint", proxy.url],
        { cwd: dir, env: { ORGCTL_TOKEN: OWNER_TOKEN } },
      );
      expect(proxy.dropped).toEqual(["POST /v1/users 201"]);
      expect(result.code, result.stdout + result.stderr).toBe(0);
      const events = result.stdout
        .split("\n")
        .filter((line) => line.trim() !== "")
        .map(
          (line) => JSON.parse(line) as { type: string; id?: string; replayed?: boolean; plan_id?: string },
        );
      const lou = events.find((e) => e.type === "step_done" && e.id === "user/lou:create_user");
      expect(lou).toMatchObject({ amount_cents: -4200, replayed: true });
      const ledger = (await api("GET", "/v1/wallet/ledger?limit=1000")).body.items as Array<{
        reason: string;
        login: string | null;
        idempotency_key: string | null;
      }>;
      const charges = ledger.filter((e) => e.reason === "user_created" && e.login === "lou");
      expect(charges).toHaveLength(1);
      expect(charges[0]!.idempotency_key).toBe(`orgctl:${events[0]!.plan_id}:user/lou:create_user`);
      expect((await api("GET", "/v1/lock")).body).toEqual({ held: false });
    } finally {
      await proxy.close();
    }
  });

  it("with --lock-timeout 2s, still takes a lock released just before the deadline", async () => {
    // Attempts at 0, 0.5 s and 1.5 s are refused; the lock is free from then on, well before the 2 s are up.
    const lockId = await takeLock();
    const released = new Promise<ApiResponse>((resolve) => {
      onRefusal = (count) => {
        if (count === 3) resolve(release(lockId));
      };
    });
    const result = await apply(["--lock-timeout", "2s"]);
    expect((await released).status).toBe(204);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(refusals).toHaveLength(3);
    expect(await groupExists()).toBe(true);
    expect((await api("GET", "/v1/lock")).body).toEqual({ held: false });
  });
});
