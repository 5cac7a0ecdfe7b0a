import type { Command } from "commander";
import { DEFAULT_BULK_SIZE, DEFAULT_PARALLELISM } from "../apply/defaults.js";
import {
  collectFiles,
  DEFAULT_FLEET_PARALLELISM,
  FLEET_HELP,
  fileOptionHelp,
  shardOption,
} from "./fleet/command.js";
import { type FileFlags, parseFormat, singleOrFleet, TARGET_HELP, useColor } from "./plan.js";
import { endpointOption, sandboxOption, type TargetFlags } from "./target.js";

interface ApplyFlags extends TargetFlags {
  file?: string;
  autoApprove?: boolean;
  parallelism?: string;
  bulkSize: string;
  lockTimeout: string;
  format: string;
  force?: boolean;
  color?: boolean;
  shard?: string;
}

export function registerApply(program: Command): void {
  program
    .command("apply")
    .description(
      "make the changes: from org.yaml (plans, shows, asks) or from a saved plan file (exactly that plan)",
    )
    .argument("[planfile]", "a plan saved with `orgctl plan --out`; applied as is, without a prompt")
    .option(
      "-f, --file <file>",
      fileOptionHelp("the desired state (when no plan file is given)"),
      collectFiles,
    )
    .option(
      "--auto-approve",
      "do not ask for confirmation (required without a terminal, and in CI: when CI is set)",
    )
    .option(
      "--parallelism <n>",
      `independent steps run at the same time (default ${DEFAULT_PARALLELISM}); in a fleet: organizations at the same time (default ${DEFAULT_FLEET_PARALLELISM}), each running ${DEFAULT_PARALLELISM} steps at a time`,
    )
    .option(
      "--bulk-size <n>",
      "up to n ready disables or deletes go to the console in one bulk call (1 to 1000; 1 = one request each)",
      String(DEFAULT_BULK_SIZE),
    )
    .option(
      "--lock-timeout <duration>",
      "wait this long for the console's apply lock (e.g. 30s, 5m); 0 = fail at once",
      "0",
    )
    .option("--format <format>", "text or json (JSON lines events)", "text")
    .option("--force", "allow a plan that removes more users than policy.removal_threshold")
    .option("--no-color", "never colour the text output (also NO_COLOR)")
    .addOption(endpointOption())
    .addOption(sandboxOption())
    .addOption(shardOption())
    .addHelpText(
      "after",
      `${TARGET_HELP}
${FLEET_HELP}
A fleet's apply needs --auto-approve (it asks nothing); --format json prints each event with its org, then
one fleet_summary line.

Steps run in plan order; independent steps run in parallel (default ${DEFAULT_PARALLELISM}). Each carries an
Idempotency-Key made of the plan id and the step id, so a retried or re-sent step takes effect at most
once. When a step fails, the steps that depend on it are skipped and independent steps still run. Ctrl-C
stops starting new steps, lets running ones finish, releases the lock and prints the summary.

Disables and deletes of users that are ready at the same time go as bulk calls (the console's bulk user route, up to
--bulk-size each, default ${DEFAULT_BULK_SIZE}), each with an Idempotency-Key made of the plan id and its steps' ids;
every step is still reported on its own. The console takes a bulk call all or nothing: when it refuses
one, apply sends that call's steps again one by one, so that each gets its own answer.

--format json prints one JSON object per line: apply_started, step_started, step_done, step_failed,
step_skipped, summary (see the README).

Exit codes:
  0    every step done, or no changes: the console matches org.yaml
  1    error: invalid input, stale plan, lock held, a refused plan, or a step failed
  2    every step that could run is done, but steps blocked on domain verification remain
  130  interrupted (Ctrl-C); run orgctl apply again to finish`,
    )
    .action(async (planfile: string | undefined, raw: FileFlags<ApplyFlags>) => {
      const format = parseFormat(raw.format, ["text", "json"]);
      const color = useColor(raw);
      const flags = await singleOrFleet("apply", raw, format, color, planfile);
      if (flags === null) return;
      const { runApply } = await import("./apply-run.js");
      await runApply(planfile, flags);
    });
}
