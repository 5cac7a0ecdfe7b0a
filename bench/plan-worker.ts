/**
 * Runs one plan in this process and reports what the CLI cannot: read calls, the CPU time of diff +
 * simulation alone, and peak RSS. Usage: node dist/bench/plan-worker.js ORG_YAML ENDPOINT TOKEN
 */
import { loadChecked } from "../src/cli/config-io.js";
import { ConsoleClient } from "../src/client/console-client.js";
import { buildPlan } from "../src/plan/build.js";
import { liveView } from "../src/plan/live.js";

const [file, endpoint, token] = process.argv.slice(2) as [string, string, string];
const { config } = loadChecked(file, null);
const client = new ConsoleClient({ endpoint, token });
const snapshot = await client.readLive();
const live = liveView(snapshot);
const cpu = process.cpuUsage();
const started = performance.now();
const plan = buildPlan(config.desired, live, {
  configFile: file,
  configHash: config.hash,
  target: client.endpoint,
});
const used = process.cpuUsage(cpu);
const cpuMs = (used.user + used.system) / 1000;
const wallMs = performance.now() - started;
await client.close();
process.stdout.write(
  `${JSON.stringify({
    read_calls: client.requestCount,
    plan_cpu_ms: Math.round(cpuMs * 10) / 10,
    plan_wall_ms: Math.round(wallMs * 10) / 10,
    steps: plan.steps.length,
    errors: plan.errors.length,
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
  })}\n`,
);
