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
import { consoleLines, runConsoleBench } from "./console.js";
import { CONCURRENCY, OWNER, populate, serve, TOKEN } from "./console-fixture.js";
import { generateOrg, orgYaml } from "./generate.js";
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

/** Apply throughput: creates by orgctl apply vs. the same creates by a plain client, same parallelism. */
async function applySection(): Promise<Section> {
  const applyN = Number(process.env.BENCH_APPLY_USERS ?? 1000);
  const rawDir = mkdtempSync(join(tmpdir(), "orgctl-bench-raw-"));
  const rawServer = await serve(CLI, rawDir);
  const rawRate = await populate(rawServer.url, applyN);
  rawServer.child.kill("SIGTERM");
  rmSync(rawDir, { recursive: true, force: true });
  const applyDir = mkdtempSync(join(tmpdir(), "orgctl-bench-apply-"));
  const applyServer = await serve(CLI, applyDir);
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
  );
  applyServer.child.kill("SIGTERM");
  rmSync(applyDir, { recursive: true, force: true });
  // The rate of the apply phase, from its first event to its summary, over the same creates: process start,
  // the lock and the staleness check are fixed costs, not throughput.
  const applyRate = applyN / (applyPhase.applyMs / 1000);
  const ratio = round(applyRate / rawRate, 2);
  return {
    name: "apply",
    data: {
      users: applyN,
      steps,
      apply_per_s: round(applyRate),
      raw_per_s: round(rawRate),
      command_ms: round(applyPhase.wallMs),
    },
    targets: [target("apply_throughput_ratio", ratio, ">=", 0.9)],
    markdown: [
      `Apply: ${round(applyRate)} creates/s over the apply phase (${steps} steps; the whole command took ${round(applyPhase.wallMs)} ms) vs ${round(rawRate)} creates/s by a plain client, both ${CONCURRENCY} in flight.`,
    ],
  };
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
      "| file | bytes | exit | wall (ms) | CPU (ms) | met |",
      "|---|---:|---:|---:|---:|:-:|",
      ...cases.map(
        (c) =>
          `| ${c.name} | ${c.bytes} | ${c.exit} | ${c.wall_ms} | ${c.cpu_ms} | ${c.met ? "yes" : "**no**"} |`,
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
  sections.push(startupSection(ROOT, CLI, RUNS));
  sections.push(await planSection(CLI, FLOOR, SIZES, RUNS));
  if (!QUICK) {
    sections.push(await applySection());
    sections.push(await bulkRemovalSection(CLI));
    sections.push(withinCapsSection());
  }
  sections.push(await schedulerSection());
  if (!QUICK) sections.push(await consoleSection());
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
