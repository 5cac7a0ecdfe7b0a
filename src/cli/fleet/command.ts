import { Option } from "commander";
import { DEFAULT_BULK_SIZE, DEFAULT_PARALLELISM } from "../../apply/defaults.js";
import type { ApplyEvent } from "../../apply/events.js";
import { CliError } from "../errors.js";
import type { Format } from "../plan.js";
import { refuseImplicitSandboxInCi, type TargetFlags } from "../target.js";

/*
 * `orgctl plan|apply|drift -f orgs/` (issue 12): the fleet's side of the three commands. plan.ts and apply.ts
 * only parse their flags and hand a fleet here.
 */

/** Organizations reconciled at the same time when --parallelism is not given. */
export const DEFAULT_FLEET_PARALLELISM = 4;
export const MAX_FLEET_PARALLELISM = 64;

/** `-f` may be repeated: each value is collected. */
export function collectFiles(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function fileOptionHelp(what: string): string {
  return `${what} (default org.yaml); a directory of org files, or -f repeated, is a fleet: each file against its own organization`;
}

export function shardOption(): Option {
  return new Option(
    "--shard <i/n>",
    "fleet: reconcile only the organizations of shard i of n (by a hash of the slug; for a CI matrix)",
  );
}

export function fleetParallelismOption(): Option {
  return new Option(
    "--parallelism <n>",
    `fleet: organizations reconciled at the same time, 1 to ${MAX_FLEET_PARALLELISM} (default ${DEFAULT_FLEET_PARALLELISM})`,
  );
}

export const FLEET_HELP = `
Fleet: -f DIR (every *.yaml/*.yml in DIR with an organization: key, sorted by name; not its subdirectories)
or several -f FILE reconcile each file against its own organization, the one its organization.slug names
(required and unique in a fleet): up to --parallelism organizations at once (default ${DEFAULT_FLEET_PARALLELISM}), each
with its own target and lock. One organization's failure never stops the others; the report shows each
under its slug, worst first (JSON: sorted by slug), then the fleet's totals. Against a remote console, one
token (a partner's) reaches every organization under its prefix (orgs/{slug}); without one, one sandbox holds
them all (created on first use, managed by the sandbox's own organization). --shard i/n takes the organizations
whose sha256(slug) mod n is i-1: deterministic, and adding an organization never moves another.
Fleet exit codes: 1 if any organization errored, else 2 if any has changes (plan --detailed-exitcode),
drift (drift) or steps blocked on DNS (apply), else 0.`;

export function parseFleetParallelism(raw: string | undefined, fallback = DEFAULT_FLEET_PARALLELISM): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isInteger(n) || n < 1 || n > MAX_FLEET_PARALLELISM) {
    throw new CliError(
      "invalid_flag",
      `--parallelism must be a whole number from 1 to ${MAX_FLEET_PARALLELISM} (got ${raw})`,
    );
  }
  return n;
}

export interface FleetFlags extends Omit<TargetFlags, "file"> {
  format: string;
  shard?: string;
  parallelism?: string;
  detailedExitcode?: boolean;
  force?: boolean;
  color?: boolean;
  out?: string;
  autoApprove?: boolean;
  bulkSize?: string;
  lockTimeout?: string;
}

/** Runs plan, drift or apply over the fleet's files; writes the report and returns the exit code. */
export async function runFleetCommand(
  command: "plan" | "drift" | "apply",
  files: string[],
  flags: FleetFlags,
  format: Format,
  color: boolean,
): Promise<number> {
  // Loaded here, not at the top: plan.ts and apply.ts import this file, and `validate` must stay light.
  const { parseShard, inShard } = await import("./shard.js");
  const { MAX_BULK_SIZE } = await import("../../apply/batches.js");
  const { parseDuration } = await import("../../apply/lock.js");
  const { formatApplyLine } = await import("../../render/apply-lines.js");
  const shard = flags.shard === undefined ? null : parseShard(flags.shard);
  const parallelism = parseFleetParallelism(flags.parallelism);
  if (flags.out) {
    throw new CliError(
      "invalid_flag",
      "--out saves one organization's plan: run orgctl plan -f ONE_FILE --out PLANFILE for each organization to save",
    );
  }
  let bulkSize = DEFAULT_BULK_SIZE;
  let lockTimeoutMs = 0;
  if (command === "apply") {
    if (!flags.autoApprove) {
      throw new CliError(
        "confirmation_required",
        `apply over a fleet does not ask for each organization; review orgctl plan -f ${files.length === 1 ? files[0] : "..."} and pass --auto-approve`,
      );
    }
    bulkSize = Number(flags.bulkSize ?? DEFAULT_BULK_SIZE);
    if (!Number.isInteger(bulkSize) || bulkSize < 1 || bulkSize > MAX_BULK_SIZE) {
      throw new CliError(
        "invalid_flag",
        `--bulk-size must be a whole number from 1 to ${MAX_BULK_SIZE} (got ${flags.bulkSize})`,
      );
    }
    const timeout = parseDuration(flags.lockTimeout ?? "0");
    if (timeout === null) {
      throw new CliError(
        "invalid_flag",
        `--lock-timeout must be a duration such as 30s or 5m (got ${flags.lockTimeout})`,
      );
    }
    lockTimeoutMs = timeout;
  }
  refuseImplicitSandboxInCi(flags);
  const { fleetFiles } = await import("./discover.js");
  const { loadFleet, entryName } = await import("./members.js");
  const all = loadFleet(fleetFiles(files) ?? files);
  const entries = inShard(all, shard, entryName);
  const { openFleetConsole } = await import("./console.js");
  const { runFleet } = await import("./run.js");
  const { fleetExitCode } = await import("./outcome.js");
  // Without an endpoint, the sandboxes live beside the first org file, as one organization's beside its file.
  const fleetConsole = await openFleetConsole({
    ...(flags.endpoint !== undefined ? { endpoint: flags.endpoint } : {}),
    ...(flags.sandbox !== undefined ? { sandbox: flags.sandbox } : {}),
    file: all[0]?.file ?? files[0]!,
  });

  const interrupt = new AbortController();
  const onSigint = () => {
    if (!interrupt.signal.aborted) {
      process.stderr.write("\norgctl: interrupted; finishing the steps in flight, then stopping\n");
      interrupt.abort();
    }
  };
  // Each organization's steps as they happen, under its slug; its summary is the fleet report's row.
  const totals = new Map<string, number>();
  const onEvent = (org: string, event: ApplyEvent) => {
    if (format === "json") {
      process.stdout.write(`${JSON.stringify({ org, ...event })}\n`);
      return;
    }
    if (event.type === "apply_started") totals.set(org, event.steps);
    if (event.type === "summary") return;
    const line = formatApplyLine(event, totals.get(org) ?? 0);
    if (line !== null) process.stdout.write(`[${org}] ${line}\n`);
  };
  if (command === "apply") process.on("SIGINT", onSigint);
  let outcomes: Awaited<ReturnType<typeof runFleet>>;
  try {
    outcomes = await runFleet(entries, {
      command,
      console: fleetConsole,
      parallelism,
      force: Boolean(flags.force),
      stepParallelism: DEFAULT_PARALLELISM,
      bulkSize,
      lockTimeoutMs,
      onEvent,
      signal: interrupt.signal,
    });
  } finally {
    process.off("SIGINT", onSigint);
    await fleetConsole.close();
  }
  const exitCode = fleetExitCode(command, outcomes, { detailedExitcode: Boolean(flags.detailedExitcode) });
  const report = {
    command,
    outcomes,
    shard: shard ? { ...shard, fleet_orgs: all.length } : null,
    exitCode,
  };
  const { renderFleetJson, renderFleetMarkdown, renderFleetText } = await import("../../render/fleet.js");
  if (format === "json") {
    // apply's JSON is JSON lines: each event with its org, then the fleet's summary on one line.
    process.stdout.write(
      command === "apply"
        ? `${JSON.stringify({ type: "fleet_summary", ...JSON.parse(renderFleetJson(report)) })}\n`
        : renderFleetJson(report),
    );
  } else if (format === "markdown") process.stdout.write(renderFleetMarkdown(report));
  else process.stdout.write(renderFleetText(report, { color }));
  return exitCode;
}
