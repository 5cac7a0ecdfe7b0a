import type { SecretRef } from "../config/model.js";
import { type Cents, formatEuro } from "../domain/money.js";
import { renewalPayer } from "../domain/renewals.js";
import type {
  Attribution,
  BlockedStep,
  FieldChange,
  Plan,
  PlanIssue,
  PlanStep,
  ResourceKind,
} from "../plan/model.js";
import { RESOURCE_KIND_LIST, RESOURCE_KINDS } from "../plan/step-kinds.js";
import { orgPlanWords } from "./org-plan.js";

/** What the report is for: a plan to apply, or a drift check that only reads. */
export type Purpose = "plan" | "drift";

export interface TextOptions {
  /** Colour the change symbols with ANSI codes (only for a terminal). */
  color: boolean;
  purpose?: Purpose;
  /** Read-only sections shown before the money, never steps (the seat review, drift's logins). */
  extra?: string[][];
}

/** The order resource kinds are shown in, with their section titles: the kind table's (step-kinds.ts). */
export const KIND_SECTIONS: readonly { kind: ResourceKind; title: string }[] = RESOURCE_KIND_LIST.map(
  (kind) => ({
    kind,
    title: RESOURCE_KINDS[kind].title,
  }),
);

const ANSI = {
  reset: "\u001b[0m",
  bold: "\u001b[1m",
  red: "\u001b[31m",
  green: "\u001b[32m",
  yellow: "\u001b[33m",
} as const;

type Paint = (code: keyof typeof ANSI, text: string) => string;

function painter(color: boolean): Paint {
  return color ? (code, text) => `${ANSI[code]}${text}${ANSI.reset}` : (_code, text) => text;
}

/**
 * Makes text safe for a terminal: control characters (ANSI escapes, newlines, bells) that came from org.yaml
 * or the console are shown as `\u001b` instead of acting on the terminal or breaking the layout.
 */
export function clean(text: string): string {
  let out = "";
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    out += code < 0x20 || (code >= 0x7f && code <= 0x9f) ? `\\u${code.toString(16).padStart(4, "0")}` : ch;
  }
  return out;
}

/** `charge €90.00`, `refund €12.33`, or `` for a step that does not move money. */
export function moneyMove(amount: Cents): string {
  if (amount < 0) return `charge ${formatEuro(-amount)}`;
  if (amount > 0) return `refund ${formatEuro(amount)}`;
  return "";
}

/** The `Wallet: €120.00 → €45.50 (charges €90.00, refunds €15.50).` part of the summary line. */
export function walletLine(plan: Plan): string {
  const m = plan.money;
  return (
    `Wallet: ${formatEuro(m.balance_before_cents)} → ${formatEuro(m.balance_after_cents)} ` +
    `(charges ${formatEuro(m.charges_cents)}, refunds ${formatEuro(m.refunds_cents)}).`
  );
}

/**
 * The last line of a plan: `Plan: 3 to create, 1 to update, 1 to delete, 0 to replace. Wallet: … .`, or
 * `No changes. The console matches org.yaml. Wallet: … .` when there is nothing to do and nothing wrong.
 */
export function summaryLine(plan: Plan, purpose: Purpose = "plan"): string {
  const lasting = plan.warnings.filter((w) => w.drift).length;
  if (plan.steps.length === 0 && plan.blocked.length === 0 && plan.errors.length === 0) {
    if (lasting > 0) {
      const what = `the console differs from org.yaml in ${lasting} way(s) apply cannot revert (see Warnings)`;
      return purpose === "drift"
        ? `Drift: ${what}.`
        : `No changes to apply, but ${what}. ${walletLine(plan)}`;
    }
    return purpose === "drift"
      ? "No drift. The console matches org.yaml."
      : `No changes. The console matches org.yaml. ${walletLine(plan)}`;
  }
  const c = plan.counts;
  if (purpose === "drift") {
    const parts = [
      `${c.create} to create`,
      `${c.update} to update`,
      `${c.delete} to delete`,
      `${c.replace} to replace`,
    ];
    if (plan.blocked.length > 0) parts.push(`${plan.blocked.length} blocked`);
    if (plan.errors.length + lasting > 0)
      parts.push(`${plan.errors.length + lasting} that apply cannot revert`);
    return `Drift: the console differs from org.yaml (${parts.join(", ")}). Run orgctl plan to review the fix.`;
  }
  return (
    `Plan: ${c.create} to create, ${c.update} to update, ${c.delete} to delete, ${c.replace} to replace. ` +
    walletLine(plan)
  );
}

export function failedLine(plan: Plan): string {
  return `Plan failed: ${plan.errors.length} error(s); nothing will be applied.`;
}

/** `password from env VAR` / `password from file PATH`: where a secret comes from, never the secret. */
export function describeSecret(ref: SecretRef): string {
  if (ref.env !== undefined) return `password from env ${ref.env}`;
  if (ref.file !== undefined) return `password from file ${ref.file}`;
  return "password from an unnamed source";
}

/** `changed by alice (session) at 2026-03-01T12:00:00.000Z: update_user`. */
export function attributionLine(a: Attribution): string {
  return `changed by ${a.by ?? "the console"} (${a.via}) at ${a.at}: ${a.action}`;
}

const SENSITIVE_PATH = /password|secret|token/i;
const PLAIN_VALUE = /^[\w.@+:/-]+$/;

/** A patch value: bare when it is a simple word, JSON otherwise (quotes show spaces and empty strings). */
export function formatValue(value: unknown): string {
  if (typeof value === "string" && PLAIN_VALUE.test(value)) return value;
  return JSON.stringify(value) ?? "null";
}

export interface PatchLine {
  symbol: "+" | "~" | "-";
  text: string;
}

/**
 * Each field a step changes, old → new, from the step's own `changes` (its patch alone when a hand-made plan
 * has no changes): `{symbol: "~", text: "/plan: entry → pro"}`. A field that was absent is added (`+`), one
 * that goes away is removed (`-`, with what it was).
 */
export function fieldChangeLines(step: PlanStep): PatchLine[] {
  const changes: FieldChange[] =
    step.changes ??
    (step.patch ?? []).map((op) => ({
      path: op.path,
      from: null,
      to: op.op === "add" || op.op === "replace" ? (op.value ?? null) : null,
    }));
  return changes.map((change) => {
    const kind = step.patch?.find((op) => op.path === change.path)?.op;
    const sensitive = SENSITIVE_PATH.test(change.path);
    const value = (v: unknown) => (sensitive ? "(sensitive, not shown)" : formatValue(v));
    if (kind === "remove" || (change.to === null && change.from !== null)) {
      const was = sensitive || change.from === null ? "" : ` (was ${formatValue(change.from)})`;
      return { symbol: "-", text: `${change.path}${was}` };
    }
    if (kind === "add" || change.from === null)
      return { symbol: "+", text: `${change.path}: ${value(change.to)}` };
    const from = sensitive ? "" : `${formatValue(change.from)} → `;
    return { symbol: "~", text: `${change.path}: ${from}${value(change.to)}` };
  });
}

function paintSymbol(symbol: string, paint: Paint): string {
  switch (symbol) {
    case "+":
      return paint("green", "+");
    case "~":
      return paint("yellow", "~");
    case "-":
      return paint("red", "-");
    case "-/+":
      return `${paint("red", "-")}/${paint("green", "+")}`;
    default:
      return clean(symbol);
  }
}

function stepLines(step: PlanStep, paint: Paint): string[] {
  let line = `  ${paintSymbol(step.symbol, paint)} ${clean(step.summary)}`;
  if (step.destructive) line += ` ${paint("red", "[destructive]")}`;
  const move = moneyMove(step.amount_cents);
  if (move) line += ` · ${move}`;
  line += ` · #${step.index}`;
  const lines = [line];
  for (const { symbol, text } of fieldChangeLines(step)) {
    lines.push(`      ${paintSymbol(symbol, paint)} ${clean(text)}`);
  }
  if (step.secret) lines.push(`      ${clean(describeSecret(step.secret))}`);
  if (step.attribution) lines.push(`      ${clean(attributionLine(step.attribution))}`);
  return lines;
}

function blockedLines(blocked: BlockedStep[]): string[] {
  const byDomain = new Map<string, BlockedStep[]>();
  for (const step of blocked) byDomain.set(step.domain, [...(byDomain.get(step.domain) ?? []), step]);
  const lines = [`Blocked (${blocked.length} step(s) wait for domain verification):`];
  for (const [domain, steps] of byDomain) {
    const first = steps[0]!;
    lines.push(`  ${clean(domain)}: ${clean(first.reason)}`);
    if (first.txt_record) {
      lines.push(
        `      publish TXT ${clean(first.txt_record.name)} ${clean(JSON.stringify(first.txt_record.value))}`,
      );
    } else {
      lines.push(`      the TXT record to publish is shown once ${clean(domain)} exists`);
    }
    for (const step of steps) {
      const reason = step.reason === first.reason ? "" : ` (${clean(step.reason)})`;
      lines.push(`    · ${clean(step.summary)}${reason} [${clean(step.id)}]`);
    }
  }
  return lines;
}

function issueLines(title: string, issues: PlanIssue[], paint: Paint, code: "red" | "yellow"): string[] {
  const lines = [paint(code, `${title}:`)];
  for (const issue of issues) {
    const where = issue.source ? `${clean(issue.source)} ` : "";
    lines.push(`  ${where}${paint(code, clean(issue.code))}: ${clean(issue.message)}`);
    if (issue.fix) lines.push(`      fix: ${clean(issue.fix)}`);
    if (issue.step_id) lines.push(`      step: ${clean(issue.step_id)}`);
  }
  return lines;
}

function moneyLines(plan: Plan): string[] {
  const m = plan.money;
  const row = (label: string, value: string) => `  ${`${label}:`.padEnd(17)}${value}`;
  const lines = [`Money (${clean(m.currency)}, prices as of ${clean(m.priced_on)}):`];
  lines.push(row("Balance", `${formatEuro(m.balance_before_cents)} → ${formatEuro(m.balance_after_cents)}`));
  lines.push(row("Charges", formatEuro(m.charges_cents)));
  lines.push(row("Refunds", formatEuro(m.refunds_cents)));
  lines.push(row("Lowest balance", `${formatEuro(m.lowest_balance_cents)} during apply`));
  if (m.org_plan) lines.push(row("Org plan", clean(orgPlanWords(m.org_plan))));
  if (m.min_balance_cents > 0) lines.push(row("Policy minimum", formatEuro(m.min_balance_cents)));
  lines.push(
    row(
      "Yearly cost",
      `${formatEuro(m.yearly_cost_before_cents)} → ${formatEuro(m.yearly_cost_after_cents)}`,
    ),
  );
  const horizon = `Renewals due in the next ${m.renewals_horizon_days} days`;
  if (m.renewals_due.length === 0) {
    lines.push(`  ${horizon}: none`);
  } else {
    lines.push(`  ${horizon}:`);
    const loginWidth = Math.max(...m.renewals_due.map((r) => clean(renewalPayer(r)).length));
    const planWidth = Math.max(...m.renewals_due.map((r) => clean(r.plan).length));
    for (const r of m.renewals_due) {
      const unpaid = r.unpaid ? " (unpaid)" : "";
      lines.push(
        `    ${clean(renewalPayer(r)).padEnd(loginWidth)}  ${clean(r.plan).padEnd(planWidth)}  ${clean(r.due)}  ${formatEuro(r.amount_cents)}${unpaid}`,
      );
    }
  }
  if (m.shortfall_cents > 0)
    lines.push(row("Shortfall", `${formatEuro(m.shortfall_cents)} (top up at least this much)`));
  return lines;
}

/**
 * The plan for a terminal, Terraform style: header, steps by resource kind (each in run order), blocked
 * steps, warnings, errors, money, and the summary line last. Pure: the same plan gives the same text.
 */
export function renderText(plan: Plan, options: TextOptions): string {
  const paint = painter(options.color);
  const { console: live, config } = plan;
  const blocks: string[][] = [];
  const purpose = options.purpose ?? "plan";
  blocks.push([
    `orgctl ${purpose} for ${clean(live.org)} (${clean(live.org_plan)}) at console revision ${live.revision}, ` +
      `acting as ${clean(live.actor.login)} (${clean(live.actor.role)})`,
    `console: ${clean(live.target)}`,
    `config ${clean(config.file)} (${clean(config.hash.slice(0, 12))}) · plan ${clean(plan.plan_id)}`,
  ]);

  const ordered = [...plan.steps].sort((a, b) => a.index - b.index);
  for (const { kind, title } of KIND_SECTIONS) {
    const steps = ordered.filter((s) => s.kind === kind);
    if (steps.length === 0) continue;
    blocks.push([paint("bold", `${title}:`), ...steps.flatMap((s) => stepLines(s, paint))]);
  }
  // A kind this renderer does not know yet still shows, after the known ones.
  const known = new Set<string>(KIND_SECTIONS.map((k) => k.kind));
  const others = ordered.filter((s) => !known.has(s.kind));
  if (others.length > 0)
    blocks.push([paint("bold", "Other:"), ...others.flatMap((s) => stepLines(s, paint))]);

  if (plan.blocked.length > 0) blocks.push(blockedLines(plan.blocked));
  if (plan.warnings.length > 0) blocks.push(issueLines("Warnings", plan.warnings, paint, "yellow"));
  if (plan.errors.length > 0) blocks.push(issueLines("Errors", plan.errors, paint, "red"));
  for (const block of options.extra ?? []) blocks.push(block);
  blocks.push(moneyLines(plan));

  const last = [summaryLine(plan, purpose)];
  if (plan.errors.length > 0 && purpose === "plan") last.push(paint("red", failedLine(plan)));
  blocks.push(last);
  return `${blocks.map((b) => b.join("\n")).join("\n\n")}\n`;
}
