/**
 * `npm run bench` (`npm run bench -- --quick`: 50 and 1,000 users only, 5 runs): plan at 50, 1,000 and
 * 10,000 users against `orgctl serve` over HTTP, each over its floor measured in the same run; start-up
 * ratios to `node -e ''`; apply's throughput against a plain client; removing 500 users in bulk against one
 * by one; files within the caps. Writes bench/out/report.json (one section per measurement, merged) and
 * bench/out/report.md. Targets are checked here, never in tests; a miss is reported, not hidden.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { measureApplyScheduler } from "./apply-scheduler.js";
import { bulkRemovalSection } from "./bulk-removal.js";
import { consoleLines, cpuMicros, runConsoleBench } from "./console.js";
import { CONCURRENCY, OWNER, populate, serve, TOKEN } from "./console-fixture.js";
import { fleetSection } from "./fleet.js";
import { generateOrg, orgYaml } from "./generate.js";
import { median } from "./paired.js";
import { planSection } from "./plan-floor.js";
import { round, type Section, target, targetsTable } from "./report.js";
import { startupSection } from "./startup.js";
import { timeApply } from "./time-apply.js";
import { runWithinCaps, WITHIN_CAPS_TARGET_MS } from "./within-caps.js";

// Compiled to dist/bench/bench/run.js.
const ROOT = join(import.meta.dirname, "..", "..", "..");
const CLI = join(ROOT, "dist", "cmd", "orgctl.js");
const FLOOR = join(import.meta.dirname, "floor-read.js");
const QUICK = process.argv.includes("--quick");
const SIZES = (process.env.BENCH_SIZES ?? (QUICK ? "50,1000" : "50,1000,10000")).split(",").map(Number);
const RUNS = Math.max(5, Number(process.env.BENCH_RUNS ?? (QUICK ? 5 : 7)));
/**
 * Start-up commands take 0.1–0.5 s and a noisy machine moves one run by tens of percent: three times the
 * pairs, so that the median stands still from one run of the bench to the next.
 */
const STARTUP_RUNS = RUNS * 3;

/** A plain client's create rate on a fresh console, and the console's CPU time per create (µs). */
async function rawSection(
  n: number,
  keyed: boolean,
): Promise<{ rate: number; cpuUs: number | null; clientCpuUs: number }> {
  const dir = mkdtempSync(join(tmpdir(), "orgctl-bench-raw-"));
  const server = await serve(CLI, dir);
  try {
    const before = cpuMicros(server.child.pid);
    const clientBefore = process.cpuUsage();
    const rate = await populate(server.url, n, keyed);
    const client = process.cpuUsage(clientBefore);
    const after = cpuMicros(server.child.pid);
    const creates = generateOrg(n).groups.length + n;
    return {
      rate,
      cpuUs: before === null || after === null ? null : (after - before) / creates,
      clientCpuUs: (client.user + client.system) / creates,
    };
  } finally {
    server.child.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Apply throughput: every step of orgctl apply against the same creates by a plain client, same parallelism,
 * each on a fresh console. Both count every create (groups and users) over the time they take, and both read
 * each answer as text. The plain client is measured twice: plain (the target's reference) and with an
 * Idempotency-Key on each request as apply sends, so that the console does the same work for both and what is
 * left is the client's. The console's CPU time per create of each run says which side the time went to.
 */
async function applySection(): Promise<Section> {
  const applyN = Number(process.env.BENCH_APPLY_USERS ?? 1000);
  const roundsWanted = Math.max(1, Number(process.env.BENCH_APPLY_ROUNDS ?? 3));
  // The plain client runs in this process: one unmeasured round first, so that it is compared warm (as it is
  // after the other sections of a full run), never slowed by its own first compilation.
  await rawSection(Math.min(applyN, 300), true);
  // One round moves by tens of percent on a noisy machine: the figure is the median round's.
  const rounds: ApplyRound[] = [];
  for (let r = 0; r < roundsWanted; r++) {
    const round = await applyRound(applyN);
    process.stderr.write(`bench: apply round ${r + 1}: ${round.ratio}× the plain client\n`);
    rounds.push(round);
  }
  const ratios = rounds.map((r) => r.ratio);
  const { steps, applyRate, plain, keyed, applyPhase } = [...rounds].sort((a, b) => a.ratio - b.ratio)[
    Math.floor(rounds.length / 2)
  ]!;
  const ratio = round(median(ratios), 2);
  const cpu = (value: number | null) => (value === null ? null : Math.round(value));
  // The console's CPU over the apply phase only, as the plain client's runs count their creates only.
  const applyCpu = applyPhase.consoleCpuUs === null ? null : Math.round(applyPhase.consoleCpuUs / steps);
  return {
    name: "apply",
    data: {
      users: applyN,
      steps,
      rounds: rounds.length,
      ratios,
      apply_per_s: round(applyRate),
      raw_per_s: round(plain.rate),
      raw_keyed_per_s: round(keyed.rate),
      apply_over_raw_keyed: round(applyRate / keyed.rate, 2),
      console_cpu_us_per_create: { apply: applyCpu, raw: cpu(plain.cpuUs), raw_keyed: cpu(keyed.cpuUs) },
      // The client's own CPU per create: apply's process over its apply phase, the plain client's (this
      // process) over its creates. With a core each, the side with more CPU per create bounds the rate.
      client_cpu_us_per_create: {
        apply: cpu(applyPhase.cpuUs === null ? null : applyPhase.cpuUs / steps),
        raw: cpu(plain.clientCpuUs),
        raw_keyed: cpu(keyed.clientCpuUs),
      },
      command_ms: round(applyPhase.wallMs),
    },
    targets: [target("apply_throughput_ratio", ratio, ">=", 0.9, `median of ${rounds.length} rounds`)],
    markdown: [
      `Apply, the median of ${rounds.length} rounds (apply / plain client: ${ratios.join(", ")}); that round: ${round(applyRate)} steps/s over the apply phase (${steps} steps; the whole command took ${round(applyPhase.wallMs)} ms) vs ${round(plain.rate)} creates/s by a plain client and ${round(keyed.rate)}/s by the plain client sending Idempotency-Keys, all ${CONCURRENCY} in flight. Console CPU per create: apply ${applyCpu ?? "–"} µs, plain ${cpu(plain.cpuUs) ?? "–"} µs, plain with keys ${cpu(keyed.cpuUs) ?? "–"} µs. Client CPU per create: apply ${cpu(applyPhase.cpuUs === null ? null : applyPhase.cpuUs / steps) ?? "–"} µs, plain ${cpu(plain.clientCpuUs)} µs.`,
    ],
  };
}

interface ApplyRound {
  steps: number;
  applyRate: number;
  ratio: number;
  plain: Awaited<ReturnType<typeof rawSection>>;
  keyed: Awaited<ReturnType<typeof rawSection>>;
  applyPhase: Awaited<ReturnType<typeof timeApply>>;
}

/** One round: the plain client, the plain client with keys, then apply, each on a fresh console. */
async function applyRound(applyN: number): Promise<ApplyRound> {
  const plain = await rawSection(applyN, false);
  const keyed = await rawSection(applyN, true);
  const applyDir = mkdtempSync(join(tmpdir(), "orgctl-bench-apply-"));
  const applyServer = await serve(CLI, applyDir);
  try {
    const org = generateOrg(applyN);
    const file = join(applyDir, "org.yaml");
    writeFileSync(file, orgYaml(org, OWNER, "bench"));
    const env = { ORGCTL_TOKEN: TOKEN };
    const planFile = join(applyDir, "plan.json");
    execFileSync(
      process.execPath,
      [CLI, "plan", "-f", file, "--endpoint", applyServer.url, "--out", planFile],
      { env: { ...process.env, ...env }, stdio: "ignore" },
    );
    const steps = (JSON.parse(readFileSync(planFile, "utf8")) as { steps: unknown[] }).steps.length;
    const applyPhase = await timeApply(
      CLI,
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
      applyServer.child.pid,
    );
    // The rate of the apply phase, from its first event to its summary, over its steps: process start, the
    // lock and the staleness check are fixed costs, not throughput.
    const applyRate = steps / (applyPhase.applyMs / 1000);
    return { steps, applyRate, ratio: round(applyRate / plain.rate, 2), plain, keyed, applyPhase };
  } finally {
    applyServer.child.kill("SIGTERM");
    rmSync(applyDir, { recursive: true, force: true });
  }
}

/** Hostile files within the caps: each refused or accepted by `orgctl validate` in under 2 s. */
function withinCapsSection(): Section {
  const cases = runWithinCaps(CLI);
  const slowest = cases.reduce((a, b) => (b.wall_ms > a.wall_ms ? b : a));
  return {
    name: "within_caps",
    data: { cases },
    targets: [
      {
        ...target("within_caps_slowest_ms", slowest.wall_ms, "<=", WITHIN_CAPS_TARGET_MS),
        met: cases.every((c) => c.met),
        note: slowest.name,
      },
    ],
    markdown: [
      `Files within the caps (\`orgctl validate\`, start-up included; each must finish in under ${WITHIN_CAPS_TARGET_MS} ms):`,
      "",
      "| file | bytes | exit | wall (ms) | CPU (ms) | `yaml` alone, CPU (ms) | met |",
      "|---|---:|---:|---:|---:|---:|:-:|",
      ...cases.map(
        (c) =>
          `| ${c.name} | ${c.bytes} | ${c.exit} | ${c.wall_ms} | ${c.cpu_ms} | ${c.yaml_ms ?? "–"} | ${c.met ? "yes" : "**no**"} |`,
      ),
    ],
  };
}

/**
 * The console's cost per request against the org size (bench/console.ts); BENCH_CONSOLE_BASELINE names
 * another build's dist/cmd/orgctl.js to compare against in the same run.
 */
async function consoleSection(): Promise<Section> {
  const report = await runConsoleBench();
  const { targets, ...data } = report;
  return {
    name: "console",
    data,
    targets: Object.entries(targets).map(([name, t]) => ({
      name,
      value: t.value,
      goal: t.target,
      met: t.met,
    })),
    markdown: consoleLines(report),
  };
}

/** Apply's scheduler CPU against an instant fake console: 10,000 steps against 1,000 (linear is about 10×). */
async function schedulerSection(): Promise<Section> {
  const scheduler = await measureApplyScheduler();
  return {
    name: "apply_scheduler",
    data: { ...scheduler },
    targets: [target("apply_scheduler_cpu_10k_over_1k", scheduler.ratio, "<=", 12)],
    markdown: [
      `Apply's scheduler against an instant fake console: ${scheduler.steps_1k_cpu_ms} ms of CPU for 1,000 steps, ${scheduler.steps_10k_cpu_ms} ms for 10,000 (${scheduler.ratio}×).`,
    ],
  };
}

async function main(): Promise<void> {
  const out = join(ROOT, "bench", "out");
  mkdirSync(out, { recursive: true });
  const machine = {
    cpus: cpus().length,
    cpu: cpus()[0]?.model ?? "unknown",
    memory_gb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    load_average_at_start: loadavg().map((l) => round(l, 2)),
    quick: QUICK,
  };
  const sections: Section[] = [];
  // BENCH_ONLY=apply,console runs only those sections (startup, plan, apply, bulk_removal, within_caps,
  // apply_scheduler, console, fleet), to look at one figure; the full report is a run without it.
  const only = process.env.BENCH_ONLY?.split(",");
  const wanted = (name: string, full: boolean) => (only ? only.includes(name) : !full || !QUICK);
  if (wanted("startup", false)) sections.push(startupSection(ROOT, CLI, STARTUP_RUNS));
  if (wanted("plan", false)) sections.push(await planSection(CLI, FLOOR, SIZES, RUNS));
  if (wanted("apply", true)) sections.push(await applySection());
  if (wanted("bulk_removal", true)) sections.push(await bulkRemovalSection(CLI));
  if (wanted("within_caps", true)) sections.push(withinCapsSection());
  if (wanted("apply_scheduler", false)) sections.push(await schedulerSection());
  if (wanted("console", true)) sections.push(await consoleSection());
  if (wanted("fleet", true)) sections.push(await fleetSection(CLI));
  const report: Record<string, unknown> = {
    machine: { ...machine, load_average_at_end: loadavg().map((l) => round(l, 2)) },
  };
  for (const section of sections) report[section.name] = { ...section.data, targets: section.targets };
  writeFileSync(join(out, "report.json"), `${JSON.stringify(report, null, 2)}\n`);
  const lines = [
    `Machine: ${machine.cpus} × ${machine.cpu}, ${machine.memory_gb} GB, Node ${machine.node}; load average ${machine.load_average_at_start.join(", ")} at start`,
    "",
    ...sections.flatMap((s) => [...s.markdown, ""]),
    ...targetsTable(sections.flatMap((s) => s.targets)),
  ];
  writeFileSync(join(out, "report.md"), `${lines.join("\n")}\n`);
  process.stdout.write(`${lines.join("\n")}\n`);
}

await main();
