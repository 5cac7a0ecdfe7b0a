/**
 * `plan` against `orgctl serve` at N users, cold (a fresh process each time, no cache), over its floor
 * measured in the same run. Floor = one process that starts Node, reads every page orgctl reads with a
 * minimal node:http client and JSON.parse, and JSON.parses the same desired state (as JSON); plus the diff &
 * simulation CPU that this very orgctl run reports (ORGCTL_TIMING). Each orgctl run is paired with a floor
 * run, and plan_over_floor is the median of the pairs' ratios.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OWNER, populate, serve, TOKEN } from "./console-fixture.js";
import { generateOrg, orgDocument, orgYaml } from "./generate.js";
import { checked, median, paired, type Run } from "./paired.js";
import { round, type Section, type Target, target } from "./report.js";

interface Timing {
  plan_cpu_ms: number;
  requests: number;
  max_rss_mb: number;
  load_ms?: number;
  read_ms?: number;
}

/** The `orgctl timing: {...}` line that ORGCTL_TIMING=1 writes to stderr. */
function timingOf(run: Run): Timing {
  const line = run.stderr.split("\n").find((l) => l.startsWith("orgctl timing: "));
  if (!line) throw new Error(`orgctl wrote no timing line:\n${run.stderr.slice(-2000)}`);
  return JSON.parse(line.slice("orgctl timing: ".length)) as Timing;
}

/** `Plan: 3 to create, 1 to update, 0 to delete, 0 to replace.` → 4 */
function stepsOf(run: Run): number {
  const match = /^Plan: (\d+) to create, (\d+) to update, (\d+) to delete, (\d+) to replace/m.exec(
    run.stdout,
  );
  return match ? match.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
}

const GOALS: Record<number, number> = { 50: 2.5, 1000: 2.0, 10000: 2.0 };
const RSS_GOAL_MB = 200;

export interface PlanSize {
  users: number;
  runs: number;
  plan_wall_ms: number;
  floor_process_ms: number;
  plan_cpu_ms: number;
  floor_ms: number;
  plan_over_floor: number;
  plan_over_floor_min: number;
  plan_over_floor_max: number;
  load_ms: number | null;
  read_ms: number | null;
  read_calls: number;
  read_calls_limit: number;
  peak_rss_mb: number;
  steps: number;
}

async function measureSize(cli: string, floorScript: string, n: number, runs: number): Promise<PlanSize> {
  const dir = mkdtempSync(join(tmpdir(), `orgctl-bench-${n}-`));
  const server = await serve(cli, dir);
  try {
    await populate(server.url, n);
    // Desired = live plus about 1% change: new users and plan changes.
    const org = generateOrg(n);
    const changed = Math.max(1, Math.floor(n / 100));
    for (let i = 0; i < changed; i++) org.users[i * 3 + 2]!.plan = "pro";
    org.users.push(...generateOrg(changed, "new").users.map((u) => ({ ...u, role: "member" })));
    const work = join(dir, "config");
    mkdirSync(work);
    const file = join(work, "org.yaml");
    writeFileSync(file, orgYaml(org, OWNER, "bench"));
    const desiredJson = join(dir, "desired.json");
    writeFileSync(desiredJson, JSON.stringify(orgDocument(org, OWNER, "bench")));
    const cacheHome = join(dir, "cache-home");
    const pairs = paired(
      {
        argv: [process.execPath, cli, "plan", "-f", file, "--endpoint", server.url],
        env: { ORGCTL_TOKEN: TOKEN, ORGCTL_TIMING: "1", XDG_CACHE_HOME: cacheHome },
        cwd: work,
        // Cold: nothing orgctl may have kept from the previous run, next to org.yaml or in the cache home.
        prepare: () => {
          rmSync(join(work, ".orgctl"), { recursive: true, force: true });
          rmSync(cacheHome, { recursive: true, force: true });
        },
      },
      { argv: [process.execPath, floorScript, server.url, TOKEN, desiredJson] },
      runs,
      1,
      (run, which) => checked(run, which === "a" ? `orgctl plan (${n} users)` : `the floor (${n} users)`),
    );
    const timings = pairs.a.map(timingOf);
    const floors = pairs.b.map((run, i) => run.wallMs + timings[i]!.plan_cpu_ms);
    const ratios = pairs.a.map((run, i) => run.wallMs / floors[i]!);
    const optional = (values: (number | undefined)[]) =>
      values.every((v) => v !== undefined) ? round(median(values as number[])) : null;
    return {
      users: n,
      runs,
      plan_wall_ms: round(median(pairs.a.map((r) => r.wallMs))),
      floor_process_ms: round(median(pairs.b.map((r) => r.wallMs))),
      plan_cpu_ms: round(median(timings.map((t) => t.plan_cpu_ms))),
      floor_ms: round(median(floors)),
      plan_over_floor: round(median(ratios), 2),
      plan_over_floor_min: round(Math.min(...ratios), 2),
      plan_over_floor_max: round(Math.max(...ratios), 2),
      load_ms: optional(timings.map((t) => t.load_ms)),
      read_ms: optional(timings.map((t) => t.read_ms)),
      read_calls: Math.max(...timings.map((t) => t.requests)),
      read_calls_limit: Math.ceil(n / 1000) + 10,
      peak_rss_mb: Math.max(...timings.map((t) => t.max_rss_mb)),
      steps: stepsOf(pairs.a[0]!),
    };
  } finally {
    server.child.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function planSection(
  cli: string,
  floorScript: string,
  sizes: number[],
  runs: number,
): Promise<Section> {
  const results: PlanSize[] = [];
  for (const n of sizes) {
    results.push(await measureSize(cli, floorScript, n, runs));
    process.stderr.write(`bench: plan ${n} users: ${JSON.stringify(results.at(-1))}\n`);
  }
  const at = (n: number) => results.find((r) => r.users === n) ?? null;
  const targets: Target[] = [];
  for (const n of [50, 1000, 10000]) {
    const r = at(n);
    targets.push(
      target(
        `plan_over_floor_${n}`,
        r?.plan_over_floor ?? null,
        "<=",
        GOALS[n]!,
        r ? undefined : "size not run (--quick or BENCH_SIZES)",
      ),
    );
  }
  const r10k = at(10000);
  targets.push(target("plan_10k_peak_rss_mb", r10k?.peak_rss_mb ?? null, "<=", RSS_GOAL_MB));
  targets.push(
    target(
      "read_calls_10k",
      r10k?.read_calls ?? null,
      "<=",
      r10k?.read_calls_limit ?? Math.ceil(10000 / 1000) + 10,
    ),
  );
  const r1k = at(1000);
  const growth = r1k && r10k ? round(r10k.plan_cpu_ms / Math.max(0.1, r1k.plan_cpu_ms)) : null;
  targets.push(target("plan_cpu_growth_1k_to_10k", growth, "<=", 12));
  return {
    name: "plan",
    data: { sizes: results },
    targets,
    markdown: [
      `Plan, cold (a fresh process each run), against \`orgctl serve\` on this machine; medians of ${runs} runs, each paired with a floor run:`,
      "",
      "| users | plan wall (ms) | floor (ms) | plan / floor (min–max) | floor process (ms) | diff + simulation CPU (ms) | load (ms) | read (ms) | read calls (limit) | peak RSS (MB) | steps |",
      "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
      ...results.map(
        (r) =>
          `| ${r.users} | ${r.plan_wall_ms} | ${r.floor_ms} | ${r.plan_over_floor}× (${r.plan_over_floor_min}–${r.plan_over_floor_max}) | ${r.floor_process_ms} | ${r.plan_cpu_ms} | ${r.load_ms ?? "–"} | ${r.read_ms ?? "–"} | ${r.read_calls} (${r.read_calls_limit}) | ${r.peak_rss_mb} | ${r.steps} |`,
      ),
    ],
  };
}
