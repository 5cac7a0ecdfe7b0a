/** `orgctl serve` as a separate process with the bench catalog, and a plain client that fills it. */
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Pool } from "undici";
import { BENCH_CATALOG, generateOrg } from "./generate.js";

export const TOKEN = "oct_bench-owner-token-5Hs8dW1qZ6yB3nJ0";
export const OWNER = { login: "owner", email: "owner@console.test" };
export const CONCURRENCY = 4;

export interface Server {
  url: string;
  child: ChildProcess;
}

export async function serve(cli: string, dir: string, extraArgs: string[] = []): Promise<Server> {
  const catalog = join(dir, "catalog.json");
  writeFileSync(catalog, JSON.stringify(BENCH_CATALOG));
  // BENCH_SERVE_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" profiles the server.
  const nodeArgs = process.env.BENCH_SERVE_NODE_ARGS?.split(" ").filter(Boolean) ?? [];
  const child = spawn(
    process.execPath,
    [
      ...nodeArgs,
      cli,
      "serve",
      "--db",
      join(dir, "console.db"),
      "--port",
      "0",
      "--catalog",
      catalog,
      "--org-plan",
      "bench",
      "--balance-cents",
      "900000000",
      ...extraArgs,
    ],
    {
      env: {
        ...process.env,
        ORGCTL_BOOTSTRAP_TOKEN: TOKEN,
        ORGCTL_OWNER_LOGIN: OWNER.login,
        ORGCTL_OWNER_EMAIL: OWNER.email,
        ORGCTL_NOW: "2026-03-01T12:00:00Z",
        ORGCTL_ORG_NAME: "Bench Org",
      },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const match = /listening on (\S+)/.exec(line);
      if (match) resolve(match[1]!);
    });
    child.once("exit", (code) => reject(new Error(`serve exited ${code}`)));
  });
  return { url, child };
}

/**
 * A plain client: keep-alive pool, CONCURRENCY requests in flight, each answer read as text (as apply reads
 * it) and nothing else. With `keyed`, each request carries an Idempotency-Key as apply's do, so the console
 * does the same work for both. Returns creates per second.
 */
export async function rawCreate(
  url: string,
  bodies: { path: string; body: unknown }[],
  keyed = false,
): Promise<number> {
  const pool = new Pool(url, { connections: CONCURRENCY });
  const run = Math.random().toString(36).slice(2);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < bodies.length) {
        const index = next++;
        const item = bodies[index]!;
        const response = await pool.request({
          method: "POST",
          path: item.path,
          headers: {
            authorization: `Bearer ${TOKEN}`,
            "content-type": "application/json",
            ...(keyed ? { "idempotency-key": `bench-${run}-${index}` } : {}),
          },
          body: JSON.stringify(item.body),
        });
        const text = await response.body.text();
        if (response.statusCode >= 300) throw new Error(`${item.path}: ${response.statusCode} ${text}`);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  return bodies.length / seconds;
}

/**
 * Creates the generated organization of `n` users (groups first); returns the rate of every create, groups
 * included, as apply's rate counts every step.
 */
export async function populate(url: string, n: number, keyed = false): Promise<number> {
  const org = generateOrg(n);
  const groups = org.groups.map((g) => ({ path: "/v1/groups", body: g }));
  const users = org.users.map((u) => ({
    path: "/v1/users",
    body: u.aliases.length ? u : { ...u, aliases: undefined },
  }));
  const groupRate = await rawCreate(url, groups, keyed);
  const userRate = await rawCreate(url, users, keyed);
  return (groups.length + users.length) / (groups.length / groupRate + users.length / userRate);
}
