import {
  byName,
  type FleetCommand,
  type FleetTotals,
  fleetTotals,
  type OrgCounts,
  type OrgOutcome,
  type OrgStatus,
  worstFirst,
} from "../cli/fleet/outcome.js";
import { formatEuro } from "../domain/money.js";
import { renderJson } from "./json.js";
import { DEFAULT_MAX_CHARS, escapeMarkdown, renderMarkdown } from "./markdown.js";
import { clean, renderText } from "./text.js";

/*
 * A fleet's report (issue 12): one summary over many organizations, each under its slug, in text, JSON or
 * Markdown. Human formats put the worst organizations first (outcome.ts: worstFirst); JSON is sorted by slug.
 */

export interface FleetReport {
  command: FleetCommand;
  outcomes: readonly OrgOutcome[];
  /** `--shard i/n`, and how many organizations the whole fleet has, when sharded. */
  shard: { index: number; count: number; fleet_orgs: number } | null;
  exitCode: number;
}

export const FLEET_MARKDOWN_MARKER = "<!-- orgctl-fleet -->";

const STATUS_WORDS: Record<OrgStatus, string> = {
  error: "error",
  interrupted: "interrupted",
  changes: "changes",
  drift: "drift",
  blocked: "blocked on DNS",
  applied: "applied",
  in_sync: "in sync",
};

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function countsWords(c: OrgCounts): string {
  const parts = [`+${c.create}`, `~${c.update}`, `-${c.delete}`, `-/+${c.replace}`];
  if (c.blocked > 0) parts.push(`${c.blocked} blocked`);
  return parts.join(" ");
}

function walletWords(o: OrgOutcome): string {
  if (!o.wallet) return "";
  const w = o.wallet;
  const change = w.after_cents - w.before_cents;
  return `${formatEuro(w.before_cents)} → ${formatEuro(w.after_cents)} (${change > 0 ? "+" : ""}${formatEuro(change)})`;
}

function statusSummary(totals: FleetTotals): string {
  const order: OrgStatus[] = ["error", "interrupted", "drift", "changes", "blocked", "applied", "in_sync"];
  return order
    .filter((s) => (totals.by_status[s] ?? 0) > 0)
    .map((s) => `${totals.by_status[s]} ${STATUS_WORDS[s]}`)
    .join(", ");
}

/** `Fleet: 3 organizations (1 error, 2 changes). +4 ~1 -0 -/+0. Wallet: change -€90.00 (charges …, refunds …).` */
export function fleetSummaryLine(report: FleetReport): string {
  const totals = fleetTotals(report.outcomes);
  const shard = report.shard
    ? ` in shard ${report.shard.index}/${report.shard.count} (of ${plural(report.shard.fleet_orgs, "organization")})`
    : "";
  const w = totals.wallet;
  const verb = report.command === "apply" ? "done" : "planned";
  return (
    `Fleet: ${plural(totals.orgs, "organization")}${shard} (${statusSummary(totals) || "none"}). ` +
    `Steps ${verb}: ${countsWords(totals.counts)}. Wallet: change ${formatEuro(w.change_cents)} ` +
    `(charges ${formatEuro(w.charges_cents)}, refunds ${formatEuro(w.refunds_cents)}).`
  );
}

function problemLine(p: OrgOutcome["errors"][number]): string {
  return `${p.source ? `${p.source} ` : ""}${p.code}: ${clean(p.message)}`;
}

// --- text ---------------------------------------------------------------------------------------------------

/**
 * Text: for plan and drift, each organization that has something to show (changes, drift, errors) with its
 * whole plan under its slug, worst first; then one line per organization and the fleet's totals.
 */
export function renderFleetText(report: FleetReport, options: { color: boolean }): string {
  const sorted = [...report.outcomes].sort(worstFirst);
  const out: string[] = [];
  const purpose = report.command === "drift" ? "drift" : "plan";
  if (report.command !== "apply") {
    for (const o of sorted) {
      if (o.status === "in_sync" && !o.errors.length) continue;
      out.push(`=== ${o.org} (${o.file}) ===`);
      if (o.plan) out.push(renderText(o.plan, { color: options.color, purpose }).trimEnd());
      else for (const p of o.errors) out.push(`orgctl: ${problemLine(p)}`);
      out.push("");
    }
  }
  const width = Math.min(40, Math.max(12, ...sorted.map((o) => o.org.length)));
  out.push(
    `${report.command === "apply" ? "Applied" : report.command === "drift" ? "Drift" : "Plan"} by organization:`,
  );
  for (const o of sorted) {
    const cells = [`  ${o.org.padEnd(width)}`, STATUS_WORDS[o.status].padEnd(14)];
    if (o.status === "error" || o.status === "interrupted") {
      cells.push(o.errors[0] ? problemLine(o.errors[0]) : "");
      if (o.errors.length > 1) cells.push(`(+${o.errors.length - 1} more)`);
    } else {
      cells.push(countsWords(o.counts).padEnd(22), walletWords(o));
    }
    out.push(cells.join(" ").trimEnd());
    if (report.command === "apply" && o.status === "error") {
      for (const p of o.errors.slice(1, 5))
        out.push(`  ${"".padEnd(width)} ${"".padEnd(14)} ${problemLine(p)}`);
    }
  }
  out.push("", fleetSummaryLine(report));
  return `${out.join("\n")}\n`;
}

// --- JSON ---------------------------------------------------------------------------------------------------

/**
 * JSON: `{command, shard, exit_code, totals, orgs}` with the organizations sorted by slug and every key in a
 * fixed order; plan and drift carry each organization's plan as `orgctl plan --format json` prints it.
 */
export function renderFleetJson(report: FleetReport): string {
  const orgs = [...report.outcomes].sort(byName).map((o) => ({
    org: o.org,
    file: o.file,
    status: o.status,
    target: o.target,
    errors: o.errors.map((p) => ({
      code: p.code,
      message: p.message,
      ...(p.source ? { source: p.source } : {}),
    })),
    counts: o.counts,
    wallet: o.wallet,
    ...(o.applied ? { applied: o.applied } : {}),
    ...(o.plan ? { plan: JSON.parse(renderJson(o.plan)) as unknown } : {}),
  }));
  return `${JSON.stringify(
    {
      command: report.command,
      shard: report.shard,
      exit_code: report.exitCode,
      totals: fleetTotals(report.outcomes),
      orgs,
    },
    null,
    2,
  )}\n`;
}

// --- Markdown -----------------------------------------------------------------------------------------------

/** The most one organization's details take in the comment, so that one big plan cannot crowd out the rest. */
const MAX_ORG_DETAILS_CHARS = 12_000;

function tableRow(o: OrgOutcome): string {
  const what =
    o.status === "error" || o.status === "interrupted"
      ? escapeMarkdown(o.errors[0] ? problemLine(o.errors[0]) : "")
      : escapeMarkdown(countsWords(o.counts));
  const icon =
    o.status === "error" || o.status === "interrupted" ? "❌" : o.counts.destructive > 0 ? "⚠️" : "";
  return `| ${icon} | \`${escapeMarkdown(o.org)}\` | ${STATUS_WORDS[o.status]} | ${what} | ${escapeMarkdown(walletWords(o))} |`;
}

function details(o: OrgOutcome, command: FleetCommand, budget: number): string | null {
  const head = `<details><summary><code>${escapeMarkdown(o.org)}</code>: ${STATUS_WORDS[o.status]}</summary>\n\n`;
  const tail = "\n\n</details>";
  let body: string;
  if (o.plan && command !== "apply") {
    const room = Math.min(budget, MAX_ORG_DETAILS_CHARS) - head.length - tail.length;
    if (room < 500) return null;
    body = renderMarkdown(o.plan, {
      purpose: command === "drift" ? "drift" : "plan",
      maxChars: room,
    }).trimEnd();
  } else {
    body = o.errors
      .slice(0, 20)
      .map((p) => `- ${escapeMarkdown(problemLine(p))}`)
      .join("\n");
    if (o.errors.length > 20) body += `\n- … and ${o.errors.length - 20} more (see the job log)`;
  }
  const text = `${head}${body}${tail}`;
  return text.length <= budget ? text : null;
}

/**
 * Markdown for one pull-request comment, never over `maxChars` (default 60,000; GitHub refuses more than
 * 65,536): the fleet's totals, one table row per organization and then each organization's details, worst
 * first. What does not fit is left out from the end, and the comment says how many organizations it leaves out.
 */
export function renderFleetMarkdown(report: FleetReport, maxChars = DEFAULT_MAX_CHARS): string {
  const sorted = [...report.outcomes].sort(worstFirst);
  const title = `### orgctl ${report.command}: ${plural(sorted.length, "organization")}`;
  const head = [FLEET_MARKDOWN_MARKER, title, "", fleetSummaryLine(report), ""].join("\n");
  const tableHead = "|  | Organization | Status | Changes | Wallet |\n|:-:|:--|:--|:--|:--|";
  const note = (left: number) =>
    `\n_… ${plural(left, "more organization")} not shown (see the job log or --format json)._`;
  // The longest note there can be is reserved first, so that the honest count always fits.
  const detailsNote = (left: number) =>
    `\n\n_Details of ${plural(left, "more organization")} not shown (see the job log)._`;
  const reserve = note(sorted.length).length + detailsNote(sorted.length).length + 2;
  const parts: string[] = [head, tableHead];
  let used = head.length + tableHead.length + 2 + reserve;
  let rows = 0;
  for (const o of sorted) {
    const row = tableRow(o);
    if (used + row.length + 1 > maxChars) break;
    parts.push(row);
    used += row.length + 1;
    rows++;
  }
  let detailed = 0;
  const wanting = sorted.slice(0, rows).filter((o) => o.status !== "in_sync" && o.status !== "applied");
  const blocks: string[] = [];
  for (const o of wanting) {
    const block = details(o, report.command, maxChars - used - 2);
    if (block === null) break;
    blocks.push(block);
    used += block.length + 2;
    detailed++;
  }
  const missingDetails = wanting.length - detailed;
  let text = parts.join("\n");
  if (rows < sorted.length) text += `\n${note(sorted.length - rows)}`;
  if (blocks.length > 0) text += `\n\n${blocks.join("\n\n")}`;
  if (missingDetails > 0) text += detailsNote(missingDetails);
  return `${text}\n`;
}
