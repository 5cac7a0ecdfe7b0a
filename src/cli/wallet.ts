import type { Command } from "commander";
import { API } from "../api/routes.js";
import type { ConsoleClient, WalletInfo } from "../client/console-client.js";
import type { LedgerRow, WalletReport } from "../render/wallet.js";
import { CliError } from "./errors.js";
import { TARGET_HELP } from "./plan.js";
import { endpointOption, fileOption, openTargetNextTo, sandboxOption, type TargetFlags } from "./target.js";

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
        const { renderWalletJson, renderWalletText } = await import("../render/wallet.js");
        process.stdout.write(flags.format === "json" ? renderWalletJson(report) : renderWalletText(report));
      } finally {
        await target.close();
      }
    });
}
