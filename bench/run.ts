/**
 * `npm run bench`: plan and apply at 100, 1,000 and 10,000 users against `orgctl serve` over HTTP, start-up
 * time, and the apply/raw throughput ratio. Writes bench/out/report.json and bench/out/report.md.
 * Targets are checked here, never in tests; a miss is reported, not hidden.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Pool } from "undici";
import { consoleLines, runConsoleBench } from "./console.js";
import { BENCH_CATALOG, generateOrg, orgYaml } from "./generate.js";
import { runWithinCaps, WITHIN_CAPS_TARGET_MS } from "./within-caps.js";

// Compiled to dist/bench/bench/run.js.
const ROOT = join(import.meta.dirname, "..", "..", "..");
const CLI = join(ROOT, "dist", "cmd", "orgctl.js");
const WORKER = join(import.meta.dirname, "plan-worker.js");
const TOKEN = "oct_bench-owner-token-5Hs8dW1qZ6yB3nJ0";
const OWNER = { login: "owner", email: "owner@console.test" };
const SIZES = (process.env.BENCH_SIZES ?? "100,1000,10000").split(",").map(Number);
const CONCURRENCY = 4;

interface Server {
  url: string;
  child: ChildProcess;
}

async function serve(dir: string): Promise<Server> {
  const catalog = join(dir, "catalog.json");
  writeFileSync(catalog, JSON.stringify(BENCH_CATALOG));
  const child = spawn(
    process.execPath,
    [
      CLI,
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

/** A plain client: keep-alive pool, CONCURRENCY requests in flight, nothing else. */
async function rawCreate(url: string, bodies: { path: string; body: unknown }[]): Promise<number> {
  const pool = new Pool(url, { connections: CONCURRENCY });
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < bodies.length) {
        const item = bodies[next++]!;
        const response = await pool.request({
          method: "POST",
          path: item.path,
          headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
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

async function populate(url: string, n: number): Promise<number> {
  const org = generateOrg(n);
  await rawCreate(
    url,
    org.groups.map((g) => ({ path: "/v1/groups", body: g })),
  );
  return rawCreate(
    url,
    org.users.map((u) => ({ path: "/v1/users", body: u.aliases.length ? u : { ...u, aliases: undefined } })),
  );
}

function timeCommand(args: string[], env: Record<string, string> = {}): number {
  const started = performance.now();
  try {
    execFileSync(process.execPath, [CLI, ...args], {
      env: { ...process.env, NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(
      `orgctl ${args[0]} failed:\n${String(stdout ?? "").slice(-2000)}\n${String(stderr ?? "")}`,
    );
  }
  return performance.now() - started;
}

/** Runs `orgctl apply --format json` and times its events: the apply phase, and the whole command. */
async function timeApply(
  args: string[],
  env: Record<string, string>,
): Promise<{ applyMs: number; wallMs: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let first = 0;
  let last = 0;
  createInterface({ input: child.stdout! }).on("line", (line) => {
    const type = (JSON.parse(line) as { type: string }).type;
    if (type === "apply_started") first = performance.now();
    if (type === "summary") last = performance.now();
  });
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0 || !first || !last) throw new Error(`orgctl apply failed (exit ${code})`);
  return { applyMs: last - first, wallMs: performance.now() - started };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const round = (value: number) => Math.round(value * 10) / 10;

interface SizeResult {
  users: number;
  plan_wall_ms: number;
  read_calls: number;
  read_calls_limit: number;
  plan_cpu_ms: number;
  peak_rss_mb: number;
  steps: number;
}

async function main(): Promise<void> {
  execFileSync("npm", ["run", "build"], { cwd: ROOT, stdio: "ignore" });
  const out = join(ROOT, "bench", "out");
  mkdirSync(out, { recursive: true });
  const results: SizeResult[] = [];

  for (const n of SIZES) {
    const dir = mkdtempSync(join(tmpdir(), `orgctl-bench-${n}-`));
    const server = await serve(dir);
    try {
      await populate(server.url, n);
      // Desired = live plus about 1% change: new users and plan changes.
      const org = generateOrg(n);
      const changed = Math.max(1, Math.floor(n / 100));
      for (let i = 0; i < changed; i++) org.users[i * 3 + 2]!.plan = "pro";
      org.users.push(...generateOrg(changed, "new").users.map((u) => ({ ...u, role: "member" })));
      const file = join(dir, "org.yaml");
      writeFileSync(file, orgYaml(org, OWNER, "bench"));
      const env = { ORGCTL_TOKEN: TOKEN };
      const walls = [0, 1, 2].map(() => timeCommand(["plan", "-f", file, "--endpoint", server.url], env));
      const stats = JSON.parse(
        execFileSync(process.execPath, [WORKER, file, server.url, TOKEN], { encoding: "utf8" }),
      ) as Omit<SizeResult, "users" | "plan_wall_ms" | "read_calls_limit">;
      results.push({
        users: n,
        plan_wall_ms: round(median(walls)),
        read_calls: stats.read_calls,
        read_calls_limit: Math.ceil(n / 1000) + 10,
        plan_cpu_ms: stats.plan_cpu_ms,
        peak_rss_mb: stats.peak_rss_mb,
        steps: stats.steps,
      });
      process.stderr.write(`bench: ${n} users: ${JSON.stringify(results[results.length - 1])}\n`);
    } finally {
      server.child.kill("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    }
  }

  // Apply throughput: 1,000 creates by orgctl apply vs. the same creates by a plain client, same parallelism.
  const applyN = Number(process.env.BENCH_APPLY_USERS ?? 1000);
  const rawDir = mkdtempSync(join(tmpdir(), "orgctl-bench-raw-"));
  const rawServer = await serve(rawDir);
  const rawRate = await populate(rawServer.url, applyN);
  rawServer.child.kill("SIGTERM");
  rmSync(rawDir, { recursive: true, force: true });
  const applyDir = mkdtempSync(join(tmpdir(), "orgctl-bench-apply-"));
  const applyServer = await serve(applyDir);
  const org = generateOrg(applyN);
  const file = join(applyDir, "org.yaml");
  writeFileSync(file, orgYaml(org, OWNER, "bench"));
  const env = { ORGCTL_TOKEN: TOKEN };
  const planFile = join(applyDir, "plan.json");
  execFileSync(
    process.execPath,
    [CLI, "plan", "-f", file, "--endpoint", applyServer.url, "--out", planFile],
    {
      env: { ...process.env, ...env },
      stdio: "ignore",
    },
  );
  const steps = (JSON.parse((await import("node:fs")).readFileSync(planFile, "utf8")) as { steps: unknown[] })
    .steps.length;
  const applyPhase = await timeApply(
    [
      "apply",
      planFile,
      "--endpoint",
      applyServer.url,
      "--parallelism",
      String(CONCURRENCY),
      "--format",
      "json",
    ],
    env,
  );
  applyServer.child.kill("SIGTERM");
  rmSync(applyDir, { recursive: true, force: true });
  // The rate of the apply phase, from its first event to its summary, over the same 1,000 creates: process
  // start, the lock and the staleness check are fixed costs, not throughput.
  const applyRate = applyN / (applyPhase.applyMs / 1000);
  const applyMs = applyPhase.wallMs;

  const small = join(ROOT, "examples", "family", "org.yaml");
  const versionMs = median(Array.from({ length: 7 }, () => timeCommand(["--version"])));
  const validateMs = median(Array.from({ length: 7 }, () => timeCommand(["validate", "-f", small])));
  // Hostile files within the caps: each refused or accepted by `orgctl validate` in under 2 s.
  const withinCaps = runWithinCaps(CLI);
  const slowest = withinCaps.reduce((a, b) => (b.wall_ms > a.wall_ms ? b : a));

  // The console's cost per request against the org size (bench/console.ts); BENCH_CONSOLE_BASELINE names
  // another build's dist/cmd/orgctl.js to compare against in the same run.
  const consoleReport = await runConsoleBench();

  const byUsers = new Map(results.map((r) => [r.users, r]));
  const r1k = byUsers.get(1000);
  const r10k = byUsers.get(10000);
  const growth = r1k && r10k ? round(r10k.plan_cpu_ms / Math.max(0.1, r1k.plan_cpu_ms)) : null;
  const report = {
    machine: {
      cpus: cpus().length,
      cpu: cpus()[0]?.model ?? "unknown",
      memory_gb: Math.round(totalmem() / 2 ** 30),
      node: process.version,
    },
    sizes: results,
    targets: {
      plan_10k_wall_ms: {
        value: r10k?.plan_wall_ms ?? null,
        target: "<= 1500",
        met: r10k ? r10k.plan_wall_ms <= 1500 : null,
      },
      read_calls_10k: {
        value: r10k?.read_calls ?? null,
        target: `<= ${r10k?.read_calls_limit ?? "n/1000+10"}`,
        met: r10k ? r10k.read_calls <= r10k.read_calls_limit : null,
      },
      cpu_growth_1k_to_10k: { value: growth, target: "<= 12", met: growth === null ? null : growth <= 12 },
      apply_throughput_ratio: {
        value: round(applyRate / rawRate),
        target: ">= 0.7",
        met: applyRate / rawRate >= 0.7,
        apply_per_s: round(applyRate),
        raw_per_s: round(rawRate),
        steps,
      },
      version_startup_ms: { value: round(versionMs), target: "<= 150", met: versionMs <= 150 },
      validate_startup_ms: { value: round(validateMs), target: "<= 150", met: validateMs <= 150 },
      within_caps_slowest_ms: {
        value: slowest.wall_ms,
        target: `< ${WITHIN_CAPS_TARGET_MS}`,
        met: withinCaps.every((c) => c.met),
        file: slowest.name,
      },
      ...consoleReport.targets,
    },
    console: consoleReport,
    within_caps: withinCaps,
  };
  writeFileSync(join(out, "report.json"), `${JSON.stringify(report, null, 2)}\n`);
  const lines = [
    `Machine: ${report.machine.cpus} × ${report.machine.cpu}, ${report.machine.memory_gb} GB, Node ${report.machine.node}`,
    "",
    "| users | plan wall (ms) | read calls (limit) | diff + simulation CPU (ms) | peak RSS (MB) | steps |",
    "|---:|---:|---:|---:|---:|---:|",
    ...results.map(
      (r) =>
        `| ${r.users} | ${r.plan_wall_ms} | ${r.read_calls} (${r.read_calls_limit}) | ${r.plan_cpu_ms} | ${r.peak_rss_mb} | ${r.steps} |`,
    ),
    "",
    "| target | value | goal | met |",
    "|---|---:|---|:-:|",
    ...Object.entries(report.targets).map(
      ([name, t]) =>
        `| ${name} | ${t.value ?? "–"} | ${t.target} | ${t.met === null ? "–" : t.met ? "yes" : "**no**"} |`,
    ),
    "",
    `Files within the caps (\`orgctl validate\`, start-up included; each must finish in under ${WITHIN_CAPS_TARGET_MS} ms):`,
    "",
    "| file | bytes | exit | wall (ms) | CPU (ms) | met |",
    "|---|---:|---:|---:|---:|:-:|",
    ...withinCaps.map(
      (c) =>
        `| ${c.name} | ${c.bytes} | ${c.exit} | ${c.wall_ms} | ${c.cpu_ms} | ${c.met ? "yes" : "**no**"} |`,
    ),
    "",
    ...consoleLines(consoleReport),
    "",
    `Apply: ${report.targets.apply_throughput_ratio.apply_per_s} creates/s over the apply phase (${steps} steps; the whole command took ${round(applyMs)} ms) vs ${report.targets.apply_throughput_ratio.raw_per_s} creates/s by a plain client, both ${CONCURRENCY} in flight.`,
  ];
  writeFileSync(join(out, "report.md"), `${lines.join("\n")}\n`);
  process.stdout.write(`${lines.join("\n")}\n`);
}

await main();
