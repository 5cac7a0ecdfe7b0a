import type { Command } from "commander";
import { CliError } from "./errors.js";
import { checkOutPath, PLAN_OUT, writeOut } from "./files.js";
import {
  collectFiles,
  FLEET_HELP,
  type FleetFlags,
  fileOptionHelp,
  fleetParallelismOption,
  shardOption,
} from "./fleet/command.js";
import { inactiveDaysOption, parseInactiveDays } from "./inactive-days.js";
import { endpointOption, sandboxOption, type TargetFlags } from "./target.js";

export type Format = "text" | "json" | "markdown";

interface PlanFlags extends TargetFlags {
  file: string;
  shard?: string;
  parallelism?: string;
  out?: string;
  format: string;
  detailedExitcode?: boolean;
  force?: boolean;
  color?: boolean;
  inactiveDays: string;
}

export function useColor(flags: { color?: boolean }): boolean {
  if (flags.color === false || process.env.NO_COLOR !== undefined) return false;
  return Boolean(process.stdout.isTTY);
}

export function parseFormat(raw: string, allowed: Format[]): Format {
  if (!(allowed as string[]).includes(raw)) {
    throw new CliError("invalid_flag", `--format must be one of ${allowed.join(", ")} (got ${raw})`);
  }
  return raw as Format;
}

export const TARGET_HELP = `
Target: --endpoint URL (or ORGCTL_ENDPOINT) with ORGCTL_TOKEN; without one, the embedded sandbox console
in .orgctl/sandbox.db next to org.yaml (-f; created on first use; --sandbox FILE or ORGCTL_SANDBOX moves it).
When CI is set, name one: ORGCTL_ENDPOINT, or --sandbox FILE for a sandbox on purpose. Every output names
the console it used.`;

export function registerPlan(program: Command): void {
  const plan = program
    .command("plan")
    .description("show every change org.yaml makes, in run order, with its cost to the wallet")
    .option("-f, --file <file>", fileOptionHelp("the desired state"), collectFiles)
    .option("--out <planfile>", "also save the plan (JSON) for `orgctl apply PLANFILE`")
    .option("--format <format>", "text, json or markdown", "text")
    .option("--detailed-exitcode", "exit 2 when there are changes (0 = none, 1 = error)")
    .option("--force", "allow a plan that removes more users than policy.removal_threshold")
    .option("--no-color", "never colour the text output (also NO_COLOR)");
  inactiveDaysOption(plan)
    .addOption(endpointOption())
    .addOption(sandboxOption())
    .addOption(fleetParallelismOption())
    .addOption(shardOption())
    .addHelpText(
      "after",
      `
Seats to review: the text and Markdown plan end with the paid seats nobody has logged in to for
--inactive-days days and the invitations pending that long (not the users the plan deletes or re-plans),
with the yearly money downgrading or removing them would save (see orgctl users). It is read-only: no
step, no exit code, and not in the JSON plan or the plan file.
${TARGET_HELP}
${FLEET_HELP}

Exit codes:
  0  the plan is valid (with --detailed-exitcode: and there are no changes)
  1  error: invalid org.yaml, unreachable console, or a step the console would refuse
  2  with --detailed-exitcode: the plan is valid and has changes`,
    )
    .action(async (raw: FileFlags<PlanFlags>) => {
      const format = parseFormat(raw.format, ["text", "json", "markdown"]);
      const inactiveDays = parseInactiveDays(raw.inactiveDays);
      const color = useColor(raw);
      const flags = await singleOrFleet("plan", raw, format, color);
      if (flags === null) return;
      const { makePlan, render } = await import("./planning.js");
      const { renderJson } = await import("../render/json.js");
      const { hasChanges } = await import("../plan/model.js");
      const { seatReviewSection } = await import("./seat-sections.js");
      if (flags.out) checkOutPath(flags.out, PLAN_OUT);
      const planned = await makePlan(flags);
      const { plan } = planned;
      const review = format === "json" ? null : seatReviewSection(planned, inactiveDays);
      process.stdout.write(render(plan, format, color, "plan", review));
      if (flags.out) writeOut(flags.out, renderJson(plan), PLAN_OUT);
      if (plan.errors.length > 0) process.exitCode = 1;
      else if (flags.detailedExitcode && hasChanges(plan)) process.exitCode = 2;
      else process.exitCode = 0;
    });

  program
    .command("drift")
    .description("read-only report of how the console differs from org.yaml (for scheduled checks)")
    .option("-f, --file <file>", fileOptionHelp("the desired state"), collectFiles)
    .option("--format <format>", "text, json or markdown", "text")
    .option("--no-color", "never colour the text output (also NO_COLOR)")
    .addOption(endpointOption())
    .addOption(sandboxOption())
    .addOption(fleetParallelismOption())
    .addOption(shardOption())
    .addHelpText(
      "after",
      `${TARGET_HELP}
${FLEET_HELP}

With a token that may read the console's audit log (org_admin), each drifted record says who changed it
last, when, and through what (session or API token name). The report also lists each user's last login
and the pending invitations with when they were sent (JSON: facts.users): read-only facts, never drift.

Exit codes:
  0  in sync
  1  drift cannot be told: invalid org.yaml, unreachable console, refused token
  2  drift: the console differs from org.yaml (blocked steps and differences apply cannot revert included)`,
    )
    .action(async (raw: FileFlags<PlanFlags>) => {
      const format = parseFormat(raw.format, ["text", "json", "markdown"]);
      const color = useColor(raw);
      const flags = await singleOrFleet("drift", raw, format, color);
      if (flags === null) return;
      const { makePlan, render } = await import("./planning.js");
      const { activityFacts, activitySection } = await import("./seat-sections.js");
      const planned = await makePlan({ ...flags, force: true, attribute: true });
      const { plan, driftSteps } = planned;
      plan.facts = activityFacts(planned);
      const facts = format === "json" ? null : activitySection(planned);
      process.stdout.write(render(plan, format, color, "drift", facts));
      // A plan error is a difference too: one that apply cannot revert (a protected user's email, say).
      process.exitCode = driftSteps > 0 || plan.errors.length > 0 ? 2 : 0;
    });
}

/** The flags as commander gives them: `-f` collected (absent: org.yaml). */
export type FileFlags<T extends { file?: string }> = Omit<T, "file"> & { file?: string[] };

/**
 * One org file: the flags with it, for the single-organization command as before. A fleet (a directory, or
 * several -f): runs it (fleet/command.ts), sets the exit code and returns null.
 */
export async function singleOrFleet<T extends { file?: string }>(
  command: "plan" | "drift" | "apply",
  raw: FileFlags<T>,
  format: Format,
  color: boolean,
  planfile?: string,
): Promise<(T & { file: string }) | null> {
  const files = raw.file && raw.file.length > 0 ? raw.file : ["org.yaml"];
  const { fleetFiles } = await import("./fleet/discover.js");
  const fleet = planfile === undefined ? fleetFiles(files) : null;
  if (fleet === null) {
    if (files.length > 1) {
      throw new CliError("invalid_flag", "apply PLANFILE applies one saved plan: pass no -f with it");
    }
    if ((raw as { shard?: string }).shard !== undefined) {
      throw new CliError("invalid_flag", "--shard splits a fleet: pass a directory of org files (-f orgs/)");
    }
    return { ...raw, file: files[0]! } as unknown as T & { file: string };
  }
  const { runFleetCommand } = await import("./fleet/command.js");
  process.exitCode = await runFleetCommand(command, fleet, raw as unknown as FleetFlags, format, color);
  return null;
}
