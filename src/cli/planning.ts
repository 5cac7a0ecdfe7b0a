import type { LiveSnapshot } from "../client/console-client.js";
import { checkConfig } from "../config/check.js";
import type { LoadedConfig } from "../config/load.js";
import { ConfigInvalidError, type ConfigIssue } from "../config/model.js";
import { buildPlan } from "../plan/build.js";
import { liveView } from "../plan/live.js";
import type { Plan } from "../plan/model.js";
import { renderJson } from "../render/json.js";
import { renderMarkdown } from "../render/markdown.js";
import { renderText } from "../render/text.js";
import { loadCheckedAsync, lookupPendingTxt, sourceOf } from "./config-io.js";
import type { Format } from "./plan.js";
import { openTarget, refuseImplicitSandboxInCi, type Target, type TargetFlags } from "./target.js";

export function render(plan: Plan, format: Format, color: boolean): string {
  if (format === "json") return renderJson(plan);
  if (format === "markdown") return renderMarkdown(plan);
  return renderText(plan, { color });
}

/** Reads the live console and makes the plan for org.yaml. Shared by plan, drift and apply. */
export async function makePlan(
  flags: TargetFlags & { file: string; force?: boolean },
): Promise<{ plan: Plan; driftSteps: number }> {
  if (flags.endpoint ?? process.env.ORGCTL_ENDPOINT) {
    // A remote console needs nothing from the file to be read: parse and read at the same time.
    const loading = loadCheckedAsync(flags.file, null);
    // Settled below; this only keeps an early rejection from being reported as unhandled meanwhile.
    loading.catch(() => {});
    let target: Target;
    try {
      target = await openTarget(flags, null);
    } catch (error) {
      // A broken file is reported before an unreachable console: it is the first thing to fix.
      await loading;
      throw error;
    }
    try {
      const [loaded, snapshot] = await Promise.allSettled([loading, target.client.readLive()]);
      if (loaded.status === "rejected") throw loaded.reason;
      if (snapshot.status === "rejected") throw snapshot.reason;
      return await planFrom(loaded.value.config, loaded.value.warnings, snapshot.value, target.label, flags);
    } finally {
      await target.close();
    }
  }
  // The sandbox is created from the file, so the file comes first. Plan names and limits are checked
  // against the live catalog once it is read.
  refuseImplicitSandboxInCi(flags);
  const { config, warnings } = await loadCheckedAsync(flags.file, null);
  const target = await openTarget(flags, config);
  try {
    return await planAgainst(target, config, warnings, flags);
  } finally {
    await target.close();
  }
}

/** Makes the plan against an open target (apply holds the lock on it meanwhile). */
export async function planAgainst(
  target: Target,
  config: LoadedConfig,
  warnings: ConfigIssue[],
  flags: { file: string; force?: boolean },
): Promise<{ plan: Plan; driftSteps: number }> {
  return planFrom(config, warnings, await target.client.readLive(), target.label, flags);
}

async function planFrom(
  config: LoadedConfig,
  warnings: ConfigIssue[],
  snapshot: LiveSnapshot,
  target: string,
  flags: { file: string; force?: boolean },
): Promise<{ plan: Plan; driftSteps: number }> {
  const live = liveView(snapshot);
  // The live catalog is the truth for plan names and limits.
  const liveIssues = checkConfig(config, live.state.catalog).filter((i) => i.severity === "error");
  if (liveIssues.length > 0) throw new ConfigInvalidError(liveIssues);
  const verifiedTxt = await lookupPendingTxt(config, live.state);
  const plan = buildPlan(config.desired, live, {
    configFile: flags.file,
    target,
    configHash: config.hash,
    verifiedTxt,
    force: Boolean(flags.force),
    source: sourceOf(config),
  });
  for (const warning of warnings) {
    plan.warnings.push({
      code: warning.code,
      message: warning.message,
      source: `${warning.file}:${warning.line}:${warning.col}`,
    });
  }
  // Every difference is drift, whether the plan can carry it out, must wait for DNS, or would be refused.
  const driftSteps =
    plan.steps.length + plan.blocked.length + plan.errors.filter((e) => e.step_id !== undefined).length;
  return { plan, driftSteps };
}
