/**
 * The floor of a plan on this machine, as one process: Node's start-up, a minimal `node:http` read of every
 * page orgctl reads (the org, then the catalog, wallet and every list concurrently, then the org again) with
 * JSON.parse of each, and JSON.parse of the same desired state (as JSON). Nothing else: no retries, checks or
 * client library. Usage: node dist/bench/bench/floor-read.js ENDPOINT TOKEN DESIRED_JSON
 * Prints `{"requests": N}`.
 */
import { readFileSync } from "node:fs";
import { Agent, request } from "node:http";

const [endpoint, token, desiredFile] = process.argv.slice(2) as [string, string, string];
const agent = new Agent({ keepAlive: true, maxSockets: 8 });
let requests = 0;

function get<T>(path: string): Promise<T> {
  requests++;
  return new Promise((resolve, reject) => {
    const req = request(
      `${endpoint}${path}`,
      { agent, headers: { authorization: `Bearer ${token}`, accept: "application/json" } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          if (res.statusCode !== 200) reject(new Error(`${path}: ${res.statusCode}`));
          else resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")) as T);
        });
      },
    );
    req.on("error", reject);
    req.end();
  });
}

async function byOffset(path: string, total: number): Promise<unknown[]> {
  const offsets = Array.from({ length: Math.max(1, Math.ceil(total / 1000)) }, (_, i) => i * 1000);
  const pages = await Promise.all(
    offsets.map((offset) => get<{ items: unknown[] }>(`${path}?limit=1000&offset=${offset}`)),
  );
  return pages.flatMap((page) => page.items);
}

async function byCursor(path: string): Promise<unknown[]> {
  const items: unknown[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: unknown[]; next_cursor: string | null } = await get(
      `${path}?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
    );
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}

const desired = JSON.parse(readFileSync(desiredFile, "utf8")) as { users: unknown[] };
const org = await get<{ counts: { users: number; groups: number } }>("/v1/org");
const [, , users] = await Promise.all([
  get("/v1/catalog"),
  get("/v1/wallet?days=30"),
  byOffset("/v1/users", org.counts.users),
  byOffset("/v1/groups", org.counts.groups),
  byCursor("/v1/domains"),
  byCursor("/v1/addresses/retired"),
]);
await get("/v1/org");
agent.destroy();
if (users.length !== org.counts.users || desired.users.length === 0) throw new Error("incomplete read");
process.stdout.write(`${JSON.stringify({ requests })}\n`);
