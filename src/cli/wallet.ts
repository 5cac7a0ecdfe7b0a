import type { Command } from "commander";
import { API } from "../api/routes.js";
import type { LedgerEntryInfo } from "../api/wire.js";
import type { ConsoleClient, WalletInfo } from "../client/console-client.js";
import { formatEuro } from "../domain/money.js";
import { type RenewalForecast, renewalPayer } from "../domain/renewals.js";
import { textTable } from "../render/table.js";
import { CliError } from "./errors.js";
import { TARGET_HELP } from "./plan.js";
import { endpointOption, fileOption, openTargetNextTo, sandboxOption, type TargetFlags } from "./target.js";

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

interface WalletFlags extends TargetFlags {
  file: string;
  days: string;
  entries: string;
  format: string;
}

/** The console's limit for the wallet route's `?days=` (`API.wallet`). */
const MAX_DAYS = 366;
/** Reads again when the balance and the ledger disagree (a wallet change landed between the two reads). */
const READ_ATTEMPTS = 3;

function wholeNumber(flag: string, raw: string, max: number): number {
  const value = /^\d{1,9}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value > max) {
    throw new CliError("invalid_flag", `${flag} must be a whole number from 0 to ${max} (got ${raw})`);
  }
  return value;
}

/** Reads the balance, the renewals due within `days` and the last `entries` ledger entries, consistently. */
export async function readWallet(
  client: ConsoleClient,
  target: string,
  days: number,
  entries: number,
): Promise<WalletReport> {
  let wallet: WalletInfo | undefined;
  let ledger: LedgerRow[] = [];
  for (let attempt = 1; attempt <= READ_ATTEMPTS; attempt++) {
    const [walletResult, rows] = await Promise.all([
      client.request<WalletInfo>(API.wallet.method, API.wallet.path, { query: { days } }),
      // Paged oldest first: the newest entries are on the last page.
      client.listAll<LedgerRow>(API.ledger.path),
    ]);
    wallet = walletResult.body;
    ledger = rows;
    const last = rows[rows.length - 1];
    if (!last || last.balance_after_cents === wallet.balance_cents) break;
  }
  if (!wallet) throw new Error("unreachable: the wallet was not read");
  return {
    target,
    balance_cents: wallet.balance_cents,
    currency: wallet.currency,
    ledger_total: ledger.length,
    entries: entries === 0 ? [] : ledger.slice(-entries).reverse(),
    days,
    renewals: wallet.renewals_due,
  };
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

export function registerWallet(program: Command): void {
  program
    .command("wallet")
    .description("show the wallet: balance, the latest ledger entries and the renewals coming up")
    .option("--days <n>", `renewals falling due within this many days (0 to ${MAX_DAYS})`, "30")
    .option("--entries <n>", "how many of the latest ledger entries to show (0 for none)", "10")
    .option("--format <format>", "text or json", "text")
    .addOption(fileOption())
    .addOption(endpointOption())
    .addOption(sandboxOption())
    .addHelpText(
      "after",
      `${TARGET_HELP}

Exit codes:
  0  shown
  1  error: bad flag, unreachable console, refused by the console (e.g. forbidden)`,
    )
    .action(async (flags: WalletFlags) => {
      if (flags.format !== "text" && flags.format !== "json") {
        throw new CliError("invalid_flag", `--format must be one of text, json (got ${flags.format})`);
      }
      const days = wholeNumber("--days", flags.days, MAX_DAYS);
      const entries = wholeNumber("--entries", flags.entries, Number.MAX_SAFE_INTEGER);
      const target = await openTargetNextTo(flags);
      try {
        const report = await readWallet(target.client, target.label, days, entries);
        process.stdout.write(flags.format === "json" ? renderWalletJson(report) : renderWalletText(report));
      } finally {
        await target.close();
      }
    });
}
