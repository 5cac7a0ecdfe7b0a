import { dirname, resolve } from "node:path";
import { API } from "../api/routes.js";
import { resolveSecret, SecretMissingError } from "../apply/secrets.js";
import type { ConsoleClient, LiveSnapshot } from "../client/console-client.js";
import { ConsoleApiError } from "../client/errors.js";
import { checkConfig } from "../config/check.js";
import type { LoadedConfig } from "../config/load.js";
import { ConfigInvalidError, type ConfigIssue } from "../config/model.js";
import { passwordProblem } from "../domain/index.js";
import { type AuditRecord, attribute } from "../plan/attribution.js";
import { buildPlan } from "../plan/build.js";
import { type LiveView, liveView } from "../plan/live.js";
import type { Plan } from "../plan/model.js";
import { renderJson } from "../render/json.js";
import { DEFAULT_MAX_CHARS, renderMarkdown } from "../render/markdown.js";
import { type Purpose, renderText } from "../render/text.js";
import { loadCheckedAsync, lookupPendingTxt, sourceOf } from "./config-io.js";
import type { Format } from "./plan.js";
import { sniffSlug } from "./slug-sniff.js";
import {
  openTarget,
  refuseImplicitSandboxInCi,
  scopeTarget,
  type Target,
  type TargetFlags,
} from "./target.js";
import { cpuTimed, recordTiming, timed } from "./timing.js";

export function render(
  plan: Plan,
  format: Format,
  color: boolean,
  purpose: Purpose = "plan",
  extra: ReadOnlySection | null = null,
): string {
  if (format === "json") return renderJson(plan);
  if (format === "markdown") {
    if (!extra?.markdown) return renderMarkdown(plan, { purpose });
    // The section comes after the summary, and the whole comment stays within the Markdown limit.
    const body = renderMarkdown(plan, { purpose, maxChars: DEFAULT_MAX_CHARS - extra.markdown.length - 2 });
    return `${body}\n${extra.markdown}\n`;
  }
  return renderText(plan, { color, purpose, extra: extra?.text.length ? [extra.text] : [] });
}

/** A read-only section that plan or drift shows beside the plan (never steps, never in the plan file). */
export interface ReadOnlySection {
  text: string[];
  markdown: string;
}

/** A plan, how many of its differences are drift, and the live console it was made against. */
export interface Planned {
  plan: Plan;
  driftSteps: number;
  live: LiveView;
}

/** Reads the live console and makes the plan for org.yaml. Shared by plan, drift and apply. */
export async function makePlan(
  flags: TargetFlags & { file: string; force?: boolean; attribute?: boolean },
): Promise<Planned> {
  if (flags.endpoint ?? process.env.ORGCTL_ENDPOINT) {
    // A remote console needs nothing from the file to be read: the file is parsed while the console builds
    // the pages asked for (see readLive), so that the console's work overlaps ours. The parse is synchronous:
    // started earlier, it would hold back the requests themselves.
    let loading: ReturnType<typeof loadCheckedAsync> | undefined;
    const load = () => {
      loading ??= timed("load", () => loadCheckedAsync(flags.file, null));
      // Settled below; this only keeps an early rejection from being reported as unhandled meanwhile.
      loading.catch(() => {});
      return loading;
    };
    let target: Target;
    try {
      target = await openTarget(flags, null);
    } catch (error) {
      // A broken file is reported before an unreachable console: it is the first thing to fix.
      await load();
      throw error;
    }
    // The organization the file names (organization.slug), seen before it is parsed; the parsed file decides.
    target = scopeTarget(target, sniffSlug(flags.file));
    try {
      const [read] = await Promise.allSettled([timed("read", () => target.client.readLive(load))]);
      // A read that failed before the file was parsed: the file's errors still come first.
      const [loaded] = await Promise.allSettled([load()]);
      if (loaded.status === "rejected") throw loaded.reason;
      let snapshot = read;
      const slug = loaded.value.config.desired.organization.slug;
      if ((slug ?? null) !== target.client.org) {
        target = scopeTarget(target, slug);
        snapshot = (await Promise.allSettled([timed("read", () => target.client.readLive())]))[0]!;
      }
      if (snapshot.status === "rejected") throw snapshot.reason;
      const made = await planFrom(
        loaded.value.config,
        loaded.value.warnings,
        snapshot.value,
        target.label,
        flags,
      );
      if (flags.attribute)
        await attributeDrift(made.plan, target.client, loaded.value.config, snapshot.value);
      return made;
    } finally {
      recordTiming("requests", target.client.requestCount);
      await target.close();
    }
  }
  // The sandbox is created from the file, so the file comes first. Plan names and limits are checked
  // against the live catalog once it is read.
  refuseImplicitSandboxInCi(flags);
  const { config, warnings } = await timed("load", () => loadCheckedAsync(flags.file, null));
  const target = await timed("open", () => openTarget(flags, config));
  try {
    return await planAgainst(target, config, warnings, flags);
  } finally {
    recordTiming("requests", target.client.requestCount);
    await target.close();
  }
}

/**
 * Makes the plan against an open target (apply holds the lock on it meanwhile). With `attribute` (drift), each
 * drifted record names who last changed it, from the console's audit log.
 */
export async function planAgainst(
  target: Target,
  config: LoadedConfig,
  warnings: ConfigIssue[],
  flags: { file: string; force?: boolean; attribute?: boolean },
): Promise<Planned> {
  const snapshot = await timed("read", () => target.client.readLive());
  const made = await planFrom(config, warnings, snapshot, target.label, flags);
  if (flags.attribute) await attributeDrift(made.plan, target.client, config, snapshot);
  return made;
}

async function planFrom(
  config: LoadedConfig,
  warnings: ConfigIssue[],
  snapshot: LiveSnapshot,
  target: string,
  flags: { file: string; force?: boolean },
): Promise<Planned> {
  const live = liveView(snapshot);
  // The live catalog is the truth for plan names and limits.
  const liveIssues = checkConfig(config, live.state.catalog).filter((i) => i.severity === "error");
  if (liveIssues.length > 0) throw new ConfigInvalidError(liveIssues);
  const verifiedTxt = await lookupPendingTxt(config, live.state);
  const plan = cpuTimed("plan", () =>
    buildPlan(config.desired, live, {
      configFile: flags.file,
      target,
      configHash: config.hash,
      verifiedTxt,
      force: Boolean(flags.force),
      source: sourceOf(config),
    }),
  );
  checkSecrets(plan, config);
  for (const warning of warnings) {
    plan.warnings.push({
      code: warning.code,
      message: warning.message,
      source: `${warning.file}:${warning.line}:${warning.col}`,
    });
  }
  // Every difference is drift, whether the plan can carry it out, must wait for DNS, or would be refused.
  const driftSteps =
    plan.steps.length +
    plan.blocked.length +
    plan.errors.filter((e) => e.step_id !== undefined).length +
    plan.warnings.filter((w) => w.drift).length;
  return { plan, driftSteps, live };
}

/** How far back drift looks for who changed what: the newest entries of the audit log, in pages. */
const AUDIT_PAGES = 5;
const AUDIT_PAGE_SIZE = 1000;

/**
 * Names who last changed each drifted record, from the console's audit log (newest first). A console that
 * keeps no audit log, or a token that may not read it, leaves the drift unattributed, with a warning.
 */
async function attributeDrift(
  plan: Plan,
  client: ConsoleClient,
  config: LoadedConfig,
  snapshot: LiveSnapshot,
): Promise<void> {
  if (plan.steps.length === 0) return;
  const entries: AuditRecord[] = [];
  let cursor: string | null = null;
  try {
    for (let page = 0; page < AUDIT_PAGES; page++) {
      const query: string = `limit=${AUDIT_PAGE_SIZE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const res: { body: { items: AuditRecord[]; next_cursor: string | null } } = await client.request(
        API.audit.method,
        `${API.audit.path}?${query}`,
      );
      entries.push(...res.body.items);
      cursor = res.body.next_cursor;
      if (!cursor) break;
    }
  } catch (error) {
    if (!(error instanceof ConsoleApiError) || ![403, 404].includes(error.status)) throw error;
    plan.warnings.push({
      code: "attribution_unavailable",
      message:
        error.status === 403
          ? "drift does not say who changed what: reading the console's audit log needs an org_admin token"
          : "drift does not say who changed what: this console keeps no audit log",
    });
    return;
  }
  const live = new Map<string, string>();
  for (const user of snapshot.users) for (const alias of user.aliases) live.set(alias, user.login);
  const desired = new Map<string, string>();
  for (const user of config.desired.users) for (const alias of user.aliases) desired.set(alias, user.login);
  attribute(plan, entries, (address) => live.get(address) ?? desired.get(address) ?? null);
}

/**
 * Reads every password a step will send, as apply would, so that a missing variable, an unreadable file or a
 * password the console would refuse fails the plan, at the `password:` line, instead of apply half-way. The
 * values are only measured, never kept or printed.
 */
function checkSecrets(plan: Plan, config: LoadedConfig): void {
  const baseDir = dirname(resolve(config.file));
  const source = sourceOf(config);
  const indexOf = new Map(config.desired.users.map((u, i) => [u.login, i]));
  for (const step of plan.steps) {
    const secret = step.secret;
    if (!secret) continue;
    const i = indexOf.get(step.key);
    const at = i === undefined ? undefined : source(["users", i, "password"]);
    let problem: { code: string; message: string; fix: string } | null = null;
    try {
      const tooWeak = passwordProblem(resolveSecret(secret, baseDir));
      if (tooWeak) {
        problem = {
          code: "password_policy",
          message: `${step.key}: ${tooWeak}`,
          fix: "set a password the console accepts where org.yaml's password: points",
        };
      }
    } catch (error) {
      if (!(error instanceof SecretMissingError)) throw error;
      problem = {
        code: "secret_missing",
        message: `${step.key}: ${error.message}`,
        fix:
          secret.env !== undefined
            ? `export ${secret.env} in the job that runs plan and apply (a CI secret)`
            : "create the file, or point password: at another one",
      };
    }
    if (problem) plan.errors.push({ ...problem, step_id: step.id, ...(at ? { source: at } : {}) });
  }
}
