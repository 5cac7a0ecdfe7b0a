import { formatEuro } from "../domain/money.js";
import { renewalPayer } from "../domain/renewals.js";
import type { BlockedStep, Plan, PlanIssue, PlanStep } from "../plan/model.js";
import { orgPlanWords } from "./org-plan.js";
import {
  attributionLine,
  describeSecret,
  failedLine,
  fieldChangeLines,
  moneyMove,
  type Purpose,
  summaryLine,
} from "./text.js";

export interface MarkdownOptions {
  /** The longest comment to produce; GitHub refuses comments over 65,536 characters. Default 60,000. */
  maxChars?: number;
  purpose?: Purpose;
}

/** The first line of every plan comment, so CI can find the comment and update it. */
export const MARKDOWN_MARKER = "<!-- orgctl-plan -->";
export const DEFAULT_MAX_CHARS = 60_000;
const SEPARATOR = "\n\n";

const HTML_ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;" };

/**
 * Text as literal Markdown (also inside a table cell): HTML is neutralised, Markdown punctuation and pipes are
 * backslash-escaped, line breaks and other control characters become spaces.
 */
export function escapeMarkdown(text: string): string {
  let out = "";
  for (const ch of spaceControls(text)) {
    if (HTML_ENTITIES[ch]) out += HTML_ENTITIES[ch];
    else if ("\\`*_[]|~#!".includes(ch)) out += `\\${ch}`;
    else out += ch;
  }
  return out;
}

/** Line breaks, ANSI escapes and other control characters become spaces. */
function spaceControls(text: string): string {
  let out = "";
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    out += code < 0x20 || (code >= 0x7f && code <= 0x9f) ? " " : ch;
  }
  return out;
}

/** A code span that holds any text (not for table cells: GitHub splits cells on `|` even in code). */
function code(text: string): string {
  const flat = spaceControls(text);
  const longest = Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longest + 1);
  const pad = flat.startsWith("`") || flat.endsWith("`") ? " " : "";
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/** A code fence longer than any run of backticks in the lines it holds. */
function fenceFor(lines: string[]): string {
  const longest = Math.max(0, ...lines.flatMap((l) => l.match(/`+/g) ?? []).map((run) => run.length));
  return "`".repeat(Math.max(3, longest + 1));
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function headline(plan: Plan, purpose: Purpose): string {
  const m = plan.money;
  const c = plan.counts;
  const parts = [`${c.create} to create`, `${c.update} to update`, `${c.delete} to delete`];
  if (c.replace > 0) parts.push(`${c.replace} to replace`);
  const none = plan.steps.length === 0 && plan.blocked.length === 0 && plan.errors.length === 0;
  const what = none ? (purpose === "drift" ? "no drift" : "no changes") : parts.join(", ");
  return `### orgctl ${purpose}: ${what} · Wallet ${formatEuro(m.balance_before_cents)} → ${formatEuro(m.balance_after_cents)}`;
}

function moneyLine(plan: Plan, purpose: Purpose): string {
  const m = plan.money;
  const parts: string[] = [];
  if (plan.errors.length > 0)
    parts.push(
      purpose === "drift"
        ? `❌ **${plural(plan.errors.length, "difference")} apply cannot revert**`
        : `❌ **${plural(plan.errors.length, "error")}: nothing will be applied**`,
    );
  parts.push(`charges ${formatEuro(m.charges_cents)}`);
  parts.push(`refunds ${formatEuro(m.refunds_cents)}`);
  parts.push(`lowest balance ${formatEuro(m.lowest_balance_cents)}`);
  if (m.org_plan) parts.push(`org plan ${escapeMarkdown(orgPlanWords(m.org_plan))}`);
  if (m.min_balance_cents > 0) parts.push(`policy minimum ${formatEuro(m.min_balance_cents)}`);
  if (m.shortfall_cents > 0) parts.push(`**shortfall ${formatEuro(m.shortfall_cents)}**`);
  if (plan.blocked.length > 0) parts.push(`${plural(plan.blocked.length, "step")} blocked`);
  if (plan.warnings.length > 0) parts.push(plural(plan.warnings.length, "warning"));
  const line = parts.join(" · ");
  return line.charAt(0).toUpperCase() + line.slice(1);
}

function footer(plan: Plan, purpose: Purpose): string {
  const { console: live, config } = plan;
  const facts = [
    `${escapeMarkdown(live.org)} (${escapeMarkdown(live.org_plan)})`,
    `console ${escapeMarkdown(live.target)}`,
    `console revision ${live.revision}`,
    `acting as ${escapeMarkdown(live.actor.login)} (${escapeMarkdown(live.actor.role)})`,
    `config ${escapeMarkdown(config.file)}`,
    `plan ${escapeMarkdown(plan.plan_id)}`,
    `prices as of ${escapeMarkdown(plan.money.priced_on)}`,
  ];
  const last = [
    summaryLine(plan, purpose),
    ...(plan.errors.length > 0 && purpose === "plan" ? [failedLine(plan)] : []),
  ];
  return [...last.map(escapeMarkdown), `<sub>${facts.join(" · ")}</sub>`].join(SEPARATOR);
}

function issueItem(issue: PlanIssue): string {
  let item = `- **${escapeMarkdown(issue.code)}** ${escapeMarkdown(issue.message)}`;
  if (issue.fix) item += ` — fix: ${escapeMarkdown(issue.fix)}`;
  if (issue.source) item += ` (${code(issue.source)})`;
  return item;
}

function blockedItems(blocked: BlockedStep[]): string[] {
  const byDomain = new Map<string, BlockedStep[]>();
  for (const step of blocked) byDomain.set(step.domain, [...(byDomain.get(step.domain) ?? []), step]);
  const items: string[] = [];
  for (const [domain, steps] of byDomain) {
    const first = steps[0]!;
    const record = first.txt_record
      ? `publish TXT ${code(first.txt_record.name)} with value ${code(first.txt_record.value)}`
      : `the TXT record to publish is shown once ${escapeMarkdown(domain)} exists`;
    items.push(`- **${escapeMarkdown(domain)}**: ${record}. ${escapeMarkdown(first.reason)}`);
    for (const step of steps) items.push(`  - ${escapeMarkdown(step.summary)}`);
  }
  return items;
}

function changeCell(step: PlanStep): string {
  let cell = escapeMarkdown(step.summary);
  if (step.destructive) cell += " ⚠️ **destructive**";
  if (step.secret) cell += ` (${escapeMarkdown(describeSecret(step.secret))})`;
  if (step.attribution) cell += ` — ${escapeMarkdown(attributionLine(step.attribution))}`;
  return cell;
}

function tableRow(step: PlanStep): string {
  const symbol = step.symbol.replace(/[^-+~/]/g, "");
  return `| ${step.index} | \`${symbol}\` | ${changeCell(step)} | ${moneyMove(step.amount_cents) || "—"} |`;
}

function patchLines(step: PlanStep): string[] {
  const lines = [`#${step.index} ${step.summary}`];
  for (const { symbol, text } of fieldChangeLines(step)) lines.push(`    ${symbol} ${text}`);
  return lines.map(spaceControls);
}

/** A list that may be cut short: `render(k)` shows the first k of n items and says how many it left out. */
interface Section {
  n: number;
  render: (k: number) => string;
}

function listSection(
  head: string[],
  items: string[],
  more: (left: number) => string,
  tail: string[] = [],
): Section {
  return {
    n: items.length,
    render: (k) => {
      const note = k < items.length ? [more(items.length - k)] : [];
      return [...head, ...items.slice(0, k), ...note, ...tail].join("\n");
    },
  };
}

/**
 * The largest k whose rendering fits in `budget` characters (k = n first: it has no "more" note), or -1.
 * Below n the length grows with k, so a binary search finds it.
 */
function fitCount(section: Section, budget: number): number {
  if (section.render(section.n).length <= budget) return section.n;
  let lo = -1;
  let hi = section.n - 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi + 1) / 2);
    if (section.render(mid).length <= budget) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * The plan as a pull-request comment: a hidden marker, the cost headline, errors, blocked steps, a table of
 * changes and collapsed details, then the summary line. Never longer than `maxChars`: the table and the
 * details are cut first (saying how many changes were left out); the headline, errors and summary stay.
 */
export function renderMarkdown(plan: Plan, options: MarkdownOptions = {}): string {
  const maxChars = options.maxChars ?? DEFAULT_MAX_CHARS;
  const m = plan.money;
  const ordered = [...plan.steps].sort((a, b) => a.index - b.index);

  const purpose = options.purpose ?? "plan";
  const head = [
    MARKDOWN_MARKER,
    headline(plan, purpose),
    "",
    moneyLine(plan, purpose),
    "",
    `Console: ${code(plan.console.target)}`,
  ].join("\n");
  const foot = footer(plan, purpose);

  const errors =
    plan.errors.length > 0
      ? listSection(
          ["**Errors**", ""],
          plan.errors.map(issueItem),
          (left) => `- … and ${left} more errors (see the job log)`,
        )
      : null;
  const blocked =
    plan.blocked.length > 0
      ? listSection(
          [`**Blocked until their domain is verified** (${plural(plan.blocked.length, "step")})`, ""],
          blockedItems(plan.blocked),
          (left) => `- … and ${left} more lines (see the full plan in the job log)`,
        )
      : null;
  const moreChanges = (left: number) => `… and ${left} more changes (see the full plan in the job log)`;
  const table: Section | null =
    ordered.length > 0
      ? {
          n: ordered.length,
          render: (k) => {
            const note = k < ordered.length ? moreChanges(ordered.length - k) : null;
            if (k === 0) return note ?? "";
            const rows = [
              "| # | | Change | Wallet |",
              "|--:|:-:|:--|--:|",
              ...ordered.slice(0, k).map(tableRow),
            ];
            return [...rows, ...(note ? ["", note] : [])].join("\n");
          },
        }
      : null;
  const withPatch = ordered.filter((s) => fieldChangeLines(s).length > 0);
  const patchItems = withPatch.map((s) => patchLines(s).join("\n"));
  const fence = fenceFor(patchItems);
  const patches =
    withPatch.length > 0
      ? listSection(
          [
            `<details><summary>Field changes (${plural(withPatch.length, "step")})</summary>`,
            "",
            `${fence}text`,
          ],
          patchItems,
          (left) => `… and ${left} more steps with field changes (see the full plan in the job log)`,
          [fence, "", "</details>"],
        )
      : null;
  const horizon = `Renewals due in the next ${m.renewals_horizon_days} days`;
  const renewals =
    m.renewals_due.length > 0
      ? listSection(
          [
            `<details><summary>${horizon} (${m.renewals_due.length})</summary>`,
            "",
            "| Login | Plan | Due | Amount |",
            "|:--|:--|:--|--:|",
          ],
          m.renewals_due.map(
            (r) =>
              `| ${escapeMarkdown(renewalPayer(r))} | ${escapeMarkdown(r.plan)} | ${escapeMarkdown(r.due)} | ` +
              `${formatEuro(r.amount_cents)}${r.unpaid ? " (unpaid)" : ""} |`,
          ),
          (left) => `\n… and ${left} more renewals`,
          ["", "</details>"],
        )
      : listSection([`${horizon}: none.`], [], () => "");
  const warnings =
    plan.warnings.length > 0
      ? listSection(
          [`<details><summary>Warnings (${plan.warnings.length})</summary>`, ""],
          plan.warnings.map(issueItem),
          (left) => `- … and ${left} more warnings (see the job log)`,
          ["", "</details>"],
        )
      : null;

  // What always stays: the headline, the summary, the errors (cut only if they alone are too long) and, when
  // rows are left out, the "… and N more changes" note, which is reserved before anything optional is placed.
  const fixed = head.length + SEPARATOR.length + foot.length + 1;
  const chosen = new Map<Section, number>();
  let used = fixed;
  const take = (section: Section, k: number) => {
    chosen.set(section, k);
    used += section.render(k).length + SEPARATOR.length;
  };
  /** Places as much of a section as fits; a required section is placed (cut to its note) even if not. */
  const place = (section: Section | null, options: { reserve?: number; required?: boolean } = {}) => {
    if (!section) return;
    const k = fitCount(section, maxChars - used - (options.reserve ?? 0) - SEPARATOR.length);
    if (k >= 0) take(section, k);
    else if (options.required) take(section, 0);
  };
  const tableReserve = table ? table.render(0).length + SEPARATOR.length : 0;
  place(errors, { reserve: tableReserve, required: true });
  place(blocked, { reserve: tableReserve });
  place(table, { required: true });
  place(patches);
  place(renewals);
  place(warnings);

  const body = [errors, blocked, table, patches, renewals, warnings]
    .filter((s): s is Section => s !== null && chosen.has(s))
    .map((s) => s.render(chosen.get(s)!))
    .filter((text) => text.length > 0);
  return `${[head, ...body, foot].join(SEPARATOR)}\n`;
}
