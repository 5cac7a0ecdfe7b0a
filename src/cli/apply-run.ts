import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { hostname, userInfo } from "node:os";
import { dirname, resolve } from "node:path";
import { API } from "../api/routes.js";
import { MAX_BULK_SIZE } from "../apply/batches.js";
import { DEFAULT_BULK_SIZE, DEFAULT_PARALLELISM } from "../apply/defaults.js";
import type { ApplyEvent, ApplySummary } from "../apply/events.js";
import { applyPlan } from "../apply/execute.js";
import { ApplyLock, LockHeldError, parseDuration } from "../apply/lock.js";
import { resolveSecret } from "../apply/secrets.js";
import type { OrgInfo } from "../client/console-client.js";
import { type LoadedConfig, MAX_CONFIG_BYTES } from "../config/load.js";
import type { UserFileRole } from "../config/user-file.js";
import { firstJsonError } from "../plan/json-syntax.js";
import { hasChanges, PLAN_FORMAT_VERSION, type Plan } from "../plan/model.js";
import {
  checkPlanFile,
  checkSecretRefs,
  formatPlanFileProblem,
  type PlanFileProblem,
} from "../plan/plan-file.js";
import { planSchemaErrors } from "../plan/plan-schema.js";
import { formatApplyLine } from "../render/apply-lines.js";
import { renderText } from "../render/text.js";
import { keepStepsOnBaselineTiers } from "./apply-tiering.js";
import { BatchedLines } from "./batched-lines.js";
import { loadChecked } from "./config-io.js";
import { CliError } from "./errors.js";
import { readIn } from "./files.js";
import { parseFormat, useColor } from "./plan.js";
import { planAgainst } from "./planning.js";
import { openTarget, type TargetFlags } from "./target.js";

export interface ApplyFlags extends TargetFlags {
  file?: string;
  autoApprove?: boolean;
  parallelism?: string;
  bulkSize?: string;
  lockTimeout: string;
  format: string;
  force?: boolean;
  color?: boolean;
}

/** Exit code of an interrupted apply (128 + SIGINT), as shells expect. */
export const EXIT_INTERRUPTED = 130;
/** Every step was done, but steps that wait for a domain's verification remain: the console is not org.yaml yet. */
export const EXIT_BLOCKED = 2;

/** A plan file larger than this is not one orgctl wrote (a 30,000-user plan is about 20 MB). */
export const MAX_PLAN_BYTES = 64 * 1024 * 1024;

const PLAN_FILE: UserFileRole = {
  what: "a plan file",
  fix: "pass the file written by orgctl plan --out",
};

function readPlanFile(path: string): Plan {
  const text = readIn(path, PLAN_FILE, MAX_PLAN_BYTES).toString("utf8");
  let plan: Plan;
  try {
    plan = JSON.parse(text) as Plan;
  } catch {
    const { line, col, problem } = jsonProblem(text);
    throw new CliError(
      "invalid_plan",
      `${path}:${line}:${col}: the plan file is not valid JSON (${problem}); make it again with orgctl plan --out`,
    );
  }
  const format = (plan as { format_version?: unknown } | null)?.format_version;
  if (typeof format === "number" && Number.isInteger(format) && format >= 1 && format < PLAN_FORMAT_VERSION) {
    // Its steps are HTTP requests, which this orgctl no longer sends from a file.
    throw new CliError(
      "plan_format_old",
      `${path} is a format ${format} plan, made by an older orgctl; this orgctl applies format ${PLAN_FORMAT_VERSION} plans only: run orgctl plan --out again and apply that file`,
    );
  }
  if (format !== PLAN_FORMAT_VERSION) {
    throw new CliError(
      "invalid_plan",
      `${path} is not an orgctl plan (format ${PLAN_FORMAT_VERSION}); make it with orgctl plan --out`,
    );
  }
  // A plan file is input like any other: whatever it holds is sent with the user's token, so it is checked
  // whole before anything is sent.
  refusePlanFile(path, checkPlanFile(plan, planSchemaErrors));
  return plan;
}

/** Throws `invalid_plan` naming each bad step, when there is any. */
function refusePlanFile(path: string, problems: PlanFileProblem[]): void {
  if (problems.length === 0) return;
  const lines = problems.slice(0, MAX_PLAN_PROBLEMS_PRINTED).map((p) => `  ${formatPlanFileProblem(p)}`);
  if (problems.length > MAX_PLAN_PROBLEMS_PRINTED) {
    lines.push(`  … and ${problems.length - MAX_PLAN_PROBLEMS_PRINTED} more`);
  }
  throw new CliError(
    "invalid_plan",
    `${path} is not a plan orgctl made, or was changed since; nothing was sent:\n${lines.join("\n")}\n` +
      "make the plan again with orgctl plan --out and apply that file",
  );
}

const MAX_PLAN_PROBLEMS_PRINTED = 20;

/** Where the JSON first goes wrong, in words of our own (the engine's message is not shown to the user). */
function jsonProblem(text: string): { line: number; col: number; problem: string } {
  const found = firstJsonError(text) ?? { offset: 0, problem: "it cannot be read" };
  const before = text.slice(0, found.offset).split("\n");
  return { line: before.length, col: before[before.length - 1]!.length + 1, problem: found.problem };
}

const CONFIG_OF_PLAN: UserFileRole = {
  what: "the org.yaml the plan was made from",
  fix: "run orgctl apply from the folder where the plan was made, or plan again",
};

function holderName(): string {
  let user = "unknown";
  try {
    user = userInfo().username;
  } catch {
    // No user database entry (some containers): keep "unknown".
  }
  return `orgctl apply by ${user}@${hostname()} (pid ${process.pid})`;
}

/** The whole of `orgctl apply`, loaded only when apply runs. */
export async function runApply(planfile: string | undefined, flags: ApplyFlags): Promise<void> {
  const format = parseFormat(flags.format, ["text", "json"]);
  const parallelism = Number(flags.parallelism ?? DEFAULT_PARALLELISM);
  if (!Number.isInteger(parallelism) || parallelism < 1 || parallelism > 64) {
    throw new CliError(
      "invalid_flag",
      `--parallelism must be a whole number from 1 to 64 (got ${flags.parallelism})`,
    );
  }
  const bulkSize = Number(flags.bulkSize ?? DEFAULT_BULK_SIZE);
  if (!Number.isInteger(bulkSize) || bulkSize < 1 || bulkSize > MAX_BULK_SIZE) {
    throw new CliError(
      "invalid_flag",
      `--bulk-size must be a whole number from 1 to ${MAX_BULK_SIZE} (got ${flags.bulkSize})`,
    );
  }
  const lockTimeoutMs = parseDuration(flags.lockTimeout);
  if (lockTimeoutMs === null)
    throw new CliError(
      "invalid_flag",
      `--lock-timeout must be a duration such as 30s or 5m (got ${flags.lockTimeout})`,
    );

  let saved: Plan | null = null;
  let config: LoadedConfig | null = null;
  let warnings: ReturnType<typeof loadChecked>["warnings"] = [];
  if (planfile) {
    saved = readPlanFile(planfile);
    const configFile = saved.config.file;
    if (existsSync(configFile)) {
      const bytes = readIn(configFile, CONFIG_OF_PLAN, MAX_CONFIG_BYTES);
      const hash = createHash("sha256").update(bytes).digest("hex");
      if (hash !== saved.config.hash) {
        throw new CliError(
          "stale_plan",
          `plan is stale: ${configFile} changed since the plan was made; run plan again`,
        );
      }
      ({ config, warnings } = loadChecked(configFile, null));
      const passwords = new Map(config.desired.users.map((u) => [u.login, u.password]));
      refusePlanFile(
        planfile,
        checkSecretRefs(saved, (login) => passwords.get(login) ?? null),
      );
    }
  } else {
    ({ config, warnings } = loadChecked(flags.file ?? "org.yaml", null));
  }
  // A CI job is never a person, even when its runner allocates a terminal (and ink draws nothing there).
  const inCi = process.env.CI !== undefined && process.env.CI !== "" && process.env.CI !== "false";
  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY) && !inCi;
  if (!saved && !flags.autoApprove && !interactive) {
    throw new CliError(
      "confirmation_required",
      inCi
        ? "apply asks for confirmation, but this is a CI job (CI is set); review `orgctl plan` and pass --auto-approve"
        : "apply asks for confirmation, but there is no terminal to ask on; review `orgctl plan` and pass --auto-approve",
    );
  }

  const target = await openTarget(flags, config);
  let lock: ApplyLock | null = null;
  const interrupt = new AbortController();
  const onSigint = () => {
    if (!interrupt.signal.aborted) {
      process.stderr.write("\norgctl: interrupted; finishing the steps in flight, then stopping\n");
      interrupt.abort();
    }
  };
  try {
    try {
      lock = await ApplyLock.acquire(target.client, holderName(), lockTimeoutMs);
    } catch (error) {
      if (error instanceof LockHeldError) throw new CliError("locked", error.message);
      throw error;
    }
    process.on("SIGINT", onSigint);
    let plan: Plan;
    if (saved) {
      // A saved plan is for the console it was made against, and for no other (plans made before the
      // target was recorded carry none).
      if (saved.console.target && saved.console.target !== target.label) {
        throw new CliError(
          "wrong_console",
          `${planfile} was made against ${saved.console.target}, not ${target.label}; apply it there ` +
            "(--endpoint or ORGCTL_ENDPOINT, or --sandbox), or make a new plan against this console",
        );
      }
      const org = await target.client.request<OrgInfo>(API.org.method, API.org.path);
      if (org.body.revision !== saved.console.revision) {
        throw new CliError(
          "stale_plan",
          `plan is stale: the console changed since it was made (revision ${saved.console.revision} → ${org.body.revision}); run plan again`,
        );
      }
      plan = saved;
    } else {
      plan = (
        await planAgainst(target, config!, warnings, {
          file: flags.file ?? "org.yaml",
          force: Boolean(flags.force),
        })
      ).plan;
    }
    // biome-ignore lint/correctness/useHookAtTopLevel: useColor is a plain function, not a React hook.
    const color = useColor(flags);
    if (plan.errors.length > 0) {
      // With --format json, stdout carries JSON lines only: the refused plan is shown on stderr.
      if (format === "json") process.stderr.write(renderText(plan, { color: false }));
      else process.stdout.write(renderText(plan, { color }));
      process.exitCode = 1;
      return;
    }
    if (!hasChanges(plan) || plan.steps.length === 0) {
      if (format === "text")
        process.stdout.write(saved ? "No changes in this plan.\n" : renderText(plan, { color }));
      else {
        const balance = plan.money.balance_before_cents;
        const summary: ApplyEvent = {
          type: "summary",
          target: target.label,
          status: "done",
          plan_id: plan.plan_id,
          total: 0,
          done: 0,
          failed: 0,
          skipped: 0,
          not_started: 0,
          balance_before_cents: balance,
          balance_after_cents: balance,
          charged_cents: 0,
          refunded_cents: 0,
          failures: [],
          ...(plan.blocked.length > 0
            ? { blocked: plan.blocked.map((b) => ({ id: b.id, summary: b.summary, domain: b.domain })) }
            : {}),
        };
        process.stdout.write(`${JSON.stringify(summary)}\n`);
      }
      // Nothing could run, but blocked steps mean the console is not org.yaml yet.
      process.exitCode = plan.blocked.length > 0 ? EXIT_BLOCKED : 0;
      return;
    }
    if (!saved && format === "text") process.stdout.write(renderText(plan, { color }));
    if (!saved && !flags.autoApprove) {
      const { confirmApply } = await import("../render/ink/confirm.js");
      if (!(await confirmApply(plan))) {
        process.stdout.write("Apply cancelled; nothing was changed.\n");
        process.exitCode = 1;
        return;
      }
    }
    const summary = await run(
      plan,
      target.label,
      format,
      interactive,
      target.client,
      config,
      interrupt.signal,
      parallelism,
      bulkSize,
    );
    process.exitCode =
      summary.status === "done"
        ? plan.blocked.length > 0
          ? EXIT_BLOCKED
          : 0
        : summary.status === "interrupted"
          ? EXIT_INTERRUPTED
          : 1;
  } finally {
    process.off("SIGINT", onSigint);
    await lock?.release();
    await target.close();
  }
}

async function run(
  plan: Plan,
  targetLabel: string,
  format: "text" | "json" | "markdown",
  interactive: boolean,
  client: Parameters<typeof applyPlan>[1]["client"],
  config: LoadedConfig | null,
  signal: AbortSignal,
  parallelism: number,
  bulkSize: number,
): Promise<ApplySummary> {
  const baseDir = config ? dirname(resolve(config.file)) : process.cwd();
  let draw: (event: ApplyEvent) => void;
  let finish: () => Promise<void> = async () => {};
  // Progress lines are written together (batched-lines.ts); the first and the last at once.
  const lines = new BatchedLines(process.stdout);
  const firstOrLast = (event: ApplyEvent) => event.type === "apply_started" || event.type === "summary";
  if (format === "json") {
    draw = (event) => lines.write(JSON.stringify(event), firstOrLast(event));
  } else if (interactive) {
    // ink and React load only here, for a person at a terminal.
    const { startProgressView } = await import("../render/ink/progress.js");
    const view = startProgressView(plan);
    draw = view.emit;
    finish = view.finish;
  } else {
    draw = (event) => {
      const line = formatApplyLine(event, plan.steps.length);
      if (line !== null) lines.write(line, firstOrLast(event));
    };
  }
  // The first and the last event name the console, so that no log of an apply leaves it in doubt.
  const blocked = plan.blocked.map((b) => ({ id: b.id, summary: b.summary, domain: b.domain }));
  const emit = (event: ApplyEvent) =>
    draw(
      event.type === "summary"
        ? { ...event, target: targetLabel, blocked }
        : event.type === "apply_started"
          ? { ...event, target: targetLabel }
          : event,
    );
  let summary: ApplySummary;
  keepStepsOnBaselineTiers();
  try {
    summary = await applyPlan(plan, {
      client,
      parallelism,
      bulkSize,
      emit,
      resolveSecret: (ref) => resolveSecret(ref, baseDir),
      signal,
    });
  } finally {
    lines.flush();
  }
  await finish();
  return summary;
}
