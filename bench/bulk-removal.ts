/**
 * Removing 500 users (`BENCH_BULK_USERS`): `orgctl apply` of a plan that disables and deletes every generated
 * user, with bulk calls (the default `--bulk-size`) against one request per step (`--bulk-size 1`), in the
 * same run. Each pair runs one by one, then in bulk, each on a fresh console filled the same way; the figure
 * is the median of the pairs' ratios of the apply phase (first event to summary). The console's audit log
 * counts the requests that made the changes: the distinct idempotency keys its entries came with.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_BULK_SIZE } from "../src/apply/defaults.js";
import { CONCURRENCY, OWNER, populate, serve, TOKEN } from "./console-fixture.js";
import { generateOrg, orgDocument } from "./generate.js";
import { round, type Section, target } from "./report.js";
import { timeApply } from "./time-apply.js";

const USERS = Number(process.env.BENCH_BULK_USERS ?? 500);
const PAIRS = Math.max(1, Number(process.env.BENCH_BULK_PAIRS ?? 3));

interface Removal {
  applyMs: number;
  steps: number;
  /** Requests that changed something, as the console's audit log counts them. */
  requests: number;
}

/** Fills a fresh console with USERS users, plans their removal and applies it with `bulkSize`. */
async function removeAll(cli: string, bulkSize: number): Promise<Removal> {
  const dir = mkdtempSync(join(tmpdir(), "orgctl-bench-bulk-"));
  const server = await serve(cli, dir);
  try {
    await populate(server.url, USERS);
    const org = generateOrg(USERS);
    const desired = {
      ...orgDocument({ users: [], groups: org.groups }, OWNER, "bench"),
      policy: { removed_users: "delete", removal_threshold: { percent: 100, min_users: 0 } },
    };
    // JSON is YAML: org.yaml as JSON keeps this bench free of a YAML writer's choices.
    const file = join(dir, "org.yaml");
    writeFileSync(file, JSON.stringify(desired));
    const env = { ORGCTL_TOKEN: TOKEN };
    const planFile = join(dir, "plan.json");
    execFileSync(process.execPath, [cli, "plan", "-f", file, "--endpoint", server.url, "--out", planFile], {
      env: { ...process.env, ...env },
      stdio: "ignore",
    });
    const steps = (JSON.parse(readFileSync(planFile, "utf8")) as { steps: unknown[] }).steps.length;
    if (steps !== 2 * USERS) throw new Error(`the removal plan has ${steps} steps, not ${2 * USERS}`);
    const timed = await timeApply(
      cli,
      [
        "apply",
        planFile,
        "--endpoint",
        server.url,
        "--parallelism",
        String(CONCURRENCY),
        "--bulk-size",
        String(bulkSize),
        "--format",
        "json",
      ],
      env,
    );
    return { applyMs: timed.applyMs, steps, requests: await changeRequests(server.url) };
  } finally {
    server.child.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The distinct idempotency keys of the audit log's disable and delete entries: one per request. */
async function changeRequests(url: string): Promise<number> {
  const keys = new Set<string>();
  for (const action of ["disable_user", "delete_user"]) {
    let cursor: string | null = null;
    do {
      const query: string = `action=${action}&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const response = await fetch(`${url}/v1/audit?${query}`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      if (!response.ok) throw new Error(`GET /v1/audit: ${response.status}`);
      const page = (await response.json()) as {
        items: { outcome: string; idempotency_key: string | null }[];
        next_cursor: string | null;
      };
      for (const entry of page.items) {
        if (entry.outcome === "ok" && entry.idempotency_key) keys.add(entry.idempotency_key);
      }
      cursor = page.next_cursor;
    } while (cursor);
  }
  return keys.size;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

export async function bulkRemovalSection(cli: string): Promise<Section> {
  const pairs: { one: Removal; bulk: Removal }[] = [];
  for (let i = 0; i < PAIRS; i++) {
    const one = await removeAll(cli, 1);
    const bulk = await removeAll(cli, DEFAULT_BULK_SIZE);
    pairs.push({ one, bulk });
  }
  const ratios = pairs.map((p) => p.one.applyMs / p.bulk.applyMs);
  const ratio = round(median(ratios), 2);
  const oneMs = round(median(pairs.map((p) => p.one.applyMs)));
  const bulkMs = round(median(pairs.map((p) => p.bulk.applyMs)));
  const { one, bulk } = pairs[0]!;
  return {
    name: "bulk_removal",
    data: {
      users: USERS,
      steps: one.steps,
      bulk_size: DEFAULT_BULK_SIZE,
      parallelism: CONCURRENCY,
      pairs: PAIRS,
      one_by_one_ms: oneMs,
      bulk_ms: bulkMs,
      one_by_one_requests: one.requests,
      bulk_requests: bulk.requests,
      ratios: ratios.map((r) => round(r, 2)),
    },
    targets: [target("bulk_removal_one_by_one_over_bulk", ratio, ">=", 3)],
    markdown: [
      `Removing ${USERS} users (${one.steps} steps: disable, then delete): ${oneMs} ms one by one (${one.requests} requests, \`--bulk-size 1\`) vs ${bulkMs} ms in bulk (${bulk.requests} requests, \`--bulk-size ${DEFAULT_BULK_SIZE}\`), ${CONCURRENCY} in flight; one by one / bulk = ${ratio}× (median of ${PAIRS} pairs: ${ratios.map((r) => round(r, 2)).join(", ")}).`,
    ],
  };
}
