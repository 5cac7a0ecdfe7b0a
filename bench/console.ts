/**
 * The console's cost per request against the size of the organization: PATCH of a user at 1,000 and 10,000
 * users, reading pages of 1,000 users at 10,000, and creating users with everyone in one group against no
 * groups. Every figure is a rate with CLIENTS requests in flight over keep-alive connections, and every
 * target is a ratio of two rates measured in the same run.
 *
 * The organizations are seeded once, in this process, through the console service (the rule engine and the
 * store, without HTTP), then each server starts on its own copy of the database. With
 * BENCH_CONSOLE_BASELINE=<path to another build's dist/cmd/orgctl.js> the same databases are also served by
 * that build, measured in turn with this one, so "x times faster than before" is a ratio of the same run.
 *
 * Run alone: `npm run build && tsc -p tsconfig.bench.json && node dist/bench/bench/console.js`;
 * BENCH_CONSOLE_ONLY=patch_1k,patch_10k picks scenarios, BENCH_CONSOLE_SECONDS and BENCH_CONSOLE_ROUNDS size them.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Pool } from "undici";
import { ConsoleService } from "../src/console/service.js";
import type { Catalog, NewUser } from "../src/domain/index.js";
import { BENCH_CATALOG, generateOrg } from "./generate.js";

// Compiled to dist/bench/bench/console.js.
const ROOT = join(import.meta.dirname, "..", "..", "..");
const CLI = join(ROOT, "dist", "cmd", "orgctl.js");
const TOKEN = "oct_bench-console-token-Qm4rT8vX2nL6pK0w";
const NOW = "2026-03-01T12:00:00Z";
export const CLIENTS = 8;
const SECONDS = Number(process.env.BENCH_CONSOLE_SECONDS ?? 3);
/** Each figure is the median of this many rounds; the rounds of every build and scenario take turns. */
const ROUNDS = Number(process.env.BENCH_CONSOLE_ROUNDS ?? 3);
const WARM_UP_SECONDS = 0.5;
const PAGE = 1000;
/** GET /v1/users pages at a 10,000-user org, 8 clients, on main when issue 11 was filed ("today's"). */
export const ISSUE_PAGE_RATE = 92;

export type Seed = "org1k" | "org10k" | "noGroups10k" | "oneGroup10k";

/** Seeds a console database through the service: the same rules and writes as over HTTP, minus HTTP. */
export async function seed(path: string, kind: Seed): Promise<void> {
  const clock = () => new Date(NOW);
  const { service } = await ConsoleService.open(path, clock, {
    orgName: "Bench Org",
    orgPlan: "bench",
    ownerLogin: "owner",
    ownerEmail: "owner@console.test",
    ownerFirstName: "Org",
    ownerLastName: "Owner",
    ownerPlan: "pro",
    balanceCents: 900_000_000,
    providerDomain: "console.test",
    verifier: "auto",
    catalog: BENCH_CATALOG as Catalog,
    token: TOKEN,
  });
  const system = { kind: "system" as const };
  const none = () => ({ status: 204, body: null });
  const n = kind === "org1k" ? 1000 : 10_000;
  const org = generateOrg(n);
  const groups =
    kind === "oneGroup10k"
      ? [{ name: "everyone", description: "Everyone" }]
      : kind === "noGroups10k"
        ? []
        : org.groups;
  for (const group of groups) await service.mutate(system, { op: "create_group", ...group }, none);
  for (const user of org.users) {
    const member: NewUser = {
      ...user,
      role: user.role as NewUser["role"],
      groups: kind === "oneGroup10k" ? ["everyone"] : kind === "noGroups10k" ? [] : user.groups,
    };
    await service.mutate(system, { op: "create_user", user: member }, none);
  }
  service.close();
}

interface Server {
  url: string;
  child: ChildProcess;
}

async function serve(cli: string, db: string): Promise<Server> {
  // BENCH_SERVE_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" profiles each server (NODE_OPTIONS refuses --cpu-prof).
  const nodeArgs = process.env.BENCH_SERVE_NODE_ARGS?.split(" ").filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, cli, "serve", "--db", db, "--port", "0"], {
    env: { ...process.env, ORGCTL_NOW: NOW },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const match = /listening on (\S+)/.exec(line);
      if (match) resolve(match[1]!);
    });
    child.once("exit", (code) => reject(new Error(`serve exited ${code}`)));
  });
  return { url, child };
}

interface Request {
  method: "GET" | "PATCH" | "POST";
  path: string;
  body?: unknown;
}

/**
 * The server's CPU time so far (user + system, µs) from /proc, or null where there is none. On a loaded
 * machine the rate follows the share of the CPU the server got; its CPU time per request does not.
 */
export function cpuMicros(pid: number | undefined): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return null;
  }
}

/**
 * Requests per second with CLIENTS in flight for SECONDS, after a warm-up that is not counted, and the server's
 * CPU time per counted request (µs).
 */
async function rate(
  url: string,
  next: (i: number) => Request,
  warmUps = 1,
  pid?: number,
): Promise<{ rate: number; cpuPerRequest: number | null }> {
  const pool = new Pool(url, { connections: CLIENTS, pipelining: 1 });
  let issued = 0;
  let counted = 0;
  let counting = false;
  let stop = false;
  const headers = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
  const send = async (request: Request) => {
    const response = await pool.request({
      method: request.method,
      path: request.path,
      headers,
      ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
    });
    // Bytes, not text: the figure is the console's, and decoding 400 KB pages would make it the client's.
    const bytes = Buffer.from(await response.body.arrayBuffer());
    if (response.statusCode >= 300)
      throw new Error(
        `${request.method} ${request.path}: ${response.statusCode} ${bytes.toString().slice(0, 300)}`,
      );
  };
  const client = async () => {
    while (!stop) {
      await send(next(issued++));
      if (counting && !stop) counted++;
    }
  };
  // Requests alone first: what a console does once (loading its validators, serializing a user it has not
  // sent before) is not a rate.
  for (let i = 0; i < warmUps; i++) await send(next(issued++));
  const running = Promise.all(Array.from({ length: CLIENTS }, client));
  await new Promise((resolve) => setTimeout(resolve, WARM_UP_SECONDS * 1000));
  counting = true;
  const cpuBefore = cpuMicros(pid);
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  stop = true;
  const seconds = (performance.now() - started) / 1000;
  const cpuAfter = cpuMicros(pid);
  const measured = counted;
  await running;
  await pool.close();
  return {
    rate: measured / seconds,
    cpuPerRequest:
      cpuBefore === null || cpuAfter === null || measured === 0 ? null : (cpuAfter - cpuBefore) / measured,
  };
}

const login = (i: number, n: number) => `u${String(i % n).padStart(6, "0")}`;

const SCENARIOS: { name: string; seed: Seed; next: (i: number) => Request; warmUps?: number }[] = [
  {
    name: "patch_1k",
    seed: "org1k",
    next: (i) => ({
      method: "PATCH",
      path: `/v1/users/${login(i * 7919, 1000)}`,
      body: { first_name: `F${i}` },
    }),
  },
  {
    name: "patch_10k",
    seed: "org10k",
    next: (i) => ({
      method: "PATCH",
      path: `/v1/users/${login(i * 7919, 10_000)}`,
      body: { first_name: `F${i}` },
    }),
  },
  {
    name: "users_page_10k",
    seed: "org10k",
    next: (i) => ({ method: "GET", path: `/v1/users?limit=${PAGE}&offset=${(i % 10) * PAGE}` }),
    // Every page once: the rate is of reading an organization that did not change since it was last read.
    warmUps: 10,
  },
  {
    name: "create_no_groups_10k",
    seed: "noGroups10k",
    next: (i) => ({ method: "POST", path: "/v1/users", body: newUser(i, []) }),
  },
  {
    name: "create_one_group_10k",
    seed: "oneGroup10k",
    next: (i) => ({ method: "POST", path: "/v1/users", body: newUser(i, ["everyone"]) }),
  },
];

function newUser(i: number, groups: string[]) {
  const login = `n${String(i).padStart(7, "0")}`;
  return {
    login,
    email: `${login}@console.test`,
    first_name: "New",
    last_name: `User${i}`,
    plan: "entry",
    role: "member",
    ...(groups.length ? { groups } : {}),
  };
}

export type ConsoleRates = Record<string, number>;

export interface ConsoleReport {
  clients: number;
  seconds: number;
  rounds: number;
  page_size: number;
  /** Requests per second of this build. */
  rates: ConsoleRates;
  /**
   * The server's CPU time per request (µs, median of the rounds): on a loaded machine the rates follow the
   * CPU share the server got, this does not.
   */
  cpu_us_per_request: ConsoleRates;
  /** The targets' ratios computed from CPU per request instead of rates (inverted: higher is better). */
  cpu_ratios: Record<string, number | null>;
  /** The same, served by the build named by BENCH_CONSOLE_BASELINE, in the same run. */
  baseline: ConsoleRates | null;
  baseline_cpu_us_per_request: ConsoleRates | null;
  /** What the page-rate target is measured against. */
  page_rate_baseline: string;
  targets: Record<string, { value: number | null; target: string; met: boolean | null }>;
}

const round = (value: number) => Math.round(value * 100) / 100;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function runConsoleBench(
  baselineCli = process.env.BENCH_CONSOLE_BASELINE,
): Promise<ConsoleReport> {
  const dir = mkdtempSync(join(tmpdir(), "orgctl-bench-console-"));
  try {
    const seeds = new Map<Seed, string>();
    const only = process.env.BENCH_CONSOLE_ONLY?.split(",");
    const scenarios = SCENARIOS.filter((s) => !only || only.includes(s.name));
    const needed = new Set(scenarios.map((s) => s.seed));
    for (const kind of needed) {
      const path = join(dir, `${kind}.db`);
      await seed(path, kind);
      seeds.set(kind, path);
      process.stderr.write(`bench console: seeded ${kind}\n`);
    }
    const builds: [string, string][] = [["this", CLI]];
    if (baselineCli) builds.push(["baseline", baselineCli]);
    const samples = new Map<string, number[]>();
    const cpuSamples = new Map<string, number[]>();
    let copy = 0;
    // Every scenario runs on every build in turn, each time on a fresh copy of the same database, and the
    // rounds repeat the whole sequence: a machine that slows down mid-run slows every figure alike.
    for (let r = 0; r < ROUNDS; r++) {
      for (const scenario of scenarios) {
        for (const [build, cli] of builds) {
          const db = join(dir, `run-${copy++}.db`);
          copyFileSync(seeds.get(scenario.seed)!, db);
          const server = await serve(cli, db);
          let value: number;
          let cpu: number | null;
          try {
            ({ rate: value, cpuPerRequest: cpu } = await rate(
              server.url,
              scenario.next,
              scenario.warmUps,
              server.child.pid,
            ));
          } finally {
            server.child.kill("SIGTERM");
            await new Promise((resolve) => server.child.once("exit", resolve));
            rmSync(db, { force: true });
          }
          const key = `${build} ${scenario.name}`;
          samples.set(key, [...(samples.get(key) ?? []), value]);
          if (cpu !== null) cpuSamples.set(key, [...(cpuSamples.get(key) ?? []), cpu]);
          process.stderr.write(
            `bench console: round ${r + 1} ${key} ${round(value)}/s, ${cpu === null ? "–" : Math.round(cpu)} µs CPU/request\n`,
          );
        }
      }
    }
    const rates: Record<string, ConsoleRates> = { this: {}, baseline: {} };
    for (const [key, values] of samples) {
      const [build, name] = key.split(" ") as [string, string];
      rates[build]![name] = round(median(values));
    }
    const cpuOf: Record<string, ConsoleRates> = { this: {}, baseline: {} };
    for (const [key, values] of cpuSamples) {
      const [build, name] = key.split(" ") as [string, string];
      cpuOf[build]![name] = Math.round(median(values));
    }
    const cpu = cpuOf.this!;
    const mine = rates.this!;
    const before = baselineCli ? rates.baseline! : null;
    const ratio = (a: number | undefined, b: number | undefined) =>
      a === undefined || b === undefined || b === 0 ? null : round(a / b);
    const patch = ratio(mine.patch_10k, mine.patch_1k);
    // Against a baseline build measured in this run when one is given, else against the rate issue 11
    // measured on main before this work (same 2-core machine, quiet): an absolute figure from another day.
    const pages = ratio(mine.users_page_10k, before?.users_page_10k ?? ISSUE_PAGE_RATE);
    const creates = ratio(mine.create_one_group_10k, mine.create_no_groups_10k);
    return {
      clients: CLIENTS,
      seconds: SECONDS,
      rounds: ROUNDS,
      page_size: PAGE,
      rates: mine,
      cpu_us_per_request: cpu,
      cpu_ratios: {
        patch_10k_over_1k: ratio(cpu.patch_1k, cpu.patch_10k),
        create_one_group_over_no_groups: ratio(cpu.create_no_groups_10k, cpu.create_one_group_10k),
      },
      baseline: before,
      baseline_cpu_us_per_request: baselineCli ? cpuOf.baseline! : null,
      page_rate_baseline: before?.users_page_10k
        ? `users_page_10k of the baseline build (${baselineCli})`
        : `issue 11's ${ISSUE_PAGE_RATE} pages/s (main before this work, quiet 2-core machine; not this run)`,
      targets: {
        console_patch_10k_over_1k: {
          value: patch,
          target: ">= 0.8",
          met: patch === null ? null : patch >= 0.8,
        },
        console_users_page_10k_over_baseline: {
          value: pages,
          target: ">= 3.0",
          met: pages === null ? null : pages >= 3,
        },
        console_create_one_group_over_no_groups: {
          value: creates,
          target: ">= 0.8",
          met: creates === null ? null : creates >= 0.8,
        },
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The report's lines for report.md. */
export function consoleLines(report: ConsoleReport): string[] {
  const names = Object.keys(report.rates);
  return [
    `Console, ${report.clients} clients in flight, median of ${report.rounds} rounds of ${report.seconds} s, pages of ${report.page_size} users (requests/s):`,
    "",
    `| work | this build | server CPU per request (µs) |${report.baseline ? " baseline | this / baseline |" : ""}`,
    `|---|---:|---:|${report.baseline ? "---:|---:|" : ""}`,
    ...names.map((name) => {
      const mine = report.rates[name]!;
      const before = report.baseline?.[name];
      return `| ${name} | ${mine} | ${report.cpu_us_per_request[name] ?? "–"} |${report.baseline ? ` ${before ?? "–"} | ${before ? round(mine / before) : "–"} |` : ""}`;
    }),
    "",
    `The page-rate target is against ${report.page_rate_baseline}.`,
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const report = await runConsoleBench();
  const out = join(ROOT, "bench", "out");
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "console.json"), `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${consoleLines(report).join("\n")}\n\n${JSON.stringify(report.targets, null, 2)}\n`);
}
