import type { LedgerEntryInfo } from "../api/wire.js";
import { formatEuro } from "../domain/money.js";
import { type RenewalForecast, renewalPayer } from "../domain/renewals.js";
import { textTable } from "./table.js";

/** `orgctl wallet`'s report (read by src/cli/wallet.ts) as text or JSON. */

/** One row of the wallet's ledger, as the console answers with it. */
export type LedgerRow = LedgerEntryInfo;

export interface WalletReport {
  /** The console read: its endpoint URL or `sandbox FILE`. */
  target: string;
  balance_cents: number;
  currency: string;
  /** How many ledger entries the console holds in all. */
  ledger_total: number;
  /** The last `--entries` entries, newest first. */
  entries: LedgerRow[];
  days: number;
  renewals: RenewalForecast[];
}

/** A stable JSON document: fixed key order, money in integer cents plus a formatted copy. */
export function renderWalletJson(report: WalletReport): string {
  const renewalsTotal = report.renewals.reduce((sum, r) => sum + r.amount_cents, 0);
  const doc = {
    wallet_format_version: 1,
    target: report.target,
    currency: report.currency,
    balance_cents: report.balance_cents,
    balance: formatEuro(report.balance_cents),
    ledger: {
      total: report.ledger_total,
      order: "newest_first",
      entries: report.entries.map((e) => ({
        id: e.id,
        at: e.at,
        reason: e.reason,
        login: e.login,
        plan: e.plan,
        amount_cents: e.amount_cents,
        balance_after_cents: e.balance_after_cents,
        memo: e.memo,
      })),
    },
    renewals: {
      days: report.days,
      total_cents: renewalsTotal,
      shortfall_cents: Math.max(0, renewalsTotal - report.balance_cents),
      due: report.renewals.map((r) => ({
        due: r.due,
        login: r.login,
        plan: r.plan,
        amount_cents: r.amount_cents,
        unpaid: r.unpaid,
      })),
    },
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

export function renderWalletText(report: WalletReport): string {
  const out: string[] = [
    `Console: ${report.target}`,
    `Balance: ${formatEuro(report.balance_cents)} (${report.currency})`,
    "",
  ];

  if (report.entries.length === 0) {
    out.push(report.ledger_total === 0 ? "Ledger: no entries" : "Ledger: not shown (--entries 0)");
  } else {
    const shown =
      report.entries.length === report.ledger_total
        ? `all ${report.ledger_total}`
        : `last ${report.entries.length} of ${report.ledger_total}`;
    out.push(`Ledger (${shown}, newest first):`);
    out.push(
      ...textTable(
        ["#", "WHEN (UTC)", "REASON", "USER", "AMOUNT", "BALANCE", "MEMO"],
        report.entries.map((e) => [
          String(e.id),
          e.at.slice(0, 16).replace("T", " "),
          e.reason,
          e.login ?? "-",
          formatEuro(e.amount_cents),
          formatEuro(e.balance_after_cents),
          e.memo,
        ]),
        new Set([0, 4, 5]),
      ),
    );
  }
  out.push("");

  const horizon = `Renewals due in the next ${report.days} day${report.days === 1 ? "" : "s"}`;
  if (report.renewals.length === 0) {
    out.push(`${horizon}: none`);
  } else {
    const total = report.renewals.reduce((sum, r) => sum + r.amount_cents, 0);
    out.push(`${horizon}: ${report.renewals.length}, ${formatEuro(total)} in all`);
    out.push(
      ...textTable(
        ["DUE", "USER", "PLAN", "AMOUNT", ""],
        report.renewals.map((r) => [
          r.due,
          renewalPayer(r),
          r.plan,
          formatEuro(r.amount_cents),
          r.unpaid ? "unpaid" : "",
        ]),
        new Set([3]),
      ),
    );
    if (total > report.balance_cents) {
      out.push(
        `  The balance is short by ${formatEuro(total - report.balance_cents)}; top up before they fall due.`,
      );
    }
  }
  return `${out.join("\n")}\n`;
}
